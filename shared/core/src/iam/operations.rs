//! The per-operation authorization table: for every operation of the `iot`, `iot-data`,
//! `iot-jobs-data`, `iam` and `sts` models, the IAM action it is authorized as and the
//! resource ARNs it is checked on, as AWS's Service Authorization Reference lists them.
//!
//! The table is data (`authorization.json`, written by `scripts/authorization-table.py` from
//! botocore's models), not code per route. A REST row keeps the model's method and
//! `requestUri`, which is how [`OperationTable::find_rest`] matches a request to it; a Query
//! row (IAM, STS) is found by its `Action`. Resource templates name `{partition}`,
//! `{region}`, `{account}` and the operation's members, filled by
//! [`Operation::resources`].

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// How a row's operation is authorized.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    /// The caller's policies must allow the action on every resource (the usual case).
    #[default]
    Policies,
    /// No permission is needed (STS `GetCallerIdentity`, `GetSessionToken`).
    None,
    /// The operation checks it itself (STS `AssumeRole`: the trust policy, and the caller's
    /// policies where the trust names only the account).
    Service,
}

/// One operation's row.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Operation {
    /// The operation's name in its model, e.g. `CreateThing`.
    pub operation: String,
    /// `METHOD requestUri` of a REST operation, e.g. `POST /things/{thingName}`.
    #[serde(default)]
    pub http: Option<String>,
    /// The IAM action, e.g. `iot:CreateThing`.
    pub action: String,
    /// The resource ARN templates; every one must be allowed.
    pub resources: Vec<String>,
    /// How it is authorized.
    #[serde(default)]
    pub check: Check,
}

/// The whole table, by service (`iot`, `iot-data`, `iot-jobs-data`, `iam`, `sts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationTable {
    services: BTreeMap<String, Vec<Operation>>,
}

/// The services the table covers, by the key it files them under.
pub const SERVICES: [&str; 5] = ["iot", "iot-data", "iot-jobs-data", "iam", "sts"];

/// The table thingcore enforces (parsed once from `authorization.json`, which is compiled in
/// and parsed by a unit test).
pub fn table() -> &'static OperationTable {
    static TABLE: OnceLock<OperationTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        OperationTable::parse(include_str!("authorization.json")).unwrap_or_else(|_| {
            OperationTable {
                services: BTreeMap::new(),
            }
        })
    })
}

/// The table's key for a SigV4 signing name (`iotdata` is the `iot-data` model's).
pub fn service_for_signing_name(signing_name: &str) -> Option<&'static str> {
    match signing_name {
        "iot" => Some("iot"),
        "iotdata" | "iot-data" | "iotdevicegateway" => Some("iot-data"),
        "iot-jobs-data" => Some("iot-jobs-data"),
        "iam" => Some("iam"),
        "sts" => Some("sts"),
        _ => None,
    }
}

/// A request matched to its row, with the URI labels it carried (percent-decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched<'a> {
    /// The row.
    pub operation: &'a Operation,
    /// `(label, value)` of each URI label.
    pub labels: Vec<(String, String)>,
}

impl OperationTable {
    /// Parses a table.
    ///
    /// # Errors
    /// The JSON error, for a table that does not have the shape above.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        Ok(Self {
            services: serde_json::from_str(text)?,
        })
    }

    /// The rows of `service`.
    pub fn operations(&self, service: &str) -> &[Operation] {
        self.services.get(service).map_or(&[], Vec::as_slice)
    }

    /// The Query row (IAM, STS) named `action`.
    pub fn find_query(&self, service: &str, action: &str) -> Option<&Operation> {
        self.operations(service)
            .iter()
            .find(|op| op.operation == action)
    }

    /// The REST row of `service` whose method and `requestUri` path match; the one with the
    /// most literal segments when several do (`/thing-groups/addThingToThingGroup` over
    /// `/thing-groups/{thingGroupName}`).
    pub fn find_rest(&self, service: &str, method: &str, path: &str) -> Option<Matched<'_>> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut best: Option<(usize, Matched<'_>)> = None;
        for operation in self.operations(service) {
            let Some((op_method, uri)) = operation.http.as_deref().and_then(|h| h.split_once(' '))
            else {
                continue;
            };
            if !op_method.eq_ignore_ascii_case(method) {
                continue;
            }
            let template = uri.split('?').next().unwrap_or(uri);
            if let Some((literals, labels)) = match_path(template, &segments) {
                if best.as_ref().is_none_or(|(score, _)| literals > *score) {
                    best = Some((literals, Matched { operation, labels }));
                }
            }
        }
        best.map(|(_, matched)| matched)
    }
}

