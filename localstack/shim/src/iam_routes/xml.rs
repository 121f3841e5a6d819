//! A small XML writer for Query-protocol answers: escaped text, nested elements, the
//! `…Response` envelope and the `ErrorResponse`.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use thingcore::iam::IamError;

/// What stays as it is when a policy document is URL-encoded (RFC 3986 unreserved).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A policy document as IAM returns it: percent-encoded.
pub(super) fn url_encoded(document: &str) -> String {
    utf8_percent_encode(document, UNRESERVED).to_string()
}

/// Text escaped for an XML element.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// An XML fragment being written.
#[derive(Debug, Default)]
pub(super) struct Xml(String);

impl Xml {
    /// An empty fragment.
    pub(super) fn new() -> Self {
        Self::default()
    }

    /// `<name>text</name>`, escaped.
    pub(super) fn text(&mut self, name: &str, text: &str) -> &mut Self {
        self.0
            .push_str(&format!("<{name}>{}</{name}>", escape(text)));
        self
    }

    /// Escaped text inside the element being written (a list of strings' `member`).
    pub(super) fn inner_text(&mut self, text: &str) -> &mut Self {
        self.0.push_str(&escape(text));
        self
    }

    /// `<name>text</name>` when there is a text.
    pub(super) fn optional(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(text) = text {
            self.text(name, text);
        }
        self
    }

    /// `<name>…</name>` around what `inner` writes.
    pub(super) fn element(&mut self, name: &str, inner: impl FnOnce(&mut Xml)) -> &mut Self {
        self.0.push_str(&format!("<{name}>"));
        inner(self);
        self.0.push_str(&format!("</{name}>"));
        self
    }

    /// `<name><member>…</member>…</name>`, one member per item.
    pub(super) fn list<T>(
        &mut self,
        name: &str,
        items: &[T],
        mut each: impl FnMut(&mut Xml, &T),
    ) -> &mut Self {
        self.element(name, |xml| {
            for item in items {
                xml.element("member", |xml| each(xml, item));
            }
        })
    }

    /// `IsTruncated` and, when truncated, `Marker`.
    pub(super) fn truncation(&mut self, marker: Option<&str>) -> &mut Self {
        self.text(
            "IsTruncated",
            if marker.is_some() { "true" } else { "false" },
        )
        .optional("Marker", marker)
    }

    /// The fragment.
    pub(super) fn finish(&mut self) -> String {
        std::mem::take(&mut self.0)
    }
}

fn content_type() -> [(header::HeaderName, HeaderValue); 1] {
    [(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"))]
}

/// The headers of an error answer.
pub(super) fn error_headers() -> [(header::HeaderName, HeaderValue); 1] {
    content_type()
}

/// `<{action}Response>` with its `<{action}Result>` (none for operations without output).
pub(super) fn respond(
    namespace: &str,
    action: &str,
    result: Option<&str>,
    request_id: &str,
) -> Response {
    let result = result
        .map(|inner| format!("<{action}Result>{inner}</{action}Result>"))
        .unwrap_or_default();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{namespace}\">\
         {result}<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>\
         </{action}Response>"
    );
    (content_type(), body).into_response()
}

/// `<ErrorResponse>` for a refusal.
pub(super) fn error_body(namespace: &str, error: &IamError, request_id: &str) -> String {
    error_response(
        namespace,
        error.fault(),
        error.code(),
        &error.to_string(),
        request_id,
    )
}

/// `<ErrorResponse>` with a fault (`Sender`/`Receiver`), code and message.
pub(super) fn error_response(
    namespace: &str,
    fault: &str,
    code: &str,
    message: &str,
    request_id: &str,
) -> String {
    let mut xml = Xml::new();
    xml.element("Error", |xml| {
        xml.text("Type", fault)
            .text("Code", code)
            .text("Message", message);
    })
    .text("RequestId", request_id);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"{namespace}\">{}</ErrorResponse>",
        xml.finish()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_documents_url_encoded() {
        let mut xml = Xml::new();
        xml.text("A", "<&'\">");
        assert_eq!(xml.finish(), "<A>&lt;&amp;&apos;&quot;&gt;</A>");
        assert_eq!(
            url_encoded(r#"{"a": "b/c"}"#),
            "%7B%22a%22%3A%20%22b%2Fc%22%7D"
        );
    }

    #[test]
    fn errors_carry_type_code_message_and_request_id() {
        let body = error_body("ns", &IamError::NoSuchEntity("no <user>".into()), "r1");
        assert!(body.contains("<Type>Sender</Type><Code>NoSuchEntity</Code>"));
        assert!(body.contains("<Message>no &lt;user&gt;</Message>"));
        assert!(body.contains("<RequestId>r1</RequestId>"));
    }
}
