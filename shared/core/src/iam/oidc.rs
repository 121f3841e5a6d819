//! IAM OpenID Connect providers, pure: what CreateOpenIDConnectProvider and its siblings
//! accept, and how a provider is named.
//!
//! A provider is known by its URL without the scheme and without a trailing `/` (its
//! "path", e.g. `token.example.com/tenant`): its ARN is
//! `arn:aws:iam::{account}:oidc-provider/{path}`, its condition keys are `{path}:aud`,
//! `{path}:sub`, `{path}:amr`, and a token's `iss` names it the same way.
//!
//! Choice where AWS differs: AWS requires `https://`; thingcore also accepts `http://`, so
//! an issuer on the developer's machine (or a test's) can be registered. Client ids (at most
//! 100, each 1 to 255 characters) and thumbprints (at most 5, each 40 hex digits, as the
//! model requires) are checked as IAM checks them; thumbprints are kept and returned but
//! thingcore trusts an issuer's keys by where it finds them (see `thingcore-iam`'s
//! `web_identity`), not by certificate thumbprint.

use super::IamError;

/// Most client ids (audiences) a provider may have.
pub const MAX_CLIENT_IDS: usize = 100;
/// Most thumbprints a provider may have.
pub const MAX_THUMBPRINTS: usize = 5;
/// Most characters of a provider URL.
pub const MAX_URL_CHARS: usize = 255;

/// The path of a provider URL as CreateOpenIDConnectProvider takes it: the URL without
/// `https://` (or `http://`) and without a trailing `/`.
///
/// # Errors
/// `ValidationError` for a URL that breaks the model's length; `InvalidInput` for one that is
/// not an `https://` (or `http://`) URL with a host, or that has a query or a fragment.
pub fn provider_path(url: &str) -> Result<String, IamError> {
    let length = url.chars().count();
    if length == 0 || length > MAX_URL_CHARS {
        return Err(IamError::constraint(
            url,
            "url",
            "Member must have length less than or equal to 255",
        ));
    }
    let invalid = || IamError::InvalidInput(format!("Invalid OpenID Connect provider URL: {url}"));
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(invalid)?;
    let path = rest.trim_end_matches('/');
    let host = path.split('/').next().unwrap_or_default();
    if host.is_empty()
        || path.contains(['?', '#'])
        || path.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid());
    }
    Ok(path.to_string())
}

/// The path a token's `iss` names (`https://issuer.example/x/` → `issuer.example/x`), or
/// `None` when it is no `https://` or `http://` URL.
pub fn issuer_path(iss: &str) -> Option<String> {
    let rest = iss
        .strip_prefix("https://")
        .or_else(|| iss.strip_prefix("http://"))?;
    let path = rest.trim_end_matches('/');
    (!path.is_empty()).then(|| path.to_string())
}

/// A provider's ARN: `arn:aws:iam::{account}:oidc-provider/{path}`.
pub fn provider_arn(account: &str, path: &str) -> String {
    format!("arn:aws:iam::{account}:oidc-provider/{path}")
}

/// The path a provider ARN of `account` names.
///
/// # Errors
/// `InvalidInput` for an ARN that is no OIDC provider's of this account (IAM's wording).
pub fn path_of_arn<'a>(account: &str, arn: &'a str) -> Result<&'a str, IamError> {
    arn.strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.strip_prefix(account))
        .and_then(|rest| rest.strip_prefix(":oidc-provider/"))
        .filter(|path| !path.is_empty())
        .ok_or_else(|| IamError::InvalidInput(format!("ARN {arn} is not valid.")))
}

/// Checks one client id (audience).
///
/// # Errors
/// `ValidationError` for an empty one or one over 255 characters.
pub fn check_client_id(id: &str) -> Result<(), IamError> {
    let length = id.chars().count();
    if length == 0 || length > 255 {
        return Err(IamError::constraint(
            id,
            "clientID",
            "Member must have length between 1 and 255",
        ));
    }
    Ok(())
}

/// Checks a client id list (each id, and how many).
///
/// # Errors
/// As [`check_client_id`]; `LimitExceeded` over [`MAX_CLIENT_IDS`].
pub fn check_client_ids(ids: &[String]) -> Result<(), IamError> {
    ids.iter().try_for_each(|id| check_client_id(id))?;
    if ids.len() > MAX_CLIENT_IDS {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
        )));
    }
    Ok(())
}

