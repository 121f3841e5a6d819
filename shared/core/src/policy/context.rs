//! The request context a policy is evaluated in: who is asking ([`AuthContext`]) and what they
//! ask for ([`Request`]). Plain data the caller fills in from the connection, the registry and
//! the certificate; nothing here does I/O.
//!
//! Which keys a policy can see, and where they come from (AWS IoT Core policy variables, Basic
//! / Thing / X.509 Certificate policy variables):
//!
//! | key | from |
//! |-----|------|
//! | `iot:ClientId` | [`AuthContext::client_id`] |
//! | `aws:SourceIp` | [`AuthContext::source_ip`] |
//! | `iot:DomainName` | [`AuthContext::domain_name`] |
//! | `iot:CertificateId` | [`Principal::Certificate`] |
//! | `cognito-identity.amazonaws.com:sub` | [`Principal::CognitoIdentity`] |
//! | `iot:Connection.Thing.ThingName`, `.ThingTypeName`, `.Attributes[name]` | [`AuthContext::thing`], only when [`ThingContext::is_attached`] |
//! | `iot:Connection.Thing.IsAttached` | `true` when [`AuthContext::thing`] is attached, else `false` |
//! | `iot:Certificate.Subject.*`, `.Issuer.*`, `.Subject.AlternativeName.*`, `.Issuer.AlternativeName.*`, `.SerialNumber` | [`AuthContext::certificate`] |
//! | `aws:CurrentTime`, `aws:EpochTime` | [`AuthContext::now`] |
//! | anything else, e.g. `iot:ConnectAttributes`, `iot:LastWillTopic` | [`Request::keys`] |

use std::collections::BTreeMap;
use std::net::IpAddr;

/// Who authenticated. Decides `iot:CertificateId` and `cognito-identity.amazonaws.com:sub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// An X.509 client certificate registered with the core.
    Certificate {
        /// The certificate id (the SHA-256 of the DER certificate, hex).
        id: String,
    },
    /// An Amazon Cognito identity.
    CognitoIdentity {
        /// The identity id, e.g. `us-east-1:1234...`.
        identity_id: String,
    },
    /// A custom authorizer's answer.
    CustomAuthorizer {
        /// The `principalId` the authorizer returned.
        principal_id: String,
    },
    /// A SigV4-signed request.
    IamAccessKey {
        /// The access key id the request was signed with.
        access_key_id: String,
    },
    /// Nobody in particular (the local open mode).
    Anonymous,
}

/// The registry thing the policy is evaluated for.
///
/// The caller picks it: with exclusive thing association, the thing attached to the principal;
/// otherwise the thing whose name equals the client id (AWS: "the value of clientId ... must
/// exactly match the thing name").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThingContext {
    /// The thing name.
    pub name: String,
    /// The thing type name, if the thing has one.
    pub type_name: Option<String>,
    /// The thing's attributes (at most 50 in AWS).
    pub attributes: BTreeMap<String, String>,
    /// Whether the thing is attached to the principal (`AttachThingPrincipal`). The thing
    /// variables resolve only when it is; `iot:Connection.Thing.IsAttached` reports it.
    pub is_attached: bool,
}

/// The attributes of a distinguished name (subject or issuer), each possibly multi-valued.
///
/// AWS uses only the first five values of an attribute; the rest are ignored here too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DistinguishedName {
    /// `CN`: `...CommonName`.
    pub common_name: Vec<String>,
    /// `C`: `...Country`.
    pub country: Vec<String>,
    /// `O`: `...Organization`.
    pub organization: Vec<String>,
    /// `OU`: `...OrganizationalUnit`.
    pub organizational_unit: Vec<String>,
    /// `ST`: `...State`.
    pub state: Vec<String>,
    /// `serialNumber` (the DN attribute, not the certificate's serial): `...SerialNumber`.
    pub serial_number: Vec<String>,
    /// `title`: `...Title`.
    pub title: Vec<String>,
    /// `SN`: `...Surname`.
    pub surname: Vec<String>,
    /// `GN`: `...GivenName`.
    pub given_name: Vec<String>,
    /// `initials`: `...Initials`.
    pub initials: Vec<String>,
    /// `pseudonym`: `...Pseudonym`.
    pub pseudonym: Vec<String>,
    /// `generationQualifier`: `...GenerationQualifier`.
    pub generation_qualifier: Vec<String>,
    /// `dnQualifier`: `...DistinguishedNameQualifier`.
    pub distinguished_name_qualifier: Vec<String>,
}

