//! CreateJob's and CreateJobTemplate's validation, decided before anything is read or written:
//!
//! - the document: at most [`MAX_DOCUMENT_BYTES`] bytes of JSON; exactly one of `document`,
//!   `documentSource` and a job template's document; `${aws:iot:parameter:name}` placeholders
//!   replaced by `documentParameters` (a placeholder without a value, or a parameter without a
//!   placeholder, is refused);
//! - the targets: 1 to [`MAX_TARGETS`] thing or thing group ARNs of this account and region,
//!   no duplicates.

use super::error::{JobsError, JobsResult};
use super::record::StoredJobTemplate;
use crate::registry::{RegistryConfig, ResourceArn};
use std::collections::BTreeMap;

/// Largest job document, in bytes (the model's `JobDocument` max).
pub const MAX_DOCUMENT_BYTES: usize = 32_768;
/// Most targets one CreateJob or AssociateTargetsWithJob names (our choice; AWS does not
/// publish one for static targets).
pub const MAX_TARGETS: usize = 100;
/// Where a placeholder starts.
const PLACEHOLDER: &str = "${aws:iot:parameter:";

/// A target of a job.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// A thing, by name.
    Thing(String),
    /// A thing group, by name (its things and its descendants' things).
    ThingGroup(String),
}

/// Parses `targets` (thing and thing group ARNs).
///
/// # Errors
/// `InvalidRequestException` for no targets, a duplicate or an ARN that is not a thing's or a
/// thing group's; `ResourceNotFoundException` for an ARN of another account or region;
/// `LimitExceededException` for more than [`MAX_TARGETS`].
pub fn parse_targets(targets: &[String], config: &RegistryConfig) -> JobsResult<Vec<Target>> {
    if targets.is_empty() {
        return Err(JobsError::invalid("targets must name at least one target"));
    }
    if targets.len() > MAX_TARGETS {
        return Err(JobsError::LimitExceeded(format!(
            "{} targets exceeds the limit of {MAX_TARGETS}",
            targets.len()
        )));
    }
    let mut parsed = Vec::with_capacity(targets.len());
    for arn in targets {
        let target = match config.parse_arn("targets", arn)? {
            ResourceArn::Thing(name) => Target::Thing(name.as_str().to_string()),
            ResourceArn::ThingGroup(name) => Target::ThingGroup(name.as_str().to_string()),
            _ => {
                return Err(JobsError::invalid(format!(
                    "{arn} is not a thing or thing group ARN"
                )))
            }
        };
        if parsed.contains(&target) {
            return Err(JobsError::invalid(format!(
                "{arn} is named twice in targets"
            )));
        }
        parsed.push(target);
    }
    Ok(parsed)
}

/// A job's document as decided at creation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobDocument {
    /// What the devices get (placeholders replaced), unless the document is at a URL.
    pub document: Option<String>,
    /// The document before substitution.
    pub before_substitution: Option<String>,
    /// `documentSource`, when the document is at a URL.
    pub document_source: Option<String>,
}

/// Checks an inline document: size and JSON.
///
/// # Errors
/// `InvalidRequestException` for a document over [`MAX_DOCUMENT_BYTES`] or not JSON.
pub fn check_document(document: &str) -> JobsResult<()> {
    if document.len() > MAX_DOCUMENT_BYTES {
        return Err(JobsError::invalid(format!(
            "The job document is {} bytes, more than the {MAX_DOCUMENT_BYTES} bytes allowed",
            document.len()
        )));
    }
    serde_json::from_str::<serde_json::Value>(document)
        .map_err(|e| JobsError::invalid(format!("The job document is not valid JSON: {e}")))?;
    Ok(())
}

/// Decides a job's document from CreateJob's `document`, `documentSource`, the template named
/// by `jobTemplateArn` (already loaded) and `documentParameters`.
///
/// # Errors
/// `InvalidRequestException` when not exactly one source is given, for a bad document, or
/// for parameters that do not match the placeholders.
pub fn decide_document(
    document: Option<&str>,
    document_source: Option<&str>,
    template: Option<&StoredJobTemplate>,
    parameters: &BTreeMap<String, String>,
) -> JobsResult<JobDocument> {
    let template_document = template.map(|t| (t.document.as_deref(), t.document_source.as_deref()));
    let sources = usize::from(document.is_some())
        + usize::from(document_source.is_some())
        + usize::from(template.is_some());
    if sources != 1 {
        return Err(JobsError::invalid(
            "Exactly one of document, documentSource and jobTemplateArn must be given",
        ));
    }
    let (raw, source) = match (document, document_source, template_document) {
        (Some(doc), _, _) => (Some(doc), None),
        (_, Some(source), _) => (None, Some(source)),
        (_, _, Some((doc, source))) => (doc, source),
        _ => (None, None),
    };
    if let Some(source) = source {
        if !parameters.is_empty() {
            return Err(JobsError::invalid(
                "documentParameters need a document, not a documentSource",
            ));
        }
        return Ok(JobDocument {
            document_source: Some(source.to_string()),
            ..JobDocument::default()
        });
    }
    let raw = raw.ok_or_else(|| JobsError::invalid("The job template has no document"))?;
    check_document(raw)?;
    let substituted = substitute(raw, parameters)?;
    check_document(&substituted)?;
    Ok(JobDocument {
        document: Some(substituted),
        before_substitution: Some(raw.to_string()),
        document_source: None,
    })
}

