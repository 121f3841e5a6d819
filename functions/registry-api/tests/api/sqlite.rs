//! The registry over the embedded SQLite store: what one process wrote, the next one reads,
//! with the same local CA.

use crate::common::{names, new_certificate, str_of, Api, START_MILLIS};
use serde_json::json;
use std::sync::Arc;
use thingcore::ManualClock;
use thingcore_embedded::SqliteStore;
use thingcore_registry::RegistryConfig;

fn open(dir: &std::path::Path) -> Api {
    let clock = Arc::new(ManualClock::new(START_MILLIS));
    let store =
        SqliteStore::open_with_clock(dir, clock.clone()).unwrap_or_else(|e| panic!("open: {e}"));
    Api::over(Arc::new(store), clock, RegistryConfig::default())
}

#[test]
fn the_registry_survives_a_restart_on_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (ca, cert_arn) = {
        let api = open(dir.path());
        api.post("/thing-types/lamp").ok();
        api.post("/things/lamp-1")
            .json(json!({"thingTypeName": "lamp", "attributePayload": {"attributes": {"room": "hall"}}}))
            .ok();
        api.post("/thing-groups/floor-1").ok();
        api.put("/thing-groups/addThingToThingGroup")
            .json(json!({"thingName": "lamp-1", "thingGroupName": "floor-1"}))
            .ok();
        let certificate = new_certificate(&api, true);
        let arn = str_of(&certificate, "certificateArn").to_string();
        api.put("/things/lamp-1/principals")
            .header("x-amzn-principal", &arn)
            .ok();
        api.post("/policies/p")
            .json(json!({"policyDocument": r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}}"#}))
            .ok();
        api.put("/target-policies/p")
            .json(json!({"target": arn}))
            .ok();
        (api.ca_pem(), arn)
    };
    let api = open(dir.path());
    assert_eq!(api.ca_pem(), ca, "the CA is kept in the store");
    let thing = api.get("/things/lamp-1").ok();
    assert_eq!(thing["thingTypeName"], "lamp");
    assert_eq!(thing["attributes"], json!({"room": "hall"}));
    assert_eq!(
        names(
            &api.get("/thing-groups/floor-1/things").ok(),
            "things",
            None
        ),
        ["lamp-1"]
    );
    assert_eq!(
        names(
            &api.get("/things/lamp-1/principals").ok(),
            "principals",
            None
        ),
        std::slice::from_ref(&cert_arn)
    );
    let attached = api
        .post(&format!(
            "/attached-policies/{}",
            crate::common::label(&cert_arn)
        ))
        .ok();
    assert_eq!(names(&attached, "policies", Some("policyName")), ["p"]);
    api.delete("/things/lamp-1")
        .fails(400, "InvalidRequestException");
}
