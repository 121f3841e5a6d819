//! The IAM operations: each decodes its members from the form, calls the service, and writes
//! its `<…Result>` content. Inline and attachment operations, which differ only by the kind
//! of entity (`User`, `Group`, `Role`), share one arm each.

use super::form::Form;
use super::xml::{url_encoded, Xml};
use thingcore::iam::session::iso8601;
use thingcore::iam::IamError;
use thingcore_iam::attachments::Principal;
use thingcore_iam::identity::IdentityKind;
use thingcore_iam::policies::PolicyFilter;
use thingcore_iam::records::{
    StoredGroup, StoredPolicy, StoredRole, StoredUser, StoredVersion, Tag,
};
use thingcore_iam::roles::NewRole;
use thingcore_iam::sts::CallerKey;
use thingcore_iam::{IamService, Listed};

pub(super) fn svc<T>(result: thingcore_iam::Result<T>) -> Result<T, IamError> {
    result.map_err(thingcore_iam::ServiceError::into_iam_error)
}

fn tags(xml: &mut Xml, tags: &[Tag]) {
    xml.list("Tags", tags, |xml, tag| {
        xml.text("Key", &tag.key).text("Value", &tag.value);
    });
}

fn user(xml: &mut Xml, user: &StoredUser) {
    xml.text("Path", &user.path)
        .text("UserName", &user.user_name)
        .text("UserId", &user.user_id)
        .text("Arn", &user.arn)
        .text("CreateDate", &iso8601(user.create_date));
    if !user.tags.is_empty() {
        tags(xml, &user.tags);
    }
}

fn group(xml: &mut Xml, group: &StoredGroup) {
    xml.text("Path", &group.path)
        .text("GroupName", &group.group_name)
        .text("GroupId", &group.group_id)
        .text("Arn", &group.arn)
        .text("CreateDate", &iso8601(group.create_date));
}

fn role(xml: &mut Xml, role: &StoredRole) {
    xml.text("Path", &role.path)
        .text("RoleName", &role.role_name)
        .text("RoleId", &role.role_id)
        .text("Arn", &role.arn)
        .text("CreateDate", &iso8601(role.create_date))
        .text(
            "AssumeRolePolicyDocument",
            &url_encoded(&role.assume_role_policy_document),
        )
        .optional("Description", role.description.as_deref())
        .text("MaxSessionDuration", &role.max_session_duration.to_string());
    if !role.tags.is_empty() {
        tags(xml, &role.tags);
    }
}

fn policy(xml: &mut Xml, policy: &StoredPolicy) {
    xml.text("PolicyName", &policy.policy_name)
        .text("PolicyId", &policy.policy_id)
        .text("Arn", &policy.arn)
        .text("Path", &policy.path)
        .text("DefaultVersionId", &policy.default_version_id)
        .text("AttachmentCount", &policy.attachment_count.to_string())
        .text("PermissionsBoundaryUsageCount", "0")
        .text("IsAttachable", "true")
        .optional("Description", policy.description.as_deref())
        .text("CreateDate", &iso8601(policy.create_date))
        .text("UpdateDate", &iso8601(policy.update_date));
}

/// A policy version; its `Document` only where AWS sends it (GetPolicyVersion).
fn version(xml: &mut Xml, version: &StoredVersion, is_default: bool, document: bool) {
    if document {
        xml.text("Document", &url_encoded(&version.document));
    }
    xml.text("VersionId", &version.version_id)
        .text(
            "IsDefaultVersion",
            if is_default { "true" } else { "false" },
        )
        .text("CreateDate", &iso8601(version.create_date));
}

pub(super) fn page<T>(
    xml: &mut Xml,
    name: &str,
    listed: &Listed<T>,
    each: impl FnMut(&mut Xml, &T),
) {
    xml.list(name, &listed.items, each)
        .truncation(listed.marker.as_deref());
}

/// `User`, `Group` or `Role` in an action's name, with what follows it.
fn principal_of(rest: &str) -> Option<(Principal, &'static str, &str)> {
    [
        ("User", Principal::User, "UserName"),
        ("Group", Principal::Group, "GroupName"),
        ("Role", Principal::Role, "RoleName"),
    ]
    .into_iter()
    .find_map(|(word, who, member)| rest.strip_prefix(word).map(|tail| (who, member, tail)))
}

