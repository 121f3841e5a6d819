//! UpdateEventConfigurations and DescribeEventConfigurations on the wire: every type described,
//! off until enabled, only the named types changed, unknown types refused; kept by SQLite.

use crate::common::{Api, START_MILLIS};
use serde_json::json;
use std::sync::Arc;
use thingcore::ManualClock;
use thingcore_embedded::SqliteStore;
use thingcore_registry::RegistryConfig;

const TYPES: [&str; 11] = [
    "THING",
    "THING_GROUP",
    "THING_TYPE",
    "THING_GROUP_MEMBERSHIP",
    "THING_GROUP_HIERARCHY",
    "THING_TYPE_ASSOCIATION",
    "JOB",
    "JOB_EXECUTION",
    "POLICY",
    "CERTIFICATE",
    "CA_CERTIFICATE",
];

#[test]
fn every_event_type_is_described_and_off_until_enabled() {
    let api = Api::new();
    let described = api.get("/event-configurations").ok();
    for kind in TYPES {
        assert_eq!(
            described["eventConfigurations"][kind],
            json!({"Enabled": false}),
            "{kind}"
        );
    }
    assert_eq!(
        described["eventConfigurations"]
            .as_object()
            .map(|m| m.len()),
        Some(TYPES.len())
    );
}

#[test]
fn an_update_changes_the_types_it_names_and_dates_them() {
    let api = Api::new();
    let answer = api
        .patch("/event-configurations")
        .json(json!({"eventConfigurations": {"JOB": {"Enabled": true}, "JOB_EXECUTION": {"Enabled": true}}}))
        .ok();
    assert_eq!(answer, json!({}));
    api.clock.advance(5_000);
    api.patch("/event-configurations")
        .json(
            json!({"eventConfigurations": {"JOB": {"Enabled": false}, "THING": {"Enabled": true}}}),
        )
        .ok();
    let described = api.get("/event-configurations").ok();
    let configurations = &described["eventConfigurations"];
    assert_eq!(configurations["JOB"], json!({"Enabled": false}));
    assert_eq!(configurations["JOB_EXECUTION"], json!({"Enabled": true}));
    assert_eq!(configurations["THING"], json!({"Enabled": true}));
    assert_eq!(configurations["POLICY"], json!({"Enabled": false}));
    assert_eq!(described["creationDate"], json!(START_MILLIS / 1000));
    assert_eq!(
        described["lastModifiedDate"],
        json!(START_MILLIS / 1000 + 5)
    );
}

#[test]
fn an_unknown_event_type_is_refused_and_changes_nothing() {
    let api = Api::new();
    api.patch("/event-configurations")
        .json(json!({"eventConfigurations": {"JOB": {"Enabled": true}, "JOBS": {"Enabled": true}}}))
        .fails(400, "InvalidRequestException");
    api.patch("/event-configurations")
        .json(json!({"eventConfigurations": {"JOB": {"Enabled": "yes"}}}))
        .fails(400, "InvalidRequestException");
    let described = api.get("/event-configurations").ok();
    assert_eq!(
        described["eventConfigurations"]["JOB"],
        json!({"Enabled": false})
    );
    api.delete("/event-configurations")
        .fails(405, "MethodNotAllowedException");
}

#[test]
fn the_configurations_survive_a_restart_on_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let open = || {
        let clock = Arc::new(ManualClock::new(START_MILLIS));
        let store = SqliteStore::open_with_clock(dir.path(), clock.clone())
            .unwrap_or_else(|e| panic!("open: {e}"));
        Api::over(Arc::new(store), clock, RegistryConfig::default())
    };
    {
        let api = open();
        api.patch("/event-configurations")
            .json(json!({"eventConfigurations": {"JOB_EXECUTION": {"Enabled": true}}}))
            .ok();
    }
    let api = open();
    let described = api.get("/event-configurations").ok();
    assert_eq!(
        described["eventConfigurations"]["JOB_EXECUTION"],
        json!({"Enabled": true})
    );
}
