//! The registry's control-plane routes as API Gateway HTTP API (payload 2.0) events, exactly as
//! botocore's `iot` model lays them out (method, `requestUri`, and where each input travels:
//! URI label, query string, `x-amzn-principal` header, or JSON body).
//!
//! Path labels are split on `/` before they are percent-decoded, so an ARN label such as
//! ListAttachedPolicies' `{target}` arrives whole. Unknown body fields are ignored, as on AWS;
//! a body that is not JSON, or a field of the wrong type, is `InvalidRequestException`.
//! Errors carry the model's status, `x-amzn-ErrorType` and `{"message": ...}`. A path no
//! operation has is 404 `UnknownOperationException`; a known path with another method is 405
//! `MethodNotAllowedException`.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use base64::Engine;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use thingcore::registry::paging::page_size;
use thingcore::registry::RegistryError;
use thingcore::rules::RuleError;
use thingcore_jobs::JobsService;
use thingcore_lambda::apigw::json_response;
use thingcore_registry::groups::ListThingGroupsQuery;
use thingcore_registry::rules::ListTopicRulesQuery;
use thingcore_registry::things::ListThingsQuery;
use thingcore_registry::{RegistryService, ServiceError};

/// The services the control plane's routes reach: the registry, and Jobs when the host has it
/// (a bare `&RegistryService` serves the registry's routes only; Jobs paths are then unknown).
#[derive(Clone, Copy)]
pub struct ControlPlane<'a> {
    /// The registry.
    pub registry: &'a RegistryService,
    /// AWS IoT Jobs.
    pub jobs: Option<&'a JobsService>,
}

impl<'a> From<&'a RegistryService> for ControlPlane<'a> {
    fn from(registry: &'a RegistryService) -> Self {
        Self {
            registry,
            jobs: None,
        }
    }
}

impl<'a> From<(&'a RegistryService, &'a JobsService)> for ControlPlane<'a> {
    fn from((registry, jobs): (&'a RegistryService, &'a JobsService)) -> Self {
        Self {
            registry,
            jobs: Some(jobs),
        }
    }
}

/// Handles one request.
pub async fn handle<'a>(
    services: impl Into<ControlPlane<'a>>,
    request: &ApiGatewayV2httpRequest,
) -> ApiGatewayV2httpResponse {
    let services = services.into();
    let call = match Call::new(request) {
        Ok(call) => call,
        Err(error) => return error_response(error.into_registry_error()),
    };
    let routed = match services.jobs {
        Some(jobs) => crate::jobs::dispatch(jobs, &call).await,
        None => Routed::NoRoute,
    };
    let routed = match routed {
        Routed::NoRoute => dispatch(services.registry, &call).await,
        other => other,
    };
    if let (Some(jobs), Routed::Done(Ok(_))) = (services.jobs, &routed) {
        continuous_jobs(services.registry, jobs, &call).await;
    }
    match routed {
        Routed::Done(Ok(body)) => json_response(200, &body, None),
        Routed::Done(Err(error)) => error_response(error.into_registry_error()),
        Routed::Jobs(Ok(body)) => json_response(200, &body, None),
        Routed::Jobs(Err(error)) => {
            let error = error.into_jobs_error();
            json_response(
                error.http_status(),
                &error.to_body(),
                Some(error.aws_error_type()),
            )
        }
        Routed::Rule(Ok(body)) => json_response(200, &body, None),
        Routed::Rule(Err(error)) => json_response(
            error.http_status(),
            &error.to_body(),
            Some(error.aws_error_type()),
        ),
        Routed::NoRoute => json_response(
            404,
            &json!({ "message": format!("No operation matches {} {}", call.method, call.path) }),
            Some("UnknownOperationException"),
        ),
        Routed::WrongMethod => json_response(
            405,
            &json!({ "message": format!("{} is not allowed on {}", call.method, call.path) }),
            Some("MethodNotAllowedException"),
        ),
    }
}

