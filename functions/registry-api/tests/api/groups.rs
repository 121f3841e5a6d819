//! Static thing groups: CreateThingGroup, DescribeThingGroup, UpdateThingGroup,
//! DeleteThingGroup, ListThingGroups, AddThingToThingGroup, RemoveThingFromThingGroup,
//! ListThingsInThingGroup, ListThingGroupsForThing.

use crate::common::{names, str_of, Api};
use serde_json::json;

const ARN: &str = "arn:aws:iot:us-east-1:000000000000:thinggroup/";

fn group(api: &Api, name: &str, parent: Option<&str>) {
    let mut body = json!({});
    if let Some(parent) = parent {
        body["parentGroupName"] = json!(parent);
    }
    api.post(&format!("/thing-groups/{name}")).json(body).ok();
}

fn add(api: &Api, thing: &str, group: &str) -> crate::common::Reply {
    api.put("/thing-groups/addThingToThingGroup")
        .json(json!({"thingName": thing, "thingGroupName": group}))
        .send()
}

#[test]
fn groups_form_a_hierarchy() {
    let api = Api::new();
    let created = api
        .post("/thing-groups/building")
        .json(json!({"thingGroupProperties": {"thingGroupDescription": "HQ", "attributePayload": {"attributes": {"city": "Oslo"}}}}))
        .ok();
    assert_eq!(created["thingGroupArn"], format!("{ARN}building"));
    assert!(created["thingGroupId"].is_string());
    group(&api, "floor-1", Some("building"));
    group(&api, "room-101", Some("floor-1"));
    group(&api, "floor-2", Some("building"));

    let root = api.get("/thing-groups/building").ok();
    assert_eq!(root["version"], 1);
    assert_eq!(root["thingGroupProperties"]["thingGroupDescription"], "HQ");
    assert_eq!(
        root["thingGroupProperties"]["attributePayload"]["attributes"],
        json!({"city": "Oslo"})
    );
    assert!(root["thingGroupMetadata"]["creationDate"].is_u64());
    assert!(root["thingGroupMetadata"].get("parentGroupName").is_none());

    let room = api.get("/thing-groups/room-101").ok();
    assert_eq!(room["thingGroupMetadata"]["parentGroupName"], "floor-1");
    assert_eq!(
        room["thingGroupMetadata"]["rootToParentThingGroups"],
        json!([
            {"groupName": "building", "groupArn": format!("{ARN}building")},
            {"groupName": "floor-1", "groupArn": format!("{ARN}floor-1")},
        ])
    );

    let list = |query: &[(&str, &str)]| {
        let mut call = api.get("/thing-groups");
        for (k, v) in query {
            call = call.query(k, v);
        }
        names(&call.ok(), "thingGroups", Some("groupName"))
    };
    assert_eq!(list(&[]), ["building", "floor-1", "floor-2", "room-101"]);
    assert_eq!(
        list(&[("namePrefixFilter", "floor")]),
        ["floor-1", "floor-2"]
    );
    assert_eq!(list(&[("parentGroup", "building")]), ["floor-1", "floor-2"]);
    assert_eq!(
        list(&[("parentGroup", "building"), ("recursive", "true")]),
        ["floor-1", "floor-2", "room-101"]
    );
    assert_eq!(
        list(&[
            ("parentGroup", "building"),
            ("recursive", "true"),
            ("namePrefixFilter", "room")
        ]),
        ["room-101"]
    );
    let page = api
        .get("/thing-groups")
        .query("parentGroup", "building")
        .query("recursive", "true")
        .query("maxResults", "2")
        .ok();
    let token = str_of(&page, "nextToken").to_string();
    let rest = api
        .get("/thing-groups")
        .query("parentGroup", "building")
        .query("recursive", "true")
        .query("nextToken", &token)
        .ok();
    assert_eq!(names(&rest, "thingGroups", Some("groupName")), ["room-101"]);
    api.get("/thing-groups")
        .query("parentGroup", "nowhere")
        .fails(404, "ResourceNotFoundException");

    // a group with children cannot be deleted
    api.delete("/thing-groups/floor-1")
        .fails(400, "InvalidRequestException");
    api.delete("/thing-groups/room-101").ok();
    api.delete("/thing-groups/floor-1").ok();
    assert_eq!(list(&[("parentGroup", "building")]), ["floor-2"]);
    // deleting a group that does not exist succeeds, as on AWS
    api.delete("/thing-groups/floor-1").ok();
}

