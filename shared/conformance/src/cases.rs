//! The cases. Each takes a fresh [`Harness`] and the store under test, and panics on a broken
//! promise with a message naming it.

use crate::Harness;
use std::collections::BTreeSet;
use std::sync::Arc;
use thingcore::store::{Expect, Key, PageToken, Put, Query, Store, Table, WriteOp, MAX_BODY_BYTES};
use thingcore::Error;

type Shared = Arc<dyn Store>;

fn put(table: Table, pk: &str, sk: &str, body: &str) -> Put {
    Put::new(table, Key::new(pk, sk), body.as_bytes().to_vec())
}

async fn body_of(store: &Shared, table: Table, pk: &str, sk: &str) -> Option<String> {
    store
        .get(table, &Key::new(pk, sk))
        .await
        .expect("get succeeds")
        .map(|item| String::from_utf8(item.body).expect("utf-8 body"))
}

async fn version_of(store: &Shared, table: Table, pk: &str, sk: &str) -> Option<u64> {
    store
        .get(table, &Key::new(pk, sk))
        .await
        .expect("get succeeds")
        .map(|item| item.version)
}

fn assert_condition_failed<T: std::fmt::Debug>(result: thingcore::Result<T>, what: &str) {
    assert!(
        matches!(result, Err(Error::ConditionFailed { .. })),
        "{what}: expected ConditionFailed, got {result:?}"
    );
}

async fn all_sort_keys(
    store: &Shared,
    table: Table,
    pk: &str,
    prefix: &str,
    limit: usize,
) -> Vec<String> {
    let mut keys = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let query = Query::partition(table, pk)
            .prefix(prefix)
            .limit(limit)
            .start(token.take());
        let page = store.query(&query).await.expect("query succeeds");
        assert!(
            page.items.len() <= limit,
            "a page holds at most `limit` items"
        );
        keys.extend(page.items.into_iter().map(|item| item.key.sk));
        pages += 1;
        assert!(pages < 10_000, "pagination terminates");
        match page.next {
            Some(next) => token = Some(next),
            None => return keys,
        }
    }
}

/// A get of an item never written answers `None`.
pub async fn get_of_missing_item_is_none(h: &Harness, store: Shared) {
    let got = store
        .get(Table::Registry, &Key::new(h.pk("p"), "nothing"))
        .await
        .expect("get succeeds");
    assert_eq!(got, None);
}

/// Put-if-absent creates an item at version 1 and refuses to overwrite it.
pub async fn put_if_absent_creates_once(h: &Harness, store: Shared) {
    let pk = h.pk("p");
    let first = store
        .put(put(Table::Registry, &pk, "thing#a", "one").expect(Expect::Absent))
        .await
        .expect("first put-if-absent succeeds");
    assert_eq!(first, 1, "versions start at 1");
    let again = store
        .put(put(Table::Registry, &pk, "thing#a", "two").expect(Expect::Absent))
        .await;
    assert_condition_failed(again, "second put-if-absent");
    assert_eq!(
        body_of(&store, Table::Registry, &pk, "thing#a")
            .await
            .as_deref(),
        Some("one")
    );
    let item = store
        .get(Table::Registry, &Key::new(&pk, "thing#a"))
        .await
        .expect("get succeeds")
        .expect("item exists");
    assert_eq!(item.key, Key::new(&pk, "thing#a"));
    assert_eq!(item.version, 1);
    assert_eq!(item.expires_at, None);
}

/// Unconditional puts overwrite and bump the version by one each time.
pub async fn unconditional_puts_increment_the_version(h: &Harness, store: Shared) {
    let pk = h.pk("p");
    for expected in 1..=3u64 {
        let body = format!("v{expected}");
        let version = store
            .put(put(Table::Shadows, &pk, "s", &body))
            .await
            .expect("put succeeds");
        assert_eq!(version, expected);
    }
    assert_eq!(
        body_of(&store, Table::Shadows, &pk, "s").await.as_deref(),
        Some("v3")
    );
}

