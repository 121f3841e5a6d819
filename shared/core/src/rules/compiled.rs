//! [`CompiledRule`]: a rule checked and parsed once — its statement and the substitution
//! templates of its actions — then evaluated against each message: WHERE, SELECT, and every
//! action's templates rendered, giving [`ResolvedAction`]s for the sinks to run. Compiling is
//! also CreateTopicRule's validation, so what the API accepts is exactly what the engine runs.
//!
//! Rendering follows AWS: templates see the original payload, functions and the statement's
//! SET variables, not the SELECT's aliases ("Substitution templates"). An action whose template
//! fails (only external functions can) fails alone; a statement that fails stops the rule, and
//! both become `failures` of the error action message.

use super::action::Action;
use super::error::RuleError;
use super::error_message::RuleErrorMessage;
use super::payload::{TopicRulePayload, MAX_ACTIONS};
use crate::sql::{
    evaluate, parse_with_version, EvalContext, EvalError, ExternalFunctions, Statement, Template,
};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// The `failedAction` of a failure of the rule's SQL, which no action's name covers.
pub const SQL_FAILURE_ACTION: &str = "SqlEvaluation";

/// An action with every substitution template rendered, and the payload it delivers.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedAction {
    /// The action's configuration with its template fields replaced by their values (a
    /// republish topic keeps its `$$` escape; the republish sink reads it).
    pub action: Action,
    /// What the action delivers: the SELECT's output, or for an error action the error
    /// message.
    pub payload: Bytes,
}

/// One entry of an error action message's `failures`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionFailure {
    /// The failed action's shape name (`RepublishAction`), or [`SQL_FAILURE_ACTION`].
    pub failed_action: String,
    /// The topic, table, queue... it wrote to.
    pub failed_resource: String,
    /// What went wrong.
    pub error_message: String,
}

impl ActionFailure {
    /// A failure of `action` (as configured or rendered) with `message`.
    pub fn of(action: &Action, message: impl Into<String>) -> Self {
        Self {
            failed_action: action.failed_action_name().to_owned(),
            failed_resource: action.resource().to_owned(),
            error_message: message.into(),
        }
    }

    /// A failure of rule `rule`'s statement: the failed resource is the external function
    /// that failed, or the rule itself.
    pub fn sql(rule: &str, error: &EvalError) -> Self {
        let resource = match error {
            EvalError::External { name, .. } | EvalError::ExternalUnavailable { name } => name,
            _ => rule,
        };
        Self {
            failed_action: SQL_FAILURE_ACTION.to_owned(),
            failed_resource: resource.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// What one rule made of one message.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleOutcome {
    /// The WHERE clause was not true: nothing runs.
    NotMatched,
    /// The rule fired: each action, rendered or failed, in the rule's order.
    Fired(Vec<Result<ResolvedAction, ActionFailure>>),
    /// The statement failed to evaluate: no action runs; the failure goes to the error action.
    Failed(ActionFailure),
}

#[derive(Debug, Clone)]
struct CompiledAction {
    action: Action,
    /// One per template field of `action`, in [`Action::template_fields_mut`]'s order; `None`
    /// for a field without `${`, which is copied as it is.
    templates: Vec<Option<Template>>,
}

impl CompiledAction {
    fn compile(action: &Action, field: &str, statement: &Statement) -> Result<Self, RuleError> {
        action.check(field)?;
        let mut copy = action.clone();
        let mut templates = Vec::new();
        for (name, text) in copy.template_fields_mut() {
            if !text.contains("${") {
                templates.push(None);
                continue;
            }
            let template = Template::parse_for(statement, text).map_err(|e| {
                RuleError::invalid(format!("{field}.{name}: substitution template: {e}"))
            })?;
            templates.push(Some(template));
        }
        Ok(Self {
            action: action.clone(),
            templates,
        })
    }

    /// The action rendered for a message whose original payload is `source`, delivering
    /// `payload`.
    fn render(
        &self,
        source: &[u8],
        payload: Bytes,
        ctx: &EvalContext,
        external: &dyn ExternalFunctions,
    ) -> Result<ResolvedAction, ActionFailure> {
        let mut action = self.action.clone();
        for ((_, text), template) in action
            .template_fields_mut()
            .into_iter()
            .zip(&self.templates)
        {
            if let Some(template) = template {
                *text = template
                    .render(source, ctx, external)
                    .map_err(|e| ActionFailure::of(&self.action, e.to_string()))?;
            }
        }
        Ok(ResolvedAction { action, payload })
    }
}

/// A rule ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    name: String,
    statement: Statement,
    actions: Vec<CompiledAction>,
    error_action: Option<CompiledAction>,
}

impl CompiledRule {
    /// Checks and parses rule `name`: its SQL in its version, at most ten actions, each
    /// action's shape and the templates of its fields; the same for the error action.
    ///
    /// # Errors
    /// `SqlParseException` with the parser's message, line and column for a statement that
    /// does not parse; `InvalidRequestException` for everything else.
    pub fn compile(name: &str, payload: &TopicRulePayload) -> Result<Self, RuleError> {
        if payload.sql.trim().is_empty() {
            return Err(RuleError::invalid(
                "sql: the rule's SQL statement is required",
            ));
        }
        let version = payload.sql_version()?;
        let statement = parse_with_version(&payload.sql, version)
            .map_err(|e| RuleError::SqlParse(e.to_string()))?;
        if payload.actions.len() > MAX_ACTIONS {
            return Err(RuleError::invalid(format!(
                "1 validation error detected: Value at 'topicRulePayload.actions' failed to \
                 satisfy constraint: Member must have length less than or equal to \
                 {MAX_ACTIONS} (it has {})",
                payload.actions.len()
            )));
        }
        let actions = payload
            .actions
            .iter()
            .enumerate()
            .map(|(i, a)| CompiledAction::compile(a, &format!("actions[{i}]"), &statement))
            .collect::<Result<_, _>>()?;
        let error_action = payload
            .error_action
            .as_ref()
            .map(|a| CompiledAction::compile(a, "errorAction", &statement))
            .transpose()?;
        Ok(Self {
            name: name.to_owned(),
            statement,
            actions,
            error_action,
        })
    }

