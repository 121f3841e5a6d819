//! Starting `thingcore serve` for a test: free ports, the banner read, killed on drop.
// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `thingcore serve --memory`.
pub struct Server {
    child: Child,
    /// The MQTT port.
    pub mqtt_port: u16,
    /// The HTTP base URL.
    pub http_url: String,
    /// The MQTT-over-TLS port.
    pub tls_port: u16,
    /// The data directory (`ca.pem`, `server.pem`, `server.key` are written there).
    pub data_dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server on ports the OS picks and waits for its banner.
pub fn start() -> Server {
    let data_dir = tempfile::tempdir().expect("a data directory");
    let mut child = Command::new(env!("CARGO_BIN_EXE_thingcore"))
        .args([
            "serve",
            "--memory",
            "--http-addr",
            "127.0.0.1:0",
            "--mqtt-addr",
            "127.0.0.1:0",
            "--tls-addr",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(data_dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start thingcore");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut mqtt_port = None;
    let mut tls_port = None;
    let http_url = loop {
        let line = lines.next().expect("banner line").expect("readable");
        if let Some(addr) = line.strip_prefix("thingcore: mqtt listening on mqtt://") {
            mqtt_port = addr.rsplit(':').next().and_then(|p| p.parse().ok());
        }
        if let Some(addr) = line.strip_prefix("thingcore: tls listening on mqtts://") {
            tls_port = addr.rsplit(':').next().and_then(|p| p.parse().ok());
        }
        if let Some(url) = line.strip_prefix("thingcore: http listening on ") {
            break url.to_string();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        mqtt_port: mqtt_port.expect("an MQTT port in the banner"),
        http_url,
        tls_port: tls_port.expect("a TLS port in the banner"),
        data_dir,
    }
}