#[test]
fn hierarchies_are_at_most_seven_deep_and_parents_must_exist() {
    let api = Api::new();
    group(&api, "g1", None);
    for level in 2..=7 {
        group(&api, &format!("g{level}"), Some(&format!("g{}", level - 1)));
    }
    api.post("/thing-groups/g8")
        .json(json!({"parentGroupName": "g7"}))
        .fails(400, "InvalidRequestException");
    api.post("/thing-groups/orphan")
        .json(json!({"parentGroupName": "missing"}))
        .fails(400, "InvalidRequestException");
    api.post("/thing-groups/orphan")
        .json(json!({"parentGroupName": "bad name"}))
        .fails(400, "InvalidRequestException");
}

#[test]
fn create_is_idempotent_and_updates_are_versioned() {
    let api = Api::new();
    let body = json!({"thingGroupProperties": {"thingGroupDescription": "d"}});
    let first = api.post("/thing-groups/g").json(body.clone()).ok();
    let again = api.post("/thing-groups/g").json(body).ok();
    assert_eq!(first["thingGroupId"], again["thingGroupId"]);
    let conflict = api
        .post("/thing-groups/g")
        .json(json!({"thingGroupProperties": {"thingGroupDescription": "other"}}))
        .fails(409, "ResourceAlreadyExistsException");
    assert_eq!(conflict["resourceArn"], format!("{ARN}g"));

    let updated = api
        .patch("/thing-groups/g")
        .json(json!({"thingGroupProperties": {"attributePayload": {"attributes": {"a": "1"}}}, "expectedVersion": 1}))
        .ok();
    assert_eq!(updated["version"], 2);
    api.patch("/thing-groups/g")
        .json(json!({"thingGroupProperties": {"thingGroupDescription": "x"}, "expectedVersion": 1}))
        .fails(409, "VersionConflictException");
    api.patch("/thing-groups/g")
        .json(json!({"expectedVersion": 2}))
        .fails(400, "InvalidRequestException");
    api.patch("/thing-groups/nope")
        .json(json!({"thingGroupProperties": {}}))
        .fails(404, "ResourceNotFoundException");
    let described = api.get("/thing-groups/g").ok();
    assert_eq!(
        described["thingGroupProperties"]["thingGroupDescription"],
        "d"
    );
    assert_eq!(
        described["thingGroupProperties"]["attributePayload"]["attributes"],
        json!({"a": "1"})
    );
    api.delete("/thing-groups/g")
        .query("expectedVersion", "1")
        .fails(409, "VersionConflictException");
    api.delete("/thing-groups/g")
        .query("expectedVersion", "2")
        .ok();
    api.get("/thing-groups/g")
        .fails(404, "ResourceNotFoundException");
}

