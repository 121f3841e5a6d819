//! The DynamoDB tables of thingcore: names, key schema, TTL, and their creation.
//!
//! Every table has the same shape, the Store port's: string partition key `pk`, string sort
//! key `sk`, binary `body`, numeric `ver`, and numeric `exp` (the TTL attribute, epoch seconds)
//! on tables whose items expire. Billing is on demand.

use thingcore::store::Table;

#[cfg(feature = "sdk")]
mod setup;
#[cfg(feature = "sdk")]
pub use setup::{create_tables, verify_tables};

/// Attribute holding the partition key.
pub const PK: &str = "pk";
/// Attribute holding the sort key.
pub const SK: &str = "sk";
/// Attribute holding the item body.
pub const BODY: &str = "body";
/// Attribute holding the item version.
pub const VERSION: &str = "ver";
/// Attribute holding the expiry time (DynamoDB TTL), epoch seconds.
pub const EXPIRES: &str = "exp";

/// The default prefix of table names: tables are `thingcore-registry`, `thingcore-shadows`...
pub const DEFAULT_PREFIX: &str = "thingcore";

/// Maps the port's tables onto DynamoDB table names, `{prefix}-{table}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    prefix: String,
}

impl Default for TableNames {
    fn default() -> Self {
        Self::new(DEFAULT_PREFIX)
    }
}

impl TableNames {
    /// Names with the given prefix.
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    /// The DynamoDB name of `table`.
    pub fn name(&self, table: Table) -> String {
        format!("{}-{}", self.prefix, table.name())
    }
}

/// One table as thingcore needs it: the shape every creator (this module, the LocalStack init,
/// the CDK app) must reproduce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    /// The DynamoDB table name.
    pub name: String,
    /// The TTL attribute, on tables whose items expire.
    pub ttl_attribute: Option<&'static str>,
}

impl TableSpec {
    /// The table as `aws dynamodb create-table --cli-input-json` takes it.
    pub fn create_table_json(&self) -> serde_json::Value {
        serde_json::json!({
            "TableName": self.name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                { "AttributeName": PK, "AttributeType": "S" },
                { "AttributeName": SK, "AttributeType": "S" }
            ],
            "KeySchema": [
                { "AttributeName": PK, "KeyType": "HASH" },
                { "AttributeName": SK, "KeyType": "RANGE" }
            ]
        })
    }

    /// Its TTL setting as `aws dynamodb update-time-to-live --cli-input-json` takes it.
    pub fn time_to_live_json(&self) -> Option<serde_json::Value> {
        self.ttl_attribute.map(|attribute| {
            serde_json::json!({
                "TableName": self.name,
                "TimeToLiveSpecification": { "AttributeName": attribute, "Enabled": true }
            })
        })
    }
}

/// Every table of thingcore under `names`.
pub fn table_specs(names: &TableNames) -> Vec<TableSpec> {
    Table::ALL
        .into_iter()
        .map(|table| TableSpec {
            name: names.name(table),
            ttl_attribute: table.has_ttl().then_some(EXPIRES),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_cover_every_table_with_ttl_where_items_expire() {
        let specs = table_specs(&TableNames::new("x"));
        let names: Vec<_> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["x-registry", "x-shadows", "x-broker"]);
        assert!(specs[0].time_to_live_json().is_none());
        let ttl = specs[2].time_to_live_json().expect("broker expires");
        assert_eq!(ttl["TimeToLiveSpecification"]["AttributeName"], EXPIRES);
        assert_eq!(
            specs[1].create_table_json()["KeySchema"][1]["KeyType"],
            "RANGE"
        );
    }
}
