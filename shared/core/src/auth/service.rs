//! Which AWS service a request path belongs to, as the SDKs' service models sign it, and which
//! IoT action a data-plane request is.
//!
//! | paths | signing name (botocore `signingName`) |
//! |-------|---------------------------------------|
//! | `/mqtt` (MQTT over WebSocket) | `iotdevicegateway` |
//! | `/topics/...`, `/retainedMessage[/...]`, `/things/{thing}/shadow`, `/api/things/shadow/...` | `iotdata` |
//! | `/` signed `iam` or `sts` (the Query protocol) | `iam`, `sts` |
//! | `/things/{thing}/jobs[/{jobId}]` signed `iot-jobs-data` | `iot-jobs-data` |
//! | everything else (the control plane) | `iot` |

use crate::policy::IotAction;
use percent_encoding::percent_decode_str;

/// The signing name of the control plane (`aws iot`).
pub const CONTROL_PLANE: &str = "iot";
/// The signing name of the data plane (`aws iot-data`).
pub const DATA_PLANE: &str = "iotdata";
/// The signing name of presigned MQTT-over-WebSocket URLs.
pub const DEVICE_GATEWAY: &str = "iotdevicegateway";

/// The signing name of the Jobs data plane (`aws iot-jobs-data`).
pub const JOBS_DATA_PLANE: &str = "iot-jobs-data";

/// Whether `path` is one the `iot-jobs-data` API uses (`/things/{thing}/jobs` and
/// `/things/{thing}/jobs/{jobId}`). The control plane has the same two paths
/// (ListJobExecutionsForThing, DescribeJobExecution): the signing name tells them apart.
pub fn is_jobs_data_path(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["things", thing, "jobs"] => !thing.is_empty(),
        ["things", thing, "jobs", job] => !thing.is_empty() && !job.is_empty(),
        _ => false,
    }
}

/// Whether `method path`, signed for `signed` (None: unsigned), is an `iot-jobs-data` call:
/// signed for it on one of its paths, or unsigned and one only it has (UpdateJobExecution's
/// `POST`, StartNextPendingJobExecution's `PUT …/jobs/$next`).
pub fn is_jobs_data_request(method: &str, path: &str, signed: Option<&str>) -> bool {
    if !is_jobs_data_path(path) {
        return false;
    }
    match signed {
        Some(service) => service == JOBS_DATA_PLANE,
        None => method == "POST" || (method == "PUT" && path.ends_with("/jobs/$next")),
    }
}

/// The signing names of IAM and STS, whose Query-protocol requests are all `POST /`.
pub const QUERY_SERVICES: [&str; 2] = ["iam", "sts"];

/// The signing name a request to `path` signed for `signed` must carry: `iam` or `sts` as
/// signed at `/` (the Query protocol's one path), else [`signing_service`].
pub fn expected_service(path: &str, signed: &str) -> &'static str {
    if signed == JOBS_DATA_PLANE && is_jobs_data_path(path) {
        return JOBS_DATA_PLANE;
    }
    match QUERY_SERVICES.iter().find(|name| **name == signed) {
        Some(name) if path == "/" => name,
        _ => signing_service(path),
    }
}

/// The signing name requests to `path` (the raw path, without the query) must be signed for.
pub fn signing_service(path: &str) -> &'static str {
    if path == "/mqtt" {
        DEVICE_GATEWAY
    } else if is_data_plane(path) {
        DATA_PLANE
    } else {
        CONTROL_PLANE
    }
}