/// Runs `action`: `Some` result content, `None` for operations without output, or the
/// refusal (`InvalidAction` for an action not served).
pub(super) async fn dispatch(
    iam: &IamService,
    caller: &CallerKey,
    action: &str,
    form: &Form,
) -> Result<Option<String>, IamError> {
    if let Some(done) = entity_policies(iam, action, form).await? {
        return Ok(done);
    }
    let mut xml = Xml::new();
    match action {
        "CreateUser" => {
            let created = svc(iam
                .create_user(form.required("UserName")?, form.get("Path"), &form.tags())
                .await)?;
            xml.element("User", |xml| user(xml, &created));
        }
        "GetUser" => match form.get("UserName") {
            Some(name) => {
                let found = svc(iam.get_user(name).await)?;
                xml.element("User", |xml| user(xml, &found));
            }
            None => {
                let name = match svc(iam.caller(caller).await)?.map(|i| i.kind) {
                    Some(IdentityKind::User { user_name }) => Some(user_name),
                    Some(IdentityKind::RoleSession { .. }) => {
                        return Err(IamError::Validation(
                            "Must specify userName when calling with non-User credentials".into(),
                        ))
                    }
                    _ => None,
                };
                match name {
                    Some(name) => {
                        let found = svc(iam.get_user(&name).await)?;
                        xml.element("User", |xml| user(xml, &found));
                    }
                    None => {
                        let account = &iam.config().account_id;
                        xml.element("User", |xml| {
                            xml.text("Path", "/")
                                .text("UserId", account)
                                .text("Arn", &format!("arn:aws:iam::{account}:root"))
                                .text("CreateDate", &iso8601(0));
                        });
                    }
                }
            }
        },
        "ListUsers" => {
            let listed = svc(iam
                .list_users(form.get("PathPrefix"), &form.paging()?)
                .await)?;
            page(&mut xml, "Users", &listed, user);
        }
        "DeleteUser" => {
            return svc(iam.delete_user(form.required("UserName")?).await).map(|_| None)
        }
        "TagUser" => {
            return svc(iam.tag_user(form.required("UserName")?, &form.tags()).await).map(|_| None)
        }
        "UntagUser" => {
            let keys = form.list("TagKeys");
            return svc(iam.untag_user(form.required("UserName")?, &keys).await).map(|_| None);
        }
        "ListUserTags" => {
            let listed = svc(iam
                .list_user_tags(form.required("UserName")?, &form.paging()?)
                .await)?;
            page(&mut xml, "Tags", &listed, |xml, tag| {
                xml.text("Key", &tag.key).text("Value", &tag.value);
            });
        }
        "CreateGroup" => {
            let created = svc(iam
                .create_group(form.required("GroupName")?, form.get("Path"))
                .await)?;
            xml.element("Group", |xml| group(xml, &created));
        }
        "GetGroup" => {
            let (found, users) = svc(iam
                .get_group(form.required("GroupName")?, &form.paging()?)
                .await)?;
            xml.element("Group", |xml| group(xml, &found));
            page(&mut xml, "Users", &users, user);
        }
        "ListGroups" => {
            let listed = svc(iam
                .list_groups(form.get("PathPrefix"), &form.paging()?)
                .await)?;
            page(&mut xml, "Groups", &listed, group);
        }
        "DeleteGroup" => {
            return svc(iam.delete_group(form.required("GroupName")?).await).map(|_| None)
        }
        "AddUserToGroup" | "RemoveUserFromGroup" => {
            let (g, u) = (form.required("GroupName")?, form.required("UserName")?);
            let done = if action == "AddUserToGroup" {
                iam.add_user_to_group(g, u).await
            } else {
                iam.remove_user_from_group(g, u).await
            };
            return svc(done).map(|_| None);
        }
        "ListGroupsForUser" => {
            let listed = svc(iam
                .list_groups_for_user(form.required("UserName")?, &form.paging()?)
                .await)?;
            page(&mut xml, "Groups", &listed, group);
        }
        "CreateRole" => {
            let tags = form.tags();
            let created = svc(iam
                .create_role(&NewRole {
                    name: form.required("RoleName")?,
                    path: form.get("Path"),
                    assume_role_policy_document: form.required("AssumeRolePolicyDocument")?,
                    description: form.get("Description"),
                    max_session_duration: form.int("MaxSessionDuration")?,
                    tags: &tags,
                })
                .await)?;
            xml.element("Role", |xml| role(xml, &created));
        }
        "GetRole" => {
            let found = svc(iam.get_role(form.required("RoleName")?).await)?;
            xml.element("Role", |xml| role(xml, &found));
        }
        "ListRoles" => {
            let listed = svc(iam
                .list_roles(form.get("PathPrefix"), &form.paging()?)
                .await)?;
            page(&mut xml, "Roles", &listed, role);
        }
        "DeleteRole" => {
            return svc(iam.delete_role(form.required("RoleName")?).await).map(|_| None)
        }
        "UpdateRole" | "UpdateRoleDescription" => {
            let updated = svc(iam
                .update_role(
                    form.required("RoleName")?,
                    form.get("Description"),
                    form.int("MaxSessionDuration")?,
                )
                .await)?;
            if action == "UpdateRole" {
                return Ok(Some(String::new()));
            }
            xml.element("Role", |xml| role(xml, &updated));
        }
        "UpdateAssumeRolePolicy" => {
            let done = iam
                .update_assume_role_policy(
                    form.required("RoleName")?,
                    form.required("PolicyDocument")?,
                )
                .await;
            return svc(done).map(|_| None);
        }
        "TagRole" => {
            return svc(iam.tag_role(form.required("RoleName")?, &form.tags()).await).map(|_| None)
        }
        "UntagRole" => {
            let keys = form.list("TagKeys");
            return svc(iam.untag_role(form.required("RoleName")?, &keys).await).map(|_| None);
        }
        "ListRoleTags" => {
            let listed = svc(iam
                .list_role_tags(form.required("RoleName")?, &form.paging()?)
                .await)?;
            page(&mut xml, "Tags", &listed, |xml, tag| {
                xml.text("Key", &tag.key).text("Value", &tag.value);
            });
        }
        _ => return policy_ops(iam, caller, action, form).await,
    }
    Ok(Some(xml.finish()))
}