    /// The rule's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The FROM clause's topic filter; empty when the rule has none (Basic Ingest only).
    pub fn topic_filter(&self) -> &str {
        self.statement.topic_filter()
    }

    /// The parsed statement.
    pub fn statement(&self) -> &Statement {
        &self.statement
    }

    /// Whether the rule has an error action.
    pub fn has_error_action(&self) -> bool {
        self.error_action.is_some()
    }

    /// Evaluates the rule against one message: `payload` is the message's payload, `ctx` its
    /// topic, client and time.
    pub fn evaluate(
        &self,
        payload: &[u8],
        ctx: &EvalContext,
        external: &dyn ExternalFunctions,
    ) -> RuleOutcome {
        let output = match evaluate(&self.statement, payload, ctx, external) {
            Ok(Some(output)) => Bytes::from(output.to_bytes()),
            Ok(None) => return RuleOutcome::NotMatched,
            Err(error) => return RuleOutcome::Failed(ActionFailure::sql(&self.name, &error)),
        };
        RuleOutcome::Fired(
            self.actions
                .iter()
                .map(|a| a.render(payload, output.clone(), ctx, external))
                .collect(),
        )
    }

    /// The error action for `message`, rendered: its templates see the error message as the
    /// payload (`${failures[0].errorMessage}`) and the original message's context
    /// (`${topic()}`), and it delivers the error message. `None` when the rule has no error
    /// action.
    pub fn resolve_error_action(
        &self,
        message: &RuleErrorMessage,
        ctx: &EvalContext,
        external: &dyn ExternalFunctions,
    ) -> Option<Result<ResolvedAction, ActionFailure>> {
        let compiled = self.error_action.as_ref()?;
        let body = message.to_bytes();
        Some(compiled.render(&body, body.clone(), ctx, external))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::NoExternalFunctions;
    use serde_json::{json, Value};

    fn payload(v: Value) -> TopicRulePayload {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    fn republish(topic: &str) -> Value {
        json!({"republish": {"roleArn": "arn:aws:iam::1:role/r", "topic": topic}})
    }

    fn compile(v: Value) -> Result<CompiledRule, RuleError> {
        CompiledRule::compile("r1", &payload(v))
    }

    #[test]
    fn sql_that_does_not_parse_is_a_sql_parse_exception_with_its_position() {
        let error = compile(json!({"sql": "SELECT temp FROM 'a/b' WHERE", "actions": []}));
        match error {
            Err(e @ RuleError::SqlParse(_)) => {
                let m = e.to_string();
                assert!(m.contains("line 1, column"), "{m}");
                assert_eq!(e.aws_error_type(), "SqlParseException");
            }
            other => panic!("{other:?}"),
        }
        let error = compile(json!({"sql": "SELECT *\nFROM 'a/#/b'", "actions": []}));
        assert!(
            matches!(&error, Err(RuleError::SqlParse(m)) if m.contains("line 2")),
            "{error:?}"
        );
    }

    #[test]
    fn the_sql_version_decides_what_parses() {
        let sql = "SELECT [1, 2] AS pair FROM 'a'";
        assert!(compile(json!({"sql": sql, "actions": []})).is_err());
        assert!(
            compile(json!({"sql": sql, "actions": [], "awsIotSqlVersion": "2016-03-23"})).is_ok()
        );
        let bad = compile(json!({"sql": sql, "actions": [], "awsIotSqlVersion": "1999"}));
        assert!(matches!(bad, Err(RuleError::InvalidRequest(_))));
        let empty = compile(json!({"sql": " ", "actions": []}));
        assert!(matches!(empty, Err(RuleError::InvalidRequest(_))));
    }

    #[test]
    fn at_most_ten_actions() {
        let ten: Vec<Value> = (0..10).map(|i| republish(&format!("o/{i}"))).collect();
        assert!(compile(json!({"sql": "SELECT * FROM 'a'", "actions": ten})).is_ok());
        let eleven: Vec<Value> = (0..11).map(|i| republish(&format!("o/{i}"))).collect();
        let error = compile(json!({"sql": "SELECT * FROM 'a'", "actions": eleven}));
        assert!(
            matches!(&error, Err(RuleError::InvalidRequest(m)) if m.contains("10")),
            "{error:?}"
        );
    }

    #[test]
    fn templates_are_parsed_at_create_time() {
        let error = compile(json!({"sql": "SELECT * FROM 'a'",
            "actions": [republish("ok/${topic()}"), republish("bad/${topic(}")]}));
        assert!(
            matches!(&error, Err(RuleError::InvalidRequest(m)) if m.starts_with("actions[1].republish.topic")),
            "{error:?}"
        );
        let error = compile(json!({"sql": "SELECT * FROM 'a'", "actions": [],
            "errorAction": republish("err/${")}));
        assert!(
            matches!(&error, Err(RuleError::InvalidRequest(m)) if m.starts_with("errorAction.")),
            "{error:?}"
        );
        let error = compile(json!({"sql": "SELECT * FROM 'a'",
            "actions": [{"republish": {"roleArn": "r", "topic": "t", "qos": 3}}]}));
        assert!(
            matches!(&error, Err(RuleError::InvalidRequest(m)) if m.contains("qos")),
            "{error:?}"
        );
    }

    #[test]
    fn evaluation_renders_every_template_against_the_original_payload() {
        let rule = compile(json!({
            "sql": "SELECT temp, topic(2) AS device FROM 'sensors/+/telemetry' WHERE temp > 30",
            "actions": [republish("alerts/${topic(2)}"), republish("by-alias/${device}")],
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let ctx = EvalContext::new("sensors/kitchen/telemetry");
        let RuleOutcome::Fired(actions) =
            rule.evaluate(br#"{"temp": 31}"#, &ctx, &NoExternalFunctions)
        else {
            panic!("the rule fires at 31")
        };
        let topics: Vec<&str> = actions
            .iter()
            .filter_map(|a| a.as_ref().ok())
            .map(|a| a.action.resource())
            .collect();
        // AWS: templates cannot see the SELECT's aliases.
        assert_eq!(topics, ["alerts/kitchen", "by-alias/"]);
        let Ok(first) = &actions[0] else { panic!() };
        let output: Value = serde_json::from_slice(&first.payload).unwrap_or_default();
        assert_eq!(output, json!({"temp": 31, "device": "kitchen"}));
        assert_eq!(
            rule.evaluate(br#"{"temp": 29}"#, &ctx, &NoExternalFunctions),
            RuleOutcome::NotMatched
        );
    }

    #[test]
    fn failing_statements_and_templates_are_failures() {
        let rule = compile(json!({
            "sql": "SELECT aws_lambda('arn:f', *) AS x FROM 'a'",
            "awsIotSqlVersion": "2016-03-23",
            "actions": [republish("o")],
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let outcome = rule.evaluate(b"{}", &EvalContext::new("a"), &NoExternalFunctions);
        let RuleOutcome::Failed(failure) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(failure.failed_action, SQL_FAILURE_ACTION);
        assert_eq!(failure.failed_resource, "aws_lambda");

        let rule = compile(json!({
            "sql": "SELECT * FROM 'a'",
            "awsIotSqlVersion": "2016-03-23",
            "actions": [republish("o/${aws_lambda('arn:f', *).x}"), republish("fine")],
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let outcome = rule.evaluate(b"{}", &EvalContext::new("a"), &NoExternalFunctions);
        let RuleOutcome::Fired(actions) = outcome else {
            panic!("{outcome:?}")
        };
        assert!(matches!(&actions[0], Err(f) if f.failed_action == "RepublishAction"));
        assert!(actions[1].is_ok());
    }
}
