//! The IoT SQL parser and evaluator. An input is a statement, a NUL byte, and the message
//! payload (no NUL: the payload is empty). The statement is parsed for both SQL versions;
//! whichever parse is evaluated against the payload in a fixed context (topic, client, time,
//! random seed, MQTT 5 properties), once with no external functions and then the way the rules
//! engine resolves them, in passes. The statement text is also parsed and rendered as a
//! substitution template. Nothing may panic; every output serializes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use thingcore::sql::{
    evaluate, parse_with_version, EvalContext, EvalError, ExternalResults, MqttProperties,
    NoExternalFunctions, Prefetch, SqlVersion, Statement, Template, Value,
};

/// Passes of external-call resolution; the rules engine has a bound of its own.
const PASSES: usize = 4;

fuzz_target!(|data: &[u8]| {
    let (sql, payload) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, &[][..]),
    };
    let sql = String::from_utf8_lossy(sql);
    let ctx = context();
    for version in [SqlVersion::V2015_10_08, SqlVersion::V2016_03_23] {
        if let Ok(statement) = parse_with_version(&sql, version) {
            let _ = statement.topic_filter();
            run(&statement, payload, &ctx);
        }
    }
    if let Ok(template) = Template::parse(&sql) {
        let _ = template.render(payload, &ctx, &NoExternalFunctions);
    }
});

/// A message on `sensors/dev-1/temp` from `dev-1` with every context function answerable.
fn context() -> EvalContext {
    EvalContext {
        topic: "sensors/dev-1/temp".to_owned(),
        client_id: Some("dev-1".to_owned()),
        principal: Some("a1b2c3".to_owned()),
        trace_id: Some("00000000-0000-0000-0000-000000000001".to_owned()),
        source_ip: Some("192.0.2.7".to_owned()),
        account_id: Some("123456789012".to_owned()),
        timestamp_ms: 1_700_000_000_123,
        mqtt_properties: MqttProperties {
            content_type: Some("application/json".to_owned()),
            payload_format_utf8: Some(true),
            response_topic: Some("replies/dev-1".to_owned()),
            correlation_data: Some(vec![0, 1, 0xFF]),
        },
        user_properties: vec![
            ("k".to_owned(), "v".to_owned()),
            ("k".to_owned(), "w".to_owned()),
        ],
        random_seed: 42,
    }
}

/// Evaluates `statement` with no external functions, then resolves its external calls in
/// passes as the rules engine does (each answered with a value or an error, by position).
fn run(statement: &Statement, payload: &[u8], ctx: &EvalContext) {
    check(evaluate(statement, payload, ctx, &NoExternalFunctions));
    let mut results = ExternalResults::new();
    for _ in 0..PASSES {
        let prefetch = Prefetch::new(&results);
        check(evaluate(statement, payload, ctx, &prefetch));
        let missing = prefetch.into_missing();
        if missing.is_empty() {
            return;
        }
        for (i, call) in missing.into_iter().enumerate() {
            let answer = match i % 3 {
                0 => Ok(Value::Null),
                1 => Ok(call.args.first().cloned().unwrap_or_default()),
                _ => Err(EvalError::External {
                    name: call.name.clone(),
                    message: "fuzz".to_owned(),
                }),
            };
            results.insert(call, answer);
        }
    }
    check(evaluate(statement, payload, ctx, &results));
}

/// An output is bytes to publish: serializing it must work.
fn check(result: Result<Option<thingcore::sql::Output>, EvalError>) {
    if let Ok(Some(output)) = result {
        let _ = output.to_bytes();
    }
}
