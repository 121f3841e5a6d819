//! Shadow requests over MQTT: a message published on
//! `$aws/things/{thing}/shadow[/name/{shadow}]/{get,update,delete}` becomes the replies the
//! service publishes on `.../accepted`, `.../rejected`, `.../update/delta` and
//! `.../update/documents`.

use crate::service::{Outbound, ShadowService};
use thingcore::shadow::{parse_client_token, ShadowOperation, ShadowReply, ShadowTopic};

/// Handles one message. `None` when `topic` is not a shadow request topic (replies included),
/// so a host can offer every message under `$aws/things/` without filtering first.
pub async fn handle_request(
    service: &ShadowService,
    topic: &str,
    payload: &[u8],
) -> Option<Vec<Outbound>> {
    let request = ShadowTopic::parse_with(topic, service.limits())?;
    let thing = request.thing_name.as_str();
    let shadow = request.shadow_name.as_deref();
    let token = parse_client_token(payload, service.limits());
    let echo = token.as_ref().ok().cloned().flatten();
    let accepted = |doc| {
        vec![Outbound {
            topic: request.reply_topic(ShadowReply::Accepted),
            payload: doc,
        }]
    };
    let result = match (request.operation, token) {
        (ShadowOperation::Update, _) => service
            .update(thing, shadow, payload)
            .await
            .map(|updated| updated.publish),
        (_, Err(error)) => Err(error.into()),
        (ShadowOperation::Get, Ok(token)) => service
            .get(thing, shadow, token.as_deref())
            .await
            .map(accepted),
        (ShadowOperation::Delete, Ok(token)) => service
            .delete(thing, shadow, token.as_deref())
            .await
            .map(accepted),
    };
    Some(match result {
        Ok(outbound) => outbound,
        Err(failure) => {
            let mut error = failure.into_error();
            if error.client_token.is_none() {
                error.client_token = echo;
            }
            vec![Outbound {
                topic: request.reply_topic(ShadowReply::Rejected),
                payload: error.to_json(service.now_secs()),
            }]
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;
    use thingcore::store::MemoryStore;
    use thingcore::ManualClock;

    fn service() -> ShadowService {
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        ShadowService::new(Arc::new(MemoryStore::new(clock.clone())), clock)
    }

    fn run(service: &ShadowService, topic: &str, payload: &str) -> Vec<Outbound> {
        futures::executor::block_on(handle_request(service, topic, payload.as_bytes()))
            .expect("a request topic")
    }

    #[test]
    fn update_publishes_accepted_documents_and_delta() {
        let s = service();
        let out = run(
            &s,
            "$aws/things/lamp/shadow/update",
            r#"{"state":{"desired":{"on":true}},"clientToken":"t1"}"#,
        );
        let topics: Vec<_> = out.iter().map(|o| o.topic.as_str()).collect();
        assert_eq!(
            topics,
            [
                "$aws/things/lamp/shadow/update/accepted",
                "$aws/things/lamp/shadow/update/documents",
                "$aws/things/lamp/shadow/update/delta"
            ]
        );
        assert_eq!(out[0].payload["clientToken"], json!("t1"));
        assert_eq!(out[2].payload["state"], json!({"on": true}));
        let out = run(
            &s,
            "$aws/things/lamp/shadow/update",
            r#"{"state":{"reported":{"on":true}}}"#,
        );
        assert_eq!(out.len(), 2, "no delta once reported matches desired");
    }

    #[test]
    fn named_shadows_reply_on_their_own_topics() {
        let s = service();
        run(
            &s,
            "$aws/things/lamp/shadow/name/cfg/update",
            r#"{"state":{"reported":{"x":1}}}"#,
        );
        let out = run(&s, "$aws/things/lamp/shadow/name/cfg/get", "");
        assert_eq!(
            out[0].topic,
            "$aws/things/lamp/shadow/name/cfg/get/accepted"
        );
        assert_eq!(out[0].payload["state"]["reported"], json!({"x": 1}));
        let out = run(&s, "$aws/things/lamp/shadow/get", r#"{"clientToken":"c"}"#);
        assert_eq!(out[0].topic, "$aws/things/lamp/shadow/get/rejected");
        assert_eq!(out[0].payload["code"], json!(404));
        assert_eq!(out[0].payload["clientToken"], json!("c"));
    }

    #[test]
    fn bad_requests_are_rejected_and_change_nothing() {
        let s = service();
        run(
            &s,
            "$aws/things/t/shadow/update",
            r#"{"state":{"desired":{"a":1}}}"#,
        );
        for bad in [
            "not json",
            "[1]",
            r#"{"state":5}"#,
            r#"{"state":{"x":{}}}"#,
            r#"{"state":{"desired":{"a":2}},"version":7}"#,
        ] {
            let out = run(&s, "$aws/things/t/shadow/update", bad);
            assert_eq!(out.len(), 1, "{bad}");
            assert_eq!(
                out[0].topic, "$aws/things/t/shadow/update/rejected",
                "{bad}"
            );
        }
        let doc = run(&s, "$aws/things/t/shadow/get", "");
        assert_eq!(doc[0].payload["state"]["desired"], json!({"a": 1}));
        assert_eq!(doc[0].payload["version"], json!(1));
    }

    #[test]
    fn replies_and_other_topics_are_not_requests() {
        let s = service();
        for topic in [
            "$aws/things/t/shadow/update/accepted",
            "a/b",
            "$aws/things/t/shadow/update/delta",
        ] {
            assert!(
                futures::executor::block_on(handle_request(&s, topic, b"{}")).is_none(),
                "{topic}"
            );
        }
    }
}
