//! The [`RightsRefresher`] port: how a connection's rights are renewed once its custom
//! authorizer's `refreshAfterInSeconds` has passed. Lambda asks the authorizer function
//! again ([`AuthorizerRefresher`]); `thingcore serve` asks the registry's custom authorizer;
//! without a refresher the rights last until `disconnectAfterInSeconds`.

use crate::lambda::rights_from_context;
use serde_json::{json, Value};
use std::sync::Arc;
use thingcore::gateway::ConnectionRights;
use thingcore::Clock;
use thingcore_registry::custom_auth::AuthorizerFunctions;

/// Asks a connection's authorizer again.
#[async_trait::async_trait]
pub trait RightsRefresher: Send + Sync {
    /// The connection's renewed rights.
    ///
    /// # Errors
    /// Why the authorizer no longer accepts the connection (it is then closed).
    async fn refresh(&self, rights: &ConnectionRights) -> Result<ConnectionRights, String>;
}

/// Lambda's refresher: the `$connect` authorizer function asked again with the request it
/// authorized (kept in the rights' `refresh_with`), as API Gateway asked it.
///
/// An answer whose policy allows `execute-api:Invoke` renews the rights from its `context`
/// (new policy, new `disconnectAfterInSeconds` and `refreshAfterInSeconds`); a `Deny`, an
/// error (`Unauthorized`) or no answer closes the connection: a session whose authorizer
/// cannot vouch for it again does not go on.
#[derive(Clone)]
pub struct AuthorizerRefresher {
    functions: Arc<dyn AuthorizerFunctions>,
    function: String,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for AuthorizerRefresher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizerRefresher")
            .field("function", &self.function)
            .finish_non_exhaustive()
    }
}

impl AuthorizerRefresher {
    /// Asks `function` (a name or ARN) through `functions`.
    pub fn new(
        functions: Arc<dyn AuthorizerFunctions>,
        function: impl Into<String>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            functions,
            function: function.into(),
            clock,
        }
    }
}

#[async_trait::async_trait]
impl RightsRefresher for AuthorizerRefresher {
    async fn refresh(&self, rights: &ConnectionRights) -> Result<ConnectionRights, String> {
        let Some(request) = rights.refresh_with.clone() else {
            return Err("the connection's authorizer request was not kept".into());
        };
        let answer = self
            .functions
            .invoke(&self.function, request)
            .await
            .map_err(|error| format!("the authorizer did not renew the session: {error}"))?;
        if !allows_invoke(&answer) {
            return Err("the authorizer denied the session".into());
        }
        let mut context = answer.get("context").cloned().unwrap_or_else(|| json!({}));
        // The principal is the answer's own when the context does not repeat it.
        if context.get("principalId").is_none() {
            if let Some(principal) = answer.get("principalId") {
                context["principalId"] = principal.clone();
            }
        }
        let mut renewed =
            rights_from_context(&context, Some(&rights.client_id), self.clock.now_millis())
                .ok_or("the authorizer's answer names no principal")?;
        renewed.refresh_with = renewed.refresh_at.and(rights.refresh_with.clone());
        Ok(renewed)
    }
}

/// Whether an API Gateway authorizer answer's policy allows the connection: some statement
/// allows and none denies.
fn allows_invoke(answer: &Value) -> bool {
    let statements = match answer.pointer("/policyDocument/Statement") {
        Some(Value::Array(statements)) => statements.iter().collect::<Vec<_>>(),
        Some(statement @ Value::Object(_)) => vec![statement],
        _ => return false,
    };
    let has = |wanted: &str| {
        statements
            .iter()
            .any(|s| s.get("Effect").and_then(Value::as_str) == Some(wanted))
    };
    has("Allow") && !has("Deny")
}
