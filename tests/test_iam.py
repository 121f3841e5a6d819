"""IAM and STS on the Query protocol through boto3's `iam` and `sts` clients and the AWS CLI, by
endpoint URL, on the embedded store and on DynamoDB (moto): every resource's lifecycle,
pagination, AWS's error codes (each refusal storing nothing), and AssumeRole."""

import datetime
import json
import os
import subprocess
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError
from conftest import ROOT, aws_client, refusal

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ACCOUNT = "000000000000"  # thingcore serve's default account
ALLOW_DESCRIBE = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iot:DescribeThing", "Resource": "arn:aws:iot:*:*:thing/dev-*"}],
})
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def trust(principal):
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}],
    })


@pytest.fixture
def server(store_server):
    return store_server


def client(server, service, key="test", secret="test", token=None):
    return aws_client(server, service, key, secret, token, validate=False)


code_of = refusal


def test_users_groups_keys_and_tags(server):
    iam = client(server, "iam")
    user = iam.create_user(UserName="alice", Path="/ops/", Tags=[{"Key": "team", "Value": "ops"}])["User"]
    assert user["Arn"].endswith(":user/ops/alice") and user["UserId"].startswith("AIDA")
    assert iam.get_user(UserName="ALICE")["User"]["UserName"] == "alice", "names are case-insensitive"
    assert code_of(iam.create_user, UserName="Alice") == ("EntityAlreadyExists", 409)
    assert code_of(iam.get_user, UserName="nobody") == ("NoSuchEntity", 404)
    assert code_of(iam.create_user, UserName="bad/name") == ("ValidationError", 400)

    iam.tag_user(UserName="alice", Tags=[{"Key": "env", "Value": "dev"}])
    assert {t["Key"] for t in iam.list_user_tags(UserName="alice")["Tags"]} == {"team", "env"}
    iam.untag_user(UserName="alice", TagKeys=["team"])
    assert [t["Key"] for t in iam.list_user_tags(UserName="alice")["Tags"]] == ["env"]

    iam.create_group(GroupName="admins")
    iam.add_user_to_group(GroupName="admins", UserName="alice")
    group = iam.get_group(GroupName="admins")
    assert [u["UserName"] for u in group["Users"]] == ["alice"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="alice")["Groups"]] == ["admins"]
    assert code_of(iam.delete_group, GroupName="admins") == ("DeleteConflict", 409)

    first = iam.create_access_key(UserName="alice")["AccessKey"]
    assert first["AccessKeyId"].startswith("AKIA") and len(first["AccessKeyId"]) == 20
    assert len(first["SecretAccessKey"]) == 40 and first["Status"] == "Active"
    second = iam.create_access_key(UserName="alice")["AccessKey"]
    assert iam.get_access_key_last_used(AccessKeyId=second["AccessKeyId"])["UserName"] == "alice"
    assert code_of(iam.create_access_key, UserName="alice") == ("LimitExceeded", 409)
    assert len(iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]) == 2
    iam.update_access_key(UserName="alice", AccessKeyId=first["AccessKeyId"], Status="Inactive")
    statuses = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]}
    assert statuses == {first["AccessKeyId"]: "Inactive", second["AccessKeyId"]: "Active"}

    # A user signing with its own key: GetUser (which its policy must allow, IAM being
    # enforced) and GetCallerIdentity (which needs no permission) name it.
    iam.put_user_policy(UserName="alice", PolicyName="self", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::*:user/${aws:username}"}]}))
    own = client(server, "iam", second["AccessKeyId"], second["SecretAccessKey"])
    assert own.get_user()["User"]["UserName"] == "alice"
    me = client(server, "sts", second["AccessKeyId"], second["SecretAccessKey"]).get_caller_identity()
    assert me["Arn"] == user["Arn"] and me["UserId"] == user["UserId"] and me["Account"] == ACCOUNT

    assert code_of(iam.delete_user, UserName="alice") == ("DeleteConflict", 409)
    for key in (first, second):
        iam.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
    assert code_of(iam.delete_access_key, UserName="alice", AccessKeyId=first["AccessKeyId"]) == ("NoSuchEntity", 404)
    assert code_of(iam.delete_user, UserName="alice") == ("DeleteConflict", 409), "still in a group"
    iam.remove_user_from_group(GroupName="admins", UserName="alice")
    iam.delete_user_policy(UserName="alice", PolicyName="self")
    iam.delete_user(UserName="alice")
    iam.delete_group(GroupName="admins")
    assert iam.list_users()["Users"] == [] and iam.list_groups()["Groups"] == []


def test_managed_and_inline_policies(server):
    iam = client(server, "iam")
    iam.create_user(UserName="bob")
    iam.create_group(GroupName="devs")
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=trust(ACCOUNT))
    policy = iam.create_policy(PolicyName="describe", Path="/iot/", PolicyDocument=ALLOW_DESCRIBE)["Policy"]
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/iot/describe" and policy["DefaultVersionId"] == "v1"
    assert code_of(iam.create_policy, PolicyName="describe", PolicyDocument=ALLOW_DESCRIBE) == ("EntityAlreadyExists", 409)
    fetched = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert fetched["Document"] == json.loads(ALLOW_DESCRIBE), "boto3 decodes IAM's URL-encoded documents"

    for n in range(2, 6):
        v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=ALLOW_ALL, SetAsDefault=(n == 3))["PolicyVersion"]
        assert v["VersionId"] == f"v{n}"
    assert code_of(iam.create_policy_version, PolicyArn=arn, PolicyDocument=ALLOW_ALL) == ("LimitExceeded", 409)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    assert code_of(iam.delete_policy_version, PolicyArn=arn, VersionId="v3") == ("DeleteConflict", 409)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert all("Document" not in v for v in versions), "as AWS: documents only from GetPolicyVersion"
    assert [v["IsDefaultVersion"] for v in versions] == [True, False, False, False, False]

    for attach, detach, listed, kw in (
        (iam.attach_user_policy, iam.detach_user_policy, iam.list_attached_user_policies, {"UserName": "bob"}),
        (iam.attach_group_policy, iam.detach_group_policy, iam.list_attached_group_policies, {"GroupName": "devs"}),
        (iam.attach_role_policy, iam.detach_role_policy, iam.list_attached_role_policies, {"RoleName": "worker"}),
    ):
        attach(PolicyArn=arn, **kw)
        assert listed(**kw)["AttachedPolicies"] == [{"PolicyName": "describe", "PolicyArn": arn}]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["bob"]
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == ["devs"]
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == ["worker"]
    only_roles = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")
    assert only_roles["PolicyUsers"] == [] and len(only_roles["PolicyRoles"]) == 1
    assert code_of(iam.delete_policy, PolicyArn=arn) == ("DeleteConflict", 409)
    assert code_of(iam.delete_role, RoleName="worker") == ("DeleteConflict", 409)
    assert code_of(iam.attach_user_policy, UserName="bob", PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/none") == ("NoSuchEntity", 404)

    for put, get, delete, names, kw in (
        (iam.put_user_policy, iam.get_user_policy, iam.delete_user_policy, iam.list_user_policies, {"UserName": "bob"}),
        (iam.put_group_policy, iam.get_group_policy, iam.delete_group_policy, iam.list_group_policies, {"GroupName": "devs"}),
        (iam.put_role_policy, iam.get_role_policy, iam.delete_role_policy, iam.list_role_policies, {"RoleName": "worker"}),
    ):
        put(PolicyName="inline", PolicyDocument=ALLOW_DESCRIBE, **kw)
        assert get(PolicyName="inline", **kw)["PolicyDocument"] == json.loads(ALLOW_DESCRIBE)
        assert names(**kw)["PolicyNames"] == ["inline"]
        assert code_of(put, PolicyName="bad", PolicyDocument='{"Statement": 1}', **kw) == ("MalformedPolicyDocument", 400)
        assert names(**kw)["PolicyNames"] == ["inline"], "a refused document stores nothing"
        delete(PolicyName="inline", **kw)
        assert code_of(get, PolicyName="inline", **kw) == ("NoSuchEntity", 404)

    iam.detach_user_policy(UserName="bob", PolicyArn=arn)
    iam.detach_group_policy(GroupName="devs", PolicyArn=arn)
    iam.detach_role_policy(RoleName="worker", PolicyArn=arn)
    assert code_of(iam.detach_role_policy, RoleName="worker", PolicyArn=arn) == ("NoSuchEntity", 404)
    assert code_of(iam.delete_policy, PolicyArn=arn) == ("DeleteConflict", 409), "versions besides the default"
    for n in range(2, 6):
        iam.delete_policy_version(PolicyArn=arn, VersionId=f"v{n}")
    iam.delete_policy(PolicyArn=arn)
    assert code_of(iam.get_policy, PolicyArn=arn) == ("NoSuchEntity", 404)
    assert code_of(iam.create_policy, PolicyName="broken", PolicyDocument="{not json") == ("MalformedPolicyDocument", 400)
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_roles_and_pagination(server):
    iam = client(server, "iam")
    role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust("*"), MaxSessionDuration=7200,
                           Description="reads", Tags=[{"Key": "k", "Value": "v"}])["Role"]
    assert role["RoleId"].startswith("AROA") and role["MaxSessionDuration"] == 7200
    got = iam.get_role(RoleName="reader")["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(trust("*")) and got["Description"] == "reads"
    iam.update_assume_role_policy(RoleName="reader", PolicyDocument=trust(ACCOUNT))
    iam.update_role(RoleName="reader", MaxSessionDuration=3600)
    assert iam.update_role_description(RoleName="reader", Description="reads more")["Role"]["Description"] == "reads more"
    assert iam.get_role(RoleName="reader")["Role"]["MaxSessionDuration"] == 3600
    assert iam.get_role(RoleName="reader")["Role"]["AssumeRolePolicyDocument"] == json.loads(trust(ACCOUNT))
    iam.tag_role(RoleName="reader", Tags=[{"Key": "k2", "Value": "v2"}])
    iam.untag_role(RoleName="reader", TagKeys=["k"])
    assert iam.list_role_tags(RoleName="reader")["Tags"] == [{"Key": "k2", "Value": "v2"}]
    no_principal = json.dumps({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]})
    assert code_of(iam.create_role, RoleName="bad", AssumeRolePolicyDocument=no_principal) == ("MalformedPolicyDocument", 400)
    assert code_of(iam.create_role, RoleName="bad", AssumeRolePolicyDocument=trust("*"), MaxSessionDuration=60) == ("ValidationError", 400)
    assert code_of(iam.get_role, RoleName="bad") == ("NoSuchEntity", 404)

    for n in range(7):
        iam.create_user(UserName=f"user-{n}")
    page = iam.list_users(MaxItems=3)
    assert len(page["Users"]) == 3 and page["IsTruncated"]
    names = [u["UserName"] for u in page["Users"]]
    while page["IsTruncated"]:
        page = iam.list_users(MaxItems=3, Marker=page["Marker"])
        names += [u["UserName"] for u in page["Users"]]
    assert names == [f"user-{n}" for n in range(7)]
    paginated = [u["UserName"] for p in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 2}) for u in p["Users"]]
    assert paginated == names
    assert code_of(iam.list_users, MaxItems=3, Marker="bm90IGEgbWFya2Vy") == ("ValidationError", 400)
    iam.delete_role(RoleName="reader")
    assert iam.list_roles()["Roles"] == []


