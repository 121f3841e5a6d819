//! The `s3` action: PutObject of the rule's output into `bucketName` under `key` (both rendered
//! templates), with `cannedAcl` as the object's canned ACL when set.

use super::{call, LazyClient, SinkConfig};
use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ObjectCannedAcl;
use thingcore::rules::sink::{ActionError, ActionSink};
use thingcore::rules::{Action, ResolvedAction};

/// Writes rule output to Amazon S3.
#[derive(Debug)]
pub struct S3Sink {
    client: LazyClient<aws_sdk_s3::Client>,
}

impl S3Sink {
    /// A sink whose client is made from `config` on first use. With an endpoint configured
    /// (moto, LocalStack) path-style addressing is used, so bucket names need no DNS.
    pub fn new(config: SinkConfig) -> Self {
        Self {
            client: LazyClient::new(config),
        }
    }
}

#[async_trait]
impl ActionSink for S3Sink {
    async fn run(&self, action: &ResolvedAction) -> Result<(), ActionError> {
        let Action::S3(s3) = &action.action else {
            return Err(ActionError::not_for(action));
        };
        if s3.key.is_empty() {
            return Err(ActionError::invalid("key", "the object key rendered empty"));
        }
        let client = self
            .client
            .get(|sdk| {
                let config = aws_sdk_s3::config::Builder::from(sdk)
                    .force_path_style(
                        sdk.endpoint_url().is_some()
                            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some(),
                    )
                    .build();
                aws_sdk_s3::Client::from_conf(config)
            })
            .await;
        let mut request = client
            .put_object()
            .bucket(&s3.bucket_name)
            .key(&s3.key)
            .body(ByteStream::from(action.payload.to_vec()));
        if let Some(acl) = s3.canned_acl.as_deref() {
            request = request.acl(ObjectCannedAcl::from(acl));
        }
        call(
            || {
                format!(
                    "Failed to put S3 object. Bucket: {}, Key: {:?}",
                    s3.bucket_name, s3.key
                )
            },
            request.send(),
        )
        .await?;
        Ok(())
    }
}
