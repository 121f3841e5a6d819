//! # thingcore-aws — adapters on AWS services
//!
//! - [`config`]: the AWS SDK configuration every adapter shares, honouring the SDK's own
//!   environment (`AWS_ENDPOINT_URL`, `AWS_REGION`, profiles) and an explicit endpoint for
//!   LocalStack or moto.
//! - [`tables`]: the DynamoDB tables thingcore uses, and the code that creates them (used by
//!   `thingcore init-tables`, `thingcore serve --store dynamodb` and the LocalStack init).
//! - [`dynamo`]: [`DynamoStore`], the Store port on DynamoDB.
//! - [`sinks`]: the rule-action sinks (core's ActionSink port) on the AWS SDK.
//! - [`http`]: the outbound HTTP(S) client (http action, destination confirmations) and
//!   [`http::HttpConfirmer`].
//! - [`lambda`]: [`LambdaInvoker`], invoking Lambda functions (RequestResponse or Event).
//! - [`sql_functions`]: `aws_lambda()` and `get_dynamodb()` of IoT SQL.
//! - [`management`]: [`ManagementApiPublisher`], the gateway's fan-out on the API Gateway
//!   Management API (`PostToConnection`).

pub mod config;
pub mod dynamo;
mod error;
pub mod http;
pub mod lambda;
pub mod management;
pub mod sinks;
pub mod sql_functions;
pub mod tables;

pub use dynamo::DynamoStore;
pub use error::AwsError;
pub use lambda::LambdaInvoker;
pub use management::ManagementApiPublisher;
pub use tables::TableNames;
