//! Routing one message through the rules index: which rules a topic reaches, then each
//! matched rule's SQL evaluated, as the rules engine does per message.
//!
//! `cargo bench -p thingcore --bench rules_index`. Two series: 10,000 rules of which 1, 10,
//! 100 or 1,000 match; and 100 to 100,000 rules of which 10 match. The cost should follow the
//! number that match, not the total.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use thingcore::rules::RuleIndex;
use thingcore::sql::{evaluate, parse, EvalContext, NoExternalFunctions, Statement};

const TOPIC: &str = "sensors/kitchen/telemetry";
const PAYLOAD: &[u8] = br#"{"temp": 35, "device": {"name": "kitchen"}}"#;

/// `total` rules, `matching` of which reach [`TOPIC`] (alternately by exact name and by `+`
/// filter); the others sit on other devices' topics.
fn index(total: usize, matching: usize) -> RuleIndex<Statement> {
    let mut index = RuleIndex::new();
    for i in 0..total {
        let filter = if i < matching {
            if i % 2 == 0 {
                TOPIC.to_owned()
            } else {
                "sensors/+/telemetry".to_owned()
            }
        } else {
            format!("sensors/device-{i}/telemetry")
        };
        let sql = format!(
            "SELECT temp, topic(2) AS device FROM '{filter}' WHERE temp > {}",
            i % 50
        );
        let statement = parse(&sql).expect("parse");
        index.insert(&format!("rule_{i}"), &filter, statement);
    }
    index
}

fn route(index: &RuleIndex<Statement>, ctx: &EvalContext) -> usize {
    let mut fired = 0;
    for (_, statement) in index.matching(black_box(TOPIC)) {
        if let Ok(Some(_)) = evaluate(statement, PAYLOAD, ctx, &NoExternalFunctions) {
            fired += 1;
        }
    }
    fired
}

fn bench(c: &mut Criterion) {
    let ctx = EvalContext::new(TOPIC);
    let mut group = c.benchmark_group("rules_index_10k_rules");
    group.throughput(Throughput::Elements(1));
    for matching in [1, 10, 100, 1_000] {
        let index = index(10_000, matching);
        group.bench_with_input(
            BenchmarkId::new("matching", matching),
            &index,
            |b, index| b.iter(|| route(index, &ctx)),
        );
    }
    group.finish();

    let mut group = c.benchmark_group("rules_index_10_matching");
    group.throughput(Throughput::Elements(1));
    for total in [100, 1_000, 10_000, 100_000] {
        let index = index(total, 10);
        group.bench_with_input(BenchmarkId::new("total", total), &index, |b, index| {
            b.iter(|| route(index, &ctx))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
