//! Accepted shadow updates per second on the embedded (SQLite) store: small documents
//! across many things, through the same ShadowService `thingcore serve` uses.
//!
//! `cargo bench -p thingcore-shadows`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::sync::Arc;
use thingcore::SystemClock;
use thingcore_embedded::SqliteStore;
use thingcore_shadows::ShadowService;

const THINGS: usize = 10_000;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SqliteStore::open(dir.path()).expect("open"));
    let service = ShadowService::new(store, Arc::new(SystemClock));
    let things: Vec<String> = (0..THINGS).map(|i| format!("thing-{i}")).collect();
    rt.block_on(async {
        for thing in &things {
            service
                .update(
                    thing,
                    None,
                    br#"{"state":{"desired":{"on":true,"level":1}}}"#,
                )
                .await
                .expect("seed");
        }
    });

    let mut group = c.benchmark_group("shadow_update");
    group.throughput(Throughput::Elements(1));
    let mut n = 0usize;
    group.bench_function("classic, 10k things, reported", |b| {
        b.iter(|| {
            let payload = format!(r#"{{"state":{{"reported":{{"on":true,"level":{n}}}}}}}"#);
            rt.block_on(service.update(&things[n % THINGS], None, payload.as_bytes()))
                .expect("accepted");
            n += 1;
        })
    });
    let mut g = 0usize;
    group.bench_function("get, 10k things", |b| {
        b.iter(|| {
            rt.block_on(service.get(&things[g % THINGS], None, None))
                .expect("found");
            g += 7;
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
