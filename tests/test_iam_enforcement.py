"""IAM enforced on every API `thingcore serve` serves, through boto3 (`iam`, `sts`, `iot`,
`iot-data`) and the AWS CLI by endpoint URL: keys IAM issues are verified and held to their
policies, refusals come in AWS's shape, and the local defaults stay friendly."""

import json
import os
import subprocess

import pytest
from botocore.exceptions import ClientError
from conftest import ROOT, aws_client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ACCOUNT = "000000000000"
REGION = "us-east-1"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*"):
    return {"Effect": "Deny", "Action": action, "Resource": resource}


DESCRIBE_DEV = policy(allow("iot:DescribeThing", "arn:aws:iot:*:*:thing/dev-*"))


@pytest.fixture
def server(store_server):
    return store_server


def client(server, service, key="test", secret="test", token=None):
    return aws_client(server, service, key, secret, token, validate=False)


def as_key(server, service, key):
    return client(server, service, key["AccessKeyId"], key["SecretAccessKey"], key.get("SessionToken"))


def refused(call, *args, **kwargs):
    with pytest.raises(ClientError) as error:
        call(*args, **kwargs)
    response = error.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"].get("Message", "")


def user_with_key(iam, name, *policies):
    iam.create_user(UserName=name)
    for i, document in enumerate(policies):
        iam.put_user_policy(UserName=name, PolicyName=f"p{i}", PolicyDocument=document)
    return iam.create_access_key(UserName=name)["AccessKey"]


def test_a_user_may_do_what_its_policy_allows_and_nothing_else(server):
    admin_iot = client(server, "iot")
    for name in ("dev-1", "other-1"):
        admin_iot.create_thing(thingName=name)
    key = user_with_key(client(server, "iam"), "alice", DESCRIBE_DEV)
    iot = as_key(server, "iot", key)

    assert iot.describe_thing(thingName="dev-1")["thingName"] == "dev-1"
    code, status, message = refused(iot.describe_thing, thingName="other-1")
    assert (code, status) == ("AccessDeniedException", 403)
    assert message == (f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: "
                       f"iot:DescribeThing on resource: arn:aws:iot:{REGION}:{ACCOUNT}:thing/other-1")
    code, status, message = refused(iot.create_thing, thingName="other-2")
    assert (code, status) == ("AccessDeniedException", 403)
    assert "iot:CreateThing on resource: arn:aws:iot:us-east-1:000000000000:thing/other-2" in message
    assert refused(iot.list_things)[:2] == ("AccessDeniedException", 403)
    # Nothing was made by the refused call.
    assert {t["thingName"] for t in admin_iot.list_things()["things"]} == {"dev-1", "other-1"}

    # The same user on IAM: refused with the Query protocol's shape, allowed on itself.
    own_iam = as_key(server, "iam", key)
    code, status, message = refused(own_iam.list_users)
    assert (code, status) == ("AccessDenied", 403)
    assert "iam:ListUsers" in message
    # GetCallerIdentity needs no permission.
    assert as_key(server, "sts", key).get_caller_identity()["Arn"].endswith(":user/alice")


def test_an_explicit_deny_through_a_group_beats_an_allow(server):
    iam = client(server, "iam")
    client(server, "iot").create_thing(thingName="dev-7")
    key = user_with_key(iam, "bob", policy(allow("iot:*")))
    iot = as_key(server, "iot", key)
    assert iot.describe_thing(thingName="dev-7")["thingName"] == "dev-7"

    iam.create_group(GroupName="no-deletes")
    managed = iam.create_policy(PolicyName="deny-delete", PolicyDocument=policy(deny("iot:DeleteThing")))["Policy"]
    iam.attach_group_policy(GroupName="no-deletes", PolicyArn=managed["Arn"])
    iam.add_user_to_group(GroupName="no-deletes", UserName="bob")

    code, status, message = refused(iot.delete_thing, thingName="dev-7")
    assert (code, status) == ("AccessDeniedException", 403)
    assert message.endswith("with an explicit deny in an identity-based policy")
    assert iot.describe_thing(thingName="dev-7")["thingName"] == "dev-7"