/// After AddThingToThingGroup: CONTINUOUS jobs that target the group (or one of its
/// ancestors) reach the thing. A failure here is logged; the membership stands, as on AWS,
/// where the job reaches the thing asynchronously.
async fn continuous_jobs(registry: &RegistryService, jobs: &JobsService, call: &Call<'_>) {
    let segments: Vec<&str> = call.segments.iter().map(String::as_str).collect();
    if (call.method.as_str(), segments.as_slice())
        != ("PUT", ["thing-groups", "addThingToThingGroup"].as_slice())
    {
        return;
    }
    let Ok(request) = call.body::<thingcore_registry::membership::MembershipRequest>() else {
        return;
    };
    let Ok((group, thing)) = registry.resolve_membership(&request) else {
        return;
    };
    if let Err(error) = jobs
        .apply_thing_added_to_group(thing.as_str(), group.as_str())
        .await
    {
        let error = error.into_jobs_error();
        tracing::warn!(%error, thing = thing.as_str(), group = group.as_str(), "continuous jobs were not applied");
    }
}

/// The parts of a request the routes read.
pub(crate) struct Call<'a> {
    request: &'a ApiGatewayV2httpRequest,
    method: String,
    path: String,
    segments: Vec<String>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(request: &'a ApiGatewayV2httpRequest) -> Result<Self, ServiceError> {
        let path = request
            .raw_path
            .clone()
            .or_else(|| request.request_context.http.path.clone())
            .unwrap_or_else(|| "/".into());
        let segments = path
            .trim_start_matches('/')
            .split('/')
            .map(|segment| {
                percent_encoding::percent_decode_str(segment)
                    .decode_utf8()
                    .map(|s| s.into_owned())
                    .map_err(|_| RegistryError::invalid("The path is not valid UTF-8").into())
            })
            .collect::<Result<_, ServiceError>>()?;
        Ok(Self {
            request,
            method: request.request_context.http.method.as_str().to_string(),
            path,
            segments,
        })
    }

    /// The path's segments, percent-decoded.
    pub(crate) fn segments(&self) -> Vec<&str> {
        self.segments.iter().map(String::as_str).collect()
    }

    /// The method.
    pub(crate) fn method(&self) -> &str {
        &self.method
    }

    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.request.query_string_parameters.first(name)
    }

    pub(crate) fn flag(&self, name: &str) -> Result<Option<bool>, ServiceError> {
        match self.query(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(RegistryError::invalid(format!(
                "{name} must be true or false, not {other:?}"
            ))
            .into()),
        }
    }

    pub(crate) fn number(&self, name: &str) -> Result<Option<u64>, ServiceError> {
        self.query(name)
            .map(|text| {
                text.parse::<u64>().map_err(|_| {
                    RegistryError::invalid(format!("{name} must be a number, not {text:?}")).into()
                })
            })
            .transpose()
    }

    pub(crate) fn max_results(&self) -> Result<usize, ServiceError> {
        Ok(page_size("maxResults", self.query("maxResults"))?)
    }

    fn page_size(&self) -> Result<usize, ServiceError> {
        Ok(page_size("pageSize", self.query("pageSize"))?)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.request
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
    }

    pub(crate) fn body<T: DeserializeOwned + Default>(&self) -> Result<T, ServiceError> {
        let Some(text) = &self.request.body else {
            return Ok(T::default());
        };
        let bytes = if self.request.is_base64_encoded {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| RegistryError::invalid("The request body is not valid base64"))?
        } else {
            text.as_bytes().to_vec()
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(T::default());
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            RegistryError::invalid(format!("The request body is not valid: {e}")).into()
        })
    }
}

pub(crate) enum Routed {
    Done(Result<Value, ServiceError>),
    /// A Jobs operation: its exceptions are its own (`InvalidStateTransitionException`, ...).
    Jobs(Result<Value, thingcore_jobs::ServiceError>),
    /// A topic-rule operation: its exceptions are its own (`SqlParseException`, ...).
    Rule(Result<Value, RuleError>),
    NoRoute,
    WrongMethod,
}

macro_rules! run {
    ($e:expr) => {
        Routed::Done(async { $e }.await)
    };
}

macro_rules! rule {
    ($e:expr) => {
        Routed::Rule(async { $e }.await)
    };
}