/// Put-if-version succeeds only at the current version and never creates.
pub async fn put_if_version_is_optimistic_concurrency(h: &Harness, store: Shared) {
    let pk = h.pk("p");
    store
        .put(put(Table::Shadows, &pk, "s", "a"))
        .await
        .expect("initial put");
    let v2 = store
        .put(put(Table::Shadows, &pk, "s", "b").expect(Expect::Version(1)))
        .await
        .expect("put at the current version succeeds");
    assert_eq!(v2, 2);
    let stale = store
        .put(put(Table::Shadows, &pk, "s", "c").expect(Expect::Version(1)))
        .await;
    assert_condition_failed(stale, "put at a stale version");
    let future = store
        .put(put(Table::Shadows, &pk, "s", "d").expect(Expect::Version(3)))
        .await;
    assert_condition_failed(future, "put at a future version");
    assert_eq!(
        body_of(&store, Table::Shadows, &pk, "s").await.as_deref(),
        Some("b")
    );
    let missing = store
        .put(put(Table::Shadows, &pk, "missing", "x").expect(Expect::Version(1)))
        .await;
    assert_condition_failed(missing, "put-if-version of a missing item");
    assert_eq!(
        body_of(&store, Table::Shadows, &pk, "missing").await,
        None,
        "nothing created"
    );
}

/// Delete-if-version removes only at the current version; delete reports what it removed.
pub async fn delete_if_version(h: &Harness, store: Shared) {
    let pk = h.pk("p");
    let key = Key::new(&pk, "s");
    store
        .put(put(Table::Registry, &pk, "s", "a"))
        .await
        .expect("put");
    store
        .put(put(Table::Registry, &pk, "s", "b"))
        .await
        .expect("put");
    let stale = store
        .delete(Table::Registry, &key, Expect::Version(1))
        .await;
    assert_condition_failed(stale, "delete at a stale version");
    assert_eq!(
        version_of(&store, Table::Registry, &pk, "s").await,
        Some(2),
        "still there"
    );
    let absent = store.delete(Table::Registry, &key, Expect::Absent).await;
    assert_condition_failed(absent, "delete expecting absence of a present item");
    let deleted = store
        .delete(Table::Registry, &key, Expect::Version(2))
        .await
        .expect("delete at the current version");
    assert!(deleted);
    assert_eq!(body_of(&store, Table::Registry, &pk, "s").await, None);
    let again = store
        .delete(Table::Registry, &key, Expect::Any)
        .await
        .expect("unconditional delete of a missing item succeeds");
    assert!(!again, "nothing was there to delete");
    let missing = store
        .delete(Table::Registry, &key, Expect::Version(2))
        .await;
    assert_condition_failed(missing, "delete-if-version of a missing item");
    let recreated = store
        .put(put(Table::Registry, &pk, "s", "c").expect(Expect::Absent))
        .await
        .expect("re-create after delete");
    assert_eq!(recreated, 1, "a deleted item starts again at version 1");
}

/// A query reads one partition of one table, only sort keys with the prefix, bytewise order.
pub async fn query_reads_one_partition_by_prefix_in_order(h: &Harness, store: Shared) {
    let pk = h.pk("p");
    let neighbour = format!("{pk}x");
    for sk in [
        "thing#b",
        "thing#a",
        "thing#B",
        "thing#é",
        "thing#a/1",
        "group#a",
        "thinf",
        "thingz",
    ] {
        store
            .put(put(Table::Registry, &pk, sk, sk))
            .await
            .expect("put");
    }
    store
        .put(put(Table::Registry, &neighbour, "thing#c", "x"))
        .await
        .expect("put");
    store
        .put(put(Table::Shadows, &pk, "thing#d", "x"))
        .await
        .expect("put");

    let things = all_sort_keys(&store, Table::Registry, &pk, "thing#", 100).await;
    assert_eq!(
        things,
        ["thing#B", "thing#a", "thing#a/1", "thing#b", "thing#é"]
    );
    let everything = all_sort_keys(&store, Table::Registry, &pk, "", 100).await;
    assert_eq!(everything.len(), 8);
    assert!(
        everything
            .windows(2)
            .all(|w| w[0].as_bytes() < w[1].as_bytes()),
        "{everything:?}"
    );
    let none = all_sort_keys(&store, Table::Registry, &pk, "policy#", 100).await;
    assert!(none.is_empty());
    let page = store
        .query(&Query::partition(Table::Registry, &pk).prefix("thing#a"))
        .await
        .expect("query");
    let bodies: Vec<_> = page.items.iter().map(|i| i.body.clone()).collect();
    assert_eq!(bodies, [b"thing#a".to_vec(), b"thing#a/1".to_vec()]);
    assert!(page.items.iter().all(|i| i.version == 1));
}

