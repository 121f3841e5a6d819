//! The SQL functions that call services: `get_thing_shadow` through `thingcore-shadows`'
//! [`ShadowService`], and `get_registry_data` through `thingcore-registry`'s
//! [`RegistryService`] — the same code the HTTP APIs run, on the same Store; `aws_lambda` and
//! `get_dynamodb` through `thingcore_aws::sql_functions` on the sinks' SDK configuration
//! (`AWS_ENDPOINT_URL_LAMBDA`, `AWS_ENDPOINT_URL_DYNAMODB`, ...), loaded on first use.
//!
//! The rules engine evaluates a rule with a [`thingcore::sql::Prefetch`], resolves the calls it
//! noted with an [`ExternalResolver`], and evaluates again ([`crate::RulesEngine::evaluate_async`]).
//!
//! Choices: the role ARN is not assumed (there is no IAM here); a thing or shadow that does not
//! exist is `Undefined`, like a missing key, and so is a thing name that is not a string; a
//! Store failure fails the rule, which runs its error action.

use std::sync::Arc;
use thingcore::registry::RegistryError;
use thingcore::sql::{EvalError, ExternalCall, Value};
use thingcore_aws::sinks::SinkConfig;
use thingcore_aws::sql_functions::AwsSqlFunctions;
use thingcore_registry::{RegistryService, ServiceError};
use thingcore_shadows::{ShadowFailure, ShadowService};

/// The most thing groups `get_registry_data('ListThingGroupsForThing', ...)` returns (the
/// API's largest page).
const MAX_GROUPS: usize = 250;

/// Resolves external SQL function calls, asynchronously.
#[async_trait::async_trait]
pub trait ExternalResolver: Send + Sync {
    /// The result of `call`.
    ///
    /// # Errors
    /// An [`EvalError`] when the service fails or is not available here; the rule then runs
    /// its error action.
    async fn resolve(&self, call: &ExternalCall) -> Result<Value<'static>, EvalError>;
}

/// `get_thing_shadow` and `get_registry_data` over the Store, `aws_lambda` and `get_dynamodb`
/// on AWS; every other external function is [`EvalError::ExternalUnavailable`].
#[derive(Clone)]
pub struct StoreFunctions {
    shadows: ShadowService,
    registry: RegistryService,
    aws: Arc<AwsSqlFunctions>,
}

impl std::fmt::Debug for StoreFunctions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreFunctions").finish_non_exhaustive()
    }
}

impl StoreFunctions {
    /// Functions answered by `shadows` and `registry`, and by AWS as the SDK's environment
    /// says (loaded when a rule first calls `aws_lambda` or `get_dynamodb`).
    pub fn new(shadows: ShadowService, registry: RegistryService) -> Self {
        Self {
            shadows,
            registry,
            aws: Arc::new(AwsSqlFunctions::new(SinkConfig::from_env())),
        }
    }

    /// `aws_lambda` and `get_dynamodb` on `config` instead of the environment.
    #[must_use]
    pub fn with_aws(mut self, config: SinkConfig) -> Self {
        self.aws = Arc::new(AwsSqlFunctions::new(config));
        self
    }

    /// `aws_lambda(functionArn, inputJson)`: the function's answer (Undefined for an argument
    /// of the wrong type, as AWS's type errors are).
    async fn aws_lambda(&self, call: &ExternalCall) -> Result<Value<'static>, EvalError> {
        let Some(function) = call.str_arg(0) else {
            return Ok(Value::Undefined);
        };
        let Some(input) = call.args.get(1).and_then(Value::to_json) else {
            return Ok(Value::Undefined);
        };
        match self.aws.aws_lambda(function, &input).await {
            Ok(answer) => Ok(Value::from_json(&answer)),
            Err(error) => Err(external(call, error.to_string())),
        }
    }

    /// `get_dynamodb(tableName, partitionKeyName, partitionKeyValue, roleArn)` or with
    /// `sortKeyName, sortKeyValue` before the role: the item, Undefined when there is none.
    async fn dynamodb_item(&self, call: &ExternalCall) -> Result<Value<'static>, EvalError> {
        let json = |i: usize| call.args.get(i).and_then(Value::to_json);
        let (Some(table), Some(partition_name), Some(partition_value)) =
            (call.str_arg(0), call.str_arg(1), json(2))
        else {
            return Ok(Value::Undefined);
        };
        let sort_value = json(4);
        let sort = match (call.args.len(), call.str_arg(3), &sort_value) {
            (6, Some(name), Some(value)) => Some((name, value)),
            (6, _, _) => return Ok(Value::Undefined),
            _ => None,
        };
        match self
            .aws
            .get_dynamodb(table, (partition_name, &partition_value), sort)
            .await
        {
            Ok(Some(item)) => Ok(Value::from_json(&item)),
            Ok(None) => Ok(Value::Undefined),
            Err(error) => Err(external(call, error.to_string())),
        }
    }

    /// `get_thing_shadow(thingName, roleArn)` or `get_thing_shadow(thingName, shadowName,
    /// roleArn)`: the shadow document as GetThingShadow returns it.
    async fn thing_shadow(&self, call: &ExternalCall) -> Result<Value<'static>, EvalError> {
        let Some(thing) = call.str_arg(0) else {
            return Ok(Value::Undefined);
        };
        let shadow = match call.args.len() {
            3 => match call.str_arg(1) {
                Some(name) => Some(name),
                None => return Ok(Value::Undefined),
            },
            _ => None,
        };
        match self.shadows.get(thing, shadow, None).await {
            Ok(document) => Ok(Value::from_json(&document)),
            Err(ShadowFailure::Rejected(e)) if e.code == 404 || e.code == 400 => {
                Ok(Value::Undefined)
            }
            Err(failure) => Err(external(call, failure.into_error().message)),
        }
    }

    /// `get_registry_data(api, thingName, roleArn)`: DescribeThing's or
    /// ListThingGroupsForThing's answer.
    async fn registry_data(&self, call: &ExternalCall) -> Result<Value<'static>, EvalError> {
        let (Some(api), Some(thing)) = (call.str_arg(0), call.str_arg(1)) else {
            return Ok(Value::Undefined);
        };
        let answer = match api {
            "DescribeThing" => self.registry.describe_thing(thing).await,
            "ListThingGroupsForThing" => {
                self.registry
                    .list_thing_groups_for_thing(thing, MAX_GROUPS, None)
                    .await
            }
            other => return Err(external(call, format!("unknown registry API {other}"))),
        };
        match answer {
            Ok(document) => Ok(Value::from_json(&document)),
            Err(ServiceError::Rejected(
                RegistryError::ResourceNotFound(_) | RegistryError::InvalidRequest(_),
            )) => Ok(Value::Undefined),
            Err(error) => Err(external(call, error.to_string())),
        }
    }
}

fn external(call: &ExternalCall, message: impl Into<String>) -> EvalError {
    EvalError::External {
        name: call.name.clone(),
        message: message.into(),
    }
}

#[async_trait::async_trait]
impl ExternalResolver for StoreFunctions {
    async fn resolve(&self, call: &ExternalCall) -> Result<Value<'static>, EvalError> {
        match call.name.as_str() {
            "get_thing_shadow" => self.thing_shadow(call).await,
            "get_registry_data" => self.registry_data(call).await,
            "aws_lambda" => self.aws_lambda(call).await,
            "get_dynamodb" => self.dynamodb_item(call).await,
            _ => Err(EvalError::ExternalUnavailable {
                name: call.name.clone(),
            }),
        }
    }
}
