//! IAM policy documents: the policy engine's grammar ([`PolicyDocument`]) with IAM's size
//! limits, refused as `MalformedPolicyDocument` with the reason. Unknown actions are accepted,
//! as IAM accepts them.

use super::IamError;
use crate::policy::PolicyDocument;

/// What a document is for, which sets its size limit (characters besides whitespace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// A customer-managed policy version: 6,144.
    Managed,
    /// A user's inline policy: 2,048.
    UserInline,
    /// A group's inline policy: 5,120.
    GroupInline,
    /// A role's inline policy: 10,240.
    RoleInline,
    /// A session policy passed to AssumeRole: 2,048.
    Session,
}

impl DocumentKind {
    /// IAM's default quota for the kind.
    pub fn max_chars(self) -> usize {
        match self {
            DocumentKind::Managed => 6144,
            DocumentKind::UserInline | DocumentKind::Session => 2048,
            DocumentKind::GroupInline => 5120,
            DocumentKind::RoleInline => 10240,
        }
    }
}

/// Parses and checks an identity-based policy document.
///
/// # Errors
/// `MalformedPolicyDocument` with the reason; `LimitExceeded` when it is too large (as IAM
/// answers an oversized document).
pub fn parse(kind: DocumentKind, text: &str) -> Result<PolicyDocument, IamError> {
    let size = text.chars().filter(|c| !c.is_whitespace()).count();
    if size > kind.max_chars() {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for PolicySize: {}",
            kind.max_chars()
        )));
    }
    PolicyDocument::parse_with_limit(text, kind.max_chars())
        .map_err(|error| IamError::MalformedPolicyDocument(error.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_parse_with_unknown_actions_accepted() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iot:DescribeThing","madeup:Thing"],"Resource":"arn:aws:iot:us-east-1:1:thing/dev-*"}]}"#;
        assert!(parse(DocumentKind::UserInline, text).is_ok());
    }

    #[test]
    fn malformed_documents_say_why() {
        let error = parse(DocumentKind::Managed, "{").expect_err("bad json");
        assert_eq!(error.code(), "MalformedPolicyDocument");
        assert!(error.to_string().contains("JSON"));
        let error = parse(
            DocumentKind::Managed,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}"#,
        )
        .expect_err("bad effect");
        assert!(error.to_string().contains("Effect"));
    }

    #[test]
    fn limits_differ_by_kind() {
        let padding = "x".repeat(3000);
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{padding}","Effect":"Allow","Action":"*","Resource":"*"}}]}}"#
        );
        assert_eq!(
            parse(DocumentKind::UserInline, &text).map_err(|e| e.code()),
            Err("LimitExceeded")
        );
        assert!(parse(DocumentKind::Managed, &text).is_ok());
        assert!(parse(DocumentKind::RoleInline, &text).is_ok());
    }
}
