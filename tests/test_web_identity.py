"""STS AssumeRoleWithWebIdentity and trust-policy conditions through boto3, by endpoint URL, on
the embedded store and on DynamoDB (moto): IAM OpenID Connect providers, a local test issuer
(an RSA and an EC key made with `cryptography`, served by a small http.server thread as
`/.well-known/openid-configuration` and a JWKS), tokens it signs exchanged for a role session
whose credentials call `iot` as the role's policy allows, every bad token refused with STS's
code, and AssumeRole's `sts:ExternalId` and `aws:SourceIp` conditions."""

import base64
import http.server
import json
import threading
import time

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from conftest import aws_client, refusal

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ACCOUNT = "000000000000"  # thingcore serve's default account
CLIENT_ID = "my-app"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64(n: int, length=None) -> str:
    return b64url(n.to_bytes(length or (n.bit_length() + 7) // 8, "big"))


class Issuer:
    """A tiny OpenID Connect issuer: keys, a JWKS, a discovery document, signed tokens."""

    def __init__(self):
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.jwks = {"keys": [self.rsa_jwk("rsa-1"), self.ec_jwk("ec-1")]}
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks"}
                elif self.path == "/jwks":
                    body = issuer.jwks
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.path = self.url.removeprefix("http://")
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def rsa_jwk(self, kid):
        numbers = self.rsa.public_key().public_numbers()
        return {"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": int_b64(numbers.n), "e": int_b64(numbers.e)}

    def ec_jwk(self, kid):
        numbers = self.ec.public_key().public_numbers()
        return {"kty": "EC", "kid": kid, "crv": "P-256", "alg": "ES256", "use": "sig",
                "x": int_b64(numbers.x, 32), "y": int_b64(numbers.y, 32)}

    def token(self, alg="RS256", key=None, kid=None, **claims):
        now = int(time.time())
        body = {"iss": self.url, "sub": "device-1", "aud": CLIENT_ID, "iat": now, "exp": now + 600, **claims}
        header = {"alg": alg, "typ": "JWT", "kid": kid or ("rsa-1" if alg == "RS256" else "ec-1")}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(body).encode())}".encode()
        if alg == "RS256":
            signature = (key or self.rsa).sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature((key or self.ec).sign(signing_input, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return f"{signing_input.decode()}.{b64url(signature)}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def issuer():
    started = Issuer()
    yield started
    started.close()


@pytest.fixture
def server(store_server):
    return store_server


def client(server, service, key="test", secret="test", token=None):
    return aws_client(server, service, key, secret, token, validate=False)


code_of = refusal


def web_trust(provider_arn, path, sub="device-*", aud=CLIENT_ID):
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{path}:aud": aud}, "StringLike": {f"{path}:sub": sub}},
        }],
    })


LIST_THINGS = json.dumps({"Version": "2012-10-17",
                          "Statement": [{"Effect": "Allow", "Action": "iot:ListThings", "Resource": "*"}]})


def test_openid_connect_providers(server):
    iam = client(server, "iam")
    url = "https://token.example.com/tenant-1"
    thumbprint = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
    arn = iam.create_open_id_connect_provider(
        Url=url, ClientIDList=["app-1"], ThumbprintList=[thumbprint], Tags=[{"Key": "team", "Value": "ops"}],
    )["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.example.com/tenant-1"
    assert code_of(iam.create_open_id_connect_provider, Url=url + "/", ThumbprintList=[]) == ("EntityAlreadyExists", 409)
    found = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert found["Url"] == "token.example.com/tenant-1"
    assert found["ClientIDList"] == ["app-1"] and found["ThumbprintList"] == [thumbprint]
    assert found["Tags"] == [{"Key": "team", "Value": "ops"}] and "CreateDate" in found

    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app-2")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app-2")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app-1")
    other = "a" * 40
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=[other])
    found = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert found["ClientIDList"] == ["app-2"] and found["ThumbprintList"] == [other]
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == [arn]

    missing = f"arn:aws:iam::{ACCOUNT}:oidc-provider/nobody.example.com"
    assert code_of(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=missing) == ("NoSuchEntity", 404)
    assert code_of(iam.get_open_id_connect_provider, OpenIDConnectProviderArn="arn:aws:iam::1:role/x") == ("InvalidInput", 400)
    assert code_of(iam.create_open_id_connect_provider, Url="token.example.com", ThumbprintList=[]) == ("InvalidInput", 400)
    assert code_of(iam.create_open_id_connect_provider, Url="https://x.example.com", ThumbprintList=["abc"])[0] == "ValidationError"
    assert code_of(iam.update_open_id_connect_provider_thumbprint, OpenIDConnectProviderArn=arn,
                   ThumbprintList=[other] * 6) == ("InvalidInput", 400)
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert code_of(iam.delete_open_id_connect_provider, OpenIDConnectProviderArn=arn) == ("NoSuchEntity", 404)
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


