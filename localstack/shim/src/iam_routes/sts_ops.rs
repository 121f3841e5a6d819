//! The STS operations: GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity,
//! GetSessionToken, GetAccessKeyInfo.

use super::form::Form;
use super::xml::Xml;
use thingcore::iam::documents::DocumentKind;
use thingcore::iam::session::iso8601;
use thingcore::iam::IamError;
use thingcore_iam::sts::{AssumeRoleRequest, AssumedRole, CallerKey, Credentials};
use thingcore_iam::web_identity::WebIdentityRequest;
use thingcore_iam::IamService;

/// The actions served here (how an unsigned request is told to be STS's).
pub(super) const ACTIONS: [&str; 5] = [
    "GetCallerIdentity",
    "AssumeRole",
    "AssumeRoleWithWebIdentity",
    "GetSessionToken",
    "GetAccessKeyInfo",
];

fn credentials(xml: &mut Xml, credentials: &Credentials) {
    xml.element("Credentials", |xml| {
        xml.text("AccessKeyId", &credentials.access_key_id)
            .text("SecretAccessKey", &credentials.secret_access_key)
            .text("SessionToken", &credentials.session_token)
            .text("Expiration", &iso8601(credentials.expiration));
    });
}

fn assumed_role_user(xml: &mut Xml, assumed: &AssumedRole) {
    xml.element("AssumedRoleUser", |xml| {
        xml.text("AssumedRoleId", &assumed.assumed_role_id)
            .text("Arn", &assumed.arn);
    });
}

/// `PackedPolicySize`: the session policy's share of the limit, in percent (thingcore packs
/// nothing: the share of its characters besides whitespace in the 2,048 allowed).
fn packed_policy_size(policy: &str) -> usize {
    let size = policy.chars().filter(|c| !c.is_whitespace()).count();
    (size * 100).div_ceil(DocumentKind::Session.max_chars())
}

/// Runs `action`: the `<…Result>` content, or the refusal.
pub(super) async fn dispatch(
    iam: &IamService,
    caller: &CallerKey,
    action: &str,
    form: &Form,
) -> Result<Option<String>, IamError> {
    let mut xml = Xml::new();
    match action {
        "GetCallerIdentity" => {
            let identity = iam
                .get_caller_identity(caller)
                .await
                .map_err(|e| e.into_iam_error())?;
            xml.text("UserId", &identity.user_id)
                .text("Account", &identity.account)
                .text("Arn", &identity.arn);
        }
        "AssumeRole" => {
            let request = AssumeRoleRequest {
                role_arn: form.required("RoleArn")?,
                role_session_name: form.required("RoleSessionName")?,
                duration_seconds: form.int("DurationSeconds")?,
                policy: form.get("Policy"),
                external_id: form.get("ExternalId"),
            };
            let assumed = iam
                .assume_role(caller, &request)
                .await
                .map_err(|e| e.into_iam_error())?;
            credentials(&mut xml, &assumed.credentials);
            assumed_role_user(&mut xml, &assumed);
            if let Some(policy) = request.policy {
                xml.text("PackedPolicySize", &packed_policy_size(policy).to_string());
            }
        }
        "AssumeRoleWithWebIdentity" => {
            let request = WebIdentityRequest {
                role_arn: form.required("RoleArn")?,
                role_session_name: form.required("RoleSessionName")?,
                web_identity_token: form.required("WebIdentityToken")?,
                duration_seconds: form.int("DurationSeconds")?,
                policy: form.get("Policy"),
            };
            let answer = iam
                .assume_role_with_web_identity(caller, &request)
                .await
                .map_err(|e| e.into_iam_error())?;
            credentials(&mut xml, &answer.assumed.credentials);
            xml.text("SubjectFromWebIdentityToken", &answer.subject);
            assumed_role_user(&mut xml, &answer.assumed);
            if let Some(policy) = request.policy {
                xml.text("PackedPolicySize", &packed_policy_size(policy).to_string());
            }
            xml.text("Provider", &answer.provider)
                .text("Audience", &answer.audience);
        }
        "GetSessionToken" => {
            let issued = iam
                .get_session_token(caller, form.int("DurationSeconds")?)
                .await
                .map_err(|e| e.into_iam_error())?;
            credentials(&mut xml, &issued);
        }
        "GetAccessKeyInfo" => {
            // Every key thingcore knows, and every key open mode accepts, is this account's.
            form.required("AccessKeyId")?;
            xml.text("Account", &iam.config().account_id);
        }
        _ => return Err(IamError::InvalidAction(action.to_string())),
    }
    Ok(Some(xml.finish()))
}
