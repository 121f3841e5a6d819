//! External SQL functions over the Store: `get_thing_shadow` and `get_registry_data` read
//! what shadow-updater and registry-api wrote, through `RulesEngine::evaluate_async`.

use crate::common::{message, republish, Rig};
use registry_api::service::things::CreateThingRequest;
use registry_api::{RegistryConfig, RegistryService};
use rules_evaluator::{execute_all, RuleMessage, RuleReport, RulesEngine, StoreFunctions};
use serde_json::{json, Value};
use shadow_updater::ShadowService;
use std::sync::Arc;

struct Services {
    engine: RulesEngine,
    shadows: ShadowService,
    registry: RegistryService,
}

fn services(rig: &Rig) -> Services {
    let shadows = ShadowService::new(rig.store.clone(), rig.clock.clone());
    let registry = RegistryService::new(
        rig.store.clone(),
        rig.clock.clone(),
        RegistryConfig::default(),
    );
    let functions = StoreFunctions::new(shadows.clone(), registry.clone());
    let engine = RulesEngine::new(rig.store.clone())
        .with_clock(rig.clock.clone())
        .with_resolver(Arc::new(functions));
    let report = futures::executor::block_on(engine.reload()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.skipped, 0, "{report:?}");
    Services {
        engine,
        shadows,
        registry,
    }
}

fn publish(rig: &Rig, engine: &RulesEngine, m: &RuleMessage) -> Vec<RuleReport> {
    futures::executor::block_on(async {
        let work = engine.evaluate_async(m).await;
        execute_all(work, &rig.sinks()).await
    })
}

fn payloads(rig: &Rig) -> Vec<(String, Value)> {
    rig.publisher
        .take()
        .into_iter()
        .map(|m| {
            let payload = serde_json::from_slice(&m.payload).unwrap_or(Value::Null);
            (m.topic, payload)
        })
        .collect()
}

#[test]
fn get_thing_shadow_in_select_and_where() {
    // GIVEN a rule that reads the reporting device's shadow in SELECT and WHERE
    let rig = Rig::new();
    rig.put_rule(
        "shadow_alarm",
        json!({"sql": "SELECT temp, get_thing_shadow(topic(2), 'arn:aws:iam::1:role/r').state.reported.mode AS mode \
                       FROM 'sensors/+/telemetry' \
                       WHERE get_thing_shadow(topic(2), 'arn:aws:iam::1:role/r').state.reported.armed = true",
               "awsIotSqlVersion": "2016-03-23",
               "actions": [republish("alarms/${topic(2)}")]}),
    );
    let s = services(&rig);
    let update = |thing: &str, doc: Value| {
        futures::executor::block_on(s.shadows.update(thing, None, doc.to_string().as_bytes()))
            .unwrap_or_else(|_| panic!("shadow update of {thing}"));
    };
    update(
        "kitchen",
        json!({"state": {"reported": {"armed": true, "mode": "away"}}}),
    );
    update(
        "hall",
        json!({"state": {"reported": {"armed": false, "mode": "home"}}}),
    );

    // WHEN three devices report THEN only the armed one's message goes out, with its mode
    publish(
        &rig,
        &s.engine,
        &message("sensors/kitchen/telemetry", r#"{"temp": 31}"#),
    );
    publish(
        &rig,
        &s.engine,
        &message("sensors/hall/telemetry", r#"{"temp": 32}"#),
    );
    publish(
        &rig,
        &s.engine,
        &message("sensors/cellar/telemetry", r#"{"temp": 33}"#),
    );
    assert_eq!(
        payloads(&rig),
        vec![(
            "alarms/kitchen".to_owned(),
            json!({"temp": 31, "mode": "away"})
        )]
    );

    // WHEN the hall is armed THEN the next message sees the new shadow
    update("hall", json!({"state": {"reported": {"armed": true}}}));
    publish(
        &rig,
        &s.engine,
        &message("sensors/hall/telemetry", r#"{"temp": 34}"#),
    );
    assert_eq!(
        payloads(&rig),
        vec![(
            "alarms/hall".to_owned(),
            json!({"temp": 34, "mode": "home"})
        )]
    );

    // The synchronous path has no Store behind it: the rule fails, and the failed resource
    // its error action hears of is the function.
    let work = s
        .engine
        .evaluate(&message("sensors/kitchen/telemetry", r#"{"temp": 31}"#));
    assert_eq!(work.len(), 1);
    assert!(work[0].actions.is_empty());
    assert_eq!(work[0].failures[0].failed_resource, "get_thing_shadow");
}

#[test]
fn named_shadows_and_registry_data() {
    let rig = Rig::new();
    rig.put_rule(
        "enrich",
        json!({"sql": "SELECT get_thing_shadow(clientid(), 'firmware', 'r').state.reported.version AS fw, \
                       get_registry_data('DescribeThing', clientid(), 'r').attributes.room AS room, \
                       get_registry_data('ListThingGroupsForThing', clientid(), 'r').thingGroups[0].groupName AS grp, \
                       get_registry_data('DescribeThing', 'nobody', 'r').attributes AS missing \
                       FROM 'devices/#'",
               "awsIotSqlVersion": "2016-03-23",
               "actions": [republish("enriched")]}),
    );
    let s = services(&rig);
    futures::executor::block_on(async {
        s.shadows
            .update(
                "dev-1",
                Some("firmware"),
                br#"{"state": {"reported": {"version": "2.1"}}}"#,
            )
            .await
            .unwrap_or_else(|_| panic!("shadow update"));
        let request: CreateThingRequest =
            serde_json::from_value(json!({"attributePayload": {"attributes": {"room": "201"}}}))
                .unwrap_or_else(|e| panic!("{e}"));
        s.registry
            .create_thing("dev-1", request)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    });
    publish(&rig, &s.engine, &message("devices/dev-1", "{}"));
    // dev-1 is in no group yet: thingGroups is empty, so `grp` is Undefined and left out.
    assert_eq!(
        payloads(&rig),
        vec![("enriched".to_owned(), json!({"fw": "2.1", "room": "201"}))]
    );
}
