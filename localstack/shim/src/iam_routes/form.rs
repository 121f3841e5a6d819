//! The Query protocol's form: `application/x-www-form-urlencoded` members, lists as
//! `Name.member.N`, tags as `Tags.member.N.Key`/`.Value`.

use percent_encoding::percent_decode_str;
use std::collections::HashMap;
use thingcore::iam::IamError;
use thingcore_iam::records::Tag;
use thingcore_iam::Paging;

/// A decoded form.
#[derive(Debug, Default)]
pub(super) struct Form(HashMap<String, String>);

fn decode(part: &str) -> String {
    percent_decode_str(&part.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The model's member name in errors: `UserName` → `userName`.
fn member(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_lowercase().to_string() + chars.as_str()
    })
}

impl Form {
    /// Decodes a body (a pair without `=` is a member with an empty value).
    pub(super) fn parse(body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(body);
        Form(
            text.split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| match pair.split_once('=') {
                    Some((name, value)) => (decode(name), decode(value)),
                    None => (decode(pair), String::new()),
                })
                .collect(),
        )
    }

    /// A member, if given.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A required member.
    ///
    /// # Errors
    /// `ValidationError` when it is missing.
    pub(super) fn required(&self, name: &str) -> Result<&str, IamError> {
        self.get(name).ok_or_else(|| {
            IamError::Validation(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: \
                 Member must not be null",
                member(name)
            ))
        })
    }

    /// An integer member.
    ///
    /// # Errors
    /// `ValidationError` when it is not a number.
    pub(super) fn int(&self, name: &str) -> Result<Option<i64>, IamError> {
        self.get(name)
            .map(|text| {
                text.parse::<i64>().map_err(|_| {
                    IamError::constraint(text, &member(name), "Member must be an integer")
                })
            })
            .transpose()
    }

    /// A boolean member (`true`/`false`), false when absent.
    pub(super) fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// `Marker` and `MaxItems`.
    ///
    /// # Errors
    /// `ValidationError` for a `MaxItems` that is not a number.
    pub(super) fn paging(&self) -> Result<Paging, IamError> {
        Ok(Paging {
            marker: self.get("Marker").map(str::to_string),
            max_items: self.int("MaxItems")?,
        })
    }

    /// A list member: `{name}.member.1`, `.2`, … in order.
    pub(super) fn list(&self, name: &str) -> Vec<String> {
        (1..)
            .map_while(|n| self.get(&format!("{name}.member.{n}")).map(str::to_string))
            .collect()
    }

    /// The `Tags` member.
    pub(super) fn tags(&self) -> Vec<Tag> {
        (1..)
            .map_while(|n| {
                let key = self.get(&format!("Tags.member.{n}.Key"))?;
                let value = self
                    .get(&format!("Tags.member.{n}.Value"))
                    .unwrap_or_default();
                Some(Tag {
                    key: key.to_string(),
                    value: value.to_string(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_members_lists_and_tags() {
        let form = Form::parse(
            b"Action=TagUser&UserName=a%2Bb&Tags.member.1.Key=team&Tags.member.1.Value=ops+1\
              &Tags.member.2.Key=k&TagKeys.member.1=x&TagKeys.member.2=y&MaxItems=5",
        );
        assert_eq!(form.get("UserName"), Some("a+b"));
        assert_eq!(form.tags().len(), 2);
        assert_eq!(form.tags()[0].value, "ops 1");
        assert_eq!(form.list("TagKeys"), ["x", "y"]);
        assert_eq!(form.paging().map(|p| p.max_items), Ok(Some(5)));
        let missing = form.required("PolicyArn").expect_err("missing");
        assert!(missing.to_string().contains("'policyArn'"));
    }
}
