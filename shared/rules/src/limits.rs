//! Bounded rule work: [`LimitedSinks`] runs at most [`ActionLimits::concurrency`] actions of
//! one type at once, with at most [`ActionLimits::backlog`] more waiting; an action beyond
//! that fails at once ("throttled"), so its rule's error action runs. A destination that stops
//! answering (an http endpoint, a slow AWS service) then holds a bounded number of tasks,
//! sockets and bytes, and actions of every other type go on at full speed.

use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use thingcore::rules::sink::{ActionError, ActionSink};
use thingcore::rules::ResolvedAction;
use tokio::sync::Semaphore;

/// How much of one action type may run and wait at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionLimits {
    /// Actions of one type running at once.
    pub concurrency: usize,
    /// Actions of one type waiting for a free slot; more are throttled.
    pub backlog: usize,
}

impl Default for ActionLimits {
    fn default() -> Self {
        Self {
            concurrency: 64,
            backlog: 1024,
        }
    }
}

/// One action type's slots.
#[derive(Debug)]
struct TypeSlots {
    running: Semaphore,
    waiting: AtomicUsize,
}

/// Runs actions through `inner` within [`ActionLimits`] per action type.
pub struct LimitedSinks<S> {
    inner: S,
    limits: ActionLimits,
    slots: Mutex<HashMap<String, Arc<TypeSlots>>>,
    throttled: AtomicU64,
}

impl<S> std::fmt::Debug for LimitedSinks<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LimitedSinks")
            .field("limits", &self.limits)
            .field("throttled", &self.throttled.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<S: ActionSink> LimitedSinks<S> {
    /// `inner` within `limits`.
    pub fn new(inner: S, limits: ActionLimits) -> Self {
        Self {
            inner,
            limits,
            slots: Mutex::new(HashMap::new()),
            throttled: AtomicU64::new(0),
        }
    }

    /// Actions refused because their type was at its limit, since start.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    fn slots(&self, kind: &str) -> Arc<TypeSlots> {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        slots
            .entry(kind.to_owned())
            .or_insert_with(|| {
                Arc::new(TypeSlots {
                    running: Semaphore::new(self.limits.concurrency.max(1)),
                    waiting: AtomicUsize::new(0),
                })
            })
            .clone()
    }
}

#[async_trait]
impl<S: ActionSink> ActionSink for LimitedSinks<S> {
    async fn run(&self, action: &ResolvedAction) -> Result<(), ActionError> {
        let kind = action.action.kind();
        let slots = self.slots(kind);
        let permit = match slots.running.try_acquire() {
            Ok(permit) => permit,
            Err(_) => {
                if slots.waiting.fetch_add(1, Ordering::AcqRel) >= self.limits.backlog {
                    slots.waiting.fetch_sub(1, Ordering::AcqRel);
                    let count = self.throttled.fetch_add(1, Ordering::Relaxed) + 1;
                    if count.is_power_of_two() {
                        tracing::warn!(kind, count, "rule actions throttled");
                    }
                    return Err(ActionError::failed(format!(
                        "throttled: {} {kind} actions are running and {} waiting",
                        self.limits.concurrency, self.limits.backlog
                    )));
                }
                let permit = slots.running.acquire().await;
                slots.waiting.fetch_sub(1, Ordering::AcqRel);
                permit.map_err(|_| ActionError::failed("the rules engine is shutting down"))?
            }
        };
        let result = self.inner.run(action).await;
        drop(permit);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use thingcore::rules::Action;
    use tokio::sync::Notify;

    /// What the blocking sink saw.
    #[derive(Default)]
    struct Seen {
        release: Notify,
        running: AtomicUsize,
        most: AtomicUsize,
    }

    /// A sink whose http actions wait until released (a dead destination), counting how
    /// many ran at most at once; republish completes at once.
    #[derive(Clone, Default)]
    struct Blocking(Arc<Seen>);

    #[async_trait]
    impl ActionSink for Blocking {
        async fn run(&self, action: &ResolvedAction) -> Result<(), ActionError> {
            if action.action.kind() == "republish" {
                return Ok(());
            }
            let now = self.0.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.0.most.fetch_max(now, Ordering::SeqCst);
            self.0.release.notified().await;
            self.0.running.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        }
    }

    fn action(json: serde_json::Value) -> ResolvedAction {
        ResolvedAction {
            action: serde_json::from_value::<Action>(json).expect("an action"),
            payload: thingcore::mqtt::Bytes::from_static(b"{}"),
        }
    }

    fn http() -> ResolvedAction {
        action(serde_json::json!({"http": {"url": "https://dead.example/"}}))
    }

    fn republish() -> ResolvedAction {
        action(
            serde_json::json!({"republish": {"topic": "out", "roleArn": "arn:aws:iam::123456789012:role/r"}}),
        )
    }

    #[tokio::test]
    async fn a_type_at_its_limit_throttles_and_other_types_go_on() {
        let blocking = Blocking::default();
        let inner = blocking.0.clone();
        let sinks = Arc::new(LimitedSinks::new(
            blocking,
            ActionLimits {
                concurrency: 2,
                backlog: 3,
            },
        ));
        // Two run, three wait: five tasks held by the dead destination, no more.
        let mut held = Vec::new();
        for _ in 0..5 {
            let sinks = sinks.clone();
            held.push(tokio::spawn(async move { sinks.run(&http()).await }));
        }
        while inner.running.load(Ordering::SeqCst) < 2
            || sinks.slots("http").waiting.load(Ordering::SeqCst) < 3
        {
            tokio::task::yield_now().await;
        }
        let refused = sinks.run(&http()).await.expect_err("throttled");
        assert!(refused.to_string().starts_with("throttled"), "{refused}");
        assert_eq!(sinks.throttled(), 1);
        // Another type is not affected.
        sinks.run(&republish()).await.expect("republish runs");
        // Released, every held action completes, never more than two at once.
        while held.iter().any(|task| !task.is_finished()) {
            inner.release.notify_waiters();
            tokio::task::yield_now().await;
        }
        for task in held {
            task.await.expect("joined").expect("ran");
        }
        assert_eq!(inner.most.load(Ordering::SeqCst), 2);
    }
}
