//! [`Authorization`]: what one authenticated caller may do, the unit every door checks.
//!
//! A host builds it once per connection or request from the caller's policies (a certificate's
//! attached policies and those inherited through its thing's groups, a custom authorizer's
//! `policyDocuments`, a SigV4 identity's policy) and the caller's [`AuthContext`]; the broker
//! and the HTTP handlers ask it about each action. Rebuilding it is how a changed policy takes
//! effect on a live connection.

use super::context::{AuthContext, Request};
use super::document::PolicyDocument;
use super::eval::{CompiledPolicies, Decision, IotAction};

/// A caller's compiled policies and the context they are evaluated in.
#[derive(Debug, Clone, PartialEq)]
pub struct Authorization {
    /// The policies in force for the caller.
    pub policies: CompiledPolicies,
    /// Who the caller is.
    pub context: AuthContext,
}

impl Authorization {
    /// The permissions `policies` grant the caller described by `context`.
    pub fn new(policies: &[PolicyDocument], context: AuthContext) -> Self {
        Self {
            policies: CompiledPolicies::new(policies),
            context,
        }
    }

    /// The decision for `action` on the resource named `name` (a client id, topic, topic
    /// filter or thing name, as [`IotAction::resource_kind`] says), in this core's region and
    /// account.
    pub fn decide(&self, action: IotAction, name: &str) -> Decision {
        let resource = self.context.resource_arn(action.resource_kind(), name);
        self.policies
            .evaluate(&self.context, &Request::new(action.as_str(), &resource))
    }

    /// Whether `action` on `name` is allowed; see [`Authorization::decide`].
    pub fn allows(&self, action: IotAction, name: &str) -> bool {
        self.decide(action, name).is_allowed()
    }

    /// The decision for a shadow action on `thing`'s shadow `shadow` (`None`: the classic
    /// shadow), whose resource is `thing/{thing}` or `thing/{thing}/{shadow}`.
    pub fn decide_shadow(&self, action: IotAction, thing: &str, shadow: Option<&str>) -> Decision {
        let resource = super::shadow_arn(
            thing,
            shadow,
            &self.context.region,
            &self.context.account_id,
        );
        self.policies
            .evaluate(&self.context, &Request::new(action.as_str(), &resource))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Principal;

    fn authorization(document: &str, client_id: &str) -> Authorization {
        let document = PolicyDocument::parse(document).expect("policy parses");
        let mut context = AuthContext::new(
            Principal::Certificate { id: "abc".into() },
            "us-east-1",
            "123456789012",
            0,
        );
        context.client_id = Some(client_id.to_owned());
        Authorization::new(&[document], context)
    }

    const DEVICE_POLICY: &str = r#"{
        "Version": "2012-10-17",
        "Statement": [
          {"Effect": "Allow", "Action": "iot:Connect",
           "Resource": "arn:aws:iot:us-east-1:123456789012:client/${iot:ClientId}"},
          {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"],
           "Resource": "arn:aws:iot:us-east-1:123456789012:topic/dev/${iot:ClientId}/*"},
          {"Effect": "Allow", "Action": "iot:Subscribe",
           "Resource": "arn:aws:iot:us-east-1:123456789012:topicfilter/dev/${iot:ClientId}/*"},
          {"Effect": "Allow", "Action": "iot:GetThingShadow",
           "Resource": "arn:aws:iot:us-east-1:123456789012:thing/${iot:ClientId}"}
        ]
    }"#;

    #[test]
    fn policy_variables_bind_to_the_callers_client_id() {
        let auth = authorization(DEVICE_POLICY, "sensor-1");
        assert!(auth.allows(IotAction::Connect, "sensor-1"));
        assert!(!auth.allows(IotAction::Connect, "sensor-2"));
        assert!(auth.allows(IotAction::Publish, "dev/sensor-1/temp"));
        assert!(!auth.allows(IotAction::Publish, "dev/sensor-2/temp"));
        assert!(auth.allows(IotAction::Subscribe, "dev/sensor-1/*"));
        assert_eq!(
            auth.decide(IotAction::Subscribe, "dev/sensor-2/#"),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn shadow_actions_name_the_thing_and_the_shadow() {
        let auth = authorization(DEVICE_POLICY, "sensor-1");
        assert!(auth
            .decide_shadow(IotAction::GetThingShadow, "sensor-1", None)
            .is_allowed());
        assert!(!auth
            .decide_shadow(IotAction::GetThingShadow, "sensor-1", Some("config"))
            .is_allowed());
        assert!(!auth
            .decide_shadow(IotAction::UpdateThingShadow, "sensor-1", None)
            .is_allowed());
    }
}
