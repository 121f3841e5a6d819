//! [`ManagementApiPublisher`]: the gateway's fan-out port on the API Gateway Management API
//! (`PostToConnection`, and `DeleteConnection` to close a connection whose session ended). A
//! 410 (`GoneException`) becomes [`PostError::Gone`], so the gateway forgets the connection.

use aws_sdk_apigatewaymanagement::config::http::HttpResponse;
use aws_sdk_apigatewaymanagement::error::{DisplayErrorContext, SdkError};
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_sdk_apigatewaymanagement::Client;
use thingcore::gateway::{ConnectionPublisher, PostError};

/// Posts frames to WebSocket API connections.
#[derive(Debug, Clone)]
pub struct ManagementApiPublisher {
    client: Client,
}

impl ManagementApiPublisher {
    /// A publisher for the WebSocket API stage at `endpoint`
    /// (`https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`, the
    /// `THINGCORE_WEBSOCKET_ENDPOINT` of the gateway function), with `sdk`'s region and
    /// credentials.
    pub fn new(sdk: &aws_config::SdkConfig, endpoint: &str) -> Self {
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(sdk)
            .endpoint_url(endpoint)
            .build();
        Self {
            client: Client::from_conf(config),
        }
    }
}

#[async_trait::async_trait]
impl ConnectionPublisher for ManagementApiPublisher {
    async fn post(&self, connection_id: &str, frame: &str) -> Result<(), PostError> {
        let result = self
            .client
            .post_to_connection()
            .connection_id(connection_id)
            .data(Blob::new(frame.as_bytes()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_gone_exception() => {
                Err(PostError::Gone(connection_id.to_string()))
            }
            Err(error) => Err(post_error(connection_id, error)),
        }
    }

    async fn close(&self, connection_id: &str) -> Result<(), PostError> {
        let result = self
            .client
            .delete_connection()
            .connection_id(connection_id)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_gone_exception() => {
                Err(PostError::Gone(connection_id.to_string()))
            }
            Err(error) => Err(post_error(connection_id, error)),
        }
    }
}

/// A Management API failure: Gone for a 410 whatever its error shape, else Failed.
fn post_error<E>(connection_id: &str, error: SdkError<E, HttpResponse>) -> PostError
where
    E: std::error::Error + Send + Sync + 'static,
{
    if let SdkError::ServiceError(e) = &error {
        if e.raw().status().as_u16() == 410 {
            return PostError::Gone(connection_id.to_string());
        }
    }
    PostError::Failed {
        connection_id: connection_id.to_string(),
        message: DisplayErrorContext(&error).to_string(),
        source: Some(Box::new(error)),
    }
}