/// Many pages of a large partition return every item once, in order.
pub async fn pagination_across_many_pages(h: &Harness, store: Shared) {
    let pk = h.pk("p");
    let expected: Vec<String> = (0..230).map(|i| format!("item#{i:05}")).collect();
    for chunk in expected.chunks(25) {
        let ops = chunk
            .iter()
            .map(|sk| WriteOp::Put(put(Table::Registry, &pk, sk, "{}")))
            .collect();
        store.transact(ops).await.expect("batch write");
    }
    store
        .put(put(Table::Registry, &pk, "other#1", "{}"))
        .await
        .expect("put");
    for limit in [1, 7, 100, 230, 1000] {
        let got = all_sort_keys(&store, Table::Registry, &pk, "item#", limit).await;
        assert_eq!(got, expected, "limit {limit}");
    }
}

/// Tokens that do not decode, or lie outside the query's prefix, are refused.
pub async fn bad_page_tokens_are_refused(h: &Harness, store: Shared) {
    let pk = h.pk("p");
    store
        .put(put(Table::Registry, &pk, "thing#a", "{}"))
        .await
        .expect("put");
    for token in [PageToken::from_wire("garbage"), PageToken::after("group#a")] {
        let query = Query::partition(Table::Registry, &pk)
            .prefix("thing#")
            .start(Some(token.clone()));
        let result = store.query(&query).await;
        assert!(
            matches!(result, Err(Error::InvalidPageToken)),
            "{token:?}: {result:?}"
        );
    }
}

/// A transaction whose condition fails writes nothing and names the failing operation.
pub async fn transaction_applies_all_or_nothing(h: &Harness, store: Shared) {
    let pk = h.pk("p");
    store
        .put(put(Table::Registry, &pk, "exists", "e"))
        .await
        .expect("put");
    store
        .put(put(Table::Shadows, &pk, "doomed", "d"))
        .await
        .expect("put");
    let failing = vec![
        WriteOp::Put(put(Table::Registry, &pk, "a", "a").expect(Expect::Absent)),
        WriteOp::Delete {
            table: Table::Shadows,
            key: Key::new(&pk, "doomed"),
            expect: Expect::Version(1),
        },
        WriteOp::Check {
            table: Table::Registry,
            key: Key::new(&pk, "exists"),
            expect: Expect::Absent,
        },
    ];
    let result = store.transact(failing).await;
    assert!(
        matches!(result, Err(Error::TransactionCanceled { index: 2 })),
        "expected TransactionCanceled at 2, got {result:?}"
    );
    assert_eq!(
        body_of(&store, Table::Registry, &pk, "a").await,
        None,
        "put not applied"
    );
    assert_eq!(
        body_of(&store, Table::Shadows, &pk, "doomed")
            .await
            .as_deref(),
        Some("d"),
        "delete not applied"
    );

    let succeeding = vec![
        WriteOp::Put(put(Table::Registry, &pk, "a", "a").expect(Expect::Absent)),
        WriteOp::Put(put(Table::Registry, &pk, "exists", "e2").expect(Expect::Version(1))),
        WriteOp::Delete {
            table: Table::Shadows,
            key: Key::new(&pk, "doomed"),
            expect: Expect::Version(1),
        },
        WriteOp::Check {
            table: Table::Registry,
            key: Key::new(&pk, "never"),
            expect: Expect::Absent,
        },
    ];
    store
        .transact(succeeding)
        .await
        .expect("transaction applies");
    assert_eq!(version_of(&store, Table::Registry, &pk, "a").await, Some(1));
    assert_eq!(
        version_of(&store, Table::Registry, &pk, "exists").await,
        Some(2)
    );
    assert_eq!(
        body_of(&store, Table::Registry, &pk, "exists")
            .await
            .as_deref(),
        Some("e2")
    );
    assert_eq!(body_of(&store, Table::Shadows, &pk, "doomed").await, None);
    assert_eq!(
        body_of(&store, Table::Registry, &pk, "never").await,
        None,
        "a check writes nothing"
    );
}

