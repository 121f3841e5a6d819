//! A connection's outbox: the commands the hub has for one connection, in order.
//!
//! Why not a tokio channel: an mpsc channel allocates its first block of 32 slots and its
//! cache-padded state up front, about 1 KiB for every connection, idle or not. This queue
//! holds nothing until the hub has something to say, and gives its memory back when the
//! connection asks ([`Commands::release`], once it has been quiet for a while).
//!
//! Why the room is kept until then: while a connection is busy, neither side allocates (the
//! hub's pushes and the connection's frees would otherwise be on different threads, which is
//! what glibc's malloc does worst).

use super::hub::{ConnCommand, SLOW_CONSUMER_LIMIT};
use futures::task::AtomicWaker;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use thingcore::mqtt::Packet;

#[derive(Debug, Default)]
struct Shared {
    queue: Mutex<VecDeque<ConnCommand>>,
    /// The connection task, woken when a command arrives (a waker, not a `Notify`: the
    /// future that waits for a `Notify` holds a waiter node, in every idle connection).
    ready: AtomicWaker,
    /// Bytes of PUBLISH payload queued and not yet taken by the connection.
    pending: AtomicUsize,
    /// The hub dropped its end: the connection should end once the queue is drained.
    sender_gone: AtomicBool,
    /// The connection ended: commands for it are dropped.
    receiver_gone: AtomicBool,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, VecDeque<ConnCommand>> {
        // A panic while holding the lock cannot leave the queue half-changed: push and pop.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The hub's end of a connection's outbox.
#[derive(Debug)]
pub struct ConnSender {
    shared: Arc<Shared>,
}

/// The connection's end: the commands, in the order the hub sent them.
#[derive(Debug)]
pub struct Commands {
    shared: Arc<Shared>,
}

impl ConnSender {
    /// An empty outbox: the hub's end and the connection's.
    pub fn new() -> (Self, Commands) {
        let shared = Arc::new(Shared::default());
        (
            Self {
                shared: shared.clone(),
            },
            Commands { shared },
        )
    }

    /// Queues `command` for the connection (dropped when the connection has ended: its Lost
    /// event is on its way to the hub).
    pub fn send(&self, command: ConnCommand) {
        if self.shared.receiver_gone.load(Ordering::Acquire) {
            return;
        }
        if let ConnCommand::Send(Packet::Publish(p)) = &command {
            self.shared
                .pending
                .fetch_add(p.payload.len(), Ordering::Relaxed);
        }
        self.shared.queue().push_back(command);
        self.shared.ready.wake();
    }

    /// Whether more QoS 0 payload waits for this connection than a slow consumer may have.
    pub fn is_congested(&self) -> bool {
        self.shared.pending.load(Ordering::Relaxed) > SLOW_CONSUMER_LIMIT
    }
}

impl Drop for ConnSender {
    fn drop(&mut self) {
        self.shared.sender_gone.store(true, Ordering::Release);
        self.shared.ready.wake();
    }
}

impl Commands {
    /// The next command, waiting for one; `None` once the hub has dropped its end and every
    /// command before that was taken. Cancel-safe: nothing is taken unless returned.
    pub async fn recv(&mut self) -> Option<ConnCommand> {
        if self.ready().await {
            self.try_recv()
        } else {
            None
        }
    }

    /// Waits until a command is waiting (`true`), or the hub has dropped its end and every
    /// command before that was taken (`false`). Takes nothing: the connection takes them with
    /// [`Commands::try_recv`] outside its async state, which so never holds a packet.
    pub async fn ready(&mut self) -> bool {
        std::future::poll_fn(|cx| self.poll_ready(cx)).await
    }

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        for registered in [false, true] {
            if self.has_command() {
                return Poll::Ready(true);
            }
            if self.shared.sender_gone.load(Ordering::Acquire) {
                // The hub may have queued a last command just before letting go.
                return Poll::Ready(self.has_command());
            }
            if !registered {
                // Registered before looking again, so a command queued meanwhile wakes us.
                self.shared.ready.register(cx.waker());
            }
        }
        Poll::Pending
    }

    /// Whether a command waits.
    fn has_command(&self) -> bool {
        !self.shared.queue().is_empty()
    }

    /// The next command if one is waiting.
    pub fn try_recv(&mut self) -> Option<ConnCommand> {
        // Popped, its room kept (see the module's doc).
        let command = self.shared.queue().pop_front();
        if let Some(ConnCommand::Send(Packet::Publish(p))) = &command {
            let taken = p.payload.len();
            // Never below zero, even if a count raced.
            let _ = self
                .shared
                .pending
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    Some(n.saturating_sub(taken))
                });
        }
        command
    }

    /// Gives back the queue's memory if it is empty: the connection is quiet.
    pub fn release(&mut self) {
        let mut queue = self.shared.queue();
        if queue.is_empty() && queue.capacity() > 0 {
            *queue = VecDeque::new();
        }
    }

    /// Whether the queue holds memory (so [`Commands::release`] has something to do).
    #[cfg(test)]
    fn holds_memory(&self) -> bool {
        self.shared.queue().capacity() > 0
    }
}