#[test]
fn things_join_and_leave_groups() {
    let api = Api::new();
    group(&api, "building", None);
    group(&api, "floor-1", Some("building"));
    group(&api, "other", None);
    for thing in ["t1", "t2", "t3"] {
        api.post(&format!("/things/{thing}")).ok();
    }
    assert_eq!(add(&api, "t1", "building").status, 200);
    assert_eq!(
        add(&api, "t1", "building").status,
        200,
        "adding again changes nothing"
    );
    assert_eq!(add(&api, "t2", "floor-1").status, 200);
    api.put("/thing-groups/addThingToThingGroup")
        .json(json!({
            "thingArn": "arn:aws:iot:us-east-1:000000000000:thing/t3",
            "thingGroupArn": format!("{ARN}floor-1"),
        }))
        .ok();
    api.put("/thing-groups/addThingToThingGroup")
        .json(json!({"thingName": "t3", "thingGroupName": "other"}))
        .ok();

    let in_group = |g: &str, recursive: bool| {
        names(
            &api.get(&format!("/thing-groups/{g}/things"))
                .query("recursive", if recursive { "true" } else { "false" })
                .ok(),
            "things",
            None,
        )
    };
    assert_eq!(in_group("building", false), ["t1"]);
    assert_eq!(in_group("building", true), ["t1", "t2", "t3"]);
    assert_eq!(in_group("floor-1", false), ["t2", "t3"]);
    let groups = api.get("/things/t3/thing-groups").ok();
    assert_eq!(
        names(&groups, "thingGroups", Some("groupName")),
        ["floor-1", "other"]
    );
    assert_eq!(
        groups["thingGroups"][0]["groupArn"],
        format!("{ARN}floor-1")
    );

    // one group per hierarchy
    let reply = add(&api, "t2", "building");
    assert_eq!(
        (reply.status, reply.error_type.as_deref()),
        (400, Some("InvalidRequestException")),
        "{}",
        reply.body
    );

    api.put("/thing-groups/removeThingFromThingGroup")
        .json(json!({"thingName": "t3", "thingGroupName": "floor-1"}))
        .ok();
    assert_eq!(in_group("floor-1", false), ["t2"]);
    api.put("/thing-groups/removeThingFromThingGroup")
        .json(json!({"thingName": "t3", "thingGroupName": "floor-1"}))
        .ok();

    // deleting a thing takes it out of its groups; deleting a group lets its things go
    api.delete("/things/t2").ok();
    assert!(in_group("floor-1", false).is_empty());
    api.delete("/thing-groups/other").ok();
    assert!(names(
        &api.get("/things/t3/thing-groups").ok(),
        "thingGroups",
        None
    )
    .is_empty());
}

#[test]
fn membership_errors() {
    let api = Api::new();
    group(&api, "g", None);
    api.post("/things/t").ok();
    let cases = [
        (
            json!({"thingName": "missing", "thingGroupName": "g"}),
            404,
            "ResourceNotFoundException",
        ),
        (
            json!({"thingName": "t", "thingGroupName": "missing"}),
            404,
            "ResourceNotFoundException",
        ),
        (json!({"thingName": "t"}), 400, "InvalidRequestException"),
        (
            json!({"thingGroupName": "g"}),
            400,
            "InvalidRequestException",
        ),
        (
            json!({"thingName": "t", "thingGroupArn": "arn:aws:iot:us-east-1:000000000000:thing/t"}),
            400,
            "InvalidRequestException",
        ),
        (
            json!({"thingName": "t", "thingGroupName": "g", "thingArn": "arn:aws:iot:us-east-1:000000000000:thing/other"}),
            400,
            "InvalidRequestException",
        ),
        (
            json!({"thingName": "t", "thingGroupArn": "not-an-arn"}),
            400,
            "InvalidRequestException",
        ),
    ];
    for (body, status, kind) in cases {
        api.put("/thing-groups/addThingToThingGroup")
            .json(body.clone())
            .fails(status, kind);
        api.put("/thing-groups/removeThingFromThingGroup")
            .json(body)
            .fails(status, kind);
    }
    api.get("/thing-groups/missing/things")
        .fails(404, "ResourceNotFoundException");
    api.get("/things/missing/thing-groups")
        .fails(404, "ResourceNotFoundException");

    // at most ten groups per thing
    for i in 0..10 {
        group(&api, &format!("root-{i}"), None);
        assert_eq!(add(&api, "t", &format!("root-{i}")).status, 200);
    }
    let reply = add(&api, "t", "g");
    assert_eq!(reply.status, 400, "{}", reply.body);
}
