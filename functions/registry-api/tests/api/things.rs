//! CreateThing, DescribeThing, UpdateThing, DeleteThing, ListThings.

use crate::common::{names, str_of, Api};
use serde_json::json;

#[test]
fn a_thing_is_created_described_updated_and_deleted() {
    let api = Api::new();
    let created = api
        .post("/things/lamp-1")
        .json(json!({"attributePayload": {"attributes": {"room": "kitchen", "floor": "1"}}}))
        .ok();
    assert_eq!(created["thingName"], "lamp-1");
    assert_eq!(
        created["thingArn"],
        "arn:aws:iot:us-east-1:000000000000:thing/lamp-1"
    );
    let id = str_of(&created, "thingId").to_string();
    assert_eq!(id.len(), 36, "a UUID");

    let described = api.get("/things/lamp-1").ok();
    assert_eq!(described["defaultClientId"], "lamp-1");
    assert_eq!(described["thingId"], id.as_str());
    assert_eq!(described["version"], 1);
    assert_eq!(
        described["attributes"],
        json!({"room": "kitchen", "floor": "1"})
    );
    assert!(described.get("thingTypeName").is_none());

    // merge: add one, change one, remove one with an empty value
    api.patch("/things/lamp-1")
        .json(json!({"attributePayload": {"attributes": {"floor": "", "color": "red", "room": "hall"}, "merge": true}, "expectedVersion": 1}))
        .ok();
    let described = api.get("/things/lamp-1").ok();
    assert_eq!(described["version"], 2);
    assert_eq!(
        described["attributes"],
        json!({"room": "hall", "color": "red"})
    );
    // without merge the payload replaces
    api.patch("/things/lamp-1")
        .json(json!({"attributePayload": {"attributes": {"only": "this"}}}))
        .ok();
    let described = api.get("/things/lamp-1").ok();
    assert_eq!(described["attributes"], json!({"only": "this"}));
    assert_eq!(described["version"], 3);

    api.patch("/things/lamp-1")
        .json(json!({"expectedVersion": 2}))
        .fails(409, "VersionConflictException");
    api.delete("/things/lamp-1")
        .query("expectedVersion", "2")
        .fails(409, "VersionConflictException");
    api.delete("/things/lamp-1")
        .query("expectedVersion", "3")
        .ok();
    api.get("/things/lamp-1")
        .fails(404, "ResourceNotFoundException");
    // deleting what does not exist succeeds, as on AWS
    api.delete("/things/lamp-1").ok();
    api.patch("/things/lamp-1")
        .json(json!({}))
        .fails(404, "ResourceNotFoundException");
}

#[test]
fn create_thing_is_idempotent_only_for_the_same_thing() {
    let api = Api::new();
    let first = api
        .post("/things/t1")
        .json(json!({"attributePayload": {"attributes": {"a": "1"}}}))
        .ok();
    let again = api
        .post("/things/t1")
        .json(json!({"attributePayload": {"attributes": {"a": "1"}}}))
        .ok();
    assert_eq!(first["thingId"], again["thingId"]);
    let conflict = api
        .post("/things/t1")
        .json(json!({"attributePayload": {"attributes": {"a": "2"}}}))
        .fails(409, "ResourceAlreadyExistsException");
    assert_eq!(conflict["resourceId"], first["thingId"]);
    assert_eq!(conflict["resourceArn"], first["thingArn"]);
}

#[test]
fn bad_input_is_an_invalid_request() {
    let api = Api::new();
    let long = "a".repeat(129);
    for path in ["/things/bad%20name", "/things/a%2Fb", "/things/"] {
        api.post(path).fails(400, "InvalidRequestException");
    }
    api.post(&format!("/things/{long}"))
        .fails(400, "InvalidRequestException");
    api.post(&format!("/things/{}", &long[..128])).ok();
    let body = api
        .post("/things/t1")
        .json(json!({"attributePayload": {"attributes": {"bad key": "v"}}}))
        .fails(400, "InvalidRequestException");
    assert!(
        str_of(&body, "message").contains("failed to satisfy constraint"),
        "{body}"
    );
    api.post("/things/t1")
        .json(json!({"attributePayload": "not an object"}))
        .fails(400, "InvalidRequestException");
    api.post("/things/t1")
        .json(json!({"attributePayload": {"attributes": {"a": 1}}}))
        .fails(400, "InvalidRequestException");
    api.post("/things/t1")
        .text("{not json")
        .fails(400, "InvalidRequestException");
    api.patch("/things/t1")
        .json(json!({"expectedVersion": "one"}))
        .fails(400, "InvalidRequestException");
    api.delete("/things/t1")
        .query("expectedVersion", "x")
        .fails(400, "InvalidRequestException");
    // unknown fields are ignored, as on AWS
    api.post("/things/t1")
        .json(json!({"somethingNew": {"x": 1}}))
        .ok();
    let too_many: serde_json::Map<String, serde_json::Value> =
        (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
    api.post("/things/t2")
        .json(json!({"attributePayload": {"attributes": too_many}}))
        .fails(400, "InvalidRequestException");
    api.post("/things/t3")
        .json(json!({"billingGroupName": "billing"}))
        .fails(404, "ResourceNotFoundException");
    api.post("/things/t3")
        .json(json!({"thingTypeName": "no-such-type"}))
        .fails(404, "ResourceNotFoundException");
    api.patch("/things/t1")
        .json(json!({"thingTypeName": "x", "removeThingType": true}))
        .fails(400, "InvalidRequestException");
}

fn list_all(api: &Api, query: &[(&str, &str)], page: &str) -> Vec<String> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..100 {
        let mut call = api.get("/things").query("maxResults", page);
        for (k, v) in query {
            call = call.query(k, v);
        }
        if let Some(t) = &token {
            call = call.query("nextToken", t);
        }
        let body = call.ok();
        all.extend(names(&body, "things", Some("thingName")));
        match body["nextToken"].as_str() {
            Some(next) => token = Some(next.to_string()),
            None => return all,
        }
    }
    panic!("pagination did not end");
}