type DnField = fn(&DistinguishedName) -> &Vec<String>;

/// The attribute names of a distinguished name as policy keys spell them.
const DN_ATTRIBUTES: [(&str, DnField); 13] = [
    ("CommonName", |d| &d.common_name),
    ("Country", |d| &d.country),
    ("Organization", |d| &d.organization),
    ("OrganizationalUnit", |d| &d.organizational_unit),
    ("State", |d| &d.state),
    ("SerialNumber", |d| &d.serial_number),
    ("Title", |d| &d.title),
    ("Surname", |d| &d.surname),
    ("GivenName", |d| &d.given_name),
    ("Initials", |d| &d.initials),
    ("Pseudonym", |d| &d.pseudonym),
    ("GenerationQualifier", |d| &d.generation_qualifier),
    ("DistinguishedNameQualifier", |d| {
        &d.distinguished_name_qualifier
    }),
];

impl DistinguishedName {
    /// The values of the attribute named as in a policy key (`CommonName`, `Country`, ...;
    /// case-insensitive), or `None` for a name AWS does not define.
    pub fn attribute(&self, name: &str) -> Option<&[String]> {
        dn_attribute_index(name).map(|index| self.attribute_at(index))
    }

    pub(crate) fn attribute_at(&self, index: usize) -> &[String] {
        DN_ATTRIBUTES
            .get(index)
            .map_or(&[], |(_, field)| field(self).as_slice())
    }
}

pub(crate) fn dn_attribute_index(name: &str) -> Option<usize> {
    DN_ATTRIBUTES
        .iter()
        .position(|(known, _)| known.eq_ignore_ascii_case(name))
}

/// Subject or issuer alternative names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlternativeNames {
    /// `...AlternativeName.RFC822Name` (e-mail addresses).
    pub rfc822_name: Vec<String>,
    /// `...AlternativeName.DNSName`.
    pub dns_name: Vec<String>,
    /// `...AlternativeName.DirectoryName`.
    pub directory_name: Vec<String>,
    /// `...AlternativeName.UniformResourceIdentifier`.
    pub uniform_resource_identifier: Vec<String>,
    /// `...AlternativeName.IPAddress`, as text.
    pub ip_address: Vec<String>,
}

type AltField = fn(&AlternativeNames) -> &Vec<String>;

/// The alternative-name kinds as policy keys spell them.
const ALT_KINDS: [(&str, AltField); 5] = [
    ("RFC822Name", |a| &a.rfc822_name),
    ("DNSName", |a| &a.dns_name),
    ("DirectoryName", |a| &a.directory_name),
    ("UniformResourceIdentifier", |a| {
        &a.uniform_resource_identifier
    }),
    ("IPAddress", |a| &a.ip_address),
];

impl AlternativeNames {
    /// The values of the kind named as in a policy key (`DNSName`, ...; case-insensitive), or
    /// `None` for a name AWS does not define.
    pub fn kind(&self, name: &str) -> Option<&[String]> {
        alt_kind_index(name).map(|index| self.kind_at(index))
    }

    pub(crate) fn kind_at(&self, index: usize) -> &[String] {
        ALT_KINDS
            .get(index)
            .map_or(&[], |(_, field)| field(self).as_slice())
    }
}

pub(crate) fn alt_kind_index(name: &str) -> Option<usize> {
    ALT_KINDS
        .iter()
        .position(|(known, _)| known.eq_ignore_ascii_case(name))
}

