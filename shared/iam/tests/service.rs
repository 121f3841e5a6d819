//! IamService over the in-memory Store: lifecycles, refusals that store nothing, and the
//! identities enforcement will ask for.

use std::sync::Arc;
use thingcore::clock::ManualClock;
use thingcore::store::MemoryStore;
use thingcore_iam::attachments::Principal;
use thingcore_iam::roles::NewRole;
use thingcore_iam::sts::{AssumeRoleRequest, CallerKey};
use thingcore_iam::{IamConfig, IamService, IdentityKind, Paging};

const ACCOUNT: &str = "123456789012";
const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const ALLOW_THING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:DescribeThing","Resource":"*"}]}"#;

fn service() -> (IamService, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(1_796_638_468_000));
    let store = Arc::new(MemoryStore::new(clock.clone()));
    let config = IamConfig {
        account_id: ACCOUNT.into(),
        region: "us-east-1".into(),
    };
    (IamService::new(store, clock.clone(), config), clock)
}

fn code(error: thingcore_iam::ServiceError) -> &'static str {
    error.into_iam_error().code()
}

fn trust_everyone_in_account() -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

#[tokio::test]
async fn a_users_identity_gathers_its_own_and_its_groups_policies() {
    let (iam, _) = service();
    let user = iam.create_user("alice", None, &[]).await.expect("user");
    assert_eq!(user.arn, format!("arn:aws:iam::{ACCOUNT}:user/alice"));
    assert!(user.user_id.starts_with("AIDA"));
    iam.put_inline_policy(Principal::User, "alice", "inline", ALLOW_THING)
        .await
        .expect("inline");
    let managed = iam
        .create_policy("managed", None, ALLOW_ALL, None)
        .await
        .expect("policy");
    iam.create_group("ops", None).await.expect("group");
    iam.add_user_to_group("ops", "alice").await.expect("member");
    iam.attach_policy(Principal::Group, "ops", &managed.arn)
        .await
        .expect("attach");
    let key = iam.create_access_key("alice").await.expect("key");
    assert!(key.access_key_id.starts_with("AKIA") && key.access_key_id.len() == 20);
    assert_eq!(key.secret_access_key.len(), 40);

    let identity = iam
        .identity_for_access_key(&key.access_key_id, None, 0)
        .await
        .expect("identity")
        .expect("known");
    assert_eq!(identity.arn, user.arn);
    assert_eq!(
        identity.policies,
        vec![ALLOW_THING.to_string(), ALLOW_ALL.to_string()]
    );
    assert_eq!(identity.secret_access_key, key.secret_access_key);
    let (parsed, session) = identity.parsed_policies().expect("parses");
    assert_eq!((parsed.len(), session), (2, None));

    iam.update_access_key("alice", &key.access_key_id, "Inactive")
        .await
        .expect("update");
    let refused = iam
        .identity_for_access_key(&key.access_key_id, None, 0)
        .await
        .expect_err("inactive");
    assert_eq!(code(refused), "InvalidClientTokenId");
    assert!(iam
        .identity_for_access_key("AKIAUNKNOWNUNKNOWN00", None, 0)
        .await
        .expect("unknown")
        .is_none());
}

#[tokio::test]
async fn deletes_conflict_while_something_hangs_off_the_entity() {
    let (iam, _) = service();
    iam.create_user("bob", None, &[]).await.expect("user");
    let key = iam.create_access_key("bob").await.expect("key");
    assert_eq!(
        code(iam.delete_user("bob").await.expect_err("keys")),
        "DeleteConflict"
    );
    iam.delete_access_key("bob", &key.access_key_id)
        .await
        .expect("delete key");
    let policy = iam
        .create_policy("p", Some("/team/"), ALLOW_ALL, None)
        .await
        .expect("policy");
    assert_eq!(policy.arn, format!("arn:aws:iam::{ACCOUNT}:policy/team/p"));
    iam.attach_policy(Principal::User, "bob", &policy.arn)
        .await
        .expect("attach");
    assert_eq!(
        code(iam.delete_user("bob").await.expect_err("attached")),
        "DeleteConflict"
    );
    assert_eq!(
        code(iam.delete_policy(&policy.arn).await.expect_err("attached")),
        "DeleteConflict"
    );
    iam.detach_policy(Principal::User, "bob", &policy.arn)
        .await
        .expect("detach");
    iam.delete_user("bob").await.expect("delete user");
    iam.delete_policy(&policy.arn).await.expect("delete policy");
    assert_eq!(
        code(iam.get_user("bob").await.expect_err("gone")),
        "NoSuchEntity"
    );
}

