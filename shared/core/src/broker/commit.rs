//! Acknowledgements that wait for the Store: an acknowledgement means "stored".
//!
//! A PUBACK, PUBREC, SUBACK or UNSUBACK — or a host's own "published" answer, such as the HTTP
//! Publish API's 200 — produced by a step that changed a persistent session or a retained
//! message is released only once the write that stores the change has committed, so whatever a
//! client was told is kept survives kill -9.
//!
//! The host writes changes in numbered batches (group commit: whatever changed while one
//! batch was being written goes in the next), one batch at a time. [`AckGate::seal`] numbers
//! the batch about to be written; the acknowledgements held until then are released by
//! [`AckGate::committed`] for that number. An acknowledgement to a connection that already has
//! some held waits behind them even when its own step stored nothing, so every connection sees
//! its acknowledgements in the order MQTT requires (MQTT 5 §4.6). Other packets (deliveries,
//! PINGRESP, CONNACK) are never held.

use super::engine::{ConnId, Output};
use crate::mqtt::Packet;
use std::collections::{HashMap, VecDeque};

/// Something held until a batch commits.
#[derive(Debug)]
pub enum Held<T> {
    /// An acknowledgement to write to a connection (boxed: held ones are few, and the
    /// packet enum is large).
    Packet(ConnId, Box<Packet>),
    /// A host's own answer (for instance a channel to wake an HTTP request).
    Signal(T),
}

/// Holds acknowledgements until the batch that stores what they acknowledge commits.
#[derive(Debug)]
pub struct AckGate<T> {
    /// What is held, in the order it was produced, each with the batch it waits for
    /// (non-decreasing from front to back).
    held: VecDeque<(u64, Held<T>)>,
    /// The batch that changes made now will be written in.
    open: u64,
    /// How many acknowledgements each connection has held.
    per_connection: HashMap<ConnId, usize>,
}

impl<T> Default for AckGate<T> {
    fn default() -> Self {
        Self {
            held: VecDeque::new(),
            open: 0,
            per_connection: HashMap::new(),
        }
    }
}

/// Whether `outputs` change what is stored (a persistent session or a retained message).
pub fn changes_storage(outputs: &[Output]) -> bool {
    outputs.iter().any(|output| {
        matches!(
            output,
            Output::SessionChanged(_) | Output::SessionEnded(_) | Output::RetainedChanged(_)
        )
    })
}

/// Whether `packet` acknowledges something a client sent.
fn is_acknowledgement(packet: &Packet) -> bool {
    matches!(
        packet,
        Packet::PubAck(_)
            | Packet::PubRec(_)
            | Packet::PubComp(_)
            | Packet::SubAck(_)
            | Packet::UnsubAck(_)
    )
}

impl<T> AckGate<T> {
    /// An empty gate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Passes one step's outputs: what the host may carry out now comes back; the
    /// acknowledgements that must wait for the open batch are kept.
    pub fn pass(&mut self, outputs: Vec<Output>) -> Vec<Output> {
        let stored = changes_storage(&outputs);
        if !stored && self.per_connection.is_empty() {
            // Nothing to hold (the common case of a message routed to live subscribers): the
            // outputs go through as they are, without a copy.
            return outputs;
        }
        let mut now = Vec::with_capacity(outputs.len());
        for output in outputs {
            match output {
                Output::Send(conn, packet)
                    if is_acknowledgement(&packet)
                        && (stored || self.per_connection.contains_key(&conn)) =>
                {
                    *self.per_connection.entry(conn).or_default() += 1;
                    self.held
                        .push_back((self.open, Held::Packet(conn, Box::new(packet))));
                }
                other => now.push(other),
            }
        }
        now
    }

    /// Holds a host's answer until the open batch commits.
    pub fn hold(&mut self, signal: T) {
        self.held.push_back((self.open, Held::Signal(signal)));
    }

    /// Whether anything waits for a commit: the host should write a batch now rather than on
    /// its next tick.
    pub fn waiting(&self) -> bool {
        !self.held.is_empty()
    }

    /// The host starts writing every change made so far: the batch's number. Changes and
    /// acknowledgements from now on go with the next batch.
    pub fn seal(&mut self) -> u64 {
        let batch = self.open;
        self.open += 1;
        batch
    }

    /// Batch `batch` committed: what waited for it (and for any earlier batch), in the order
    /// it was produced.
    pub fn committed(&mut self, batch: u64) -> Vec<Held<T>> {
        let mut released = Vec::new();
        while self
            .held
            .front()
            .is_some_and(|(waits_for, _)| *waits_for <= batch)
        {
            let Some((_, held)) = self.held.pop_front() else {
                break;
            };
            if let Held::Packet(conn, _) = &held {
                if let Some(count) = self.per_connection.get_mut(conn) {
                    *count -= 1;
                    if *count == 0 {
                        self.per_connection.remove(conn);
                    }
                }
            }
            released.push(held);
        }
        released
    }

