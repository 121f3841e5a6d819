//! Fan-out that scales: with thousands of connections and a thousand topics, what one publish
//! costs in Store calls (DynamoDB requests) and posts (PostToConnection) grows with the
//! subscribers it matches, not with the connections or topics there are. Counted through a
//! [`CountingStore`] over the memory Store and, when `THINGCORE_TEST_DYNAMODB_ENDPOINT` names
//! one, over DynamoDB tables (moto).
//!
//! `THINGCORE_FANOUT_CONNECTIONS` sets the large population (default 10,000 on memory, 300
//! on DynamoDB, where setting it up is slower); `scripts/fanout-sim` runs 10,000 against moto
//! and prints the figures.

use super::dynamo_store;
use futures::StreamExt;
use gateway::testing::RecordingPublisher;
use gateway::{ConnectInfo, GatewayConfig, GatewayService};
use std::sync::Arc;
use thingcore::broker::Message;
use thingcore::gateway::index::{
    connection_key, subscription_key, topic_partitions, ConnectionRecord, SubscriptionRecord,
};
use thingcore::mqtt::{Bytes, QoS};
use thingcore::store::counting::{CountingStore, StoreCalls};
use thingcore::store::{MemoryStore, Put, Store, Table};
use thingcore::{Clock, ManualClock};

/// Topics every connection's subscriptions spread over.
const TOPICS: usize = 1_000;

struct Population {
    gateway: GatewayService,
    counting: Arc<CountingStore>,
    posts: Arc<RecordingPublisher>,
}

fn connection(i: usize) -> String {
    format!("conn-{i:06}")
}

/// The filters connection `i` subscribes to: `fleet/{i % 1000}/telemetry` and
/// `fleet/{i % 1000}/+` (one exact filter, one wildcard); the first 100 also `crowd/t`, the
/// first one `solo/t`.
fn filters_of(i: usize) -> Vec<String> {
    let topic = i % TOPICS;
    let mut filters = vec![
        format!("fleet/{topic}/telemetry"),
        format!("fleet/{topic}/+"),
    ];
    if i < 100 {
        filters.push("crowd/t".into());
    }
    if i == 0 {
        filters.push("solo/t".into());
    }
    filters
}

/// How the population is made.
#[derive(Clone, Copy)]
enum Setup {
    /// Through the gateway: `$connect` and subscribe frames.
    Frames,
    /// The same items written with plain puts: moto copies every table on each transaction,
    /// so thousands of subscribe transactions would take it hours.
    Items,
}

