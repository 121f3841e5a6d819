//! The Store conformance suite: one set of cases that every adapter (memory, SQLite, DynamoDB)
//! runs unchanged, so the promises of `thingcore::store::Store` hold wherever thingcore runs.
//!
//! An adapter's test file provides one async factory and expands [`store_conformance!`]:
//!
//! ```text
//! async fn open(clock: Arc<ManualClock>) -> Option<Arc<dyn Store>> { ... }
//! thingcore_conformance::store_conformance!(open);
//! ```
//!
//! The factory returns `None` only when the backend is not configured (the DynamoDB tests
//! outside the project's test script); see [`require_backend`]. Each case works in partition
//! keys of its own ([`Harness::pk`]), so cases may share one backend and run in parallel.

pub mod cases;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use thingcore::{Clock, ManualClock, SystemClock};

/// What a case gets: a clock it can move and a namespace of its own.
#[derive(Debug)]
pub struct Harness {
    clock: Arc<ManualClock>,
    namespace: String,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl Harness {
    /// A harness for the case `name`, its clock standing at the real time.
    pub fn new(name: &str) -> Self {
        let now = SystemClock.now_millis();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Self {
            clock: Arc::new(ManualClock::new(now)),
            namespace: format!("cf-{name}-{}-{now}-{n}", std::process::id()),
        }
    }

    /// The clock the store under test must judge expiry by.
    pub fn clock(&self) -> Arc<ManualClock> {
        self.clock.clone()
    }

    /// A partition key unique to this case and run.
    pub fn pk(&self, name: &str) -> String {
        format!("{}#{name}", self.namespace)
    }
}

/// Whether a backend left unconfigured must fail the run rather than skip: set by the
/// project's test script (`THINGCORE_REQUIRE_DYNAMODB=1`) so that CI never skips silently.
pub fn require_backend(variable: &str) -> bool {
    std::env::var(variable).is_ok_and(|v| v == "1" || v == "true")
}

/// Expands to one `#[tokio::test]` per conformance case, each opening a store with `$open`
/// (an `async fn(Arc<ManualClock>) -> Option<Arc<dyn Store>>`). The caller needs `tokio` (with
/// `macros` and `rt-multi-thread`) among its dev-dependencies.
#[macro_export]
macro_rules! store_conformance {
    ($open:path) => {
        $crate::store_conformance!(@cases $open,
            get_of_missing_item_is_none,
            put_if_absent_creates_once,
            unconditional_puts_increment_the_version,
            put_if_version_is_optimistic_concurrency,
            delete_if_version,
            query_reads_one_partition_by_prefix_in_order,
            pagination_across_many_pages,
            bad_page_tokens_are_refused,
            transaction_applies_all_or_nothing,
            transaction_input_is_checked,
            expired_items_read_as_absent,
            invalid_input_is_a_typed_error,
            large_binary_bodies_round_trip,
            tables_are_separate,
            concurrent_put_if_absent_has_one_winner,
            concurrent_versioned_writers_lose_nothing,
            concurrent_transactions_have_one_winner,
        );
    };
    (@cases $open:path, $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let harness = $crate::Harness::new(stringify!($case));
                let Some(store) = $open(harness.clock()).await else {
                    eprintln!("skipped: backend not configured");
                    return;
                };
                $crate::cases::$case(&harness, store).await;
            }
        )+
    };
}