#[tokio::test]
async fn at_most_two_keys_and_five_versions() {
    let (iam, _) = service();
    iam.create_user("carol", None, &[]).await.expect("user");
    iam.create_access_key("carol").await.expect("one");
    iam.create_access_key("carol").await.expect("two");
    assert_eq!(
        code(iam.create_access_key("carol").await.expect_err("three")),
        "LimitExceeded"
    );
    let listed = iam
        .list_access_keys("carol", &Paging::default())
        .await
        .expect("list");
    assert_eq!(listed.items.len(), 2);

    let policy = iam
        .create_policy("v", None, ALLOW_ALL, None)
        .await
        .expect("policy");
    for n in 2..=5 {
        let version = iam
            .create_policy_version(&policy.arn, ALLOW_THING, n == 3)
            .await
            .expect("version");
        assert_eq!(version.version_id, format!("v{n}"));
    }
    assert_eq!(
        code(
            iam.create_policy_version(&policy.arn, ALLOW_ALL, false)
                .await
                .expect_err("sixth")
        ),
        "LimitExceeded"
    );
    assert_eq!(
        code(
            iam.delete_policy_version(&policy.arn, "v3")
                .await
                .expect_err("default")
        ),
        "DeleteConflict"
    );
    iam.delete_policy_version(&policy.arn, "v1")
        .await
        .expect("delete v1");
    let sixth = iam
        .create_policy_version(&policy.arn, ALLOW_ALL, false)
        .await
        .expect("room again");
    assert_eq!(sixth.version_id, "v6");
}

#[tokio::test]
async fn names_are_unique_without_regard_to_case_and_lists_page() {
    let (iam, _) = service();
    for n in 0..5 {
        iam.create_user(&format!("user{n}"), None, &[])
            .await
            .expect("user");
    }
    assert_eq!(
        code(iam.create_user("USER1", None, &[]).await.expect_err("dup")),
        "EntityAlreadyExists"
    );
    let first = iam
        .list_users(
            None,
            &Paging {
                marker: None,
                max_items: Some(2),
            },
        )
        .await
        .expect("page 1");
    assert_eq!(first.items.len(), 2);
    let mut seen: Vec<String> = first.items.iter().map(|u| u.user_name.clone()).collect();
    let mut marker = first.marker;
    while let Some(m) = marker {
        let page = iam
            .list_users(
                None,
                &Paging {
                    marker: Some(m),
                    max_items: Some(2),
                },
            )
            .await
            .expect("page");
        seen.extend(page.items.iter().map(|u| u.user_name.clone()));
        marker = page.marker;
    }
    assert_eq!(seen, ["user0", "user1", "user2", "user3", "user4"]);
}