async fn dispatch(s: &RegistryService, c: &Call<'_>) -> Routed {
    let segments: Vec<&str> = c.segments.iter().map(String::as_str).collect();
    match (c.method.as_str(), segments.as_slice()) {
        // Things.
        ("GET", ["things"]) => run!({
            let query = ListThingsQuery {
                max_results: c.max_results()?,
                next_token: c.query("nextToken").map(str::to_string),
                attribute_name: c.query("attributeName").map(str::to_string),
                attribute_value: c.query("attributeValue").map(str::to_string),
                thing_type_name: c.query("thingTypeName").map(str::to_string),
                use_prefix_attribute_value: c.flag("usePrefixAttributeValue")?.unwrap_or(false),
            };
            s.list_things(query).await
        }),
        ("POST", ["things", name]) => run!(s.create_thing(name, c.body()?).await),
        ("GET", ["things", name]) => run!(s.describe_thing(name).await),
        ("PATCH", ["things", name]) => run!(s.update_thing(name, c.body()?).await),
        ("DELETE", ["things", name]) => {
            run!(s.delete_thing(name, c.number("expectedVersion")?).await)
        }
        ("GET", ["things", name, "thing-groups"]) => run!(
            s.list_thing_groups_for_thing(name, c.max_results()?, c.query("nextToken"))
                .await
        ),
        ("PUT", ["things", name, "principals"]) => run!(
            s.attach_thing_principal(
                name,
                c.header("x-amzn-principal"),
                c.query("thingPrincipalType")
            )
            .await
        ),
        ("DELETE", ["things", name, "principals"]) => {
            run!(
                s.detach_thing_principal(name, c.header("x-amzn-principal"))
                    .await
            )
        }
        ("GET", ["things", name, "principals"]) => run!(
            s.list_thing_principals(name, c.max_results()?, c.query("nextToken"))
                .await
        ),
        ("GET", ["principals", "things"]) => run!(
            s.list_principal_things(
                c.header("x-amzn-principal"),
                c.max_results()?,
                c.query("nextToken")
            )
            .await
        ),
        // Thing types.
        ("GET", ["thing-types"]) => run!(
            s.list_thing_types(
                c.max_results()?,
                c.query("nextToken"),
                c.query("thingTypeName")
            )
            .await
        ),
        ("POST", ["thing-types", name]) => run!(s.create_thing_type(name, c.body()?).await),
        ("GET", ["thing-types", name]) => run!(s.describe_thing_type(name).await),
        ("DELETE", ["thing-types", name]) => run!(s.delete_thing_type(name).await),
        ("POST", ["thing-types", name, "deprecate"]) => {
            run!(s.deprecate_thing_type(name, c.body()?).await)
        }
        // Thing groups.
        ("GET", ["thing-groups"]) => run!({
            let query = ListThingGroupsQuery {
                max_results: c.max_results()?,
                next_token: c.query("nextToken").map(str::to_string),
                parent_group: c.query("parentGroup").map(str::to_string),
                name_prefix_filter: c.query("namePrefixFilter").map(str::to_string),
                recursive: c.flag("recursive")?.unwrap_or(false),
            };
            s.list_thing_groups(query).await
        }),
        ("PUT", ["thing-groups", "addThingToThingGroup"]) => {
            run!(s.add_thing_to_thing_group(c.body()?).await)
        }
        ("PUT", ["thing-groups", "removeThingFromThingGroup"]) => {
            run!(s.remove_thing_from_thing_group(c.body()?).await)
        }
        ("POST", ["thing-groups", name]) => run!(s.create_thing_group(name, c.body()?).await),
        ("GET", ["thing-groups", name]) => run!(s.describe_thing_group(name).await),
        ("PATCH", ["thing-groups", name]) => run!(s.update_thing_group(name, c.body()?).await),
        ("DELETE", ["thing-groups", name]) => {
            run!(
                s.delete_thing_group(name, c.number("expectedVersion")?)
                    .await
            )
        }
        ("GET", ["thing-groups", name, "things"]) => run!(
            s.list_things_in_thing_group(
                name,
                c.flag("recursive")?.unwrap_or(false),
                c.max_results()?,
                c.query("nextToken")
            )
            .await
        ),
        // Certificates.
        ("POST", ["keys-and-certificate"]) => run!(
            s.create_keys_and_certificate(c.flag("setAsActive")?.unwrap_or(false))
                .await
        ),
        ("POST", ["certificates"]) => run!(
            s.create_certificate_from_csr(c.body()?, c.flag("setAsActive")?.unwrap_or(false))
                .await
        ),
        ("GET", ["certificates"]) => run!({
            c.flag("isAscendingOrder")?;
            s.list_certificates(c.page_size()?, c.query("marker")).await
        }),
        ("GET", ["certificates", id]) => run!(s.describe_certificate(id).await),
        ("PUT", ["certificates", id]) => {
            run!(s.update_certificate(id, c.query("newStatus")).await)
        }
        ("DELETE", ["certificates", id]) => run!(
            s.delete_certificate(id, c.flag("forceDelete")?.unwrap_or(false))
                .await
        ),
        ("GET", ["certificates-by-ca", id]) => run!({
            c.flag("isAscendingOrder")?;
            s.list_certificates_by_ca(id, c.page_size()?, c.query("marker"))
                .await
        }),
        ("POST", ["certificate", "register"]) => {
            run!(
                s.register_certificate(c.body()?, c.flag("setAsActive")?)
                    .await
            )
        }
        ("POST", ["certificate", "register-no-ca"]) => {
            run!(s.register_certificate_without_ca(c.body()?).await)
        }
        // CA certificates.
        ("POST", ["cacertificate"]) => run!(
            s.register_ca_certificate(
                c.body()?,
                c.flag("setAsActive")?.unwrap_or(false),
                c.flag("allowAutoRegistration")?.unwrap_or(false)
            )
            .await
        ),
        ("GET", ["cacertificates"]) => run!({
            c.flag("isAscendingOrder")?;
            s.list_ca_certificates(c.page_size()?, c.query("marker"), c.query("templateName"))
                .await
        }),
        ("GET", ["cacertificate", id]) => run!(s.describe_ca_certificate(id).await),
        ("PUT", ["cacertificate", id]) => run!(
            s.update_ca_certificate(
                id,
                c.query("newStatus"),
                c.query("newAutoRegistrationStatus"),
                c.body()?
            )
            .await
        ),
        ("DELETE", ["cacertificate", id]) => run!(s.delete_ca_certificate(id).await),
        // Policies.
        ("GET", ["policies"]) => run!({
            c.flag("isAscendingOrder")?;
            s.list_policies(c.page_size()?, c.query("marker")).await
        }),
        ("POST", ["policies", name]) => run!(s.create_policy(name, c.body()?).await),
        ("GET", ["policies", name]) => run!(s.get_policy(name).await),
        ("DELETE", ["policies", name]) => run!(s.delete_policy(name).await),
        ("POST", ["policies", name, "version"]) => run!(
            s.create_policy_version(name, c.body()?, c.flag("setAsDefault")?.unwrap_or(false))
                .await
        ),
        ("GET", ["policies", name, "version"]) => run!(s.list_policy_versions(name).await),
        ("GET", ["policies", name, "version", version]) => {
            run!(s.get_policy_version(name, version).await)
        }
        ("PATCH", ["policies", name, "version", version]) => {
            run!(s.set_default_policy_version(name, version).await)
        }
        ("DELETE", ["policies", name, "version", version]) => {
            run!(s.delete_policy_version(name, version).await)
        }
        ("PUT", ["target-policies", name]) => run!(s.attach_policy(name, c.body()?).await),
        ("POST", ["target-policies", name]) => run!(s.detach_policy(name, c.body()?).await),
        ("POST", ["attached-policies", target]) => run!(
            s.list_attached_policies(
                target,
                c.flag("recursive")?.unwrap_or(false),
                c.page_size()?,
                c.query("marker")
            )
            .await
        ),
        ("POST", ["policy-targets", name]) => run!(
            s.list_targets_for_policy(name, c.page_size()?, c.query("marker"))
                .await
        ),
        // Custom authorizers.
        ("GET", ["authorizers"] | ["authorizers", ""]) => run!(
            s.list_authorizers(c.page_size()?, c.query("marker"), c.query("status"))
                .await
        ),
        ("POST", ["authorizer", name]) => run!(s.create_authorizer(name, c.body()?).await),
        ("GET", ["authorizer", name]) => run!(s.describe_authorizer(name).await),
        ("PUT", ["authorizer", name]) => run!(s.update_authorizer(name, c.body()?).await),
        ("DELETE", ["authorizer", name]) => run!(s.delete_authorizer(name).await),
        ("POST", ["authorizer", name, "test"]) => {
            run!(s.test_invoke_authorizer(name, c.body()?).await)
        }
        ("POST", ["default-authorizer"]) => run!(s.set_default_authorizer(c.body()?).await),
        ("GET", ["default-authorizer"]) => run!(s.describe_default_authorizer().await),
        ("DELETE", ["default-authorizer"]) => run!(s.clear_default_authorizer().await),
        // Endpoint.
        ("GET", ["endpoint"]) => run!(s.describe_endpoint(c.query("endpointType"))),
        // Event configurations.
        ("PATCH", ["event-configurations"]) => {
            run!(s.update_event_configurations(c.body()?).await)
        }
        ("GET", ["event-configurations"]) => run!(s.describe_event_configurations().await),
        // Topic rules.
        ("GET", ["rules"]) => rule!({
            let query = ListTopicRulesQuery {
                topic: c.query("topic").map(str::to_string),
                max_results: c.query("maxResults").map(str::to_string),
                next_token: c.query("nextToken").map(str::to_string),
                rule_disabled: c.flag("ruleDisabled")?,
            };
            s.list_topic_rules(query).await
        }),
        ("POST", ["rules", name]) => rule!(s.create_topic_rule(name, c.body()?).await),
        ("GET", ["rules", name]) => rule!(s.get_topic_rule(name).await),
        ("PATCH", ["rules", name]) => rule!(s.replace_topic_rule(name, c.body()?).await),
        ("DELETE", ["rules", name]) => rule!(s.delete_topic_rule(name).await),
        ("POST", ["rules", name, "enable"]) => {
            rule!(s.set_topic_rule_disabled(name, false).await)
        }
        ("POST", ["rules", name, "disable"]) => {
            rule!(s.set_topic_rule_disabled(name, true).await)
        }
        // Topic rule destinations ({arn+} and {confirmationToken+} are greedy labels).
        ("POST", ["destinations"]) => rule!(s.create_topic_rule_destination(c.body()?).await),
        ("GET", ["destinations"]) => rule!(
            s.list_topic_rule_destinations(c.query("maxResults"), c.query("nextToken"))
                .await
        ),
        ("PATCH", ["destinations"]) => rule!(s.update_topic_rule_destination(c.body()?).await),
        ("GET", ["destinations", arn @ ..]) => {
            rule!(s.get_topic_rule_destination(&arn.join("/")).await)
        }
        ("DELETE", ["destinations", arn @ ..]) => {
            rule!(s.delete_topic_rule_destination(&arn.join("/")).await)
        }
        ("GET", ["confirmdestination", token @ ..]) => {
            rule!(s.confirm_topic_rule_destination(&token.join("/")).await)
        }
        (_, path) if is_known_path(path) => Routed::WrongMethod,
        _ => Routed::NoRoute,
    }
}