/// Managed policies, their versions, and access keys.
async fn policy_ops(
    iam: &IamService,
    caller: &CallerKey,
    action: &str,
    form: &Form,
) -> Result<Option<String>, IamError> {
    let mut xml = Xml::new();
    match action {
        "CreatePolicy" => {
            let created = svc(iam
                .create_policy(
                    form.required("PolicyName")?,
                    form.get("Path"),
                    form.required("PolicyDocument")?,
                    form.get("Description"),
                )
                .await)?;
            xml.element("Policy", |xml| policy(xml, &created));
        }
        "GetPolicy" => {
            let found = svc(iam.get_policy(form.required("PolicyArn")?).await)?;
            xml.element("Policy", |xml| policy(xml, &found));
        }
        "ListPolicies" => {
            let filter = PolicyFilter {
                scope: form.get("Scope"),
                only_attached: form.flag("OnlyAttached"),
                path_prefix: form.get("PathPrefix"),
            };
            let listed = svc(iam.list_policies(&filter, &form.paging()?).await)?;
            page(&mut xml, "Policies", &listed, policy);
        }
        "DeletePolicy" => {
            return svc(iam.delete_policy(form.required("PolicyArn")?).await).map(|_| None)
        }
        "CreatePolicyVersion" => {
            let set_default = form.flag("SetAsDefault");
            let created = svc(iam
                .create_policy_version(
                    form.required("PolicyArn")?,
                    form.required("PolicyDocument")?,
                    set_default,
                )
                .await)?;
            xml.element("PolicyVersion", |xml| {
                version(xml, &created, set_default, false)
            });
        }
        "GetPolicyVersion" => {
            let (found, is_default) = svc(iam
                .get_policy_version(form.required("PolicyArn")?, form.required("VersionId")?)
                .await)?;
            xml.element("PolicyVersion", |xml| {
                version(xml, &found, is_default, true)
            });
        }
        "ListPolicyVersions" => {
            let (listed, default) = svc(iam
                .list_policy_versions(form.required("PolicyArn")?, &form.paging()?)
                .await)?;
            page(&mut xml, "Versions", &listed, |xml, v| {
                version(xml, v, v.version_id == default, false);
            });
        }
        "DeletePolicyVersion" | "SetDefaultPolicyVersion" => {
            let (arn, id) = (form.required("PolicyArn")?, form.required("VersionId")?);
            let done = if action == "DeletePolicyVersion" {
                iam.delete_policy_version(arn, id).await
            } else {
                iam.set_default_policy_version(arn, id).await
            };
            return svc(done).map(|_| None);
        }
        "ListEntitiesForPolicy" => {
            let only = match form.get("EntityFilter") {
                Some("User") => Some(Principal::User),
                Some("Group") => Some(Principal::Group),
                Some("Role") => Some(Principal::Role),
                _ => None,
            };
            let listed = svc(iam
                .list_entities_for_policy(form.required("PolicyArn")?, only, &form.paging()?)
                .await)?;
            for (who, element, member) in [
                (Principal::Group, "PolicyGroups", "GroupName"),
                (Principal::User, "PolicyUsers", "UserName"),
                (Principal::Role, "PolicyRoles", "RoleName"),
            ] {
                let names: Vec<&String> = listed
                    .items
                    .iter()
                    .filter(|(kind, _)| *kind == who)
                    .map(|(_, name)| name)
                    .collect();
                xml.list(element, &names, |xml, name| {
                    xml.text(member, name);
                });
            }
            xml.truncation(listed.marker.as_deref());
        }
        _ => return super::access_key_ops::dispatch(iam, caller, action, form).await,
    }
    Ok(Some(xml.finish()))
}