/// The client certificate's attributes, as the `iot:Certificate.*` keys see them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateContext {
    /// `iot:Certificate.Subject.*`.
    pub subject: DistinguishedName,
    /// `iot:Certificate.Issuer.*`.
    pub issuer: DistinguishedName,
    /// `iot:Certificate.Subject.AlternativeName.*`.
    pub subject_alternative_names: AlternativeNames,
    /// `iot:Certificate.Issuer.AlternativeName.*`.
    pub issuer_alternative_names: AlternativeNames,
    /// `iot:Certificate.SerialNumber`, in the form the caller chooses (AWS does not document
    /// one; thingcore's registry uses lowercase hex).
    pub serial_number: Option<String>,
    /// Start of validity (epoch seconds). Carried for callers; AWS defines no policy key for it.
    pub not_before: Option<i64>,
    /// End of validity (epoch seconds). Carried for callers; AWS defines no policy key for it.
    pub not_after: Option<i64>,
}

/// Everything known about the caller when a policy is evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthContext {
    /// Who authenticated.
    pub principal: Principal,
    /// The MQTT client id (absent for HTTP requests).
    pub client_id: Option<String>,
    /// The registry thing the policy is evaluated for, if any.
    pub thing: Option<ThingContext>,
    /// The client certificate, if the principal is one.
    pub certificate: Option<CertificateContext>,
    /// The client's address.
    pub source_ip: Option<IpAddr>,
    /// The server name the client asked for (TLS SNI), `iot:DomainName`.
    pub domain_name: Option<String>,
    /// The region the core serves, for resource ARNs.
    pub region: String,
    /// The account id the core serves, for resource ARNs.
    pub account_id: String,
    /// The time of the request, epoch seconds (`aws:CurrentTime`, `aws:EpochTime`).
    pub now: i64,
}

impl AuthContext {
    /// A context for `principal` in `region`/`account_id` at `now`, with nothing else known.
    pub fn new(
        principal: Principal,
        region: impl Into<String>,
        account_id: impl Into<String>,
        now: i64,
    ) -> Self {
        Self {
            principal,
            client_id: None,
            thing: None,
            certificate: None,
            source_ip: None,
            domain_name: None,
            region: region.into(),
            account_id: account_id.into(),
            now,
        }
    }

    /// The ARN of a resource of this core's region and account; see
    /// [`super::resource_arn`].
    pub fn resource_arn(&self, kind: super::ResourceKind, name: &str) -> String {
        super::resource_arn(kind, name, &self.region, &self.account_id)
    }
}

/// A condition key that belongs to one request rather than to the connection, e.g.
/// `iot:ConnectAttributes` (`PersistentConnect`, `LastWill`) or `iot:LastWillTopic` on CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestKey<'a> {
    /// The key name (matched case-insensitively).
    pub name: &'a str,
    /// Its values; more than one makes it a multi-valued key, none an empty set.
    pub values: &'a [&'a str],
}

/// What is being asked: an action on a resource, with any request-specific condition keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// The action, e.g. `iot:Publish` (matched case-insensitively).
    pub action: &'a str,
    /// The resource ARN (see [`super::resource_arn`]), or `*` for actions without
    /// resource-level permissions (`iot:ListRetainedMessages`, `iot:ListNamedShadowsForThing`).
    pub resource: &'a str,
    /// Request-specific condition keys.
    pub keys: &'a [RequestKey<'a>],
}

impl<'a> Request<'a> {
    /// A request for `action` on `resource` without request-specific keys.
    pub fn new(action: &'a str, resource: &'a str) -> Self {
        Self {
            action,
            resource,
            keys: &[],
        }
    }

    /// The same request with these request-specific condition keys.
    pub fn with_keys(self, keys: &'a [RequestKey<'a>]) -> Self {
        Self { keys, ..self }
    }
}