#[test]
fn things_are_listed_a_page_at_a_time_and_filtered() {
    let api = Api::new();
    api.post("/thing-types/lamp").ok();
    for (name, color, typed) in [
        ("a", "red", true),
        ("b", "blue", false),
        ("c", "reddish", true),
        ("d", "red", false),
        ("e", "green", true),
    ] {
        let mut body = json!({"attributePayload": {"attributes": {"color": color}}});
        if typed {
            body["thingTypeName"] = json!("lamp");
        }
        api.post(&format!("/things/{name}")).json(body).ok();
    }
    assert_eq!(list_all(&api, &[], "2"), ["a", "b", "c", "d", "e"]);
    let first = api.get("/things").query("maxResults", "2").ok();
    assert_eq!(
        first["things"][0]["thingArn"],
        "arn:aws:iot:us-east-1:000000000000:thing/a"
    );
    assert_eq!(first["things"][0]["thingTypeName"], "lamp");
    assert_eq!(first["things"][0]["version"], 1);
    assert_eq!(
        list_all(
            &api,
            &[("attributeName", "color"), ("attributeValue", "red")],
            "1"
        ),
        ["a", "d"]
    );
    assert_eq!(
        list_all(
            &api,
            &[
                ("attributeName", "color"),
                ("attributeValue", "red"),
                ("usePrefixAttributeValue", "true")
            ],
            "2"
        ),
        ["a", "c", "d"]
    );
    assert_eq!(
        list_all(&api, &[("thingTypeName", "lamp")], "1"),
        ["a", "c", "e"]
    );
    assert_eq!(
        list_all(
            &api,
            &[
                ("thingTypeName", "lamp"),
                ("attributeName", "color"),
                ("attributeValue", "red")
            ],
            "5"
        ),
        ["a"]
    );
    api.get("/things")
        .query("nextToken", "not-a-token")
        .fails(400, "InvalidRequestException");
    for bad in ["0", "251", "x"] {
        api.get("/things")
            .query("maxResults", bad)
            .fails(400, "InvalidRequestException");
    }
    api.get("/things")
        .query("attributeValue", "red")
        .fails(400, "InvalidRequestException");
    api.get("/things")
        .query("usePrefixAttributeValue", "maybe")
        .fails(400, "InvalidRequestException");
}

#[test]
fn a_things_type_can_be_set_changed_and_removed() {
    let api = Api::new();
    api.post("/thing-types/lamp").ok();
    api.post("/thing-types/plug").ok();
    api.post("/things/t1")
        .json(json!({"thingTypeName": "lamp"}))
        .ok();
    assert_eq!(api.get("/things/t1").ok()["thingTypeName"], "lamp");
    api.patch("/things/t1")
        .json(json!({"thingTypeName": "plug"}))
        .ok();
    let typed = |t: &str| {
        names(
            &api.get("/things").query("thingTypeName", t).ok(),
            "things",
            Some("thingName"),
        )
    };
    assert_eq!(typed("plug"), ["t1"]);
    assert!(typed("lamp").is_empty());
    api.patch("/things/t1")
        .json(json!({"removeThingType": true}))
        .ok();
    let described = api.get("/things/t1").ok();
    assert!(described.get("thingTypeName").is_none());
    assert_eq!(described["version"], 3);
    assert!(typed("plug").is_empty());
    api.patch("/things/t1")
        .json(json!({"thingTypeName": "missing"}))
        .fails(404, "ResourceNotFoundException");
}
