//! The reserved shadow topics ("Device Shadow MQTT topics"): requests are published to
//! `$aws/things/{thing}/shadow[/name/{shadow}]/{get|update|delete}` and the service answers on
//! the same topic plus `/accepted` or `/rejected`, with `/update/delta` and `/update/documents`
//! besides. Classic and named shadows differ only in this prefix.

use super::names::{validate_shadow_name, validate_thing_name};
use super::ShadowLimits;

/// The three shadow operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShadowOperation {
    /// Read the shadow (`/get`).
    Get,
    /// Create or merge into the shadow (`/update`).
    Update,
    /// Delete the shadow (`/delete`).
    Delete,
}

impl ShadowOperation {
    /// The topic level naming this operation.
    pub fn as_str(self) -> &'static str {
        match self {
            ShadowOperation::Get => "get",
            ShadowOperation::Update => "update",
            ShadowOperation::Delete => "delete",
        }
    }

    fn parse(level: &str) -> Option<Self> {
        match level {
            "get" => Some(ShadowOperation::Get),
            "update" => Some(ShadowOperation::Update),
            "delete" => Some(ShadowOperation::Delete),
            _ => None,
        }
    }
}

/// The topics the service answers on, after the operation's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShadowReply {
    /// `…/{op}/accepted`: the operation succeeded.
    Accepted,
    /// `…/{op}/rejected`: an error response document.
    Rejected,
    /// `…/update/delta`: the desired state that differs from the reported one.
    Delta,
    /// `…/update/documents`: the shadow before and after an update.
    Documents,
}

impl ShadowReply {
    /// The topic level naming this reply.
    pub fn as_str(self) -> &'static str {
        match self {
            ShadowReply::Accepted => "accepted",
            ShadowReply::Rejected => "rejected",
            ShadowReply::Delta => "delta",
            ShadowReply::Documents => "documents",
        }
    }

    fn parse(level: &str, operation: ShadowOperation) -> Option<Self> {
        match (level, operation) {
            ("accepted", _) => Some(ShadowReply::Accepted),
            ("rejected", _) => Some(ShadowReply::Rejected),
            ("delta", ShadowOperation::Update) => Some(ShadowReply::Delta),
            ("documents", ShadowOperation::Update) => Some(ShadowReply::Documents),
            _ => None,
        }
    }
}

/// A shadow request topic, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShadowTopic {
    /// The thing the shadow belongs to.
    pub thing_name: String,
    /// The named shadow, or `None` for the classic shadow.
    pub shadow_name: Option<String>,
    /// What the request asks for.
    pub operation: ShadowOperation,
}

impl ShadowTopic {
    /// Decodes a request topic with AWS's default name limits; `None` when `topic` is not a
    /// shadow request topic or carries an invalid thing or shadow name.
    pub fn parse(topic: &str) -> Option<ShadowTopic> {
        Self::parse_with(topic, &ShadowLimits::default())
    }

    /// [`ShadowTopic::parse`] with explicit limits.
    pub fn parse_with(topic: &str, limits: &ShadowLimits) -> Option<ShadowTopic> {
        let levels: Vec<&str> = topic.split('/').collect();
        let (shadow, op) = match levels.as_slice() {
            ["$aws", "things", thing, "shadow", op] => ((*thing, None), *op),
            ["$aws", "things", thing, "shadow", "name", shadow, op] => {
                ((*thing, Some(*shadow)), *op)
            }
            _ => return None,
        };
        Self::build(shadow, op, limits)
    }

    /// Decodes a reply topic (`…/update/accepted`, `…/get/rejected`, `…/update/delta`, …)
    /// into the request it answers and the kind of reply.
    pub fn parse_reply(topic: &str) -> Option<(ShadowTopic, ShadowReply)> {
        let (request, reply) = topic.rsplit_once('/')?;
        let parsed = Self::parse(request)?;
        let reply = ShadowReply::parse(reply, parsed.operation)?;
        Some((parsed, reply))
    }

