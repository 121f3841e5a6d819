//! CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, CreatePolicyVersion,
//! ListPolicyVersions, GetPolicyVersion, SetDefaultPolicyVersion, DeletePolicyVersion,
//! AttachPolicy, DetachPolicy, ListAttachedPolicies, ListTargetsForPolicy.

use crate::common::{label, names, new_certificate, str_of, Api};
use serde_json::{json, Value};

fn document(action: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]
    })
    .to_string()
}

fn create(api: &Api, name: &str) -> Value {
    api.post(&format!("/policies/{name}"))
        .json(json!({"policyDocument": document("iot:Connect")}))
        .ok()
}

#[test]
fn a_policy_and_its_versions() {
    let api = Api::new();
    let created = create(&api, "device");
    assert_eq!(created["policyName"], "device");
    assert_eq!(
        created["policyArn"],
        "arn:aws:iot:us-east-1:000000000000:policy/device"
    );
    assert_eq!(created["policyVersionId"], "1");
    assert_eq!(created["policyDocument"], document("iot:Connect"));

    let conflict = api
        .post("/policies/device")
        .json(json!({"policyDocument": document("iot:Connect")}))
        .fails(409, "ResourceAlreadyExistsException");
    assert_eq!(conflict["resourceArn"], created["policyArn"]);

    let got = api.get("/policies/device").ok();
    assert_eq!(got["defaultVersionId"], "1");
    assert_eq!(got["policyDocument"], document("iot:Connect"));
    assert!(got["creationDate"].is_u64() && got["lastModifiedDate"].is_u64());
    assert!(got["generationId"].is_string());

    for (i, action) in ["iot:Publish", "iot:Subscribe", "iot:Receive", "iot:*"]
        .iter()
        .enumerate()
    {
        let version = api
            .post("/policies/device/version")
            .query("setAsDefault", if i == 1 { "true" } else { "false" })
            .json(json!({"policyDocument": document(action)}))
            .ok();
        assert_eq!(version["policyVersionId"], (i + 2).to_string());
        assert_eq!(version["isDefaultVersion"], i == 1);
    }
    api.post("/policies/device/version")
        .json(json!({"policyDocument": document("iot:Connect")}))
        .fails(409, "VersionsLimitExceededException");

    let versions = api.get("/policies/device/version").ok();
    let listed: Vec<(String, bool)> = versions["policyVersions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            (
                str_of(v, "versionId").to_string(),
                v["isDefaultVersion"] == true,
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("1", false),
            ("2", false),
            ("3", true),
            ("4", false),
            ("5", false)
        ]
        .map(|(v, d)| (v.to_string(), d))
    );
    assert_eq!(
        api.get("/policies/device").ok()["policyDocument"],
        document("iot:Subscribe")
    );

    let version = api.get("/policies/device/version/4").ok();
    assert_eq!(version["policyDocument"], document("iot:Receive"));
    assert_eq!(version["isDefaultVersion"], false);
    assert_eq!(version["policyName"], "device");
    api.get("/policies/device/version/9")
        .fails(404, "ResourceNotFoundException");
    api.get("/policies/device/version/x")
        .fails(400, "InvalidRequestException");

    api.patch("/policies/device/version/5").ok();
    assert_eq!(api.get("/policies/device").ok()["defaultVersionId"], "5");
    api.patch("/policies/device/version/9")
        .fails(404, "ResourceNotFoundException");
    api.delete("/policies/device/version/5")
        .fails(409, "DeleteConflictException");
    api.delete("/policies/device")
        .fails(409, "DeleteConflictException");
    for version in ["1", "2", "3", "4"] {
        api.delete(&format!("/policies/device/version/{version}"))
            .ok();
    }
    api.delete("/policies/device/version/4")
        .fails(404, "ResourceNotFoundException");
    // version ids are never reused
    let next = api
        .post("/policies/device/version")
        .json(json!({"policyDocument": document("iot:Connect")}))
        .ok();
    assert_eq!(next["policyVersionId"], "6");
    api.delete("/policies/device/version/6").ok();
    api.delete("/policies/device").ok();
    api.get("/policies/device")
        .fails(404, "ResourceNotFoundException");
    api.delete("/policies/device")
        .fails(404, "ResourceNotFoundException");
    api.get("/policies/device/version")
        .fails(404, "ResourceNotFoundException");
    api.post("/policies/device/version")
        .json(json!({"policyDocument": document("iot:Connect")}))
        .fails(404, "ResourceNotFoundException");
}

#[test]
fn malformed_policies_are_refused() {
    let api = Api::new();
    for bad in [
        "not json".to_string(),
        json!({"Version": "2012-10-17"}).to_string(),
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Maybe", "Action": "*", "Resource": "*"}}).to_string(),
        json!({"Version": "1999-01-01", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}).to_string(),
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": format!("arn:{}", "a".repeat(2100))}}).to_string(),
    ] {
        api.post("/policies/p")
            .json(json!({"policyDocument": bad}))
            .fails(400, "MalformedPolicyException");
    }
    api.post("/policies/p")
        .json(json!({}))
        .fails(400, "InvalidRequestException");
    api.post("/policies/p")
        .json(json!({"policyDocument": {"Version": "2012-10-17"}}))
        .fails(400, "InvalidRequestException");
    api.post("/policies/bad:name")
        .json(json!({"policyDocument": document("iot:*")}))
        .fails(400, "InvalidRequestException");
    create(&api, "p");
    api.post("/policies/p/version")
        .json(json!({"policyDocument": "{}"}))
        .fails(400, "MalformedPolicyException");
}

