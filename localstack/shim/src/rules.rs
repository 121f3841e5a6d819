//! The rules engine in process: every message the hub routes, `$aws/...` ones included, is
//! offered to the rules-evaluator function's engine; the work it returns runs on its own tasks
//! so no action ever blocks the broker — at most [`MAX_EXECUTING_RULES`] at once, each action
//! type within [`ActionLimits`] (throttled actions fail and run the rule's error action), and
//! the hub drops messages for the engine, counted, when it is that far behind. Republish goes back through the hub; the AWS SDK sinks
//! (sqs, sns, ...) take their endpoints from the SDK's environment (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_<SERVICE>`), loaded when the first such action runs. `get_thing_shadow()` and
//! `get_registry_data()` read the shadow and registry services the HTTP APIs use. Rules written
//! through this server's registry API apply to the very next message: the registry tells
//! [`RulesHandle::refresh`] before it answers. Rules written by another process sharing the
//! Store (DynamoDB) take effect within a second (the engine checks the rules' generation item
//! and reloads only when it moved).

use crate::mqtt::HubHandle;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use thingcore::broker::Message;
use thingcore::store::Store;
use thingcore::{Clock, SystemClock};
use thingcore_rules::{
    execute, ActionError, ActionLimits, ActionSinks, LimitedSinks, Publisher, RuleMessage,
    RulesEngine, SinkConfig, StoreFunctions,
};
use tokio::sync::{mpsc, Semaphore};

/// The topic filters the engine observes: `#` does not match `$` topics, so `$aws/#` too
/// (shadow messages, lifecycle events, Basic Ingest).
pub const RULE_TOPICS: [&str; 2] = ["#", "$aws/#"];
/// How often the engine checks whether rules changed.
const REFRESH_EVERY: Duration = Duration::from_secs(1);
/// Rules executing at once (each runs its actions, then any error action).
const MAX_EXECUTING_RULES: usize = 4096;

/// Publishes republish actions' messages through the hub.
struct HubPublisher(HubHandle);

#[async_trait::async_trait]
impl Publisher for HubPublisher {
    async fn publish(&self, message: Message) -> Result<(), ActionError> {
        if self.0.publish(message).await {
            Ok(())
        } else {
            Err(ActionError::failed("the broker is shutting down"))
        }
    }
}

/// The running engine, for reloading it when the registry changes.
#[derive(Clone)]
pub struct RulesHandle {
    engine: Arc<RulesEngine>,
    active: Arc<AtomicBool>,
}

impl RulesHandle {
    /// Reloads the rules if their generation moved, and opens or closes the hub's gate.
    pub async fn refresh(&self) {
        if let Err(error) = self.engine.refresh().await {
            tracing::warn!(%error, "reloading topic rules failed");
        }
        self.active
            .store(self.engine.rule_count() > 0, Ordering::Relaxed);
    }
}

/// Loads the rules and starts the engine's tasks. `active` is kept true while any rule is
/// enabled: the hub's gate for sending messages here at all. Returns how many rules are
/// enabled and the handle that reloads them.
///
/// # Errors
/// A Store that cannot be read at start.
pub async fn start(
    store: Arc<dyn Store>,
    functions: StoreFunctions,
    hub: HubHandle,
    observed: Vec<mpsc::Receiver<Arc<Message>>>,
    active: Arc<AtomicBool>,
) -> anyhow::Result<(usize, RulesHandle)> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let engine = Arc::new(
        RulesEngine::new(store.clone())
            .with_clock(clock.clone())
            .with_resolver(Arc::new(functions)),
    );
    let report = engine.reload().await?;
    active.store(engine.rule_count() > 0, Ordering::Relaxed);
    // Each action type within its limits: a dead destination holds a bounded number of
    // tasks and sockets, and beyond them its actions fail at once (the error action runs).
    let sinks = Arc::new(LimitedSinks::new(
        ActionSinks::standard(
            Arc::new(HubPublisher(hub)),
            clock,
            &SinkConfig::from_env(),
            store,
        ),
        ActionLimits::default(),
    ));
    // Rules being executed at once; at the limit, evaluation waits for one to finish, its
    // queue fills, and the hub drops for the rules engine (counted) rather than waiting.
    let executing = Arc::new(Semaphore::new(MAX_EXECUTING_RULES));

    let handle = RulesHandle {
        engine: engine.clone(),
        active,
    };
    let refresher = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(REFRESH_EVERY);
        loop {
            every.tick().await;
            refresher.refresh().await;
        }
    });

    let (tx, mut rx) = mpsc::channel::<Arc<Message>>(crate::mqtt::hub::OBSERVER_QUEUE);
    for mut observed in observed {
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(message) = observed.recv().await {
                if tx.send(message).await.is_err() {
                    return;
                }
            }
        });
    }
    drop(tx);
    tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            if engine.rule_count() == 0 {
                continue;
            }
            let message = RuleMessage::from_broker(&message, None);
            for work in engine.evaluate_async(&message).await {
                let Ok(permit) = executing.clone().acquire_owned().await else {
                    return;
                };
                let sinks = sinks.clone();
                tokio::spawn(async move {
                    execute(work, sinks.as_ref()).await;
                    drop(permit);
                });
            }
        }
    });
    Ok((report.enabled, handle))
}
