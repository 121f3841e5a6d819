//! IoT SQL: parse once, evaluate many times on a 1 KiB JSON payload.
//!
//! `cargo bench -p thingcore --bench sql` prints evaluations per second (criterion's
//! "thrpt"). The issue's target: at least 1,000,000 simple evaluations per second per core.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use thingcore::sql::{evaluate, parse, EvalContext, NoExternalFunctions};

/// A telemetry message of about 1 KiB: a few scalars up front, nested objects and arrays,
/// and padding fields that a rule does not read.
fn payload(temp: i64) -> Vec<u8> {
    let mut extra = String::new();
    for i in 0..14 {
        extra.push_str(&format!(
            r#","field_{i:02}":{{"unit":"celsius","value":{i}.5,"ok":true,"tag":"abcdefgh"}}"#
        ));
    }
    let doc = format!(
        r#"{{"temp":{temp},"humidity":41.5,"device":{{"name":"kitchen-sensor","firmware":"1.2.3","location":{{"floor":2,"room":"201"}}}},"readings":[{{"value":20.5}},{{"value":21.0}},{{"value":22.25}}]{extra}}}"#
    );
    doc.into_bytes()
}

fn ctx() -> EvalContext {
    let mut c = EvalContext::new("sensors/kitchen/telemetry");
    c.client_id = Some("kitchen-sensor".to_owned());
    c.timestamp_ms = 1_700_000_000_000;
    c
}

fn bench(c: &mut Criterion) {
    let hot = payload(35);
    let cold = payload(25);
    assert!(
        (900..1300).contains(&hot.len()),
        "payload is {} bytes",
        hot.len()
    );
    let ctx = ctx();

    let mut group = c.benchmark_group("sql_evaluate_1KiB");
    group.throughput(Throughput::Elements(1));

    let simple = parse("SELECT temp FROM 'sensors/+/telemetry' WHERE temp > 30").expect("parse");
    group.bench_function("simple WHERE, matched", |b| {
        b.iter(|| evaluate(&simple, black_box(&hot), &ctx, &NoExternalFunctions))
    });
    group.bench_function("simple WHERE, not matched", |b| {
        b.iter(|| evaluate(&simple, black_box(&cold), &ctx, &NoExternalFunctions))
    });

    let star = parse("SELECT * FROM 'sensors/+/telemetry' WHERE temp > 30").expect("parse");
    group.bench_function("SELECT * WHERE, matched", |b| {
        b.iter(|| evaluate(&star, black_box(&hot), &ctx, &NoExternalFunctions))
    });

    let nested = parse(
        "SELECT device.location.room AS room, upper(device.name) AS name, \
         round(readings[2].value * 1.8 + 32) AS fahrenheit, topic(2) AS device_id, \
         concat(device.firmware, '-', clientid()) AS build, \
         {'floor': device.location.floor, 'humid': humidity > 40} AS meta \
         FROM 'sensors/+/telemetry' WHERE temp > 30 AND startswith(device.name, 'kitchen')",
    )
    .expect("parse");
    group.bench_function("SELECT nested paths and functions", |b| {
        b.iter(|| evaluate(&nested, black_box(&hot), &ctx, &NoExternalFunctions))
    });
    group.finish();

    let mut group = c.benchmark_group("sql_parse");
    group.throughput(Throughput::Elements(1));
    group.bench_function("simple", |b| {
        b.iter(|| {
            parse(black_box(
                "SELECT temp FROM 'sensors/+/telemetry' WHERE temp > 30",
            ))
        })
    });
    group.bench_function("nested paths and functions", |b| {
        b.iter(|| {
            parse(black_box(
                "SELECT device.location.room AS room, upper(device.name) AS name, \
                 round(readings[2].value * 1.8 + 32) AS fahrenheit, topic(2) AS device_id \
                 FROM 'sensors/+/telemetry' WHERE temp > 30 AND startswith(device.name, 'k')",
            ))
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
