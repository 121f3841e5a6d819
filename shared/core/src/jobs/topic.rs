//! The reserved Jobs topics ("Jobs device MQTT API"): a device publishes requests to
//! `$aws/things/{thing}/jobs/get`, `…/jobs/start-next`, `…/jobs/{jobId}/get` and
//! `…/jobs/{jobId}/update`, and the Jobs service answers on the same topic plus `/accepted` or
//! `/rejected`. It also publishes `…/jobs/notify` (the pending list changed) and
//! `…/jobs/notify-next` (the next execution changed).
//!
//! A job id is one topic level, so `…/jobs/get` is GetPendingJobExecutions and
//! `…/jobs/get/get` describes a job named `get`. `$next` stands for the next pending
//! execution in DescribeJobExecution only.

/// The job id that names the thing's next pending execution (DescribeJobExecution).
pub const NEXT: &str = "$next";

/// A device's request on a Jobs topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JobsOperation {
    /// `…/jobs/get`: GetPendingJobExecutions.
    GetPending,
    /// `…/jobs/start-next`: StartNextPendingJobExecution.
    StartNext,
    /// `…/jobs/{jobId}/get`: DescribeJobExecution (`$next` allowed).
    Describe {
        /// The job id as written in the topic.
        job_id: String,
    },
    /// `…/jobs/{jobId}/update`: UpdateJobExecution.
    Update {
        /// The job id as written in the topic.
        job_id: String,
    },
}

/// How the service answers a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobsReply {
    /// `/accepted`.
    Accepted,
    /// `/rejected`: an error response document.
    Rejected,
}

impl JobsReply {
    /// The topic level naming this reply.
    pub fn as_str(self) -> &'static str {
        match self {
            JobsReply::Accepted => "accepted",
            JobsReply::Rejected => "rejected",
        }
    }
}

/// A request topic, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobsTopic {
    /// The thing the request is about (not validated here: the service answers a bad name
    /// on `/rejected`).
    pub thing_name: String,
    /// The operation.
    pub operation: JobsOperation,
}

const PREFIX: &str = "$aws/things/";

/// Splits `$aws/things/{thing}/jobs/{rest}` into the thing and the levels after `jobs`.
fn split(topic: &str) -> Option<(&str, Vec<&str>)> {
    let rest = topic.strip_prefix(PREFIX)?;
    let (thing, rest) = rest.split_once('/')?;
    let rest = rest.strip_prefix("jobs/")?;
    if thing.is_empty() {
        return None;
    }
    Some((thing, rest.split('/').collect()))
}

fn operation(levels: &[&str]) -> Option<JobsOperation> {
    match levels {
        ["get"] => Some(JobsOperation::GetPending),
        ["start-next"] => Some(JobsOperation::StartNext),
        [job_id, "get"] if !job_id.is_empty() => Some(JobsOperation::Describe {
            job_id: (*job_id).to_string(),
        }),
        [job_id, "update"] if !job_id.is_empty() => Some(JobsOperation::Update {
            job_id: (*job_id).to_string(),
        }),
        _ => None,
    }
}

impl JobsTopic {
    /// The request a topic is, or `None` for any other topic (replies and notifications
    /// included).
    pub fn parse(topic: &str) -> Option<Self> {
        let (thing, levels) = split(topic)?;
        Some(Self {
            thing_name: thing.to_string(),
            operation: operation(&levels)?,
        })
    }

    /// Whether `topic` is one only the Jobs service publishes to: an answer (`…/accepted`,
    /// `…/rejected` after a request's levels) or a notification (`…/jobs/notify`,
    /// `…/jobs/notify-next`).
    pub fn is_service_topic(topic: &str) -> bool {
        let Some((_, levels)) = split(topic) else {
            return false;
        };
        match levels.as_slice() {
            ["notify" | "notify-next"] => true,
            [request @ .., "accepted" | "rejected"] => operation(request).is_some(),
            _ => false,
        }
    }

    /// The request's own topic.
    pub fn request_topic(&self) -> String {
        let thing = &self.thing_name;
        match &self.operation {
            JobsOperation::GetPending => format!("{PREFIX}{thing}/jobs/get"),
            JobsOperation::StartNext => format!("{PREFIX}{thing}/jobs/start-next"),
            JobsOperation::Describe { job_id } => format!("{PREFIX}{thing}/jobs/{job_id}/get"),
            JobsOperation::Update { job_id } => format!("{PREFIX}{thing}/jobs/{job_id}/update"),
        }
    }

