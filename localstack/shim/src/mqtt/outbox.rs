//! A connection's outbox: the commands the hub has for one connection, in order.
//!
//! Why not a tokio channel: an mpsc channel allocates its first block of 32 slots and its
//! cache-padded state up front, about 1 KiB for every connection, idle or not. This queue
//! holds nothing until the hub has something to say and gives its memory back once drained.

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
        if let ConnCommand::Send(packet) = &command {
            if let Packet::Publish(p) = packet.as_ref() {
                self.shared
                    .pending
                    .fetch_add(p.payload.len(), Ordering::Relaxed);
            }
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
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<ConnCommand>> {
        for registered in [false, true] {
            if let Some(command) = self.try_recv() {
                return Poll::Ready(Some(command));
            }
            if self.shared.sender_gone.load(Ordering::Acquire) {
                // The hub may have queued a last command just before letting go.
                return Poll::Ready(self.try_recv());
            }
            if !registered {
                // Registered before looking again, so a command queued meanwhile wakes us.
                self.shared.ready.register(cx.waker());
            }
        }
        Poll::Pending
    }

    /// The next command if one is waiting.
    pub fn try_recv(&mut self) -> Option<ConnCommand> {
        let mut queue = self.shared.queue();
        let command = queue.pop_front();
        if queue.is_empty() && queue.capacity() > 0 {
            // Drained: an idle connection keeps no slots.
            *queue = VecDeque::new();
        }
        drop(queue);
        if let Some(ConnCommand::Send(packet)) = &command {
            if let Packet::Publish(p) = packet.as_ref() {
                let taken = p.payload.len();
                // Never below zero, even if a count raced.
                let _ =
                    self.shared
                        .pending
                        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                            Some(n.saturating_sub(taken))
                        });
            }
        }
        command
    }
}

impl Drop for Commands {
    fn drop(&mut self) {
        self.shared.receiver_gone.store(true, Ordering::Release);
        self.shared.queue().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use thingcore::mqtt::{Bytes, Publish, QoS};

    fn publish(len: usize) -> ConnCommand {
        ConnCommand::Send(Box::new(Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic: "t".into(),
            packet_id: None,
            payload: Bytes::from(vec![0; len]),
            properties: Default::default(),
        })))
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
    fn nothing_is_queued_for_an_ended_connection_and_a_drained_queue_shrinks() {
        let (sender, mut commands) = ConnSender::new();
        for _ in 0..100 {
            sender.send(publish(1));
        }
        while commands.try_recv().is_some() {}
        assert_eq!(sender.shared.queue().capacity(), 0);
        drop(commands);
        sender.send(publish(1));
        assert!(sender.shared.queue().is_empty());
    }
}