def test_sts_assume_role_and_session_tokens(server):
    iam, sts = client(server, "iam"), client(server, "sts")
    root = sts.get_caller_identity()
    assert root == {**root, "Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:root", "UserId": ACCOUNT}

    role = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust(ACCOUNT))["Role"]
    assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ci-1", DurationSeconds=900, Policy=ALLOW_DESCRIBE)
    creds = assumed["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40 and len(creds["SessionToken"]) > 100
    lasts = (creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 880 < lasts <= 900
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/ci-1"
    assert assumed["AssumedRoleUser"]["AssumedRoleId"] == f"{role['RoleId']}:ci-1"
    assert 0 < assumed["PackedPolicySize"] <= 100

    session = client(server, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert session.get_caller_identity()["Arn"] == assumed["AssumedRoleUser"]["Arn"]
    # Role chaining: a role session (named by its role's ARN in the trust) gets at most an hour.
    target = iam.create_role(RoleName="chain-target", AssumeRolePolicyDocument=trust(role["Arn"]), MaxSessionDuration=7200)["Role"]
    assert code_of(session.assume_role, RoleArn=target["Arn"], RoleSessionName="chained", DurationSeconds=3601) == ("ValidationError", 400)
    chained = session.assume_role(RoleArn=target["Arn"], RoleSessionName="chained")
    assert chained["AssumedRoleUser"]["Arn"].endswith("/chain-target/chained")
    assert sts.get_access_key_info(AccessKeyId=creds["AccessKeyId"])["Account"] == ACCOUNT
    wrong_token = client(server, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], "forged")
    assert code_of(wrong_token.get_caller_identity) == ("InvalidClientTokenId", 403)

    assert code_of(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="x", DurationSeconds=7200) == ("ValidationError", 400)
    only_dave = iam.create_role(RoleName="dave-only", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT}:user/dave"))["Role"]
    code, status = code_of(sts.assume_role, RoleArn=only_dave["Arn"], RoleSessionName="s1")
    assert (code, status) == ("AccessDenied", 403)
    assert code_of(sts.assume_role, RoleArn=f"arn:aws:iam::{ACCOUNT}:role/none", RoleSessionName="s1") == ("AccessDenied", 403)

    iam.create_user(UserName="dave")
    key = iam.create_access_key(UserName="dave")["AccessKey"]
    dave = client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    as_dave = dave.assume_role(RoleArn=only_dave["Arn"], RoleSessionName="dave-session")
    assert as_dave["AssumedRoleUser"]["Arn"].endswith(":assumed-role/dave-only/dave-session")

    # The deployer role trusts the account: dave also needs his own allow for it.
    assert code_of(dave.assume_role, RoleArn=role["Arn"], RoleSessionName="d1") == ("AccessDenied", 403)
    iam.put_user_policy(UserName="dave", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]}]}))
    assert dave.assume_role(RoleArn=role["Arn"], RoleSessionName="d1")["Credentials"]["AccessKeyId"].startswith("ASIA")

    token = dave.get_session_token(DurationSeconds=900)["Credentials"]
    assert token["AccessKeyId"].startswith("ASIA")
    dave_session = client(server, "sts", token["AccessKeyId"], token["SecretAccessKey"], token["SessionToken"])
    assert dave_session.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/dave"


