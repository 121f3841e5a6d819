//! `LambdaInvoker` and the `lambda` rule action against a small Invoke-API server written
//! here (moto implements Invoke only with Docker): `POST
//! /2015-03-31/functions/{name}/invocations` records each call and answers as the function
//! it names is told to; an unknown function gets Lambda's 404 `ResourceNotFoundException`.

use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thingcore::mqtt::Bytes;
use thingcore::rules::sink::{ActionError, ActionSink};
use thingcore::rules::{Action, ResolvedAction};
use thingcore_aws::lambda::{InvocationType, LambdaInvoker};
use thingcore_aws::sinks::lambda::LambdaSink;
use thingcore_aws::sinks::SinkConfig;
use thingcore_aws::AwsError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// How a stub function answers.
#[derive(Clone, Copy)]
enum Function {
    /// Returns its input (RequestResponse).
    Echo,
    /// Fails as an unhandled error.
    Fails,
    /// Answers after this long.
    Slow(Duration),
}

/// One call the stub saw: function name (decoded, last ARN part), `X-Amz-Invocation-Type`,
/// body.
#[derive(Debug, Clone)]
struct Call {
    function: String,
    invocation_type: String,
    body: Vec<u8>,
}

type Calls = Arc<Mutex<Vec<Call>>>;

/// `%3A` and friends back to characters.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The function's name in a path segment that may be an ARN (`...:function:name[:qualifier]`).
fn function_name(segment: &str) -> String {
    let decoded = percent_decode(segment);
    match decoded.split_once(":function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest).to_owned(),
        None => decoded,
    }
}

/// Reads one HTTP/1.1 request: (request line and headers lowercased, body).
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
        let length = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        if buffer.len() >= end + 4 + length {
            return Some((head, buffer[end + 4..end + 4 + length].to_vec()));
        }
    }
}