/// Checks a thumbprint list: each 40 hex digits, at most [`MAX_THUMBPRINTS`].
///
/// # Errors
/// `ValidationError` for a thumbprint that is not 40 characters; `InvalidInput` for one
/// that is not hex or for too many.
pub fn check_thumbprints(thumbprints: &[String]) -> Result<(), IamError> {
    for thumbprint in thumbprints {
        if thumbprint.chars().count() != 40 {
            return Err(IamError::constraint(
                thumbprint,
                "thumbprintList",
                "Member must have length 40",
            ));
        }
        if !thumbprint.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(IamError::InvalidInput(format!(
                "Thumbprint {thumbprint} is not a hex string"
            )));
        }
    }
    if thumbprints.len() > MAX_THUMBPRINTS {
        return Err(IamError::InvalidInput(format!(
            "Thumbprint list must contain fewer than {} entries",
            MAX_THUMBPRINTS + 1
        )));
    }
    Ok(())
}

/// `ids` with `id` added unless present (AddClientIDToOpenIDConnectProvider is idempotent).
///
/// # Errors
/// `LimitExceeded` past [`MAX_CLIENT_IDS`].
pub fn add_client_id(ids: &mut Vec<String>, id: &str) -> Result<(), IamError> {
    check_client_id(id)?;
    if !ids.iter().any(|known| known == id) {
        ids.push(id.to_string());
    }
    check_client_ids(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_urls_become_paths_or_are_refused() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("https://token.example.com", Ok("token.example.com")),
            ("https://token.example.com/", Ok("token.example.com")),
            (
                "https://token.example.com/tenant/1",
                Ok("token.example.com/tenant/1"),
            ),
            ("http://127.0.0.1:8080", Ok("127.0.0.1:8080")),
            ("token.example.com", Err("InvalidInput")),
            ("ftp://token.example.com", Err("InvalidInput")),
            ("https://", Err("InvalidInput")),
            ("https:///path", Err("InvalidInput")),
            ("https://token.example.com/?a=b", Err("InvalidInput")),
            ("https://token.example.com/#f", Err("InvalidInput")),
            ("", Err("ValidationError")),
        ];
        for (url, expected) in cases {
            let got = provider_path(url).map_err(|e| e.code());
            assert_eq!(got.as_deref(), expected.as_ref().copied(), "{url}");
        }
        let long = format!("https://{}", "a".repeat(250));
        assert_eq!(
            provider_path(&long).map_err(|e| e.code()),
            Err("ValidationError")
        );
    }

    #[test]
    fn arns_name_the_path_and_only_this_accounts_arns_are_taken_apart() {
        let arn = provider_arn("123456789012", "token.example.com/t");
        assert_eq!(
            arn,
            "arn:aws:iam::123456789012:oidc-provider/token.example.com/t"
        );
        assert_eq!(path_of_arn("123456789012", &arn), Ok("token.example.com/t"));
        for bad in [
            "arn:aws:iam::999999999999:oidc-provider/token.example.com",
            "arn:aws:iam::123456789012:role/x",
            "arn:aws:iam::123456789012:oidc-provider/",
            "nonsense",
        ] {
            assert_eq!(
                path_of_arn("123456789012", bad).map_err(|e| e.code()),
                Err("InvalidInput"),
                "{bad}"
            );
        }
    }

    #[test]
    fn issuers_name_their_provider_path() {
        assert_eq!(
            issuer_path("https://token.example.com/"),
            Some("token.example.com".into())
        );
        assert_eq!(
            issuer_path("http://127.0.0.1:9/x"),
            Some("127.0.0.1:9/x".into())
        );
        assert_eq!(issuer_path("token.example.com"), None);
        assert_eq!(issuer_path("https://"), None);
    }

    #[test]
    fn client_ids_and_thumbprints_are_checked() {
        assert!(check_client_ids(&["sts.amazonaws.com".into()]).is_ok());
        assert_eq!(
            check_client_ids(&[String::new()]).map_err(|e| e.code()),
            Err("ValidationError")
        );
        let many: Vec<String> = (0..=MAX_CLIENT_IDS).map(|i| format!("c{i}")).collect();
        assert_eq!(
            check_client_ids(&many).map_err(|e| e.code()),
            Err("LimitExceeded")
        );
        let good = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280".to_string();
        assert!(check_thumbprints(std::slice::from_ref(&good)).is_ok());
        assert_eq!(
            check_thumbprints(&["abc".into()]).map_err(|e| e.code()),
            Err("ValidationError")
        );
        assert_eq!(
            check_thumbprints(&["z".repeat(40)]).map_err(|e| e.code()),
            Err("InvalidInput")
        );
        assert_eq!(
            check_thumbprints(&vec![good; 6]).map_err(|e| e.code()),
            Err("InvalidInput")
        );
    }

    #[test]
    fn adding_a_client_id_twice_keeps_one() {
        let mut ids = vec!["a".to_string()];
        add_client_id(&mut ids, "b").expect("added");
        add_client_id(&mut ids, "b").expect("idempotent");
        assert_eq!(ids, ["a", "b"]);
    }
}