fn is_data_plane(path: &str) -> bool {
    if path.starts_with("/topics/")
        || path == "/retainedMessage"
        || path.starts_with("/retainedMessage/")
        || path.starts_with("/api/things/shadow/")
    {
        return true;
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    matches!(segments.as_slice(), ["things", thing, "shadow"] if !thing.is_empty())
}

/// A data-plane operation, with the names its policy check is about (decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataPlaneAction {
    /// `Publish` (`POST /topics/{topic}`), `iot:Publish` on the topic.
    Publish {
        /// The topic.
        topic: String,
        /// Whether `retain=true` was asked (then `iot:RetainPublish` is needed too).
        retain: bool,
    },
    /// `GetRetainedMessage`, `iot:GetRetainedMessage` on the topic.
    GetRetainedMessage {
        /// The topic.
        topic: String,
    },
    /// `ListRetainedMessages`, `iot:ListRetainedMessages`.
    ListRetainedMessages,
    /// A shadow operation (`GetThingShadow`, `UpdateThingShadow`, `DeleteThingShadow`).
    Shadow {
        /// Which of the three.
        action: IotAction,
        /// The thing.
        thing: String,
        /// The named shadow, `None` for the classic one.
        shadow: Option<String>,
    },
    /// `ListNamedShadowsForThing`, `iot:ListNamedShadowsForThing`.
    ListNamedShadowsForThing {
        /// The thing.
        thing: String,
    },
    /// An `iot-jobs-data` operation (`GetPendingJobExecutions`, `StartNextPendingJobExecution`,
    /// `DescribeJobExecution`, `UpdateJobExecution`), the action of that name on the thing.
    JobExecution {
        /// Which of the four.
        action: IotAction,
        /// The thing.
        thing: String,
    },
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

fn query_value<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The data-plane operation `method path?query` is, or `None` for anything else (the control
/// plane, `/mqtt`, unknown routes: those are answered by their handlers).
pub fn data_plane_action(method: &str, path: &str, query: Option<&str>) -> Option<DataPlaneAction> {
    if let Some(topic) = path.strip_prefix("/topics/") {
        return (method == "POST").then(|| DataPlaneAction::Publish {
            topic: decode(topic),
            retain: query_value(query, "retain").is_some_and(|v| v.eq_ignore_ascii_case("true")),
        });
    }
    if path == "/retainedMessage" {
        return (method == "GET").then_some(DataPlaneAction::ListRetainedMessages);
    }
    if let Some(topic) = path.strip_prefix("/retainedMessage/") {
        return (method == "GET").then(|| DataPlaneAction::GetRetainedMessage {
            topic: decode(topic),
        });
    }
    if let Some(thing) = path.strip_prefix("/api/things/shadow/ListNamedShadowsForThing/") {
        return (method == "GET").then(|| DataPlaneAction::ListNamedShadowsForThing {
            thing: decode(thing),
        });
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if let ["things", thing, "shadow"] = segments.as_slice() {
        let action = match method {
            "GET" => IotAction::GetThingShadow,
            "POST" => IotAction::UpdateThingShadow,
            "DELETE" => IotAction::DeleteThingShadow,
            _ => return None,
        };
        return Some(DataPlaneAction::Shadow {
            action,
            thing: decode(thing),
            shadow: query_value(query, "name")
                .filter(|name| !name.is_empty())
                .map(decode),
        });
    }
    None
}

/// The IoT policy action of an `iot-jobs-data` request, as a device with a certificate makes it
/// over HTTPS, where nothing else has these paths (the control plane's `GET /things/{thing}/jobs`
/// and `…/jobs/{jobId}` are SigV4's); `None` for any other request.
pub fn jobs_data_action(method: &str, path: &str) -> Option<DataPlaneAction> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (thing, action) = match (method, segments.as_slice()) {
        ("GET", ["things", thing, "jobs"]) => (thing, IotAction::GetPendingJobExecutions),
        ("PUT", ["things", thing, "jobs", "$next"]) => {
            (thing, IotAction::StartNextPendingJobExecution)
        }
        ("GET", ["things", thing, "jobs", job]) if !job.is_empty() => {
            (thing, IotAction::DescribeJobExecution)
        }
        ("POST", ["things", thing, "jobs", job]) if !job.is_empty() && *job != "$next" => {
            (thing, IotAction::UpdateJobExecution)
        }
        _ => return None,
    };
    (!thing.is_empty()).then(|| DataPlaneAction::JobExecution {
        action,
        thing: decode(thing),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_signed_for_the_service_their_sdk_model_names() {
        assert_eq!(signing_service("/mqtt"), "iotdevicegateway");
        assert_eq!(signing_service("/topics/a%2Fb"), "iotdata");
        assert_eq!(signing_service("/retainedMessage"), "iotdata");
        assert_eq!(signing_service("/retainedMessage/a%2Fb"), "iotdata");
        assert_eq!(signing_service("/things/t1/shadow"), "iotdata");
        assert_eq!(
            signing_service("/api/things/shadow/ListNamedShadowsForThing/t1"),
            "iotdata"
        );
        assert_eq!(signing_service("/things/t1"), "iot");
        assert_eq!(
            expected_service("/things/t1/jobs/j1", "iot-jobs-data"),
            "iot-jobs-data"
        );
        assert_eq!(expected_service("/things/t1/jobs", "iot"), "iot");
        assert_eq!(expected_service("/jobs/j1", "iot-jobs-data"), "iot");
        assert!(is_jobs_data_request(
            "GET",
            "/things/t1/jobs",
            Some("iot-jobs-data")
        ));
        assert!(!is_jobs_data_request("GET", "/things/t1/jobs", Some("iot")));
        assert!(!is_jobs_data_request("GET", "/things/t1/jobs/j1", None));
        assert!(is_jobs_data_request("POST", "/things/t1/jobs/j1", None));
        assert!(is_jobs_data_request("PUT", "/things/t1/jobs/$next", None));
        assert!(!is_jobs_data_request(
            "PUT",
            "/things/t1/jobs/j1/cancel",
            None
        ));
        assert!(!is_jobs_data_request(
            "GET",
            "/things/t1/shadow",
            Some("iot-jobs-data")
        ));
        assert_eq!(expected_service("/", "iam"), "iam");
        assert_eq!(expected_service("/", "sts"), "sts");
        assert_eq!(expected_service("/", "s3"), "iot");
        assert_eq!(expected_service("/things/t1", "iam"), "iot");
        assert_eq!(signing_service("/things/t1/principals"), "iot");
        assert_eq!(signing_service("/policies/p"), "iot");
        assert_eq!(signing_service("/authorizer/a"), "iot");
    }

    #[test]
    fn data_plane_requests_map_to_their_iot_actions() {
        assert_eq!(
            data_plane_action("POST", "/topics/dev%2Fs1%2Ft", Some("qos=1&retain=true")),
            Some(DataPlaneAction::Publish {
                topic: "dev/s1/t".into(),
                retain: true
            })
        );
        assert_eq!(
            data_plane_action("GET", "/retainedMessage", None),
            Some(DataPlaneAction::ListRetainedMessages)
        );
        assert_eq!(
            data_plane_action("GET", "/retainedMessage/a%2Fb", None),
            Some(DataPlaneAction::GetRetainedMessage {
                topic: "a/b".into()
            })
        );
        assert_eq!(
            data_plane_action("POST", "/things/t%201/shadow", Some("name=cfg")),
            Some(DataPlaneAction::Shadow {
                action: IotAction::UpdateThingShadow,
                thing: "t 1".into(),
                shadow: Some("cfg".into())
            })
        );
        assert_eq!(
            data_plane_action("DELETE", "/things/t1/shadow", None),
            Some(DataPlaneAction::Shadow {
                action: IotAction::DeleteThingShadow,
                thing: "t1".into(),
                shadow: None
            })
        );
        assert_eq!(
            data_plane_action(
                "GET",
                "/api/things/shadow/ListNamedShadowsForThing/t1",
                None
            ),
            Some(DataPlaneAction::ListNamedShadowsForThing { thing: "t1".into() })
        );
        assert_eq!(data_plane_action("GET", "/things/t1", None), None);
        assert_eq!(data_plane_action("GET", "/things/t1/jobs", None), None);
        assert_eq!(data_plane_action("PUT", "/things/t1/shadow", None), None);
    }

    #[test]
    fn jobs_data_requests_map_to_the_jobs_actions_on_the_thing() {
        let job = |action, thing: &str| {
            Some(DataPlaneAction::JobExecution {
                action,
                thing: thing.to_owned(),
            })
        };
        assert_eq!(
            jobs_data_action("GET", "/things/t%201/jobs"),
            job(IotAction::GetPendingJobExecutions, "t 1")
        );
        assert_eq!(
            jobs_data_action("PUT", "/things/t1/jobs/$next"),
            job(IotAction::StartNextPendingJobExecution, "t1")
        );
        assert_eq!(
            jobs_data_action("GET", "/things/t1/jobs/$next"),
            job(IotAction::DescribeJobExecution, "t1")
        );
        assert_eq!(
            jobs_data_action("GET", "/things/t1/jobs/j1"),
            job(IotAction::DescribeJobExecution, "t1")
        );
        assert_eq!(
            jobs_data_action("POST", "/things/t1/jobs/j1"),
            job(IotAction::UpdateJobExecution, "t1")
        );
        for (method, path) in [
            ("POST", "/things/t1/jobs/$next"),
            ("DELETE", "/things/t1/jobs/j1"),
            ("PUT", "/things/t1/jobs/j1"),
            ("GET", "/things//jobs"),
            ("GET", "/things/t1/jobs/"),
            ("GET", "/things/t1"),
            ("GET", "/jobs/j1"),
        ] {
            assert_eq!(jobs_data_action(method, path), None, "{method} {path}");
        }
    }
}