#[tokio::test]
async fn assume_role_checks_trust_and_its_session_expires() {
    let (iam, clock) = service();
    let role = iam
        .create_role(&NewRole {
            name: "reader",
            assume_role_policy_document: &trust_everyone_in_account(),
            ..NewRole::default()
        })
        .await
        .expect("role");
    iam.put_inline_policy(Principal::Role, "reader", "read", ALLOW_THING)
        .await
        .expect("inline");
    let root = CallerKey::default();
    let assumed = iam
        .assume_role(
            &root,
            &AssumeRoleRequest {
                role_arn: &role.arn,
                role_session_name: "s1",
                duration_seconds: Some(900),
                policy: Some(ALLOW_THING),
                ..AssumeRoleRequest::default()
            },
        )
        .await
        .expect("assumed");
    assert!(assumed.credentials.access_key_id.starts_with("ASIA"));
    assert_eq!(
        assumed.arn,
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/reader/s1")
    );
    let now = thingcore::Clock::now_secs(clock.as_ref());
    let identity = iam
        .identity_for_access_key(
            &assumed.credentials.access_key_id,
            Some(&assumed.credentials.session_token),
            now,
        )
        .await
        .expect("identity")
        .expect("known");
    assert!(matches!(identity.kind, IdentityKind::RoleSession { .. }));
    assert_eq!(identity.policies, vec![ALLOW_THING.to_string()]);
    assert_eq!(identity.session_policy.as_deref(), Some(ALLOW_THING));
    let wrong = iam
        .identity_for_access_key(&assumed.credentials.access_key_id, Some("other"), now)
        .await
        .expect_err("another token");
    assert_eq!(code(wrong), "InvalidClientTokenId");
    let expired = iam
        .identity_for_access_key(
            &assumed.credentials.access_key_id,
            Some(&assumed.credentials.session_token),
            now + 900,
        )
        .await
        .expect_err("expired");
    assert_eq!(code(expired), "ExpiredToken");

    let strict_role = iam
        .create_role(&NewRole {
            name: "only-dave",
            assume_role_policy_document: &format!(
                r#"{{"Statement":{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/dave"}},"Action":"sts:AssumeRole"}}}}"#
            ),
            ..NewRole::default()
        })
        .await
        .expect("role");
    let refused = iam
        .assume_role(
            &root,
            &AssumeRoleRequest {
                role_arn: &strict_role.arn,
                role_session_name: "s2",
                ..AssumeRoleRequest::default()
            },
        )
        .await
        .expect_err("not trusted");
    assert_eq!(code(refused), "AccessDenied");
    let too_long = iam
        .assume_role(
            &root,
            &AssumeRoleRequest {
                role_arn: &role.arn,
                role_session_name: "s3",
                duration_seconds: Some(7200),
                policy: None,
                ..AssumeRoleRequest::default()
            },
        )
        .await
        .expect_err("over the maximum");
    assert_eq!(code(too_long), "ValidationError");
}

#[tokio::test]
async fn malformed_documents_store_nothing() {
    let (iam, _) = service();
    let error = iam
        .create_policy("bad", None, r#"{"Statement":"nope"}"#, None)
        .await
        .expect_err("malformed");
    assert_eq!(code(error), "MalformedPolicyDocument");
    let listed = iam
        .list_policies(&Default::default(), &Paging::default())
        .await
        .expect("list");
    assert!(listed.items.is_empty());
    let error = iam
        .create_role(&NewRole {
            name: "r",
            assume_role_policy_document: r#"{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}"#,
            ..NewRole::default()
        })
        .await
        .expect_err("no principal");
    assert_eq!(code(error), "MalformedPolicyDocument");
    assert_eq!(
        code(iam.get_role("r").await.expect_err("none")),
        "NoSuchEntity"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_delete_racing_new_keys_never_leaves_a_key_without_its_user() {
    for round in 0..20 {
        let (iam, _) = service();
        let name = format!("racer{round}");
        iam.create_user(&name, None, &[]).await.expect("user");
        let (created, deleted) = tokio::join!(iam.create_access_key(&name), iam.delete_user(&name));
        let user_exists = iam.get_user(&name).await.is_ok();
        match (created, deleted) {
            (Ok(key), Err(conflict)) => {
                assert_eq!(code(conflict), "DeleteConflict");
                assert!(user_exists);
                let identity = iam
                    .identity_for_access_key(&key.access_key_id, None, 0)
                    .await
                    .expect("identity");
                assert!(identity.is_some());
            }
            (Err(missing), Ok(())) => {
                assert_eq!(code(missing), "NoSuchEntity");
                assert!(!user_exists);
            }
            other => panic!("both or neither succeeded: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_trust_by_account_needs_the_users_own_allow() {
    let (iam, _) = service();
    let role = iam
        .create_role(&NewRole {
            name: "by-account",
            assume_role_policy_document: &trust_everyone_in_account(),
            ..NewRole::default()
        })
        .await
        .expect("role");
    iam.create_user("erin", None, &[]).await.expect("user");
    let key = iam.create_access_key("erin").await.expect("key");
    let erin = CallerKey {
        access_key_id: Some(key.access_key_id.clone()),
        session_token: None,
        ..CallerKey::default()
    };
    let request = AssumeRoleRequest {
        role_arn: &role.arn,
        role_session_name: "erin",
        ..AssumeRoleRequest::default()
    };
    let refused = iam
        .assume_role(&erin, &request)
        .await
        .expect_err("no own allow");
    assert_eq!(code(refused), "AccessDenied");
    let allow = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{}"}}]}}"#,
        role.arn
    );
    iam.put_inline_policy(Principal::User, "erin", "assume", &allow)
        .await
        .expect("inline");
    iam.assume_role(&erin, &request).await.expect("allowed now");
}