    fn build(
        (thing, shadow): (&str, Option<&str>),
        op: &str,
        limits: &ShadowLimits,
    ) -> Option<ShadowTopic> {
        let operation = ShadowOperation::parse(op)?;
        validate_thing_name(thing, limits).ok()?;
        if let Some(shadow) = shadow {
            validate_shadow_name(shadow, limits).ok()?;
        }
        Some(ShadowTopic {
            thing_name: thing.to_owned(),
            shadow_name: shadow.map(str::to_owned),
            operation,
        })
    }

    /// The topic prefix: `$aws/things/{thing}/shadow` or `…/shadow/name/{shadow}`.
    pub fn prefix(&self) -> String {
        match &self.shadow_name {
            None => format!("$aws/things/{}/shadow", self.thing_name),
            Some(shadow) => format!("$aws/things/{}/shadow/name/{shadow}", self.thing_name),
        }
    }

    /// The request topic itself, e.g. `$aws/things/lamp/shadow/update`.
    pub fn request_topic(&self) -> String {
        format!("{}/{}", self.prefix(), self.operation.as_str())
    }

    /// The topic of a reply to this request, e.g. `$aws/things/lamp/shadow/update/delta`.
    /// `Delta` and `Documents` exist only for updates; for other operations the topic is
    /// built all the same and no client is subscribed to it.
    pub fn reply_topic(&self, reply: ShadowReply) -> String {
        format!("{}/{}", self.request_topic(), reply.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(thing: &str, shadow: Option<&str>, operation: ShadowOperation) -> ShadowTopic {
        ShadowTopic {
            thing_name: thing.into(),
            shadow_name: shadow.map(Into::into),
            operation,
        }
    }

    #[test]
    fn request_topics_decode_for_classic_and_named_shadows() {
        use ShadowOperation::*;
        let cases = [
            (
                "$aws/things/lamp/shadow/get",
                Some(topic("lamp", None, Get)),
            ),
            (
                "$aws/things/lamp/shadow/update",
                Some(topic("lamp", None, Update)),
            ),
            (
                "$aws/things/lamp/shadow/delete",
                Some(topic("lamp", None, Delete)),
            ),
            (
                "$aws/things/lamp/shadow/name/Limits/update",
                Some(topic("lamp", Some("Limits"), Update)),
            ),
            (
                "$aws/things/a:b_c-d/shadow/name/$package/get",
                Some(topic("a:b_c-d", Some("$package"), Get)),
            ),
            // A shadow literally named "name" is fine: the level count decides.
            (
                "$aws/things/t/shadow/name/name/get",
                Some(topic("t", Some("name"), Get)),
            ),
            ("$aws/things/lamp/shadow/update/accepted", None),
            ("$aws/things/lamp/shadow/name/update", None),
            ("$aws/things/lamp/shadow/list", None),
            ("$aws/things/lamp/shadow", None),
            ("$aws/things//shadow/get", None),
            ("$aws/things/lamp/shadow/name//get", None),
            ("$aws/things/bad name/shadow/get", None),
            ("$aws/things/lamp/shadows/get", None),
            ("aws/things/lamp/shadow/get", None),
            ("$aws/things/lamp/shadow/name/a+b/get", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(ShadowTopic::parse(text), expected, "{text}");
        }
    }

    #[test]
    fn reply_topics_are_built_and_decoded() {
        let classic = topic("lamp", None, ShadowOperation::Update);
        assert_eq!(
            classic.reply_topic(ShadowReply::Delta),
            "$aws/things/lamp/shadow/update/delta"
        );
        let named = topic("lamp", Some("Limits"), ShadowOperation::Get);
        assert_eq!(
            named.request_topic(),
            "$aws/things/lamp/shadow/name/Limits/get"
        );
        assert_eq!(
            named.reply_topic(ShadowReply::Rejected),
            "$aws/things/lamp/shadow/name/Limits/get/rejected"
        );
        for reply in [
            ShadowReply::Accepted,
            ShadowReply::Rejected,
            ShadowReply::Delta,
            ShadowReply::Documents,
        ] {
            let text = classic.reply_topic(reply);
            assert_eq!(
                ShadowTopic::parse_reply(&text),
                Some((classic.clone(), reply))
            );
        }
        assert_eq!(
            ShadowTopic::parse_reply("$aws/things/lamp/shadow/get/delta"),
            None
        );
        assert_eq!(
            ShadowTopic::parse_reply("$aws/things/lamp/shadow/get"),
            None
        );
    }
}
