//! [`RuleIndex`]: which rules a message reaches, found without looking at every rule.
//!
//! Rules are kept by name and, through the broker's [`SubscriptionTrie`] keyed by rule name, by
//! the topic filter of their FROM clause: routing a message costs in proportion to the topic's
//! depth and the rules that match, not to the number of rules. The trie keeps MQTT's matching
//! rules, so a filter that begins with a wildcard does not see `$aws/...` topics, while
//! `$aws/things/+/shadow/#` does.
//!
//! A message on a Basic Ingest topic, `$aws/rules/{ruleName}[/...]`, reaches that rule alone
//! (whatever its FROM clause) and no filter.

use super::name::basic_ingest_rule;
use crate::topic::SubscriptionTrie;
use std::collections::HashMap;

/// Rules of type `R`, by name and by topic filter.
#[derive(Debug)]
pub struct RuleIndex<R> {
    by_name: HashMap<String, (String, R)>,
    by_filter: SubscriptionTrie<String, ()>,
}

impl<R> Default for RuleIndex<R> {
    fn default() -> Self {
        Self {
            by_name: HashMap::new(),
            by_filter: SubscriptionTrie::new(),
        }
    }
}

impl<R> RuleIndex<R> {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether there is no rule.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Adds rule `name` with the topic filter of its FROM clause (a valid filter, or empty for
    /// a rule reached only through Basic Ingest); returns the rule it replaces.
    pub fn insert(&mut self, name: &str, filter: &str, rule: R) -> Option<R> {
        let old = self.remove(name);
        if !filter.is_empty() {
            self.by_filter.insert(filter, name.to_owned(), ());
        }
        self.by_name
            .insert(name.to_owned(), (filter.to_owned(), rule));
        old
    }

    /// Removes rule `name`; returns it.
    pub fn remove(&mut self, name: &str) -> Option<R> {
        let (filter, rule) = self.by_name.remove(name)?;
        if !filter.is_empty() {
            self.by_filter.remove(&filter, &name.to_owned());
        }
        Some(rule)
    }

    /// Rule `name`.
    pub fn get(&self, name: &str) -> Option<&R> {
        self.by_name.get(name).map(|(_, rule)| rule)
    }

    /// The rules a message on `topic` (a valid topic name) reaches, ordered by name: for a
    /// Basic Ingest topic the rule it names, if any; otherwise every rule whose filter
    /// matches.
    pub fn matching(&self, topic: &str) -> Vec<(&str, &R)> {
        if let Some(name) = basic_ingest_rule(topic) {
            return self
                .by_name
                .get_key_value(name)
                .map(|(name, (_, rule))| (name.as_str(), rule))
                .into_iter()
                .collect();
        }
        let mut found = Vec::new();
        self.by_filter.for_each_match(topic, |name, ()| {
            if let Some((name, (_, rule))) = self.by_name.get_key_value(name) {
                found.push((name.as_str(), rule));
            }
        });
        found.sort_unstable_by(|a, b| a.0.cmp(b.0));
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topic::matches;

    fn names<'a>(index: &'a RuleIndex<u32>, topic: &str) -> Vec<&'a str> {
        index.matching(topic).into_iter().map(|(n, _)| n).collect()
    }

    #[test]
    fn filters_match_as_mqtt_has_it() {
        let mut index = RuleIndex::new();
        index.insert("all", "#", 1);
        index.insert("telemetry", "sensors/+/telemetry", 2);
        index.insert("exact", "sensors/kitchen/telemetry", 3);
        index.insert("shadow", "$aws/things/+/shadow/update/accepted", 4);
        index.insert("lifecycle", "$aws/events/presence/+/+", 5);
        index.insert("ingest_only", "", 6);
        assert_eq!(
            names(&index, "sensors/kitchen/telemetry"),
            ["all", "exact", "telemetry"]
        );
        assert_eq!(
            names(&index, "sensors/hall/telemetry"),
            ["all", "telemetry"]
        );
        assert_eq!(
            names(&index, "$aws/things/t1/shadow/update/accepted"),
            ["shadow"]
        );
        assert_eq!(
            names(&index, "$aws/events/presence/connected/c1"),
            ["lifecycle"]
        );
        assert_eq!(names(&index, "other"), ["all"]);
        assert_eq!(index.get("ingest_only"), Some(&6));
    }

    #[test]
    fn basic_ingest_reaches_the_named_rule_only() {
        let mut index = RuleIndex::new();
        index.insert("BuildingManager", "Buildings/#", 1);
        index.insert("everything", "#", 2);
        index.insert("rules_watcher", "$aws/rules/#", 3);
        index.insert("ingest_only", "", 4);
        let topic = "$aws/rules/BuildingManager/Buildings/Building5/Floor2/Room201/Lights";
        assert_eq!(names(&index, topic), ["BuildingManager"]);
        assert_eq!(names(&index, "$aws/rules/ingest_only"), ["ingest_only"]);
        assert!(names(&index, "$aws/rules/missing/x").is_empty());
        assert!(names(&index, "$aws/rules/buildingmanager/x").is_empty());
    }

    #[test]
    fn replacing_and_removing_move_the_filter() {
        let mut index = RuleIndex::new();
        index.insert("r", "a/b", 1);
        assert_eq!(index.insert("r", "c/+", 2), Some(1));
        assert!(names(&index, "a/b").is_empty());
        assert_eq!(names(&index, "c/d"), ["r"]);
        assert_eq!(index.remove("r"), Some(2));
        assert!(names(&index, "c/d").is_empty());
        assert!(index.is_empty());
        assert_eq!(index.remove("r"), None);
    }

    #[test]
    fn ten_thousand_rules_match_as_a_scan_would() {
        let mut index = RuleIndex::new();
        let mut filters = Vec::new();
        for i in 0..10_000u32 {
            let filter = match i % 5 {
                0 => format!("site/{}/device/{}/telemetry", i % 50, i),
                1 => format!("site/{}/device/+/telemetry", i % 50),
                2 => format!("site/{}/#", i % 97),
                3 => format!("+/{}/device/{}/+", i % 50, i % 7),
                _ => format!("$aws/things/thing{}/shadow/#", i % 100),
            };
            index.insert(&format!("rule_{i}"), &filter, i);
            filters.push((format!("rule_{i}"), filter));
        }
        assert_eq!(index.len(), 10_000);
        for topic in [
            "site/3/device/503/telemetry",
            "site/3/device/3/telemetry",
            "site/96/x",
            "site/12/device/5/status",
            "$aws/things/thing42/shadow/update",
            "nowhere/at/all",
        ] {
            let mut expected: Vec<&str> = filters
                .iter()
                .filter(|(_, f)| matches(f, topic))
                .map(|(n, _)| n.as_str())
                .collect();
            expected.sort_unstable();
            let found = names(&index, topic);
            assert_eq!(found, expected, "{topic}");
            assert!(
                found.len() < 1_000,
                "{topic}: a narrow topic matches few rules"
            );
        }
    }
}