    /// Batch `batch` failed: what waited for it waits for the next one, in which the host
    /// writes the failed changes again.
    pub fn failed(&mut self, batch: u64) {
        for (waits_for, _) in &mut self.held {
            if *waits_for <= batch {
                *waits_for = self.open;
            }
        }
    }

    /// How many are held.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::{AckProperties, PubAck};

    fn puback(packet_id: u16) -> Packet {
        Packet::PubAck(PubAck {
            packet_id,
            reason_code: 0,
            properties: AckProperties::default(),
        })
    }

    /// A packet that is not an acknowledgement.
    fn delivery() -> Packet {
        Packet::PingResp
    }

    fn sent(outputs: &[Output]) -> Vec<(u64, &Packet)> {
        outputs
            .iter()
            .filter_map(|o| match o {
                Output::Send(conn, packet) => Some((conn.0, packet)),
                _ => None,
            })
            .collect()
    }

    fn released_ids(released: &[Held<&'static str>]) -> Vec<String> {
        released
            .iter()
            .map(|held| match held {
                Held::Packet(conn, packet) => match packet.as_ref() {
                    Packet::PubAck(ack) => format!("{}:{}", conn.0, ack.packet_id),
                    _ => format!("{}:?", conn.0),
                },
                Held::Signal(name) => (*name).to_string(),
            })
            .collect()
    }

    #[test]
    fn an_acknowledgement_of_a_stored_change_waits_for_its_batch() {
        let mut gate = AckGate::<&str>::new();
        let now = gate.pass(vec![
            Output::Send(ConnId(1), puback(7)),
            Output::Send(ConnId(2), delivery()),
            Output::SessionChanged("offline".into()),
        ]);
        // The delivery goes at once, the PUBACK waits.
        assert_eq!(sent(&now), vec![(2, &delivery())]);
        assert!(gate.waiting());
        let batch = gate.seal();
        assert_eq!(released_ids(&gate.committed(batch)), vec!["1:7"]);
        assert!(!gate.waiting());
    }

    #[test]
    fn an_acknowledgement_of_nothing_stored_goes_at_once() {
        let mut gate = AckGate::<&str>::new();
        let now = gate.pass(vec![Output::Send(ConnId(1), puback(1))]);
        assert_eq!(sent(&now), vec![(1, &puback(1))]);
        assert!(!gate.waiting());
    }

    #[test]
    fn a_connection_keeps_its_acknowledgements_in_order() {
        let mut gate = AckGate::<&str>::new();
        gate.pass(vec![
            Output::Send(ConnId(1), puback(1)),
            Output::RetainedChanged("t".into()),
        ]);
        let first = gate.seal();
        // Stores nothing itself, but follows a held one on the same connection.
        let now = gate.pass(vec![Output::Send(ConnId(1), puback(2))]);
        assert!(sent(&now).is_empty());
        // Another connection's goes at once.
        let now = gate.pass(vec![Output::Send(ConnId(2), puback(9))]);
        assert_eq!(sent(&now), vec![(2, &puback(9))]);
        // The first batch releases only what waited for it...
        assert_eq!(released_ids(&gate.committed(first)), vec!["1:1"]);
        // ...the second the rest, in order.
        let second = gate.seal();
        assert_eq!(released_ids(&gate.committed(second)), vec!["1:2"]);
        // Once nothing is held for it, the connection's acknowledgements go at once again.
        let now = gate.pass(vec![Output::Send(ConnId(1), puback(3))]);
        assert_eq!(sent(&now), vec![(1, &puback(3))]);
    }

    #[test]
    fn a_failed_batch_keeps_its_acknowledgements_for_the_next() {
        let mut gate = AckGate::<&str>::new();
        gate.pass(vec![
            Output::Send(ConnId(1), puback(1)),
            Output::SessionChanged("s".into()),
        ]);
        gate.hold("http-publish");
        let batch = gate.seal();
        gate.failed(batch);
        assert!(gate.committed(batch).is_empty(), "nothing stored yet");
        let retry = gate.seal();
        assert_eq!(
            released_ids(&gate.committed(retry)),
            vec!["1:1", "http-publish"]
        );
    }

    #[test]
    fn signals_wait_with_the_packets_of_their_batch() {
        let mut gate = AckGate::<&str>::new();
        gate.hold("a");
        let first = gate.seal();
        gate.hold("b");
        assert_eq!(gate.len(), 2);
        assert_eq!(released_ids(&gate.committed(first)), vec!["a"]);
        let second = gate.seal();
        assert_eq!(released_ids(&gate.committed(second)), vec!["b"]);
        assert!(gate.is_empty());
    }
}