def test_assume_role_with_web_identity(server, issuer):
    """GIVEN a provider for the test issuer and a role trusting it for aud my-app and sub
    device-*, WHEN a device presents a token the issuer signed, THEN it gets a role session
    that may list things (the role's policy) and nothing else; bad tokens are refused."""
    iam = client(server, "iam")
    provider = iam.create_open_id_connect_provider(
        Url=issuer.url, ClientIDList=[CLIENT_ID, "second-app"], ThumbprintList=["0" * 40],
    )["OpenIDConnectProviderArn"]
    assert provider == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer.path}"
    role = iam.create_role(RoleName="web-role", AssumeRolePolicyDocument=web_trust(provider, issuer.path))["Role"]
    iam.put_role_policy(RoleName="web-role", PolicyName="list", PolicyDocument=LIST_THINGS)
    sts = client(server, "sts")

    def assume(token, session="device-session"):
        return sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName=session, WebIdentityToken=token)

    answer = assume(issuer.token())
    assert answer["SubjectFromWebIdentityToken"] == "device-1"
    assert answer["Audience"] == CLIENT_ID and answer["Provider"] == issuer.url
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/web-role/device-session"
    assert answer["AssumedRoleUser"]["AssumedRoleId"].startswith(role["RoleId"] + ":")
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    iot = client(server, "iot", credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    assert "things" in iot.list_things()
    with pytest.raises(ClientError) as refused:
        iot.create_thing(thingName="not-allowed")
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    identity = client(server, "sts", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                      credentials["SessionToken"]).get_caller_identity()
    assert identity["Arn"] == answer["AssumedRoleUser"]["Arn"]

    # An ES256 token from the same issuer verifies too.
    assert assume(issuer.token(alg="ES256"))["SubjectFromWebIdentityToken"] == "device-1"

    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    for token, expected in [
        (issuer.token(aud="other-app"), ("InvalidIdentityToken", 400)),  # not a client id
        (issuer.token(aud="second-app"), ("AccessDenied", 403)),  # a client id the trust refuses
        (issuer.token(sub="admin-1"), ("AccessDenied", 403)),  # sub not matching the condition
        (issuer.token(exp=now - 600), ("ExpiredTokenException", 400)),
        (issuer.token(key=stranger), ("InvalidIdentityToken", 400)),  # bad signature
        (issuer.token(kid="unknown-kid"), ("InvalidIdentityToken", 400)),
        (issuer.token(iss="http://127.0.0.1:1"), ("InvalidIdentityToken", 400)),  # no such provider
        ("not-a-token", ("InvalidIdentityToken", 400)),
    ]:
        assert code_of(assume, token) == expected, token

    # A deleted provider's tokens are no longer taken.
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider)
    assert code_of(assume, issuer.token()) == ("InvalidIdentityToken", 400)


def test_web_identity_in_strict_mode_with_a_jwks_file(serve, issuer, tmp_path):
    """Strict mode takes AssumeRoleWithWebIdentity unsigned, as AWS does; an issuer that cannot
    be reached is trusted through the JWKS file --oidc-jwks names for it."""
    offline = "https://issuer.invalid"
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(issuer.jwks))
    server = serve("--auth", "strict", "--memory", "--oidc-jwks", f"{offline}={jwks}")
    iam = client(server, "iam")
    provider = iam.create_open_id_connect_provider(
        Url=offline, ClientIDList=[CLIENT_ID], ThumbprintList=[],
    )["OpenIDConnectProviderArn"]
    role = iam.create_role(RoleName="offline", AssumeRolePolicyDocument=web_trust(provider, "issuer.invalid"))["Role"]
    sts = client(server, "sts", "unknown-key", "unknown-secret")
    answer = sts.assume_role_with_web_identity(
        RoleArn=role["Arn"], RoleSessionName="s1", WebIdentityToken=issuer.token(iss=offline),
    )
    assert answer["Provider"] == offline
    server.stop()


def test_assume_role_conditions_on_external_id_and_source_ip(server):
    iam = client(server, "iam")

    def role(name, condition):
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                           "Action": "sts:AssumeRole", "Condition": condition}],
        }))["Role"]["Arn"]

    partner = role("partner", {"StringEquals": {"sts:ExternalId": "ext-1"}})
    sts = client(server, "sts")
    assumed = sts.assume_role(RoleArn=partner, RoleSessionName="s1", ExternalId="ext-1")
    assert assumed["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert code_of(sts.assume_role, RoleArn=partner, RoleSessionName="s1", ExternalId="ext-2") == ("AccessDenied", 403)
    assert code_of(sts.assume_role, RoleArn=partner, RoleSessionName="s1") == ("AccessDenied", 403)

    local = role("local-only", {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})
    assert sts.assume_role(RoleArn=local, RoleSessionName="s1")["AssumedRoleUser"]["Arn"].endswith("/local-only/s1")
    remote = role("remote-only", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    assert code_of(sts.assume_role, RoleArn=remote, RoleSessionName="s1") == ("AccessDenied", 403)
    mfa = role("mfa-only", {"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    assert code_of(sts.assume_role, RoleArn=mfa, RoleSessionName="s1") == ("AccessDenied", 403)
    assert code_of(iam.create_role, RoleName="bad-op", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                       "Condition": {"StringSortOf": {"sts:ExternalId": "x"}}}],
    })) == ("MalformedPolicyDocument", 400)
