//! The Store conformance suite on DynamoDB, against the server named by
//! `THINGCORE_TEST_DYNAMODB_ENDPOINT` (the project's test script starts moto server and sets
//! it, with `THINGCORE_REQUIRE_DYNAMODB=1` so that a missing server fails instead of skipping).

use std::sync::Arc;
use thingcore::store::Store;
use thingcore::ManualClock;
use thingcore_aws::{tables, DynamoStore, TableNames};
use tokio::sync::OnceCell;

const ENDPOINT: &str = "THINGCORE_TEST_DYNAMODB_ENDPOINT";

static TABLES: OnceCell<()> = OnceCell::const_new();

async fn client() -> Option<(aws_sdk_dynamodb::Client, TableNames)> {
    let Ok(endpoint) = std::env::var(ENDPOINT) else {
        assert!(
            !thingcore_conformance::require_backend("THINGCORE_REQUIRE_DYNAMODB"),
            "{ENDPOINT} is not set but THINGCORE_REQUIRE_DYNAMODB=1"
        );
        return None;
    };
    let config = thingcore_aws::config::load(Some(&endpoint)).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let names = TableNames::new("conformance");
    TABLES
        .get_or_init(|| async {
            tables::create_tables(&client, &names)
                .await
                .expect("create tables");
        })
        .await;
    Some((client, names))
}

async fn open(clock: Arc<ManualClock>) -> Option<Arc<dyn Store>> {
    let (client, names) = client().await?;
    Some(Arc::new(DynamoStore::with_clock(client, names, clock)))
}

thingcore_conformance::store_conformance!(open);

#[tokio::test]
async fn writes_are_there_through_a_new_client() {
    if client().await.is_none() {
        return;
    }
    let harness = thingcore_conformance::Harness::new("reopen");
    thingcore_conformance::cases::durable_after_reopen(&harness, || async {
        let (client, names) = client().await.expect("configured");
        Arc::new(DynamoStore::new(client, names)) as Arc<dyn Store>
    })
    .await;
}

#[tokio::test]
async fn creating_tables_twice_is_harmless_and_verifiable() {
    let Some((client, names)) = client().await else {
        return;
    };
    let again = tables::create_tables(&client, &names)
        .await
        .expect("second create");
    assert!(again.is_empty(), "nothing new created: {again:?}");
    tables::verify_tables(&client, &names)
        .await
        .expect("tables verify");
    let missing = tables::verify_tables(&client, &TableNames::new("never-created")).await;
    assert!(
        matches!(missing, Err(thingcore_aws::AwsError::MissingTable { .. })),
        "{missing:?}"
    );
}

#[tokio::test]
async fn an_endpoint_that_does_not_answer_is_a_clear_error() {
    // A port nobody listens on: bind one, then close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let config = thingcore_aws::config::load(Some(&format!("http://127.0.0.1:{port}"))).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let result = tables::verify_tables(&client, &TableNames::default()).await;
    assert!(
        matches!(result, Err(thingcore_aws::AwsError::Unreachable { .. })),
        "{result:?}"
    );
}
