//! Throughput of the SQLite Store: conditional puts and point gets on small items.
//!
//! `cargo bench -p thingcore-embedded` prints time per operation and elements/s.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use thingcore::store::{Expect, Key, Put, Store, Table};
use thingcore_embedded::SqliteStore;

const THINGS: u64 = 10_000;

fn body(n: u64) -> Vec<u8> {
    format!(r#"{{"state":{{"reported":{{"temp":{n},"on":true}}}},"version":{n}}}"#).into_bytes()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).expect("open");
    let key = |n: u64| Key::new(format!("thing-{}", n % THINGS), "shadow#classic");
    let mut versions = vec![0u64; THINGS as usize];
    rt.block_on(async {
        for n in 0..THINGS {
            versions[n as usize] = store
                .put(Put::new(Table::Shadows, key(n), body(n)).expect(Expect::Absent))
                .await
                .expect("seed");
        }
    });

    let mut group = c.benchmark_group("sqlite_store");
    group.throughput(Throughput::Elements(1));

    let mut n = 0u64;
    group.bench_function("put_if_version (10k things)", |b| {
        b.iter(|| {
            let slot = (n % THINGS) as usize;
            let put =
                Put::new(Table::Shadows, key(n), body(n)).expect(Expect::Version(versions[slot]));
            versions[slot] = rt.block_on(store.put(put)).expect("conditional put");
            n += 1;
        })
    });

    let mut fresh = 0u64;
    group.bench_function("put_if_absent (new keys)", |b| {
        b.iter(|| {
            let put = Put::new(
                Table::Registry,
                Key::new("things", format!("thing#{fresh:012}")),
                body(fresh),
            )
            .expect(Expect::Absent);
            rt.block_on(store.put(put)).expect("put-if-absent");
            fresh += 1;
        })
    });

    let mut g = 0u64;
    group.bench_function("get (10k things)", |b| {
        b.iter(|| {
            let item = rt
                .block_on(store.get(Table::Shadows, &key(g)))
                .expect("get");
            black_box(item);
            g += 7919;
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
