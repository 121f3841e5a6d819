//! [`RegistryConfig`]: where the registry lives (region and account, for ARNs), what
//! DescribeEndpoint answers, and the configurable waits; and the ARNs of registry resources,
//! built and parsed: `arn:{partition}:iot:{region}:{account}:{kind}/{name-or-id}`.

use super::error::{RegistryError, RegistryResult};
use super::names::{CertificateId, PolicyName, ThingGroupName, ThingName, ThingTypeName};

/// The AWS IoT wait between deprecating a thing type and being allowed to delete it.
pub const DEFAULT_THING_TYPE_DELETE_WAIT_SECS: u64 = 300;

/// How a registry is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryConfig {
    /// The region in every ARN (`us-east-1` by default).
    pub region: String,
    /// The account in every ARN and in `ownedBy` (`000000000000` by default).
    pub account_id: String,
    /// The address DescribeEndpoint returns for every endpoint type (`thingcore serve` passes
    /// its own HTTP `host:port`).
    pub endpoint_address: String,
    /// Seconds a thing type must have been deprecated before DeleteThingType accepts it
    /// (AWS: five minutes).
    pub thing_type_delete_wait_secs: u64,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            endpoint_address: "127.0.0.1:8080".into(),
            thing_type_delete_wait_secs: DEFAULT_THING_TYPE_DELETE_WAIT_SECS,
        }
    }
}

/// A registry resource named by an ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceArn {
    /// `thing/{name}`
    Thing(ThingName),
    /// `thingtype/{name}`
    ThingType(ThingTypeName),
    /// `thinggroup/{name}`
    ThingGroup(ThingGroupName),
    /// `cert/{id}`
    Certificate(CertificateId),
    /// `cacert/{id}`
    CaCertificate(CertificateId),
    /// `policy/{name}`
    Policy(PolicyName),
}

impl RegistryConfig {
    /// The ARN partition of the region: `aws`, `aws-cn` or `aws-us-gov`.
    pub fn partition(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }

    fn arn(&self, kind: &str, name: &str) -> String {
        format!(
            "arn:{}:iot:{}:{}:{kind}/{name}",
            self.partition(),
            self.region,
            self.account_id
        )
    }

    /// `arn:aws:iot:{region}:{account}:thing/{name}`
    pub fn thing_arn(&self, name: &str) -> String {
        self.arn("thing", name)
    }

    /// `arn:aws:iot:{region}:{account}:thingtype/{name}`
    pub fn thing_type_arn(&self, name: &str) -> String {
        self.arn("thingtype", name)
    }

    /// `arn:aws:iot:{region}:{account}:thinggroup/{name}`
    pub fn thing_group_arn(&self, name: &str) -> String {
        self.arn("thinggroup", name)
    }

    /// `arn:aws:iot:{region}:{account}:cert/{id}`
    pub fn certificate_arn(&self, id: &str) -> String {
        self.arn("cert", id)
    }

    /// `arn:aws:iot:{region}:{account}:cacert/{id}`
    pub fn ca_certificate_arn(&self, id: &str) -> String {
        self.arn("cacert", id)
    }

    /// `arn:aws:iot:{region}:{account}:policy/{name}`
    pub fn policy_arn(&self, name: &str) -> String {
        self.arn("policy", name)
    }

    /// Parses an ARN of this registry (its partition, region and account) sent in `field`.
    ///
    /// # Errors
    /// `InvalidRequestException` for text that is not an IoT ARN of a registry resource or a
    /// malformed name in it; `ResourceNotFoundException` for an ARN of another region or
    /// account, where nothing of this registry lives.
    pub fn parse_arn(&self, field: &str, arn: &str) -> RegistryResult<ResourceArn> {
        let invalid = || RegistryError::invalid(format!("{field} is not a valid ARN: {arn}"));
        let mut parts = arn.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("iot"), Some(region), Some(account), Some(rest)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(invalid());
        };
        let (kind, name) = rest.split_once('/').ok_or_else(invalid)?;
        let resource = match kind {
            "thing" => ResourceArn::Thing(ThingName::parse_field(name, field)?),
            "thingtype" => ResourceArn::ThingType(ThingTypeName::parse_field(name, field)?),
            "thinggroup" => ResourceArn::ThingGroup(ThingGroupName::parse_field(name, field)?),
            "cert" => ResourceArn::Certificate(CertificateId::parse_field(name, field)?),
            "cacert" => ResourceArn::CaCertificate(CertificateId::parse_field(name, field)?),
            "policy" => ResourceArn::Policy(PolicyName::parse_field(name, field)?),
            _ => return Err(invalid()),
        };
        if partition != self.partition() || region != self.region || account != self.account_id {
            return Err(RegistryError::not_found(format!(
                "{arn} is not in region {} of account {}",
                self.region, self.account_id
            )));
        }
        Ok(resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_round_trip() {
        let config = RegistryConfig::default();
        let arn = config.thing_arn("t1");
        assert_eq!(arn, "arn:aws:iot:us-east-1:000000000000:thing/t1");
        assert_eq!(
            config.parse_arn("thingArn", &arn).ok(),
            ThingName::parse("t1").ok().map(ResourceArn::Thing)
        );
        let id = "a".repeat(64);
        assert!(matches!(
            config.parse_arn("target", &config.certificate_arn(&id)),
            Ok(ResourceArn::Certificate(_))
        ));
        assert!(matches!(
            config.parse_arn("target", &config.thing_group_arn("g")),
            Ok(ResourceArn::ThingGroup(_))
        ));
    }

    #[test]
    fn foreign_and_malformed_arns_are_refused() {
        let config = RegistryConfig::default();
        let other = "arn:aws:iot:eu-west-1:000000000000:thing/t1";
        assert!(matches!(
            config.parse_arn("thingArn", other),
            Err(RegistryError::ResourceNotFound(_))
        ));
        for bad in [
            "t1",
            "arn:aws:s3:::bucket",
            "arn:aws:iot:us-east-1:000000000000:rule/r",
            "arn:aws:iot:us-east-1:000000000000:thing/bad name",
        ] {
            assert!(
                matches!(
                    config.parse_arn("thingArn", bad),
                    Err(RegistryError::InvalidRequest(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn partitions_follow_the_region() {
        let config = RegistryConfig {
            region: "cn-north-1".into(),
            ..RegistryConfig::default()
        };
        assert!(config
            .thing_arn("t")
            .starts_with("arn:aws-cn:iot:cn-north-1:"));
    }
}
