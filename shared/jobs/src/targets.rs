//! A job's targets as the things that get an execution: things named directly (which must
//! exist) and the things of named groups and all their descendants (read through the registry
//! at the moment of the call: a SNAPSHOT job's executions are fixed then).

use crate::error::ServiceError;
use crate::JobsService;
use std::collections::BTreeSet;
use thingcore::jobs::create::parse_targets;
use thingcore::jobs::Target;

/// Things read per page of a group's (recursive) membership.
const MEMBERSHIP_PAGE: usize = 250;

impl JobsService {
    /// The things `targets` (ARNs) name, each once, in name order.
    ///
    /// # Errors
    /// The refusals of [`parse_targets`]; `ResourceNotFoundException` for a thing or group
    /// that does not exist.
    pub async fn resolve_targets(&self, targets: &[String]) -> Result<Vec<String>, ServiceError> {
        let parsed = parse_targets(targets, self.config())?;
        let mut things = BTreeSet::new();
        for target in parsed {
            match target {
                Target::Thing(name) => {
                    self.registry.describe_thing(&name).await?;
                    things.insert(name);
                }
                Target::ThingGroup(group) => {
                    things.extend(self.things_in_group(&group).await?);
                }
            }
        }
        Ok(things.into_iter().collect())
    }

    /// Every thing of `group` and of its descendants.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown group.
    pub async fn things_in_group(&self, group: &str) -> Result<Vec<String>, ServiceError> {
        let mut things = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .registry
                .list_things_in_thing_group(group, true, MEMBERSHIP_PAGE, token.as_deref())
                .await?;
            if let Some(names) = page["things"].as_array() {
                things.extend(names.iter().filter_map(|n| n.as_str().map(str::to_string)));
            }
            match page["nextToken"].as_str() {
                Some(next) => token = Some(next.to_string()),
                None => return Ok(things),
            }
        }
    }
}