#[test]
fn policies_are_listed_with_markers() {
    let api = Api::new();
    for name in ["a", "b", "c"] {
        create(&api, name);
    }
    let first = api.get("/policies").query("pageSize", "2").ok();
    assert_eq!(names(&first, "policies", Some("policyName")), ["a", "b"]);
    assert_eq!(
        first["policies"][0]["policyArn"],
        "arn:aws:iot:us-east-1:000000000000:policy/a"
    );
    let marker = str_of(&first, "nextMarker");
    let second = api
        .get("/policies")
        .query("pageSize", "2")
        .query("marker", marker)
        .ok();
    assert_eq!(names(&second, "policies", Some("policyName")), ["c"]);
    assert!(second.get("nextMarker").is_none());
    api.get("/policies")
        .query("marker", "!!")
        .fails(400, "InvalidRequestException");
}

#[test]
fn policies_attach_to_certificates_and_groups() {
    let api = Api::new();
    create(&api, "p1");
    create(&api, "p2");
    let certificate = new_certificate(&api, true);
    let cert_arn = str_of(&certificate, "certificateArn").to_string();
    api.post("/thing-groups/building").ok();
    api.post("/thing-groups/floor")
        .json(json!({"parentGroupName": "building"}))
        .ok();
    let building = "arn:aws:iot:us-east-1:000000000000:thinggroup/building";
    let floor = "arn:aws:iot:us-east-1:000000000000:thinggroup/floor";

    api.put("/target-policies/p1")
        .json(json!({"target": cert_arn}))
        .ok();
    api.put("/target-policies/p1")
        .json(json!({"target": cert_arn}))
        .ok();
    api.put("/target-policies/p1")
        .json(json!({"target": building}))
        .ok();
    api.put("/target-policies/p2")
        .json(json!({"target": floor}))
        .ok();

    let targets = api.post("/policy-targets/p1").ok();
    let mut expected = vec![cert_arn.clone(), building.to_string()];
    expected.sort();
    assert_eq!(names(&targets, "targets", None), expected);

    let attached = |target: &str, recursive: bool| {
        let body = api
            .post(&format!("/attached-policies/{}", label(target)))
            .query("recursive", if recursive { "true" } else { "false" })
            .ok();
        names(&body, "policies", Some("policyName"))
    };
    assert_eq!(attached(&cert_arn, false), ["p1"]);
    assert_eq!(attached(floor, false), ["p2"]);
    assert_eq!(
        attached(floor, true),
        ["p1", "p2"],
        "inherited from the parent"
    );
    assert_eq!(attached(building, true), ["p1"]);

    api.delete("/policies/p1")
        .fails(409, "DeleteConflictException");
    api.post("/target-policies/p1")
        .json(json!({"target": cert_arn}))
        .ok();
    api.post("/target-policies/p1")
        .json(json!({"target": cert_arn}))
        .ok();
    assert!(attached(&cert_arn, false).is_empty());
    // a group's policies go with the group
    api.delete("/thing-groups/floor").ok();
    assert!(names(&api.post("/policy-targets/p2").ok(), "targets", None).is_empty());
    api.post("/target-policies/p1")
        .json(json!({"target": building}))
        .ok();
    api.delete("/policies/p1").ok();

    let missing_cert = format!("arn:aws:iot:us-east-1:000000000000:cert/{}", "0".repeat(64));
    api.put("/target-policies/p2")
        .json(json!({"target": missing_cert}))
        .fails(404, "ResourceNotFoundException");
    api.put("/target-policies/nope")
        .json(json!({"target": cert_arn}))
        .fails(404, "ResourceNotFoundException");
    api.put("/target-policies/p2")
        .json(json!({"target": "arn:aws:iot:us-east-1:000000000000:thing/t"}))
        .fails(400, "InvalidRequestException");
    api.put("/target-policies/p2")
        .json(json!({}))
        .fails(400, "InvalidRequestException");
    api.post("/target-policies/p2")
        .json(json!({"target": "garbage"}))
        .fails(400, "InvalidRequestException");
    api.post(&format!("/attached-policies/{}", label(&missing_cert)))
        .fails(404, "ResourceNotFoundException");
    api.post("/policy-targets/nope")
        .fails(404, "ResourceNotFoundException");

    // at most ten policies per target
    for i in 0..10 {
        create(&api, &format!("many-{i}"));
        api.put(&format!("/target-policies/many-{i}"))
            .json(json!({"target": cert_arn}))
            .ok();
    }
    let page = api
        .post(&format!("/attached-policies/{}", label(&cert_arn)))
        .query("pageSize", "4")
        .ok();
    assert_eq!(names(&page, "policies", Some("policyName")).len(), 4);
    assert!(page["nextMarker"].is_string());
    api.put("/target-policies/p2")
        .json(json!({"target": cert_arn}))
        .fails(410, "LimitExceededException");
}
