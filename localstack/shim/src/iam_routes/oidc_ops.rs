//! The OpenID Connect provider operations: Create/Get/List/DeleteOpenIDConnectProvider,
//! Add/RemoveClientIDTo/FromOpenIDConnectProvider, UpdateOpenIDConnectProviderThumbprint.

use super::form::Form;
use super::iam_ops::svc;
use super::xml::Xml;
use thingcore::iam::session::iso8601;
use thingcore::iam::IamError;
use thingcore_iam::oidc_providers::NewOidcProvider;
use thingcore_iam::IamService;

const ARN: &str = "OpenIDConnectProviderArn";

/// Runs an OpenID Connect provider `action`, or refuses an action not served
/// (`InvalidAction`).
pub(super) async fn dispatch(
    iam: &IamService,
    action: &str,
    form: &Form,
) -> Result<Option<String>, IamError> {
    let mut xml = Xml::new();
    match action {
        "CreateOpenIDConnectProvider" => {
            let (client_ids, thumbprints, tags) = (
                form.list("ClientIDList"),
                form.list("ThumbprintList"),
                form.tags(),
            );
            let created = svc(iam
                .create_oidc_provider(&NewOidcProvider {
                    url: form.required("Url")?,
                    client_ids: &client_ids,
                    thumbprints: &thumbprints,
                    tags: &tags,
                })
                .await)?;
            xml.text(ARN, &created.arn);
            if !created.tags.is_empty() {
                xml.list("Tags", &created.tags, |xml, tag| {
                    xml.text("Key", &tag.key).text("Value", &tag.value);
                });
            }
        }
        "GetOpenIDConnectProvider" => {
            let found = svc(iam.get_oidc_provider(form.required(ARN)?).await)?;
            xml.text("Url", &found.path)
                .list("ClientIDList", &found.client_ids, |xml, id| {
                    xml.inner_text(id);
                })
                .list("ThumbprintList", &found.thumbprints, |xml, t| {
                    xml.inner_text(t);
                })
                .text("CreateDate", &iso8601(found.create_date));
            if !found.tags.is_empty() {
                xml.list("Tags", &found.tags, |xml, tag| {
                    xml.text("Key", &tag.key).text("Value", &tag.value);
                });
            }
        }
        "ListOpenIDConnectProviders" => {
            let providers = svc(iam.list_oidc_providers().await)?;
            xml.list("OpenIDConnectProviderList", &providers, |xml, p| {
                xml.text("Arn", &p.arn);
            });
        }
        "DeleteOpenIDConnectProvider" => {
            svc(iam.delete_oidc_provider(form.required(ARN)?).await)?;
            return Ok(None);
        }
        "AddClientIDToOpenIDConnectProvider" => {
            svc(iam
                .add_oidc_client_id(form.required(ARN)?, form.required("ClientID")?)
                .await)?;
            return Ok(None);
        }
        "RemoveClientIDFromOpenIDConnectProvider" => {
            svc(iam
                .remove_oidc_client_id(form.required(ARN)?, form.required("ClientID")?)
                .await)?;
            return Ok(None);
        }
        "UpdateOpenIDConnectProviderThumbprint" => {
            let thumbprints = form.list("ThumbprintList");
            svc(iam
                .update_oidc_thumbprints(form.required(ARN)?, &thumbprints)
                .await)?;
            return Ok(None);
        }
        _ => return Err(IamError::InvalidAction(action.to_string())),
    }
    Ok(Some(xml.finish()))
}
