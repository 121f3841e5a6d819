//! CreateThingType, DescribeThingType, ListThingTypes, DeprecateThingType, DeleteThingType.

use crate::common::{names, str_of, Api, START_MILLIS};
use serde_json::json;
use thingcore_registry::RegistryConfig;

#[test]
fn a_thing_type_lives_and_dies_by_its_deprecation() {
    let api = Api::new();
    let created = api
        .post("/thing-types/lamp")
        .json(json!({"thingTypeProperties": {"thingTypeDescription": "Smart lamps", "searchableAttributes": ["room", "color"]}, "tags": [{"Key": "k", "Value": "v"}]}))
        .ok();
    assert_eq!(
        created["thingTypeArn"],
        "arn:aws:iot:us-east-1:000000000000:thingtype/lamp"
    );
    let id = str_of(&created, "thingTypeId").to_string();
    let described = api.get("/thing-types/lamp").ok();
    assert_eq!(described["thingTypeId"], id.as_str());
    assert_eq!(
        described["thingTypeProperties"],
        json!({"thingTypeDescription": "Smart lamps", "searchableAttributes": ["room", "color"]})
    );
    assert_eq!(
        described["thingTypeMetadata"],
        json!({"deprecated": false, "creationDate": START_MILLIS / 1000})
    );

    api.post("/things/old-lamp")
        .json(json!({"thingTypeName": "lamp"}))
        .ok();
    api.post("/thing-types/lamp/deprecate").ok();
    let metadata = api.get("/thing-types/lamp").ok()["thingTypeMetadata"].clone();
    assert_eq!(metadata["deprecated"], true);
    assert_eq!(metadata["deprecationDate"], START_MILLIS / 1000);

    // no new thing of a deprecated type, not even by update
    api.post("/things/new-lamp")
        .json(json!({"thingTypeName": "lamp"}))
        .fails(400, "InvalidRequestException");
    api.post("/things/other").ok();
    api.patch("/things/other")
        .json(json!({"thingTypeName": "lamp"}))
        .fails(400, "InvalidRequestException");
    // an existing thing of the type is still described and updated
    api.patch("/things/old-lamp")
        .json(json!({"attributePayload": {"attributes": {"a": "b"}}}))
        .ok();

    // the five-minute wait, by the injected clock
    api.delete("/thing-types/lamp")
        .fails(400, "InvalidRequestException");
    api.clock.advance(299_000);
    api.delete("/thing-types/lamp")
        .fails(400, "InvalidRequestException");
    api.clock.advance(1_000);
    let body = api
        .delete("/thing-types/lamp")
        .fails(400, "InvalidRequestException");
    assert!(str_of(&body, "message").contains("things"), "{body}");
    api.patch("/things/old-lamp")
        .json(json!({"removeThingType": true}))
        .ok();
    api.delete("/thing-types/lamp").ok();
    api.get("/thing-types/lamp")
        .fails(404, "ResourceNotFoundException");
    api.delete("/thing-types/lamp")
        .fails(404, "ResourceNotFoundException");
    api.post("/thing-types/lamp/deprecate")
        .fails(404, "ResourceNotFoundException");
}

#[test]
fn deprecation_can_be_undone() {
    let api = Api::new();
    api.post("/thing-types/plug").ok();
    api.post("/thing-types/plug/deprecate").ok();
    api.post("/thing-types/plug/deprecate")
        .json(json!({"undoDeprecate": true}))
        .ok();
    let metadata = api.get("/thing-types/plug").ok()["thingTypeMetadata"].clone();
    assert_eq!(metadata["deprecated"], false);
    assert!(metadata.get("deprecationDate").is_none());
    api.post("/things/p1")
        .json(json!({"thingTypeName": "plug"}))
        .ok();
    api.delete("/thing-types/plug")
        .fails(400, "InvalidRequestException");
    api.post("/thing-types/plug/deprecate")
        .json(json!({"undoDeprecate": "yes"}))
        .fails(400, "InvalidRequestException");
}

#[test]
fn the_wait_is_configurable() {
    let api = Api::with_config(RegistryConfig {
        thing_type_delete_wait_secs: 10,
        ..RegistryConfig::default()
    });
    api.post("/thing-types/t").ok();
    api.post("/thing-types/t/deprecate").ok();
    api.clock.advance(9_000);
    api.delete("/thing-types/t")
        .fails(400, "InvalidRequestException");
    api.clock.advance(1_000);
    api.delete("/thing-types/t").ok();
}

#[test]
fn create_is_idempotent_and_input_is_checked() {
    let api = Api::new();
    let body = json!({"thingTypeProperties": {"thingTypeDescription": "d"}});
    let first = api.post("/thing-types/t").json(body.clone()).ok();
    let again = api.post("/thing-types/t").json(body).ok();
    assert_eq!(first["thingTypeId"], again["thingTypeId"]);
    let conflict = api
        .post("/thing-types/t")
        .json(json!({"thingTypeProperties": {"thingTypeDescription": "other"}}))
        .fails(409, "ResourceAlreadyExistsException");
    assert_eq!(conflict["resourceId"], first["thingTypeId"]);
    api.post("/thing-types/u")
        .json(json!({"thingTypeProperties": {"searchableAttributes": ["a", "b", "c", "d"]}}))
        .fails(400, "InvalidRequestException");
    api.post("/thing-types/u")
        .json(json!({"thingTypeProperties": {"thingTypeDescription": "tab\tbad"}}))
        .fails(400, "InvalidRequestException");
    api.post("/thing-types/bad%20name")
        .fails(400, "InvalidRequestException");
}

#[test]
fn thing_types_are_listed() {
    let api = Api::new();
    for name in ["a", "b", "c"] {
        api.post(&format!("/thing-types/{name}")).ok();
    }
    let first = api.get("/thing-types").query("maxResults", "2").ok();
    assert_eq!(
        names(&first, "thingTypes", Some("thingTypeName")),
        ["a", "b"]
    );
    assert_eq!(
        first["thingTypes"][0]["thingTypeArn"],
        "arn:aws:iot:us-east-1:000000000000:thingtype/a"
    );
    assert_eq!(
        first["thingTypes"][0]["thingTypeMetadata"]["deprecated"],
        false
    );
    let next = str_of(&first, "nextToken");
    let second = api
        .get("/thing-types")
        .query("maxResults", "2")
        .query("nextToken", next)
        .ok();
    assert_eq!(names(&second, "thingTypes", Some("thingTypeName")), ["c"]);
    assert!(second.get("nextToken").is_none());
    let one = api.get("/thing-types").query("thingTypeName", "b").ok();
    assert_eq!(names(&one, "thingTypes", Some("thingTypeName")), ["b"]);
    let none = api.get("/thing-types").query("thingTypeName", "zz").ok();
    assert!(names(&none, "thingTypes", Some("thingTypeName")).is_empty());
}