/// Inline policies and attachments of users, groups and roles; `None` when `action` is
/// not one of them.
async fn entity_policies(
    iam: &IamService,
    action: &str,
    form: &Form,
) -> Result<Option<Option<String>>, IamError> {
    let verbs = [
        "ListAttached",
        "Attach",
        "Detach",
        "Put",
        "Get",
        "Delete",
        "List",
    ];
    let Some((verb, rest)) = verbs
        .iter()
        .find_map(|verb| action.strip_prefix(verb).map(|rest| (*verb, rest)))
    else {
        return Ok(None);
    };
    let Some((who, member, tail)) = principal_of(rest) else {
        return Ok(None);
    };
    let mut xml = Xml::new();
    match (verb, tail) {
        ("Attach" | "Detach", "Policy") => {
            let (name, arn) = (form.required(member)?, form.required("PolicyArn")?);
            let done = if verb == "Attach" {
                iam.attach_policy(who, name, arn).await
            } else {
                iam.detach_policy(who, name, arn).await
            };
            svc(done)?;
            return Ok(Some(None));
        }
        ("ListAttached", "Policies") => {
            let listed = svc(iam
                .list_attached_policies(
                    who,
                    form.required(member)?,
                    form.get("PathPrefix"),
                    &form.paging()?,
                )
                .await)?;
            page(&mut xml, "AttachedPolicies", &listed, |xml, link| {
                xml.text("PolicyName", &link.name)
                    .optional("PolicyArn", link.arn.as_deref());
            });
        }
        ("Put", "Policy") => {
            let done = iam
                .put_inline_policy(
                    who,
                    form.required(member)?,
                    form.required("PolicyName")?,
                    form.required("PolicyDocument")?,
                )
                .await;
            svc(done)?;
            return Ok(Some(None));
        }
        ("Get", "Policy") => {
            let name = form.required(member)?;
            let found = svc(iam
                .get_inline_policy(who, name, form.required("PolicyName")?)
                .await)?;
            xml.text(member, name)
                .text("PolicyName", &found.policy_name)
                .text("PolicyDocument", &url_encoded(&found.policy_document));
        }
        ("Delete", "Policy") => {
            let done = iam
                .delete_inline_policy(who, form.required(member)?, form.required("PolicyName")?)
                .await;
            svc(done)?;
            return Ok(Some(None));
        }
        ("List", "Policies") => {
            let listed = svc(iam
                .list_inline_policies(who, form.required(member)?, &form.paging()?)
                .await)?;
            page(&mut xml, "PolicyNames", &listed, |xml, name| {
                xml.inner_text(name);
            });
        }
        _ => return Ok(None),
    }
    Ok(Some(Some(xml.finish())))
}