/// Empty, oversized and self-overlapping transactions are refused before anything is written.
pub async fn transaction_input_is_checked(h: &Harness, store: Shared) {
    let pk = h.pk("p");
    let empty = store.transact(vec![]).await;
    assert!(matches!(empty, Err(Error::Invalid { .. })), "{empty:?}");
    let twice = store
        .transact(vec![
            WriteOp::Put(put(Table::Registry, &pk, "a", "1")),
            WriteOp::Put(put(Table::Registry, &pk, "a", "2")),
        ])
        .await;
    assert!(matches!(twice, Err(Error::Invalid { .. })), "{twice:?}");
    let too_many = (0..101)
        .map(|i| WriteOp::Put(put(Table::Registry, &pk, &format!("k{i}"), "x")))
        .collect();
    let result = store.transact(too_many).await;
    assert!(matches!(result, Err(Error::Invalid { .. })), "{result:?}");
    assert_eq!(body_of(&store, Table::Registry, &pk, "a").await, None);
    assert_eq!(body_of(&store, Table::Registry, &pk, "k0").await, None);
}

/// An expired item is absent to get, query, conditions and delete.
pub async fn expired_items_read_as_absent(h: &Harness, store: Shared) {
    let pk = h.pk("p");
    let clock = h.clock();
    let now = {
        use thingcore::Clock;
        clock.now_secs()
    };
    store
        .put(put(Table::Broker, &pk, "session#a", "a").expires_at(now + 10))
        .await
        .expect("put expiring item");
    store
        .put(put(Table::Broker, &pk, "session#b", "b").expires_at(now + 1000))
        .await
        .expect("put expiring item");
    store
        .put(put(Table::Broker, &pk, "session#c", "c"))
        .await
        .expect("put lasting item");
    let item = store
        .get(Table::Broker, &Key::new(&pk, "session#a"))
        .await
        .expect("get")
        .expect("live before expiry");
    assert_eq!(item.expires_at, Some(now + 10));

    clock.advance(10_000);
    assert_eq!(
        body_of(&store, Table::Broker, &pk, "session#a").await,
        None,
        "expired at its second"
    );
    let keys = all_sort_keys(&store, Table::Broker, &pk, "session#", 10).await;
    assert_eq!(keys, ["session#b", "session#c"]);
    let stale = store
        .put(put(Table::Broker, &pk, "session#a", "x").expect(Expect::Version(1)))
        .await;
    assert_condition_failed(stale, "put-if-version on an expired item");
    let deleted = store
        .delete(Table::Broker, &Key::new(&pk, "session#a"), Expect::Any)
        .await
        .expect("delete");
    assert!(!deleted, "an expired item is not reported as deleted");
    let reborn = store
        .put(put(Table::Broker, &pk, "session#a", "new").expect(Expect::Absent))
        .await
        .expect("put-if-absent over an expired item");
    assert_eq!(reborn, 1);
    let check = store
        .transact(vec![WriteOp::Check {
            table: Table::Broker,
            key: Key::new(&pk, "session#b"),
            expect: Expect::Version(1),
        }])
        .await;
    assert!(check.is_ok(), "{check:?}");
}

/// Bad keys, bodies and limits are typed errors, and nothing is written.
pub async fn invalid_input_is_a_typed_error(h: &Harness, store: Shared) {
    let pk = h.pk("p");
    let empty_sk = store.put(put(Table::Registry, &pk, "", "x")).await;
    assert!(
        matches!(empty_sk, Err(Error::Invalid { field: "sk", .. })),
        "{empty_sk:?}"
    );
    let empty_pk = store.get(Table::Registry, &Key::new("", "a")).await;
    assert!(
        matches!(empty_pk, Err(Error::Invalid { field: "pk", .. })),
        "{empty_pk:?}"
    );
    let huge = Put::new(
        Table::Registry,
        Key::new(&pk, "huge"),
        vec![b'x'; MAX_BODY_BYTES + 1],
    );
    let result = store.put(huge).await;
    assert!(
        matches!(result, Err(Error::ItemTooLarge { .. })),
        "{result:?}"
    );
    assert_eq!(body_of(&store, Table::Registry, &pk, "huge").await, None);
    let zero = store
        .query(&Query::partition(Table::Registry, &pk).limit(0))
        .await;
    assert!(
        matches!(zero, Err(Error::Invalid { field: "limit", .. })),
        "{zero:?}"
    );
    let expiring_registry = store
        .put(put(Table::Registry, &pk, "e", "x").expires_at(1))
        .await;
    assert!(
        matches!(expiring_registry, Err(Error::Invalid { .. })),
        "{expiring_registry:?}"
    );
}

