//! AWS IoT lifecycle events: what the broker publishes on `$aws/events/presence/...` and
//! `$aws/events/subscriptions/...` when clients connect, disconnect, subscribe and unsubscribe,
//! with AWS's JSON fields.

use serde_json::{json, Value};

/// Why a connection ended, in AWS IoT's `disconnectReason` vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The client sent DISCONNECT.
    ClientInitiated,
    /// The client broke the protocol (malformed packet, protocol error).
    ClientError,
    /// The network connection closed without DISCONNECT.
    ConnectionLost,
    /// Another connection took over the client id.
    DuplicateClientId,
    /// Nothing heard within 1.5 × keep-alive.
    KeepAliveTimeout,
    /// The server closed the connection (e.g. at shutdown).
    ServerInitiated,
    /// Authorization was revoked or refused.
    ForbiddenAccess,
    /// The client exceeded a limit.
    Throttled,
    /// Authentication failed.
    AuthError,
    /// The server failed.
    ServerError,
}

impl DisconnectReason {
    /// AWS's name for the reason.
    pub fn as_aws(self) -> &'static str {
        match self {
            DisconnectReason::ClientInitiated => "CLIENT_INITIATED_DISCONNECT",
            DisconnectReason::ClientError => "CLIENT_ERROR",
            DisconnectReason::ConnectionLost => "CONNECTION_LOST",
            DisconnectReason::DuplicateClientId => "DUPLICATE_CLIENTID",
            DisconnectReason::KeepAliveTimeout => "MQTT_KEEP_ALIVE_TIMEOUT",
            DisconnectReason::ServerInitiated => "SERVER_INITIATED_DISCONNECT",
            DisconnectReason::ForbiddenAccess => "FORBIDDEN_ACCESS",
            DisconnectReason::Throttled => "THROTTLED",
            DisconnectReason::AuthError => "AUTH_ERROR",
            DisconnectReason::ServerError => "SERVER_ERROR",
        }
    }

    /// Whether the will message is withheld: only a normal DISCONNECT from the client
    /// discards it.
    pub fn is_clean(self) -> bool {
        self == DisconnectReason::ClientInitiated
    }
}

/// Facts about a connection that the events report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventContext<'a> {
    /// The client id.
    pub client_id: &'a str,
    /// Unique per connection.
    pub session_identifier: String,
    /// The authenticated principal, or an anonymous marker.
    pub principal_identifier: &'a str,
    /// The client's IP address, when known.
    pub ip_address: Option<String>,
    /// Epoch milliseconds.
    pub timestamp: u64,
}

/// `$aws/events/presence/connected/{clientId}` and its payload.
pub fn connected(ctx: &EventContext<'_>, version_number: u64) -> (String, Value) {
    let mut body = base(ctx, "connected");
    if let Some(ip) = ctx.ip_address.as_deref() {
        body["ipAddress"] = json!(ip);
    }
    body["versionNumber"] = json!(version_number);
    (
        format!("$aws/events/presence/connected/{}", ctx.client_id),
        body,
    )
}

/// `$aws/events/presence/disconnected/{clientId}` and its payload.
pub fn disconnected(
    ctx: &EventContext<'_>,
    reason: DisconnectReason,
    version_number: u64,
) -> (String, Value) {
    let mut body = base(ctx, "disconnected");
    body["clientInitiatedDisconnect"] = json!(reason == DisconnectReason::ClientInitiated);
    body["disconnectReason"] = json!(reason.as_aws());
    body["versionNumber"] = json!(version_number);
    (
        format!("$aws/events/presence/disconnected/{}", ctx.client_id),
        body,
    )
}

/// `$aws/events/subscriptions/subscribed|unsubscribed/{clientId}` and its payload.
pub fn subscriptions(
    ctx: &EventContext<'_>,
    subscribed: bool,
    topics: &[String],
) -> (String, Value) {
    let kind = if subscribed {
        "subscribed"
    } else {
        "unsubscribed"
    };
    let mut body = base(ctx, kind);
    body["topics"] = json!(topics);
    (
        format!("$aws/events/subscriptions/{kind}/{}", ctx.client_id),
        body,
    )
}

fn base(ctx: &EventContext<'_>, event_type: &str) -> Value {
    json!({
        "clientId": ctx.client_id,
        "timestamp": ctx.timestamp,
        "eventType": event_type,
        "sessionIdentifier": ctx.session_identifier,
        "principalIdentifier": ctx.principal_identifier,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> EventContext<'static> {
        EventContext {
            client_id: "186b5",
            session_identifier: "a4666d2a7d844ae4ac14d7aea7ea9a6a".into(),
            principal_identifier: "12345678901234567890123456789012",
            ip_address: Some("192.0.2.0".into()),
            timestamp: 1573002230757,
        }
    }

    #[test]
    fn connected_matches_the_aws_example() {
        let (topic, body) = connected(&ctx(), 0);
        assert_eq!(topic, "$aws/events/presence/connected/186b5");
        assert_eq!(
            body,
            json!({
                "clientId": "186b5",
                "timestamp": 1573002230757u64,
                "eventType": "connected",
                "sessionIdentifier": "a4666d2a7d844ae4ac14d7aea7ea9a6a",
                "principalIdentifier": "12345678901234567890123456789012",
                "ipAddress": "192.0.2.0",
                "versionNumber": 0
            })
        );
    }

    #[test]
    fn disconnected_carries_the_reason() {
        let (topic, body) = disconnected(&ctx(), DisconnectReason::ConnectionLost, 1);
        assert_eq!(topic, "$aws/events/presence/disconnected/186b5");
        assert_eq!(body["clientInitiatedDisconnect"], json!(false));
        assert_eq!(body["disconnectReason"], json!("CONNECTION_LOST"));
        assert_eq!(body["versionNumber"], json!(1));
        assert!(body.get("ipAddress").is_none());
    }

    #[test]
    fn subscription_events_list_topics() {
        let (topic, body) = subscriptions(&ctx(), false, &["a/b".to_string()]);
        assert_eq!(topic, "$aws/events/subscriptions/unsubscribed/186b5");
        assert_eq!(body["eventType"], json!("unsubscribed"));
        assert_eq!(body["topics"], json!(["a/b"]));
    }
}
