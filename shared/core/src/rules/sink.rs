//! The ActionSink port: what runs a rule's [`ResolvedAction`]s, and [`ActionError`], why one
//! did not complete. Core decides what an action is and renders its templates; adapters
//! (republish over the host's broker, the AWS SDK sinks of `thingcore-aws`, http) implement
//! [`ActionSink`] and only move bytes. An [`ActionError`]'s text becomes the `errorMessage` of
//! the failure in the rule's error action message ([`super::RuleErrorMessage`]).

use super::compiled::ResolvedAction;
use async_trait::async_trait;

/// Runs one kind of action (or, as a table of sinks, every kind).
#[async_trait]
pub trait ActionSink: Send + Sync {
    /// Delivers `action.payload` as `action.action` (its templates rendered) says.
    ///
    /// # Errors
    /// An [`ActionError`] whose text becomes the failure's `errorMessage`.
    async fn run(&self, action: &ResolvedAction) -> Result<(), ActionError>;
}

/// Why an action failed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// No sink runs this action type here.
    #[error("the {action} action is not implemented here yet")]
    NotImplemented {
        /// The action type's member name, e.g. `sqs`.
        action: String,
    },
    /// The rendered republish topic is not a topic one may publish to.
    #[error("cannot republish to {topic:?}: {reason}")]
    InvalidTopic {
        /// The topic as rendered.
        topic: String,
        /// Why not.
        reason: String,
    },
    /// A rendered header (MQTT 5 of a republish action, HTTP of an http action) is not valid.
    #[error("header {header} is not valid: {reason}")]
    InvalidHeader {
        /// The header's member name, e.g. `correlationData`.
        header: &'static str,
        /// Why not.
        reason: String,
    },
    /// A rendered parameter of the action cannot be used as it is (a DynamoDB key value that
    /// is not a number, a URL that does not parse, an output that is not the shape the action
    /// needs...).
    #[error("{parameter} is not valid: {reason}")]
    InvalidParameter {
        /// The parameter's member name, e.g. `hashKeyValue`.
        parameter: &'static str,
        /// Why not.
        reason: String,
    },
    /// The destination refused or failed (the broker, an AWS service, an HTTP endpoint...).
    #[error("{message}")]
    Failed {
        /// What went wrong, for the error action message.
        message: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl ActionError {
    /// A failure described by `message` alone.
    pub fn failed(message: impl Into<String>) -> Self {
        ActionError::Failed {
            message: message.into(),
            source: None,
        }
    }

    /// A failure caused by `source`, described by `message`.
    pub fn caused_by(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        ActionError::Failed {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// A rendered parameter that cannot be used.
    pub fn invalid(parameter: &'static str, reason: impl Into<String>) -> Self {
        ActionError::InvalidParameter {
            parameter,
            reason: reason.into(),
        }
    }

    /// The error a sink answers when handed an action of another type.
    pub fn not_for(action: &ResolvedAction) -> Self {
        ActionError::NotImplemented {
            action: action.action.kind().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn messages_are_what_the_error_action_reports() {
        let io = std::io::Error::other("connection refused");
        let error = ActionError::caused_by("SQS did not answer", io);
        assert_eq!(error.to_string(), "SQS did not answer");
        assert!(error.source().is_some());
        assert_eq!(
            ActionError::invalid("hashKeyValue", "\"x\" is not a number").to_string(),
            "hashKeyValue is not valid: \"x\" is not a number"
        );
    }
}
