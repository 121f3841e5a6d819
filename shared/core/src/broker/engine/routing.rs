//! Routing: which sessions a message goes to, with what QoS, flags and subscription
//! identifiers; shared subscriptions; retained messages at subscribe time.

use super::{Broker, Output, SubscriberKey, SubscriptionEntry};
use crate::broker::message::Message;
use crate::broker::session::{Delivery, Offer, Subscription};
use crate::mqtt::{encoded_len, Packet, QoS};
use crate::route::may_receive;
use crate::topic::{matches, SharedFilter};
use std::collections::HashMap;
use std::sync::Arc;

/// What one client gets from all its matching (unshared) subscriptions: one delivery with the
/// highest QoS and every identifier (MQTT 5 §3.3.4).
#[derive(Default)]
struct Aggregate {
    qos: Option<QoS>,
    retain_as_published: bool,
    identifiers: Vec<u32>,
}

impl Broker {
    pub(super) fn index_subscription(
        &mut self,
        client_id: &str,
        filter: &str,
        subscription: Subscription,
    ) {
        let (key, inner) = match SharedFilter::parse(filter, &self.config.topic_limits) {
            Ok(Some(shared)) => (
                SubscriberKey {
                    client_id: client_id.to_string(),
                    group: Some(shared.group),
                },
                shared.filter,
            ),
            _ => (
                SubscriberKey {
                    client_id: client_id.to_string(),
                    group: None,
                },
                filter.to_string(),
            ),
        };
        self.subscriptions.insert(
            &inner,
            key,
            SubscriptionEntry {
                filter: inner.clone(),
                subscription,
            },
        );
    }

    pub(super) fn unindex_subscription(&mut self, client_id: &str, filter: &str) {
        let (group, inner) = match SharedFilter::parse(filter, &self.config.topic_limits) {
            Ok(Some(shared)) => (Some(shared.group), shared.filter),
            _ => (None, filter.to_string()),
        };
        self.subscriptions.remove(
            &inner,
            &SubscriberKey {
                client_id: client_id.to_string(),
                group,
            },
        );
    }

    /// Sends `message` to every session with a matching subscription.
    pub(super) fn route(&mut self, message: Arc<Message>, now: u64, out: &mut Vec<Output>) {
        out.push(Output::Routed(message.clone()));
        let mut direct: HashMap<String, Aggregate> = HashMap::new();
        let mut groups: HashMap<(String, String), Vec<(String, Subscription)>> = HashMap::new();
        let publisher = message.publisher.as_deref();
        self.subscriptions
            .for_each_match(&message.topic, |key, entry| match &key.group {
                None => {
                    if entry.subscription.no_local && publisher == Some(key.client_id.as_str()) {
                        return;
                    }
                    let agg = direct.entry(key.client_id.clone()).or_default();
                    agg.qos = agg.qos.max(Some(entry.subscription.qos));
                    agg.retain_as_published |= entry.subscription.retain_as_published;
                    if let Some(id) = entry.subscription.identifier {
                        agg.identifiers.push(id);
                    }
                }
                Some(group) => groups
                    .entry((group.clone(), entry.filter.clone()))
                    .or_default()
                    .push((key.client_id.clone(), entry.subscription.clone())),
            });
        for (client_id, agg) in direct {
            let Some(granted) = agg.qos else { continue };
            let delivery = Delivery {
                message: message.clone(),
                qos: message.qos.min(granted),
                retain: agg.retain_as_published && message.retain,
                subscription_identifiers: agg.identifiers,
            };
            self.deliver(&client_id, delivery, now, out);
        }
        for (group_key, mut members) in groups {
            members.sort_by(|a, b| a.0.cmp(&b.0));
            let Some((client_id, subscription)) = self.pick_member(&group_key, &members) else {
                continue;
            };
            let delivery = Delivery {
                message: message.clone(),
                qos: message.qos.min(subscription.qos),
                retain: subscription.retain_as_published && message.retain,
                subscription_identifiers: subscription.identifier.into_iter().collect(),
            };
            self.deliver(&client_id, delivery, now, out);
        }
    }

    /// Round-robin over a shared group, preferring members that are online.
    fn pick_member(
        &mut self,
        group_key: &(String, String),
        members: &[(String, Subscription)],
    ) -> Option<(String, Subscription)> {
        let online: Vec<&(String, Subscription)> = members
            .iter()
            .filter(|(c, _)| self.sessions.get(c).is_some_and(|e| e.connection.is_some()))
            .collect();
        let candidates: Vec<&(String, Subscription)> = if online.is_empty() {
            members.iter().collect()
        } else {
            online
        };
        if candidates.is_empty() {
            return None;
        }
        let cursor = self.shared_cursor.entry(group_key.clone()).or_insert(0);
        let chosen = candidates[*cursor % candidates.len()].clone();
        *cursor = cursor.wrapping_add(1);
        Some(chosen)
    }

    /// Offers a delivery to a session and emits what that leads to.
    fn deliver(&mut self, client_id: &str, delivery: Delivery, now: u64, out: &mut Vec<Output>) {
        let Some(entry) = self.sessions.get_mut(client_id) else {
            return;
        };
        if !may_receive(entry.authorization.as_deref(), &delivery.message.topic) {
            return;
        }
        let connection = entry
            .connection
            .and_then(|c| self.connections.get(&c).map(|x| (c, x)));
        let (online, window) = match connection {
            Some((conn, connection)) => {
                // A message larger than the client accepts is not sent (MQTT 5 §3.1.2.11.4).
                let probe = Packet::Publish(delivery.to_publish(Some(1), false, now));
                if encoded_len(&probe, connection.version) > connection.max_packet_size {
                    return;
                }
                (Some(conn), connection.window)
            }
            None => (None, 0),
        };
        let persistent = entry.session.expiry_interval > 0;
        let before = entry.session.queued_bytes();
        let offer = entry.session.offer(
            delivery,
            online.is_some(),
            window,
            self.config.max_queued_messages,
            now,
        );
        self.queued_bytes =
            (self.queued_bytes + entry.session.queued_bytes()).saturating_sub(before);
        match offer {
            Offer::Send(packet) => {
                if let Some(conn) = online {
                    out.push(Output::Send(conn, packet));
                }
                if persistent
                    && !matches!(&out.last(), Some(Output::Send(_, Packet::Publish(p))) if p.qos == QoS::AtMostOnce)
                {
                    out.push(Output::SessionChanged(client_id.to_string()));
                }
            }
            Offer::Queued => {
                if persistent {
                    out.push(Output::SessionChanged(client_id.to_string()));
                }
            }
            Offer::Dropped => {}
        }
    }

    /// Sends the retained messages matching a new subscription.
    pub(super) fn send_retained(
        &mut self,
        client_id: &str,
        filter: &str,
        subscription: &Subscription,
        now: u64,
        out: &mut Vec<Output>,
    ) {
        let matching: Vec<Arc<Message>> = self
            .retained
            .values()
            .filter(|m| matches(filter, &m.topic) && !m.is_expired(now))
            .cloned()
            .collect();
        for message in matching {
            let delivery = Delivery {
                qos: message.qos.min(subscription.qos),
                message,
                retain: true,
                subscription_identifiers: subscription.identifier.into_iter().collect(),
            };
            self.deliver(client_id, delivery, now, out);
        }
    }
}