/// Whether some operation lives at this path (under another method).
fn is_known_path(path: &[&str]) -> bool {
    matches!(
        path,
        ["things"]
            | ["things", _]
            | ["things", _, "thing-groups" | "principals"]
            | ["principals", "things"]
            | ["thing-types"]
            | ["thing-types", _]
            | ["thing-types", _, "deprecate"]
            | ["thing-groups"]
            | ["thing-groups", _]
            | ["thing-groups", _, "things"]
            | ["keys-and-certificate"]
            | ["certificates"]
            | ["certificates", _]
            | ["certificates-by-ca", _]
            | ["certificate", "register" | "register-no-ca"]
            | ["cacertificate"]
            | ["cacertificates"]
            | ["cacertificate", _]
            | ["policies"]
            | ["policies", _]
            | ["policies", _, "version"]
            | ["policies", _, "version", _]
            | ["target-policies", _]
            | ["attached-policies", _]
            | ["policy-targets", _]
            | ["endpoint"]
            | ["event-configurations"]
            | ["authorizers"]
            | ["authorizers", ""]
            | ["authorizer", _]
            | ["authorizer", _, "test"]
            | ["default-authorizer"]
            | ["rules"]
            | ["rules", _]
            | ["rules", _, "enable" | "disable"]
            | ["destinations", ..]
            | ["confirmdestination", ..]
    )
}

fn error_response(error: RegistryError) -> ApiGatewayV2httpResponse {
    json_response(
        error.http_status(),
        &error.to_body(),
        Some(error.aws_error_type()),
    )
}

/// `thingcore serve` runs the handler on a multi-threaded runtime: its future must stay `Send`.
#[cfg(test)]
mod send_check {
    fn assert_send<T: Send>(_: T) {}
    #[allow(dead_code)]
    fn handle_is_send(
        service: &thingcore_registry::RegistryService,
        jobs: &thingcore_jobs::JobsService,
        request: &aws_lambda_events::apigw::ApiGatewayV2httpRequest,
    ) {
        assert_send(super::handle(service, request));
        assert_send(super::handle((service, jobs), request));
    }
}