/// Starts the stub with `functions`; returns its endpoint URL and the calls it saw.
async fn stub(functions: HashMap<&'static str, Function>) -> (String, Calls) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let calls: Calls = Arc::default();
    let record = calls.clone();
    let functions = Arc::new(functions);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let record = record.clone();
            let functions = functions.clone();
            tokio::spawn(async move {
                let Some((head, body)) = read_request(&mut socket).await else {
                    return;
                };
                let mut lines = head.lines();
                let request_line = lines.next().unwrap_or_default().to_owned();
                let header = |name: &str| {
                    head.lines()
                        .skip(1)
                        .find_map(|l| {
                            let (n, v) = l.split_once(':')?;
                            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                let path = request_line.split(' ').nth(1).unwrap_or_default();
                let segment = path
                    .strip_prefix("/2015-03-31/functions/")
                    .and_then(|rest| rest.split('/').next())
                    .unwrap_or_default();
                let name = function_name(segment);
                let invocation_type = match header("x-amz-invocation-type") {
                    t if t.is_empty() => "RequestResponse".to_owned(),
                    t => t,
                };
                record.lock().expect("lock").push(Call {
                    function: name.clone(),
                    invocation_type: invocation_type.clone(),
                    body: body.clone(),
                });
                let (status, extra, answer): (u16, String, Vec<u8>) = match functions.get(name.as_str()) {
                    None => (
                        404,
                        "x-amzn-errortype: ResourceNotFoundException\r\n".to_owned(),
                        json!({"Type": "User",
                            "message": format!("Function not found: arn:aws:lambda:us-east-1:000000000000:function:{name}")})
                        .to_string()
                        .into_bytes(),
                    ),
                    Some(_) if invocation_type == "Event" => (202, String::new(), Vec::new()),
                    Some(Function::Echo) => (200, String::new(), body),
                    Some(Function::Fails) => (
                        200,
                        "x-amz-function-error: Unhandled\r\n".to_owned(),
                        br#"{"errorMessage":"boom","errorType":"Error"}"#.to_vec(),
                    ),
                    Some(Function::Slow(delay)) => {
                        tokio::time::sleep(*delay).await;
                        (200, String::new(), b"{}".to_vec())
                    }
                };
                let response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n",
                    answer.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.write_all(&answer).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (url, calls)
}

async fn config(endpoint: &str) -> SinkConfig {
    SinkConfig::fixed(thingcore_aws::config::load(Some(endpoint)).await)
}

fn functions() -> HashMap<&'static str, Function> {
    HashMap::from([
        ("echo", Function::Echo),
        ("fails", Function::Fails),
        ("slow", Function::Slow(Duration::from_secs(5))),
    ])
}

#[tokio::test]
async fn request_response_returns_the_functions_answer() {
    let (url, calls) = stub(functions()).await;
    let invoker = LambdaInvoker::new(config(&url).await);
    let answer = invoker
        .invoke_json("echo", &json!({"token": "abc"}))
        .await
        .expect("an answer");
    assert_eq!(answer, json!({"token": "abc"}));
    // By ARN too; the stub sees the name.
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:echo";
    let raw = invoker
        .invoke(arn, b"[1]", InvocationType::RequestResponse)
        .await
        .expect("an answer");
    assert_eq!(
        (raw.status_code, raw.payload.as_slice()),
        (200, &b"[1]"[..])
    );
    let calls = calls.lock().expect("lock").clone();
    assert_eq!(calls.len(), 2);
    assert!(calls
        .iter()
        .all(|c| c.function == "echo" && c.invocation_type == "RequestResponse"));
}

#[tokio::test]
async fn function_errors_missing_functions_and_timeouts_are_typed() {
    let (url, _) = stub(functions()).await;
    let invoker = LambdaInvoker::new(config(&url).await).with_timeout(Duration::from_millis(500));
    match invoker.invoke_json("fails", &json!({})).await {
        Err(AwsError::FunctionError {
            function,
            kind,
            payload,
        }) => {
            assert_eq!((function.as_str(), kind.as_str()), ("fails", "Unhandled"));
            assert!(payload.contains("boom"), "{payload}");
        }
        other => panic!("expected FunctionError, got {other:?}"),
    }
    match invoker.invoke_json("nope", &json!({})).await {
        Err(AwsError::FunctionNotFound { function, message }) => {
            assert_eq!(function, "nope");
            assert!(message.contains("Function not found"), "{message}");
        }
        other => panic!("expected FunctionNotFound, got {other:?}"),
    }
    match invoker.invoke_json("slow", &json!({})).await {
        Err(AwsError::InvokeFailed {
            code: None,
            message,
            ..
        }) => {
            assert!(message.contains("500 ms"), "{message}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}

fn lambda_action(function_arn: &str, payload: &[u8]) -> ResolvedAction {
    let action: Action = serde_json::from_value(json!({"lambda": {"functionArn": function_arn}}))
        .expect("an action");
    ResolvedAction {
        action,
        payload: Bytes::copy_from_slice(payload),
    }
}

#[tokio::test]
async fn the_lambda_action_invokes_asynchronously() {
    let (url, calls) = stub(functions()).await;
    let sink = LambdaSink::new(config(&url).await);
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:echo";
    sink.run(&lambda_action(arn, br#"{"temp":31}"#))
        .await
        .expect("invoked");
    let calls = calls.lock().expect("lock").clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].function, "echo");
    assert_eq!(calls[0].invocation_type, "Event");
    assert_eq!(calls[0].body, br#"{"temp":31}"#);
}

#[tokio::test]
async fn an_unknown_function_fails_with_lambdas_error() {
    let (url, _) = stub(functions()).await;
    let sink = LambdaSink::new(config(&url).await);
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:missing";
    let error = sink
        .run(&lambda_action(arn, b"{}"))
        .await
        .expect_err("no such function");
    assert!(matches!(error, ActionError::Failed { .. }));
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "Failed to invoke Lambda function {arn}. The error received was ResourceNotFoundException: Function not found"
        )),
        "{text}"
    );
}

#[tokio::test]
async fn the_aws_lambda_sql_function_returns_the_answer() {
    let (url, calls) = stub(functions()).await;
    let functions = thingcore_aws::sql_functions::AwsSqlFunctions::new(config(&url).await);
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:echo";
    let answer = functions
        .aws_lambda(arn, &json!({"payload": {"temp": 31}}))
        .await
        .expect("an answer");
    assert_eq!(answer, json!({"payload": {"temp": 31}}));
    assert_eq!(
        calls.lock().expect("lock")[0].invocation_type,
        "RequestResponse"
    );
    assert!(matches!(
        functions.aws_lambda("missing", &json!({})).await,
        Err(AwsError::FunctionNotFound { .. })
    ));
}