    /// The topic the service answers this request on.
    pub fn reply_topic(&self, reply: JobsReply) -> String {
        format!("{}/{}", self.request_topic(), reply.as_str())
    }
}

/// `$aws/things/{thing}/jobs/notify`: the thing's pending list changed.
pub fn notify_topic(thing: &str) -> String {
    format!("{PREFIX}{thing}/jobs/notify")
}

/// `$aws/things/{thing}/jobs/notify-next`: the thing's next pending execution changed.
pub fn notify_next_topic(thing: &str) -> String {
    format!("{PREFIX}{thing}/jobs/notify-next")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(topic: &str) -> Option<(String, JobsOperation)> {
        JobsTopic::parse(topic).map(|t| (t.thing_name, t.operation))
    }

    #[test]
    fn the_four_requests_parse() {
        assert_eq!(
            parsed("$aws/things/lamp/jobs/get"),
            Some(("lamp".into(), JobsOperation::GetPending))
        );
        assert_eq!(
            parsed("$aws/things/lamp/jobs/start-next"),
            Some(("lamp".into(), JobsOperation::StartNext))
        );
        assert_eq!(
            parsed("$aws/things/lamp/jobs/$next/get"),
            Some((
                "lamp".into(),
                JobsOperation::Describe {
                    job_id: NEXT.into()
                }
            ))
        );
        assert_eq!(
            parsed("$aws/things/lamp/jobs/fw-2/update"),
            Some((
                "lamp".into(),
                JobsOperation::Update {
                    job_id: "fw-2".into()
                }
            ))
        );
        // A job named like an operation is told apart by the number of levels.
        assert_eq!(
            parsed("$aws/things/lamp/jobs/get/get"),
            Some((
                "lamp".into(),
                JobsOperation::Describe {
                    job_id: "get".into()
                }
            ))
        );
    }

    #[test]
    fn other_topics_are_not_requests() {
        for topic in [
            "$aws/things/lamp/jobs",
            "$aws/things/lamp/jobs/",
            "$aws/things//jobs/get",
            "$aws/things/lamp/jobs/notify",
            "$aws/things/lamp/jobs/notify-next",
            "$aws/things/lamp/jobs/get/accepted",
            "$aws/things/lamp/jobs/fw/update/rejected",
            "$aws/things/lamp/jobs//get",
            "$aws/things/lamp/jobs/fw/delete",
            "$aws/things/lamp/shadow/get",
            "things/lamp/jobs/get",
        ] {
            assert_eq!(JobsTopic::parse(topic), None, "{topic}");
        }
    }

    #[test]
    fn answers_and_notifications_are_the_services_own() {
        for topic in [
            "$aws/things/lamp/jobs/notify",
            "$aws/things/lamp/jobs/notify-next",
            "$aws/things/lamp/jobs/get/accepted",
            "$aws/things/lamp/jobs/start-next/rejected",
            "$aws/things/lamp/jobs/fw/get/accepted",
            "$aws/things/lamp/jobs/$next/get/rejected",
            "$aws/things/lamp/jobs/fw/update/accepted",
        ] {
            assert!(JobsTopic::is_service_topic(topic), "{topic}");
        }
        for topic in [
            "$aws/things/lamp/jobs/get",
            "$aws/things/lamp/jobs/fw/update",
            "$aws/things/lamp/jobs/fw/accepted",
            "$aws/things/lamp/jobs/notify/x",
            "$aws/things/lamp/shadow/get/accepted",
        ] {
            assert!(!JobsTopic::is_service_topic(topic), "{topic}");
        }
    }

    #[test]
    fn replies_go_to_the_request_topic_plus_the_outcome() {
        let request = JobsTopic::parse("$aws/things/lamp/jobs/fw/update").expect("a request");
        assert_eq!(
            request.reply_topic(JobsReply::Accepted),
            "$aws/things/lamp/jobs/fw/update/accepted"
        );
        let request = JobsTopic::parse("$aws/things/lamp/jobs/get").expect("a request");
        assert_eq!(
            request.reply_topic(JobsReply::Rejected),
            "$aws/things/lamp/jobs/get/rejected"
        );
        assert_eq!(notify_topic("lamp"), "$aws/things/lamp/jobs/notify");
        assert_eq!(
            notify_next_topic("lamp"),
            "$aws/things/lamp/jobs/notify-next"
        );
    }
}