impl Drop for Commands {
    fn drop(&mut self) {
        self.shared.receiver_gone.store(true, Ordering::Release);
        *self.shared.queue() = VecDeque::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use thingcore::mqtt::{Bytes, Publish, QoS};

    fn publish(len: usize) -> ConnCommand {
        ConnCommand::Send(Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic: "t".into(),
            packet_id: None,
            payload: Bytes::from(vec![0; len]),
            properties: Default::default(),
        }))
    }

    #[tokio::test]
    async fn commands_arrive_in_order_and_end_after_the_hub_lets_go() {
        let (sender, mut commands) = ConnSender::new();
        sender.send(ConnCommand::Accepted { keep_alive: 5 });
        sender.send(publish(3));
        sender.send(ConnCommand::Close);
        drop(sender);
        assert!(matches!(
            commands.recv().await,
            Some(ConnCommand::Accepted { keep_alive: 5 })
        ));
        assert!(matches!(commands.recv().await, Some(ConnCommand::Send(_))));
        assert!(matches!(commands.recv().await, Some(ConnCommand::Close)));
        assert!(commands.recv().await.is_none());
    }

    #[tokio::test]
    async fn ready_waits_for_a_command_without_taking_it_and_ends_after_the_hub() {
        let (sender, mut commands) = ConnSender::new();
        let waiter = tokio::spawn(async move {
            let ready = commands.ready().await;
            (ready, commands)
        });
        tokio::task::yield_now().await;
        sender.send(ConnCommand::Close);
        let (ready, mut commands) = waiter.await.expect("joins");
        assert!(ready);
        assert!(matches!(commands.try_recv(), Some(ConnCommand::Close)));
        drop(sender);
        assert!(!commands.ready().await);
    }

    #[tokio::test]
    async fn a_waiting_connection_wakes_for_a_command() {
        let (sender, mut commands) = ConnSender::new();
        let waiter = tokio::spawn(async move { commands.recv().await.is_some() });
        tokio::task::yield_now().await;
        sender.send(ConnCommand::Close);
        assert!(waiter.await.expect("joins"));
    }

    #[test]
    fn pending_payload_marks_a_slow_consumer_until_taken() {
        let (sender, mut commands) = ConnSender::new();
        sender.send(publish(SLOW_CONSUMER_LIMIT + 1));
        assert!(sender.is_congested());
        assert!(commands.try_recv().is_some());
        assert!(!sender.is_congested());
    }

    #[test]
    fn a_busy_outbox_keeps_its_room_and_a_released_one_holds_none() {
        let (sender, mut commands) = ConnSender::new();
        for _ in 0..100 {
            sender.send(publish(1));
        }
        while commands.try_recv().is_some() {}
        // The queue keeps its room while the connection is busy: no allocation per burst.
        sender.send(publish(1));
        assert!(commands.try_recv().is_some());
        assert!(commands.holds_memory());
        commands.release();
        assert!(!commands.holds_memory());
        // Released with a command waiting: it stays, in order.
        sender.send(ConnCommand::Close);
        commands.release();
        assert!(matches!(commands.try_recv(), Some(ConnCommand::Close)));
    }

    #[test]
    fn nothing_is_queued_for_an_ended_connection() {
        let (sender, commands) = ConnSender::new();
        drop(commands);
        sender.send(publish(1));
        assert!(sender.shared.queue().is_empty());
    }
}
