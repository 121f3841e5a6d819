"""Custom authorizers on the control plane with boto3: create, describe, update, list, the
default authorizer, delete rules, and AWS's errors for bad input."""

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:jwt-authorizer"
PUBLIC_KEY = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n"


@pytest.fixture
def iot(serve):
    server = serve("--memory")
    yield boto3.client(
        "iot", endpoint_url=server.http_url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )
    server.stop()


def code_of(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"]


def test_authorizer_lifecycle(iot):
    created = iot.create_authorizer(
        authorizerName="jwt", authorizerFunctionArn=FUNCTION, tokenKeyName="token",
        tokenSigningPublicKeys={"k1": PUBLIC_KEY})
    assert created["authorizerArn"] == "arn:aws:iot:us-east-1:000000000000:authorizer/jwt"
    iot.create_authorizer(authorizerName="open", authorizerFunctionArn=FUNCTION,
                          signingDisabled=True, status="INACTIVE")
    described = iot.describe_authorizer(authorizerName="jwt")["authorizerDescription"]
    assert described["status"] == "ACTIVE"
    assert described["tokenKeyName"] == "token"
    assert described["tokenSigningPublicKeys"] == {"k1": PUBLIC_KEY}
    assert described["signingDisabled"] is False
    assert described["creationDate"] is not None

    names = [a["authorizerName"] for a in iot.list_authorizers()["authorizers"]]
    assert names == ["jwt", "open"]
    assert [a["authorizerName"] for a in iot.list_authorizers(status="INACTIVE")["authorizers"]] == ["open"]
    first = iot.list_authorizers(pageSize=1)
    assert len(first["authorizers"]) == 1
    rest = iot.list_authorizers(pageSize=1, marker=first["nextMarker"])
    assert [a["authorizerName"] for a in rest["authorizers"]] == ["open"]

    iot.update_authorizer(authorizerName="open", status="ACTIVE")
    assert iot.describe_authorizer(authorizerName="open")["authorizerDescription"]["status"] == "ACTIVE"

    assert code_of(iot.describe_default_authorizer) == "ResourceNotFoundException"
    iot.set_default_authorizer(authorizerName="jwt")
    assert iot.describe_default_authorizer()["authorizerDescription"]["authorizerName"] == "jwt"

    # An ACTIVE authorizer, or the default one, cannot be deleted.
    assert code_of(lambda: iot.delete_authorizer(authorizerName="jwt")) == "DeleteConflictException"
    iot.update_authorizer(authorizerName="jwt", status="INACTIVE")
    assert code_of(lambda: iot.delete_authorizer(authorizerName="jwt")) == "DeleteConflictException"
    iot.clear_default_authorizer()
    iot.delete_authorizer(authorizerName="jwt")
    assert code_of(lambda: iot.describe_authorizer(authorizerName="jwt")) == "ResourceNotFoundException"


def test_bad_authorizers_are_refused(iot):
    iot.create_authorizer(authorizerName="a", authorizerFunctionArn=FUNCTION, signingDisabled=True)
    assert code_of(lambda: iot.create_authorizer(
        authorizerName="a", authorizerFunctionArn=FUNCTION, signingDisabled=True)) == "ResourceAlreadyExistsException"
    # Signing is on by default: a token key name and public keys are required.
    assert code_of(lambda: iot.create_authorizer(
        authorizerName="b", authorizerFunctionArn=FUNCTION)) == "InvalidRequestException"
    assert code_of(lambda: iot.create_authorizer(
        authorizerName="c", authorizerFunctionArn=FUNCTION, tokenKeyName="t",
        tokenSigningPublicKeys={"k": "not a key"})) == "InvalidRequestException"
    assert code_of(lambda: iot.update_authorizer(authorizerName="missing", status="ACTIVE")) == "ResourceNotFoundException"
    assert code_of(lambda: iot.set_default_authorizer(authorizerName="missing")) == "ResourceNotFoundException"
    assert code_of(lambda: iot.list_authorizers(status="ON")) == "InvalidRequestException"
