//! # thingcore-aws — adapters on AWS services
//!
//! - [`config`]: the AWS SDK configuration every adapter shares, honouring the SDK's own
//!   environment (`AWS_ENDPOINT_URL`, `AWS_REGION`, profiles) and an explicit endpoint for
//!   LocalStack or moto.
//! - [`tables`]: the DynamoDB tables thingcore uses, and the code that creates them (used by
//!   `thingcore init-tables`, `thingcore serve --store dynamodb` and the LocalStack init).
//! - [`dynamo`]: `DynamoStore`, the Store port on DynamoDB; [`connect`] opens it from an
//!   endpoint.
//! - [`sinks`]: the rule-action sinks (core's ActionSink port) on the AWS SDK.
//! - [`http`]: the outbound HTTP(S) client (http action, destination confirmations) and
//!   [`http::HttpConfirmer`].
//! - [`lambda`]: [`LambdaInvoker`], invoking Lambda functions (RequestResponse or Event).
//! - [`sql_functions`]: `aws_lambda()` and `get_dynamodb()` of IoT SQL.
//! - [`management`]: [`ManagementApiPublisher`], the gateway's fan-out on the API Gateway
//!   Management API (`PostToConnection`).
//!
//! Everything on the AWS SDK is behind the `sdk` feature (on by default). Without it,
//! [`sinks`], [`lambda`] and [`sql_functions`] keep their types and calls and fail each use
//! with a message saying how to build with it; [`http`] and the table names stay.

#[cfg(feature = "sdk")]
pub mod config;
#[cfg(feature = "sdk")]
pub mod connect;
#[cfg(feature = "sdk")]
pub mod dynamo;
mod error;
pub mod http;
#[cfg(feature = "sdk")]
pub mod lambda;
#[cfg(feature = "sdk")]
pub mod management;
#[cfg(feature = "sdk")]
pub mod sinks;
#[cfg(feature = "sdk")]
pub mod sql_functions;
pub mod tables;

#[cfg(not(feature = "sdk"))]
#[path = "lean/connect.rs"]
pub mod connect;
#[cfg(not(feature = "sdk"))]
#[path = "lean/lambda.rs"]
pub mod lambda;
#[cfg(not(feature = "sdk"))]
mod lean;
#[cfg(not(feature = "sdk"))]
#[path = "lean/sinks.rs"]
pub mod sinks;
#[cfg(not(feature = "sdk"))]
#[path = "lean/sql_functions.rs"]
pub mod sql_functions;

#[cfg(feature = "sdk")]
pub use dynamo::DynamoStore;
pub use error::AwsError;
pub use lambda::LambdaInvoker;
#[cfg(feature = "sdk")]
pub use management::ManagementApiPublisher;
pub use tables::TableNames;
