//! `aws_lambda()` and `get_dynamodb()` of IoT SQL, in a build without the AWS SDK: each call
//! fails with [`crate::lean::not_built`]'s message, and the rule runs its error action.

use crate::error::AwsError;
use crate::sinks::SinkConfig;
use serde_json::Value;

/// Would answer `aws_lambda()` and `get_dynamodb()`; without the SDK both fail.
#[derive(Debug, Default)]
pub struct AwsSqlFunctions;

impl AwsSqlFunctions {
    /// Functions on `config`.
    pub fn new(_config: SinkConfig) -> Self {
        Self
    }

    /// Fails: there is no SDK to invoke `function_arn` with.
    ///
    /// # Errors
    /// Always [`AwsError::InvokeFailed`], saying how to build with the SDK.
    pub async fn aws_lambda(&self, function_arn: &str, _input: &Value) -> Result<Value, AwsError> {
        Err(AwsError::InvokeFailed {
            function: function_arn.to_owned(),
            code: None,
            message: crate::lean::not_built("aws_lambda()"),
        })
    }

    /// Fails: there is no SDK to read `table` with.
    ///
    /// # Errors
    /// Always [`AwsError::GetItemFailed`], saying how to build with the SDK.
    pub async fn get_dynamodb(
        &self,
        table: &str,
        _partition: (&str, &Value),
        _sort: Option<(&str, &Value)>,
    ) -> Result<Option<Value>, AwsError> {
        Err(AwsError::GetItemFailed {
            table: table.to_owned(),
            message: crate::lean::not_built("get_dynamodb()"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn aws_lambda_and_get_dynamodb_fail_saying_how_to_build_with_the_sdk() {
        let functions = AwsSqlFunctions::new(SinkConfig::from_env());
        let lambda = functions.aws_lambda("arn:aws:lambda:us-east-1:1:function:f", &Value::Null);
        let error = lambda
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("aws_lambda() needs the AWS SDK"), "{error}");
        let key = Value::from("k");
        let item = functions.get_dynamodb("t", ("pk", &key), None).await;
        let error = item.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            error.contains("get_dynamodb() needs the AWS SDK"),
            "{error}"
        );
    }
}