/// Bodies are bytes: large and non-UTF-8 bodies come back exactly.
pub async fn large_binary_bodies_round_trip(h: &Harness, store: Shared) {
    let pk = h.pk("p");
    let body: Vec<u8> = (0..300 * 1024).map(|i| (i * 31 % 256) as u8).collect();
    store
        .put(Put::new(
            Table::Broker,
            Key::new(&pk, "retained#a"),
            body.clone(),
        ))
        .await
        .expect("put a large body");
    let item = store
        .get(Table::Broker, &Key::new(&pk, "retained#a"))
        .await
        .expect("get")
        .expect("present");
    assert_eq!(item.body, body);
    let at_limit = vec![0xffu8; MAX_BODY_BYTES];
    store
        .put(Put::new(
            Table::Broker,
            Key::new(&pk, "retained#b"),
            at_limit.clone(),
        ))
        .await
        .expect("a body of exactly the limit is accepted");
}

/// The same key in two tables names two items.
pub async fn tables_are_separate(h: &Harness, store: Shared) {
    let pk = h.pk("p");
    for table in Table::ALL {
        store
            .put(put(table, &pk, "same", table.name()).expect(Expect::Absent))
            .await
            .expect("put-if-absent in each table");
    }
    for table in Table::ALL {
        assert_eq!(
            body_of(&store, table, &pk, "same").await.as_deref(),
            Some(table.name())
        );
    }
}

/// Many tasks racing to create the same items: exactly one wins each race.
pub async fn concurrent_put_if_absent_has_one_winner(h: &Harness, store: Shared) {
    const TASKS: usize = 8;
    const KEYS: usize = 12;
    let pk = h.pk("p");
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let store = store.clone();
        let pk = pk.clone();
        handles.push(tokio::spawn(async move {
            let mut won = Vec::new();
            for key in 0..KEYS {
                let body = format!("{task}");
                match store
                    .put(
                        put(Table::Registry, &pk, &format!("k{key:03}"), &body)
                            .expect(Expect::Absent),
                    )
                    .await
                {
                    Ok(_) => won.push((key, task)),
                    Err(Error::ConditionFailed { .. }) => {}
                    Err(other) => panic!("unexpected error: {other:?}"),
                }
            }
            won
        }));
    }
    let mut winners = std::collections::BTreeMap::new();
    for handle in handles {
        for (key, task) in handle.await.expect("task completes") {
            assert!(
                winners.insert(key, task).is_none(),
                "two winners for key {key}"
            );
        }
    }
    assert_eq!(winners.len(), KEYS, "every key has a winner");
    for (key, task) in winners {
        let body = body_of(&store, Table::Registry, &pk, &format!("k{key:03}")).await;
        assert_eq!(body, Some(task.to_string()), "the winner's body is stored");
    }
}

