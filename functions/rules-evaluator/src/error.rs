//! [`ActionError`]: the one error type of rules-evaluator — why an action did not complete. Its
//! text becomes the `errorMessage` of the failure in the rule's error action message.

/// Why an action failed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// No sink runs this action type yet (lambda, dynamoDB, sqs, ... arrive with their sinks).
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
    /// A rendered MQTT 5 header of a republish action is not valid.
    #[error("header {header} is not valid: {reason}")]
    InvalidHeader {
        /// The header's member name, e.g. `correlationData`.
        header: &'static str,
        /// Why not.
        reason: String,
    },
    /// The destination refused or failed (the broker, an AWS service, ...).
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
}
