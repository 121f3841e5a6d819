"""The control-plane registry through boto3's `iot` client and the AWS CLI, by endpoint URL, on
the embedded store and on DynamoDB (moto). Certificates are checked with `cryptography`
(issuer is the local CA, the key matches)."""

import json
import os
import subprocess
import urllib.request

import pytest
from conftest import ROOT, aws_client
from cryptography import x509
from cryptography.hazmat.primitives import serialization

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iot:Connect", "Resource": "arn:aws:iot:*:*:client/${iot:ClientId}"}],
})


@pytest.fixture
def server(store_server):
    return store_server


def iot(server):
    return aws_client(server, "iot")


def test_things_types_and_groups(server):
    c = iot(server)
    c.create_thing_type(thingTypeName="sensor", thingTypeProperties={"thingTypeDescription": "sensors"})
    made = c.create_thing(thingName="s1", thingTypeName="sensor", attributePayload={"attributes": {"room": "1"}})
    assert made["thingArn"].endswith(":thing/s1")
    assert c.create_thing(thingName="s1", thingTypeName="sensor", attributePayload={"attributes": {"room": "1"}})["thingId"] == made["thingId"]
    with pytest.raises(c.exceptions.ResourceAlreadyExistsException):
        c.create_thing(thingName="s1", attributePayload={"attributes": {"room": "2"}})
    c.create_thing(thingName="s2", attributePayload={"attributes": {"room": "2"}})
    described = c.describe_thing(thingName="s1")
    assert (described["thingTypeName"], described["attributes"], described["version"]) == ("sensor", {"room": "1"}, 1)
    c.update_thing(thingName="s1", attributePayload={"attributes": {"floor": "3"}, "merge": True}, expectedVersion=1)
    assert c.describe_thing(thingName="s1")["attributes"] == {"room": "1", "floor": "3"}
    with pytest.raises(c.exceptions.VersionConflictException):
        c.update_thing(thingName="s1", attributePayload={"attributes": {"x": "y"}}, expectedVersion=1)
    assert [t["thingName"] for t in c.list_things(thingTypeName="sensor")["things"]] == ["s1"]
    assert [t["thingName"] for t in c.list_things(attributeName="room", attributeValue="2")["things"]] == ["s2"]
    first = c.list_things(maxResults=1)
    assert len(first["things"]) == 1 and "nextToken" in first
    assert c.list_things(maxResults=1, nextToken=first["nextToken"])["things"][0]["thingName"] == "s2"
    with pytest.raises(c.exceptions.InvalidRequestException):
        c.list_things(nextToken="not-a-token")
    with pytest.raises(c.exceptions.InvalidRequestException):
        c.create_thing(thingName="bad name!")

    c.create_thing_group(thingGroupName="building")
    c.create_thing_group(thingGroupName="floor-3", parentGroupName="building")
    c.add_thing_to_thing_group(thingGroupName="floor-3", thingName="s1")
    group = c.describe_thing_group(thingGroupName="floor-3")
    assert [g["groupName"] for g in group["thingGroupMetadata"]["rootToParentThingGroups"]] == ["building"]
    assert c.list_things_in_thing_group(thingGroupName="building", recursive=True)["things"] == ["s1"]
    assert [g["groupName"] for g in c.list_thing_groups_for_thing(thingName="s1")["thingGroups"]] == ["floor-3"]
    with pytest.raises(c.exceptions.InvalidRequestException):
        c.delete_thing_group(thingGroupName="building")  # it has a child
    c.deprecate_thing_type(thingTypeName="sensor")
    assert c.describe_thing_type(thingTypeName="sensor")["thingTypeMetadata"]["deprecated"] is True
    with pytest.raises(c.exceptions.InvalidRequestException):
        c.delete_thing_type(thingTypeName="sensor")  # deprecated less than 5 minutes ago
    c.delete_thing(thingName="s2", expectedVersion=1)
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.describe_thing(thingName="s2")


def test_certificates_policies_and_principals(server):
    c = iot(server)
    ca_pem = urllib.request.urlopen(server.http_url + "/ca.pem", timeout=10).read()
    ca = x509.load_pem_x509_certificate(ca_pem)
    made = c.create_keys_and_certificate(setAsActive=True)
    cert = x509.load_pem_x509_certificate(made["certificatePem"].encode())
    key = serialization.load_pem_private_key(made["keyPair"]["PrivateKey"].encode(), password=None)
    assert cert.issuer == ca.subject, "issued by the local CA"
    assert cert.public_key().public_numbers() == key.public_key().public_numbers(), "the key matches"
    import hashlib
    assert made["certificateId"] == hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    arn = made["certificateArn"]
    assert c.describe_certificate(certificateId=made["certificateId"])["certificateDescription"]["status"] == "ACTIVE"

    c.create_policy(policyName="p1", policyDocument=POLICY)
    with pytest.raises(c.exceptions.MalformedPolicyException):
        c.create_policy(policyName="bad", policyDocument='{"Statement": [{"Effect": "Maybe"}]}')
    c.attach_policy(policyName="p1", target=arn)
    assert [p["policyName"] for p in c.list_attached_policies(target=arn)["policies"]] == ["p1"]
    assert c.list_targets_for_policy(policyName="p1")["targets"] == [arn]
    with pytest.raises(c.exceptions.DeleteConflictException):
        c.delete_policy(policyName="p1")
    v2 = c.create_policy_version(policyName="p1", policyDocument=POLICY, setAsDefault=True)
    assert v2["policyVersionId"] == "2" and v2["isDefaultVersion"]
    assert len(c.list_policy_versions(policyName="p1")["policyVersions"]) == 2

    c.create_thing(thingName="dev")
    c.attach_thing_principal(thingName="dev", principal=arn)
    assert c.list_thing_principals(thingName="dev")["principals"] == [arn]
    assert c.list_principal_things(principal=arn)["things"] == ["dev"]
    with pytest.raises(c.exceptions.CertificateStateException):
        c.delete_certificate(certificateId=made["certificateId"])  # still ACTIVE
    c.update_certificate(certificateId=made["certificateId"], newStatus="INACTIVE")
    with pytest.raises(c.exceptions.DeleteConflictException):
        c.delete_certificate(certificateId=made["certificateId"])  # still attached
    c.detach_thing_principal(thingName="dev", principal=arn)
    c.detach_policy(policyName="p1", target=arn)
    c.delete_certificate(certificateId=made["certificateId"])
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.describe_certificate(certificateId=made["certificateId"])
    with pytest.raises(c.exceptions.InvalidRequestException):
        c.create_certificate_from_csr(certificateSigningRequest="not a csr")
    endpoint = c.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    assert endpoint == server.http_url.removeprefix("http://")


def test_provisioning_script_with_the_aws_cli(serve, tmp_path):
    server = serve("--memory")
    env = {**os.environ, "AWS": str(ROOT / ".venv" / "bin" / "aws"), "AWS_ACCESS_KEY_ID": "test",
           "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [str(ROOT / "scripts" / "provision-device"), "sensor-7", str(tmp_path / "dev"), server.http_url],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    cert_arn = [line for line in result.stdout.splitlines() if ":cert/" in line][0]
    assert result.stdout.strip().splitlines()[-1].endswith(cert_arn), "list-thing-principals shows the certificate"
    for name in ("cert.pem", "private.key", "public.key"):
        assert (tmp_path / "dev" / name).stat().st_size > 0
    server.stop()