/// Read-modify-write loops on one item from many tasks: no accepted increment is lost.
pub async fn concurrent_versioned_writers_lose_nothing(h: &Harness, store: Shared) {
    const TASKS: usize = 6;
    const INCREMENTS: usize = 15;
    let pk = h.pk("p");
    store
        .put(put(Table::Shadows, &pk, "counter", "0"))
        .await
        .expect("initial put");
    let mut handles = Vec::new();
    for _ in 0..TASKS {
        let store = store.clone();
        let pk = pk.clone();
        handles.push(tokio::spawn(async move {
            let key = Key::new(&pk, "counter");
            let mut conflicts = 0usize;
            for _ in 0..INCREMENTS {
                loop {
                    let item = store
                        .get(Table::Shadows, &key)
                        .await
                        .expect("get")
                        .expect("counter exists");
                    let n: u64 = String::from_utf8(item.body)
                        .expect("utf-8")
                        .parse()
                        .expect("a number");
                    let next = Put::new(
                        Table::Shadows,
                        key.clone(),
                        (n + 1).to_string().into_bytes(),
                    )
                    .expect(Expect::Version(item.version));
                    match store.put(next).await {
                        Ok(version) => {
                            assert_eq!(version, item.version + 1);
                            break;
                        }
                        Err(Error::ConditionFailed { .. }) => conflicts += 1,
                        Err(other) => panic!("unexpected error: {other:?}"),
                    }
                }
            }
            conflicts
        }));
    }
    for handle in handles {
        handle.await.expect("task completes");
    }
    let total = (TASKS * INCREMENTS) as u64;
    assert_eq!(
        body_of(&store, Table::Shadows, &pk, "counter").await,
        Some(total.to_string()),
        "every accepted increment is in the final value"
    );
    assert_eq!(
        version_of(&store, Table::Shadows, &pk, "counter").await,
        Some(total + 1)
    );
}

/// Transactions racing over the same item: exactly one applies, the rest cancel cleanly.
pub async fn concurrent_transactions_have_one_winner(h: &Harness, store: Shared) {
    const TASKS: usize = 8;
    let pk = h.pk("p");
    store
        .put(put(Table::Registry, &pk, "lock", "free"))
        .await
        .expect("initial put");
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let store = store.clone();
        let pk = pk.clone();
        handles.push(tokio::spawn(async move {
            let ops = vec![
                WriteOp::Put(
                    put(Table::Registry, &pk, "lock", &format!("held by {task}"))
                        .expect(Expect::Version(1)),
                ),
                WriteOp::Put(
                    put(Table::Registry, &pk, &format!("claim#{task}"), "yes")
                        .expect(Expect::Absent),
                ),
            ];
            match store.transact(ops).await {
                Ok(()) => Some(task),
                Err(Error::TransactionCanceled { .. }) => None,
                Err(other) => panic!("unexpected error: {other:?}"),
            }
        }));
    }
    let mut winners = BTreeSet::new();
    for handle in handles {
        if let Some(task) = handle.await.expect("task completes") {
            winners.insert(task);
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one transaction applies: {winners:?}"
    );
    let winner = *winners.iter().next().expect("one winner");
    assert_eq!(
        body_of(&store, Table::Registry, &pk, "lock").await,
        Some(format!("held by {winner}"))
    );
    let claims = all_sort_keys(&store, Table::Registry, &pk, "claim#", 100).await;
    assert_eq!(claims, [format!("claim#{winner}")], "losers wrote nothing");
}

/// Items written through one store are there, versions intact, when the backend is opened
/// again: call with a function that opens a new store over the same backend.
pub async fn durable_after_reopen<F, Fut>(h: &Harness, open: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Shared>,
{
    let pk = h.pk("p");
    {
        let store = open().await;
        store
            .put(put(Table::Registry, &pk, "a", "1"))
            .await
            .expect("put");
        store
            .put(put(Table::Registry, &pk, "a", "2"))
            .await
            .expect("put");
        store
            .transact(vec![
                WriteOp::Put(put(Table::Shadows, &pk, "b", "x")),
                WriteOp::Put(put(Table::Broker, &pk, "c", "y")),
            ])
            .await
            .expect("transact");
        store.flush().await.expect("flush");
    }
    let store = open().await;
    assert_eq!(
        body_of(&store, Table::Registry, &pk, "a").await.as_deref(),
        Some("2")
    );
    assert_eq!(version_of(&store, Table::Registry, &pk, "a").await, Some(2));
    assert_eq!(
        body_of(&store, Table::Shadows, &pk, "b").await.as_deref(),
        Some("x")
    );
    assert_eq!(
        body_of(&store, Table::Broker, &pk, "c").await.as_deref(),
        Some("y")
    );
    let next = store
        .put(put(Table::Registry, &pk, "a", "3").expect(Expect::Version(2)))
        .await
        .expect("versions continue after reopening");
    assert_eq!(next, 3);
}
