//! Principals attached to things (AttachThingPrincipal): a certificate may be attached to many
//! things (`NON_EXCLUSIVE_THING`, the default) or exclusively to one (`EXCLUSIVE_THING`).
//! Attaching again what is already attached changes nothing.

use super::error::{RegistryError, RegistryResult};
use super::names::constraint_error;
use serde::{Deserialize, Serialize};

/// How a principal is attached to a thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThingPrincipalType {
    /// The thing is the only one the principal is attached to.
    #[serde(rename = "EXCLUSIVE_THING")]
    Exclusive,
    /// The principal may be attached to other things too.
    #[serde(rename = "NON_EXCLUSIVE_THING")]
    NonExclusive,
}

impl ThingPrincipalType {
    /// Parses `thingPrincipalType`.
    ///
    /// # Errors
    /// `InvalidRequestException` for another value.
    pub fn parse(value: &str) -> RegistryResult<Self> {
        match value {
            "EXCLUSIVE_THING" => Ok(Self::Exclusive),
            "NON_EXCLUSIVE_THING" => Ok(Self::NonExclusive),
            other => Err(constraint_error(
                "thingPrincipalType",
                other,
                "Member must satisfy enum value set: [EXCLUSIVE_THING, NON_EXCLUSIVE_THING]",
            )),
        }
    }
}

/// What AttachThingPrincipal does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachPrincipal {
    /// Record the attachment.
    Attach,
    /// Already attached to this thing: nothing to do.
    AlreadyAttached,
}

/// Decides AttachThingPrincipal of `principal` to `thing`, given the things it is attached to
/// now and how.
///
/// # Errors
/// `InvalidRequestException` when an exclusive attachment stands in the way.
pub fn decide_attach(
    principal: &str,
    thing: &str,
    current: &[(String, ThingPrincipalType)],
    requested: ThingPrincipalType,
) -> RegistryResult<AttachPrincipal> {
    if current.iter().any(|(t, _)| t == thing) {
        return Ok(AttachPrincipal::AlreadyAttached);
    }
    if let Some((other, _)) = current
        .iter()
        .find(|(_, kind)| *kind == ThingPrincipalType::Exclusive)
    {
        return Err(RegistryError::invalid(format!(
            "Principal {principal} is exclusively attached to thing {other}"
        )));
    }
    if requested == ThingPrincipalType::Exclusive {
        if let Some((other, _)) = current.first() {
            return Err(RegistryError::invalid(format!(
                "Principal {principal} cannot be attached exclusively: it is attached to thing \
                 {other}"
            )));
        }
    }
    Ok(AttachPrincipal::Attach)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ThingPrincipalType::{Exclusive, NonExclusive};

    #[test]
    fn exclusive_attachments_stand_alone() {
        let none: Vec<(String, ThingPrincipalType)> = Vec::new();
        assert_eq!(
            decide_attach("p", "t1", &none, Exclusive).ok(),
            Some(AttachPrincipal::Attach)
        );
        let shared = vec![("t1".to_string(), NonExclusive)];
        assert_eq!(
            decide_attach("p", "t2", &shared, NonExclusive).ok(),
            Some(AttachPrincipal::Attach)
        );
        assert!(decide_attach("p", "t2", &shared, Exclusive).is_err());
        assert_eq!(
            decide_attach("p", "t1", &shared, Exclusive).ok(),
            Some(AttachPrincipal::AlreadyAttached)
        );
        let exclusive = vec![("t1".to_string(), Exclusive)];
        assert!(decide_attach("p", "t2", &exclusive, NonExclusive).is_err());
        assert!(ThingPrincipalType::parse("SOMETIMES").is_err());
    }
}