/// Matches path segments against a `requestUri` path: `{label}` takes one non-empty segment,
/// `{label+}` the rest. The count of literal segments and the labels, or `None`.
fn match_path(template: &str, segments: &[&str]) -> Option<(usize, Vec<(String, String)>)> {
    let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    let mut labels = Vec::new();
    let mut literals = 0;
    for (index, part) in parts.iter().enumerate() {
        if let Some(label) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if let Some(greedy) = label.strip_suffix('+') {
                let rest = segments.get(index..)?.join("/");
                if rest.is_empty() {
                    return None;
                }
                labels.push((greedy.to_string(), decode(&rest)));
                return Some((literals, labels));
            }
            let segment = segments.get(index).filter(|s| !s.is_empty())?;
            labels.push((label.to_string(), decode(segment)));
        } else {
            if segments.get(index) != Some(part) {
                return None;
            }
            literals += 1;
        }
    }
    (segments.len() == parts.len()).then_some((literals, labels))
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

impl Operation {
    /// The resource ARNs of one request: each template with `{partition}`, `{region}`,
    /// `{account}` and members filled by `member` (URI labels, query, body or form members,
    /// as the caller looks them up). A member the request lacks leaves its place empty, so
    /// the ARN names nothing a policy could mean.
    pub fn resources(
        &self,
        region: &str,
        account: &str,
        member: impl Fn(&str) -> Option<String>,
    ) -> Vec<String> {
        self.resources
            .iter()
            .map(|template| fill(template, region, account, &member))
            .collect()
    }
}

fn fill(
    template: &str,
    region: &str,
    account: &str,
    member: &impl Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &rest[start + 1..start + end];
        match name {
            "partition" => out.push_str(crate::policy::partition(region)),
            "region" => out.push_str(region),
            "account" => out.push_str(account),
            _ => out.push_str(&member(name).unwrap_or_default()),
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_covers_every_service() {
        let parsed = OperationTable::parse(include_str!("authorization.json")).expect("parses");
        for service in SERVICES {
            assert!(!parsed.operations(service).is_empty(), "{service}");
            for op in parsed.operations(service) {
                assert!(op.action.contains(':'), "{service} {}", op.operation);
                assert!(!op.resources.is_empty(), "{service} {}", op.operation);
                let rest = matches!(service, "iot" | "iot-data" | "iot-jobs-data");
                assert_eq!(op.http.is_some(), rest, "{service} {}", op.operation);
            }
        }
        assert_eq!(&parsed, table());
    }

    #[test]
    fn rest_requests_find_their_rows_and_labels() {
        let t = table();
        let found = t.find_rest("iot", "POST", "/things/dev-1").expect("row");
        assert_eq!(found.operation.action, "iot:CreateThing");
        assert_eq!(found.labels, [("thingName".into(), "dev-1".into())]);
        let arns = found.operation.resources("us-east-1", "123456789012", |m| {
            (m == "thingName").then(|| "dev-1".to_string())
        });
        assert_eq!(arns, ["arn:aws:iot:us-east-1:123456789012:thing/dev-1"]);

        let add = t
            .find_rest("iot", "PUT", "/thing-groups/addThingToThingGroup")
            .expect("row");
        assert_eq!(add.operation.action, "iot:AddThingToThingGroup");
        assert_eq!(add.operation.resources.len(), 2);

        let publish = t
            .find_rest("iot-data", "POST", "/topics/a/b%2Fc")
            .expect("row");
        assert_eq!(publish.operation.action, "iot:Publish");
        assert_eq!(publish.labels, [("topic".into(), "a/b/c".into())]);

        let jobs = t
            .find_rest("iot-jobs-data", "GET", "/things/t1/jobs")
            .expect("row");
        assert_eq!(jobs.operation.action, "iotjobsdata:GetPendingJobExecutions");
        assert!(t.find_rest("iot", "GET", "/no/such/path/at/all").is_none());
        assert!(t.find_rest("iot", "PUT", "/things/x").is_none());
    }

    #[test]
    fn query_rows_fill_iam_arns_and_say_how_sts_is_checked() {
        let t = table();
        let get_user = t.find_query("iam", "GetUser").expect("row");
        let arns = get_user.resources("cn-north-1", "1", |m| {
            (m == "UserName").then(|| "alice".into())
        });
        assert_eq!(arns, ["arn:aws-cn:iam::1:user/alice"]);
        let attach = t.find_query("iam", "AddUserToGroup").expect("row");
        assert!(attach.resources[0].contains(":group/{GroupName}"));
        assert_eq!(
            t.find_query("sts", "GetCallerIdentity").map(|o| o.check),
            Some(Check::None)
        );
        assert_eq!(
            t.find_query("sts", "AssumeRole").map(|o| o.check),
            Some(Check::Service)
        );
        assert!(t.find_query("iam", "NoSuchThing").is_none());
    }

    #[test]
    fn missing_members_leave_their_place_empty() {
        let op = Operation {
            operation: "X".into(),
            http: None,
            action: "iot:X".into(),
            resources: vec!["arn:{partition}:iot:{region}:{account}:thing/{thingName}".into()],
            check: Check::Policies,
        };
        assert_eq!(
            op.resources("us-east-1", "1", |_| None),
            ["arn:aws:iot:us-east-1:1:thing/"]
        );
    }
}