/// `connections` connections subscribed as [`filters_of`] says.
async fn populate(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    connections: usize,
    setup: Setup,
) -> Population {
    let counting = Arc::new(CountingStore::new(store.clone()));
    let posts = Arc::new(RecordingPublisher::new());
    let gateway = GatewayService::new(
        counting.clone(),
        posts.clone(),
        GatewayConfig::default(),
        clock,
    );
    let router = gateway::InProcessRouter::new(gateway.clone(), Arc::new(ManualClock::new(0)));
    futures::stream::iter(0..connections)
        .for_each_concurrent(32, |i| {
            let (gateway, router, store) = (&gateway, &router, &store);
            async move {
                let id = connection(i);
                match setup {
                    Setup::Frames => {
                        let info = ConnectInfo {
                            connection_id: id.clone(),
                            ..ConnectInfo::default()
                        };
                        gateway.connect(info).await.expect("connected");
                        for filter in filters_of(i) {
                            let frame = format!(r#"{{"action":"subscribe","topic":"{filter}"}}"#);
                            let replies = gateway.handle_frame(&id, &frame, router).await;
                            assert_eq!(replies.len(), 1, "{replies:?}");
                        }
                    }
                    Setup::Items => write_items(store.as_ref(), &id, &filters_of(i)).await,
                }
            }
        })
        .await;
    counting.take();
    posts.take();
    Population {
        gateway,
        counting,
        posts,
    }
}

/// The items a connection subscribed to `filters` has (`thingcore::gateway::index`'s layout).
async fn write_items(store: &dyn Store, id: &str, filters: &[String]) {
    let mut record = ConnectionRecord {
        connection_id: id.to_string(),
        connected_at: 1_795_735_800_000,
        ..ConnectionRecord::default()
    };
    for filter in filters {
        record.subscribe(filter, QoS::AtMostOnce, 50);
        let item = SubscriptionRecord {
            connection_id: id.to_string(),
            filter: filter.clone(),
            qos: 0,
        };
        let body = serde_json::to_vec(&item).expect("encodes");
        store
            .put(Put::new(Table::Broker, subscription_key(id, filter), body))
            .await
            .expect("subscription written");
    }
    let body = serde_json::to_vec(&record).expect("encodes");
    store
        .put(Put::new(Table::Broker, connection_key(id), body))
        .await
        .expect("connection written");
}

/// The Store calls and posts of delivering one message on `topic`.
async fn publish(population: &Population, topic: &str) -> (StoreCalls, usize) {
    let message = Message {
        topic: topic.into(),
        payload: Bytes::from_static(b"{\"t\":21}"),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: Default::default(),
        publisher: None,
        received_at: 0,
        expires_at: None,
    };
    let report = population
        .gateway
        .deliver(&message)
        .await
        .expect("delivered");
    let posts = population.posts.take().len();
    assert_eq!(report.delivered, posts);
    (population.counting.take(), posts)
}

/// One row per topic: (topic, matching connections, calls, posts).
async fn measure(population: &Population) -> Vec<(&'static str, usize, StoreCalls, usize)> {
    let mut rows = Vec::new();
    for (topic, matching) in [("solo/t", 1), ("fleet/7/telemetry", 0), ("crowd/t", 100)] {
        let (calls, posts) = publish(population, topic).await;
        rows.push((topic, matching, calls, posts));
    }
    rows
}

/// The large population: `THINGCORE_FANOUT_CONNECTIONS`, else `default`.
fn large(default: usize) -> usize {
    std::env::var("THINGCORE_FANOUT_CONNECTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// Populations of `small` and `large` connections on stores from `store`: one publish costs
/// one query per partition its topic reads, one read per matching subscriber, no write, and
/// the same with either population.
async fn scales_with_matching_subscribers<F, Fut>(
    store: F,
    (small, large): (usize, usize),
    setup: Setup,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(1_795_735_800_000));
    let few = populate(store().await, clock.clone(), small, setup).await;
    let many = populate(store().await, clock, large, setup).await;
    let (few_rows, many_rows) = (measure(&few).await, measure(&many).await);
    for ((topic, _, few_calls, few_posts), (_, _, calls, posts)) in few_rows.iter().zip(&many_rows)
    {
        let matching = *posts;
        let partitions = topic_partitions(topic).len() as u64;
        println!(
            "fan-out {topic}: {large} connections, {TOPICS} topics, {matching} matching: \
             {} queries, {} gets, {} items read ({} bytes), {} writes, {matching} posts",
            calls.queries,
            calls.gets,
            calls.items_read,
            calls.bytes_read,
            calls.writes()
        );
        assert_eq!(
            calls.queries, partitions,
            "{topic}: one query per partition"
        );
        assert_eq!(
            calls.gets, matching as u64,
            "{topic}: one read per subscriber"
        );
        assert_eq!(calls.writes(), 0, "{topic}: a plain publish writes nothing");
        // Items read: the matching subscriptions (two per connection on `fleet/...`: the
        // exact filter and `fleet/{n}/+`) and the subscribers' items, nothing else.
        let per_connection = if topic.starts_with("fleet/") { 2 } else { 1 };
        assert_eq!(
            calls.items_read,
            (matching * per_connection + matching) as u64,
            "{topic}: {calls:?}"
        );
        if !topic.starts_with("fleet/") {
            assert_eq!((few_calls, few_posts), (calls, posts), "{topic}: same cost");
        }
    }
}

#[tokio::test]
async fn fan_out_cost_grows_with_matching_subscribers_not_connections() {
    let clock = Arc::new(ManualClock::new(1_795_735_800_000));
    let memory = || {
        let clock = clock.clone();
        async move { Arc::new(MemoryStore::new(clock)) as Arc<dyn Store> }
    };
    scales_with_matching_subscribers(memory, (1_000, large(10_000)), Setup::Frames).await;
}

#[tokio::test]
async fn fan_out_cost_grows_with_matching_subscribers_not_connections_on_dynamodb() {
    let clock = Arc::new(ManualClock::new(1_795_735_800_000));
    if dynamo_store(clock.clone()).await.is_none() {
        return;
    }
    let dynamo = || {
        let clock = clock.clone();
        async move { dynamo_store(clock).await.expect("configured above") }
    };
    // Setting up connections on moto is slow: a smoke here; `scripts/fanout-sim` runs 10,000.
    scales_with_matching_subscribers(dynamo, (100, large(300)), Setup::Items).await;
}
