//! Long-term access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey,
//! GetAccessKeyLastUsed (thingcore does not record use: `N/A`, as AWS says for unused keys).
//! Without `UserName`, each is about the calling user.

use super::form::Form;
use super::iam_ops::{page, svc};
use super::xml::Xml;
use thingcore::iam::session::iso8601;
use thingcore::iam::IamError;
use thingcore_iam::identity::IdentityKind;
use thingcore_iam::records::StoredAccessKey;
use thingcore_iam::sts::CallerKey;
use thingcore_iam::IamService;

fn key_metadata(xml: &mut Xml, key: &StoredAccessKey) {
    xml.text("UserName", &key.user_name)
        .text("AccessKeyId", &key.access_key_id)
        .text("Status", &key.status)
        .text("CreateDate", &iso8601(key.create_date));
}

/// The user a call without `UserName` is about: the caller, when it is a user.
async fn caller_user(
    iam: &IamService,
    caller: &CallerKey,
    form: &Form,
) -> Result<String, IamError> {
    if let Some(name) = form.get("UserName") {
        return Ok(name.to_string());
    }
    match svc(iam.caller(caller).await)?.map(|identity| identity.kind) {
        Some(IdentityKind::User { user_name }) => Ok(user_name),
        _ => Err(IamError::Validation(
            "Must specify userName when calling with non-User credentials".into(),
        )),
    }
}

/// Runs an access key `action`, else an OpenID Connect provider one (`oidc_ops`).
pub(super) async fn dispatch(
    iam: &IamService,
    caller: &CallerKey,
    action: &str,
    form: &Form,
) -> Result<Option<String>, IamError> {
    let mut xml = Xml::new();
    match action {
        "CreateAccessKey" => {
            let name = caller_user(iam, caller, form).await?;
            let key = svc(iam.create_access_key(&name).await)?;
            xml.element("AccessKey", |xml| {
                xml.text("UserName", &key.user_name)
                    .text("AccessKeyId", &key.access_key_id)
                    .text("Status", &key.status)
                    .text("SecretAccessKey", &key.secret_access_key)
                    .text("CreateDate", &iso8601(key.create_date));
            });
        }
        "ListAccessKeys" => {
            let name = caller_user(iam, caller, form).await?;
            let listed = svc(iam.list_access_keys(&name, &form.paging()?).await)?;
            page(&mut xml, "AccessKeyMetadata", &listed, key_metadata);
        }
        "UpdateAccessKey" => {
            let name = caller_user(iam, caller, form).await?;
            let done = iam
                .update_access_key(
                    &name,
                    form.required("AccessKeyId")?,
                    form.required("Status")?,
                )
                .await;
            return svc(done).map(|_| None);
        }
        "GetAccessKeyLastUsed" => {
            let key = form.required("AccessKeyId")?;
            let owner = svc(iam.access_key_owner(key).await)?;
            xml.text("UserName", &owner)
                .element("AccessKeyLastUsed", |xml| {
                    xml.text("ServiceName", "N/A").text("Region", "N/A");
                });
        }
        "DeleteAccessKey" => {
            let name = caller_user(iam, caller, form).await?;
            let done = iam
                .delete_access_key(&name, form.required("AccessKeyId")?)
                .await;
            return svc(done).map(|_| None);
        }
        _ => return super::oidc_ops::dispatch(iam, action, form).await,
    }
    Ok(Some(xml.finish()))
}