def test_a_role_session_is_narrowed_by_its_session_policy(server):
    iam, sts = client(server, "iam"), client(server, "sts")
    client(server, "iot").create_thing(thingName="dev-2")
    trust = policy({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"})
    role = iam.create_role(RoleName="operator", AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(RoleName="operator", PolicyName="iot", PolicyDocument=policy(allow("iot:*")))

    wide = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="wide")["Credentials"]
    assert as_key(server, "iot", wide).create_thing(thingName="made-by-role")["thingName"] == "made-by-role"

    narrow = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="narrow", Policy=DESCRIBE_DEV)["Credentials"]
    iot = as_key(server, "iot", narrow)
    assert iot.describe_thing(thingName="dev-2")["thingName"] == "dev-2"
    code, status, message = refused(iot.create_thing, thingName="dev-3")
    assert (code, status) == ("AccessDeniedException", 403)
    assert message.startswith(f"User: arn:aws:sts::{ACCOUNT}:assumed-role/operator/narrow is not authorized")


def test_session_tokens_for_other_keys_and_inactive_keys_are_refused(server):
    iam, sts = client(server, "iam"), client(server, "sts")
    trust = policy({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"})
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(RoleName="r", PolicyName="iot", PolicyDocument=policy(allow("iot:*")))
    first = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s-a")["Credentials"]
    second = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s-b")["Credentials"]
    foreign = {**first, "SessionToken": second["SessionToken"]}
    assert refused(as_key(server, "iot", foreign).list_things)[:2] == ("UnrecognizedClientException", 403)
    assert refused(as_key(server, "sts", foreign).get_caller_identity)[:2] == ("InvalidClientTokenId", 403)
    no_token = {k: v for k, v in first.items() if k != "SessionToken"}
    assert refused(as_key(server, "iot", no_token).list_things)[:2] == ("UnrecognizedClientException", 403)
    wrong_secret = {**first, "SecretAccessKey": second["SecretAccessKey"]}
    assert refused(as_key(server, "iot", wrong_secret).list_things)[:2] == ("InvalidSignatureException", 403)
    assert as_key(server, "iot", first).list_things()["things"] == []

    key = user_with_key(iam, "carol", policy(allow("iot:*")))
    assert as_key(server, "iot", key).list_things()["things"] == []
    iam.update_access_key(UserName="carol", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert refused(as_key(server, "iot", key).list_things)[:2] == ("UnrecognizedClientException", 403)


def test_data_plane_publish_is_decided_by_the_topic_arn(server):
    key = user_with_key(client(server, "iam"), "sensor",
                        policy(allow("iot:Publish", f"arn:aws:iot:{REGION}:{ACCOUNT}:topic/sensors/${{aws:username}}/*")))
    data = as_key(server, "iot-data", key)
    data.publish(topic="sensors/sensor/temp", qos=0, payload=b"21")
    code, status, message = refused(data.publish, topic="sensors/other/temp", qos=0, payload=b"21")
    assert (code, status) == ("AccessDeniedException", 403)
    assert f"iot:Publish on resource: arn:aws:iot:{REGION}:{ACCOUNT}:topic/sensors/other/temp" in message
    assert refused(data.get_thing_shadow, thingName="dev-1")[:2] == ("AccessDeniedException", 403)


def test_keys_nobody_issued_stay_admins_in_open_mode(server):
    """The local defaults: test/test and keys thingcore has never seen may do everything."""
    assert client(server, "iot").create_thing(thingName="by-test")["thingName"] == "by-test"
    stranger = client(server, "iot", "AKIDSTRANGER", "whatever")
    assert stranger.describe_thing(thingName="by-test")["thingName"] == "by-test"
    assert client(server, "iam", "AKIDSTRANGER", "whatever").list_users()["Users"] == []


def test_strict_mode_verifies_keys_iam_issued(serve, tmp_path):
    server = serve("--auth", "strict", "--data-dir", str(tmp_path / "strict"))
    assert "iam" in server.banner and "enforced" in server.banner["iam"]
    key = user_with_key(client(server, "iam"), "dana", DESCRIBE_DEV)
    client(server, "iot").create_thing(thingName="dev-5")
    iot = as_key(server, "iot", key)
    assert iot.describe_thing(thingName="dev-5")["thingName"] == "dev-5"
    assert refused(iot.create_thing, thingName="dev-6")[:2] == ("AccessDeniedException", 403)
    assert refused(client(server, "iot", "AKIDSTRANGER", "x").list_things)[:2] == ("UnrecognizedClientException", 403)
    server.stop()


def test_least_privilege_with_the_aws_cli(serve):
    """The README's walk-through, as written there."""
    server = serve("--memory")
    aws = str(ROOT / ".venv" / "bin" / "aws")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION}
    env.pop("AWS_SESSION_TOKEN", None)

    def run(*args, environment=env):
        return subprocess.run([aws, "--endpoint-url", server.http_url, *args],
                              capture_output=True, text=True, env=environment, timeout=60)

    assert run("iot", "create-thing", "--thing-name", "dev-1").returncode == 0
    assert run("iam", "create-user", "--user-name", "alice").returncode == 0
    made = run("iam", "create-access-key", "--user-name", "alice")
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)["AccessKey"]
    put = run("iam", "put-user-policy", "--user-name", "alice", "--policy-name", "read-dev",
              "--policy-document", DESCRIBE_DEV)
    assert put.returncode == 0, put.stderr
    as_alice = {**env, "AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    no = run("iot", "create-thing", "--thing-name", "other-1", environment=as_alice)
    assert no.returncode != 0 and "AccessDeniedException" in no.stderr, no.stderr
    assert "is not authorized to perform: iot:CreateThing" in no.stderr
    yes = run("iot", "describe-thing", "--thing-name", "dev-1", environment=as_alice)
    assert yes.returncode == 0, yes.stderr
    assert json.loads(yes.stdout)["thingName"] == "dev-1"
    server.stop()


def test_expired_session_credentials_are_refused(serve, tmp_path):
    """Credentials past their Expiration: 403 ExpiredTokenException (ExpiredToken on STS). The
    clock cannot be moved from outside, so the stored session's expiry is, between restarts."""
    import sqlite3
    import time

    data = tmp_path / "data"
    server = serve("--data-dir", str(data))
    iam, sts = client(server, "iam"), client(server, "sts")
    trust = policy({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"})
    role = iam.create_role(RoleName="short", AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(RoleName="short", PolicyName="iot", PolicyDocument=policy(allow("iot:*")))
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s-1", DurationSeconds=900)["Credentials"]
    assert as_key(server, "iot", creds).list_things()["things"] == []
    server.stop()

    db = sqlite3.connect(data / "thingcore.db")
    (body,) = db.execute("SELECT body FROM items WHERE pk = 'iam-sessions' AND sk = ?", (creds["AccessKeyId"],)).fetchone()
    record = json.loads(body)
    record["expiration"] = int(time.time()) - 60
    db.execute("UPDATE items SET body = ? WHERE pk = 'iam-sessions' AND sk = ?",
               (json.dumps(record).encode(), creds["AccessKeyId"]))
    db.commit()
    db.close()

    server = serve("--data-dir", str(data))
    assert refused(as_key(server, "iot", creds).list_things)[:2] == ("ExpiredTokenException", 403)
    assert refused(as_key(server, "sts", creds).get_caller_identity)[:2] == ("ExpiredToken", 403)
    server.stop()