/// Replaces every `${aws:iot:parameter:name}` in `document` with its parameter.
///
/// # Errors
/// `InvalidRequestException` for a placeholder without a parameter or a parameter no
/// placeholder uses.
pub fn substitute(document: &str, parameters: &BTreeMap<String, String>) -> JobsResult<String> {
    let mut out = String::with_capacity(document.len());
    let mut used = std::collections::BTreeSet::new();
    let mut rest = document;
    while let Some(start) = rest.find(PLACEHOLDER) {
        out.push_str(&rest[..start]);
        let after = &rest[start + PLACEHOLDER.len()..];
        let end = after
            .find('}')
            .ok_or_else(|| JobsError::invalid("The job document has an unclosed placeholder"))?;
        let name = &after[..end];
        let value = parameters.get(name).ok_or_else(|| {
            JobsError::invalid(format!("documentParameters has no value for {name}"))
        })?;
        out.push_str(&escape_json_string(value));
        used.insert(name);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    if let Some(unused) = parameters.keys().find(|k| !used.contains(k.as_str())) {
        return Err(JobsError::invalid(format!(
            "documentParameters {unused} is not a parameter of the job document"
        )));
    }
    Ok(out)
}

/// A value as it may stand inside a JSON string.
fn escape_json_string(value: &str) -> String {
    let quoted = serde_json::Value::String(value.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::names::JobTemplateId;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn template(document: &str) -> StoredJobTemplate {
        StoredJobTemplate {
            job_template_id: JobTemplateId::parse("t").unwrap_or_else(|e| panic!("{e}")),
            job_template_arn: "arn:t".into(),
            description: "d".into(),
            document: Some(document.into()),
            document_source: None,
            configs: Default::default(),
            created_at: 0,
        }
    }

    #[test]
    fn targets_are_things_and_groups_of_this_account() {
        let config = RegistryConfig::default();
        let targets = vec![config.thing_arn("t1"), config.thing_group_arn("g1")];
        assert_eq!(
            parse_targets(&targets, &config).ok(),
            Some(vec![
                Target::Thing("t1".into()),
                Target::ThingGroup("g1".into())
            ])
        );
        let policy = vec![config.policy_arn("p")];
        assert!(matches!(
            parse_targets(&policy, &config),
            Err(JobsError::InvalidRequest(_))
        ));
        let foreign = vec!["arn:aws:iot:eu-west-1:000000000000:thing/t".to_string()];
        assert!(matches!(
            parse_targets(&foreign, &config),
            Err(JobsError::ResourceNotFound(_))
        ));
        let many: Vec<String> = (0..=MAX_TARGETS)
            .map(|i| config.thing_arn(&format!("t{i}")))
            .collect();
        assert!(matches!(
            parse_targets(&many, &config),
            Err(JobsError::LimitExceeded(_))
        ));
        assert!(parse_targets(&[], &config).is_err());
        let twice = vec![config.thing_arn("t1"), config.thing_arn("t1")];
        assert!(parse_targets(&twice, &config).is_err());
    }

    #[test]
    fn documents_are_bounded_json() {
        assert!(check_document(r#"{"op":"reboot"}"#).is_ok());
        assert!(check_document("{not json").is_err());
        let big = format!(r#"{{"pad":"{}"}}"#, "x".repeat(MAX_DOCUMENT_BYTES));
        assert!(check_document(&big).is_err());
    }

    #[test]
    fn exactly_one_document_source() {
        let none = BTreeMap::new();
        assert!(decide_document(None, None, None, &none).is_err());
        assert!(decide_document(Some("{}"), Some("https://x"), None, &none).is_err());
        assert!(decide_document(Some("{}"), None, Some(&template("{}")), &none).is_err());
        let by_url = decide_document(None, Some("https://b/doc.json"), None, &none);
        assert_eq!(
            by_url.ok().and_then(|d| d.document_source),
            Some("https://b/doc.json".into())
        );
    }

    #[test]
    fn template_parameters_are_substituted() {
        let t = template(r#"{"url":"${aws:iot:parameter:url}","v":"${aws:iot:parameter:v}"}"#);
        let decided = decide_document(
            None,
            None,
            Some(&t),
            &params(&[("url", "https://x/\"fw\""), ("v", "2")]),
        );
        let decided = decided.unwrap_or_else(|e| panic!("{e}"));
        let document: serde_json::Value =
            serde_json::from_str(decided.document.as_deref().unwrap_or("null")).unwrap_or_default();
        assert_eq!(document["url"], "https://x/\"fw\"");
        assert_eq!(document["v"], "2");
        assert_eq!(decided.before_substitution, t.document);
        assert!(decide_document(None, None, Some(&t), &params(&[("url", "u")])).is_err());
        assert!(decide_document(Some("{}"), None, None, &params(&[("x", "1")])).is_err());
    }
}