def test_unknown_actions_and_missing_members(server):
    iam = client(server, "iam")
    assert code_of(iam.get_account_summary) == ("InvalidAction", 400)
    assert code_of(iam.create_user) == ("ValidationError", 400)
    assert code_of(iam.list_users, MaxItems=0) == ("ValidationError", 400)
    assert iam.list_users()["Users"] == []


def test_create_user_with_the_aws_cli(serve):
    server = serve("--memory")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    aws = str(ROOT / ".venv" / "bin" / "aws")
    result = subprocess.run([aws, "--endpoint-url", server.http_url, "iam", "create-user", "--user-name", "cli-user"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/cli-user"
    again = subprocess.run([aws, "--endpoint-url", server.http_url, "iam", "create-user", "--user-name", "cli-user"],
                           capture_output=True, text=True, env=env, timeout=60)
    assert again.returncode != 0 and "EntityAlreadyExists" in again.stderr
    server.stop()


def test_unsigned_requests_are_told_apart_by_action(serve):
    server = serve("--memory")
    for body, root_element in (
        (b"Action=GetCallerIdentity&Version=2011-06-15", b"<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"),
        (b"Action=ListUsers&Version=2010-05-08", b"<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"),
    ):
        request = urllib.request.Request(server.http_url + "/", data=body, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200 and root_element in response.read()
    request = urllib.request.Request(server.http_url + "/", data=b"Action=NoSuchThing&Version=2010-05-08", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    assert b"<Code>InvalidAction</Code>" in refused.value.read()
    server.stop()


def test_strict_mode_verifies_iam_and_sts_signatures(serve, tmp_path):
    """Strict: the configured key's signature is checked with the iam/sts credential scope."""
    server = serve("--auth", "strict", "--data-dir", str(tmp_path / "strict"))
    assert client(server, "iam").create_user(UserName="strict-user")["User"]["UserName"] == "strict-user"
    assert client(server, "sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    with pytest.raises(ClientError) as refused:
        client(server, "iam", "test", "wrong-secret").list_users()
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    request = urllib.request.Request(server.http_url + "/", data=b"Action=ListUsers&Version=2010-05-08", method="POST")
    with pytest.raises(urllib.error.HTTPError) as unsigned:
        urllib.request.urlopen(request, timeout=10)
    assert unsigned.value.code == 403
    assert b"<Code>MissingAuthenticationToken</Code>" in unsigned.value.read()
    assert [u["UserName"] for u in client(server, "iam").list_users()["Users"]] == ["strict-user"]
    server.stop()
