//! `thingcore-load`: a bounded MQTT load generator for loopback benchmarks. It speaks MQTT
//! 3.1.1 with the core codec, so it measures the broker, not a client library, and runs the
//! same against thingcore and mosquitto.
//!
//! A run: subscribers connect and subscribe, publishers send a fixed number of messages each
//! (timestamped in the payload), and the run ends when every expected message has arrived or
//! the time limit passes. It reports delivered messages per second and latency percentiles.

use bytes::{Buf, BufMut, BytesMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use thingcore::mqtt::{
    self, Bytes, Connect, ConnectProperties, DecodeError, Packet, ProtocolVersion, PubAck, Publish,
    QoS, Subscribe, SubscribeFilter, SubscriptionOptions,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{Barrier, Semaphore};

/// Who receives what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Pattern {
    /// Every subscriber receives every message (`load/#`): fan-in with few subscribers,
    /// fan-out with few publishers.
    All,
    /// Subscriber i receives publisher i's messages (`load/i`); needs as many of each.
    Pairs,
}

/// One run's parameters.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadOptions {
    /// Broker host.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Broker MQTT port.
    #[arg(long, default_value_t = 1883)]
    pub port: u16,
    /// Publishing connections.
    #[arg(long, default_value_t = 10)]
    pub publishers: usize,
    /// Subscribing connections.
    #[arg(long, default_value_t = 10)]
    pub subscribers: usize,
    /// Who receives what.
    #[arg(long, value_enum, default_value_t = Pattern::All)]
    pub pattern: Pattern,
    /// QoS of publishes and subscriptions (0 or 1).
    #[arg(long, default_value_t = 0)]
    pub qos: u8,
    /// Payload size in bytes (at least 8: the send timestamp).
    #[arg(long, default_value_t = 64)]
    pub payload: usize,
    /// Messages each publisher sends.
    #[arg(long, default_value_t = 100)]
    pub messages: usize,
    /// QoS 1 messages a publisher keeps in flight.
    #[arg(long, default_value_t = 32)]
    pub window: usize,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Messages the subscribers should have received.
    pub expected: u64,
    /// Messages they received.
    pub received: u64,
    /// From the first send to the last receipt.
    pub elapsed: Duration,
    /// Median latency.
    pub p50: Duration,
    /// 99th-percentile latency.
    pub p99: Duration,
}

impl LoadReport {
    /// Delivered messages per second.
    pub fn rate(&self) -> f64 {
        self.received as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "received {}/{} in {:.2}s: {:.0} msgs/s, p50 {:.2} ms, p99 {:.2} ms",
            self.received,
            self.expected,
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3
        )
    }
}

/// A minimal MQTT 3.1.1 client over the core codec.
struct Wire {
    reader: OwnedReadHalf,
    writer: OwnedWriteHalf,
    buf: BytesMut,
}

impl Wire {
    async fn connect(
        host: &str,
        port: u16,
        client_id: &str,
        keep_alive: u16,
    ) -> anyhow::Result<Wire> {
        let stream = TcpStream::connect((host, port)).await?;
        stream.set_nodelay(true)?;
        let (reader, writer) = stream.into_split();
        let mut wire = Wire {
            reader,
            writer,
            buf: BytesMut::with_capacity(16 * 1024),
        };
        let connect = Packet::Connect(Box::new(Connect {
            protocol: ProtocolVersion::V311,
            clean_start: true,
            keep_alive,
            client_id: client_id.into(),
            will: None,
            username: None,
            password: None,
            properties: ConnectProperties::default(),
        }));
        wire.send(&connect).await?;
        match wire.next().await? {
            Packet::ConnAck(ack) if ack.reason_code == 0 => Ok(wire),
            other => anyhow::bail!("{client_id}: unexpected answer to CONNECT: {other:?}"),
        }
    }

    async fn send(&mut self, packet: &Packet) -> anyhow::Result<()> {
        let mut out = BytesMut::new();
        mqtt::encode(packet, ProtocolVersion::V311, &mut out);
        self.writer.write_all(&out).await?;
        Ok(())
    }

    async fn next(&mut self) -> anyhow::Result<Packet> {
        next_packet(&mut self.reader, &mut self.buf).await
    }
}

fn qos_of(n: u8) -> QoS {
    if n >= 1 {
        QoS::AtLeastOnce
    } else {
        QoS::AtMostOnce
    }
}

/// Runs one load scenario.
///
/// # Errors
/// A connection that fails or a broker that answers wrongly.
pub async fn run(options: &LoadOptions) -> anyhow::Result<LoadReport> {
    anyhow::ensure!(options.payload >= 8, "--payload must be at least 8 bytes");
    if options.pattern == Pattern::Pairs {
        anyhow::ensure!(
            options.publishers == options.subscribers,
            "--pattern pairs needs as many publishers as subscribers"
        );
    }
    let qos = qos_of(options.qos);
    let per_subscriber = match options.pattern {
        Pattern::All => (options.publishers * options.messages) as u64,
        Pattern::Pairs => options.messages as u64,
    };
    let expected = per_subscriber * options.subscribers as u64;
    let epoch = Instant::now();
    let deadline = epoch + Duration::from_secs(options.timeout);
    let last_receipt = Arc::new(AtomicU64::new(0));
    let run_id = std::process::id();

    let mut subscribers = Vec::new();
    for i in 0..options.subscribers {
        let mut wire = Wire::connect(
            &options.host,
            options.port,
            &format!("load-sub-{run_id}-{i}"),
            600,
        )
        .await?;
        let filter = match options.pattern {
            Pattern::All => "load/#".to_string(),
            Pattern::Pairs => format!("load/{i}"),
        };
        wire.send(&Packet::Subscribe(Subscribe {
            packet_id: 1,
            filters: vec![SubscribeFilter {
                filter,
                options: SubscriptionOptions {
                    qos,
                    ..Default::default()
                },
            }],
            properties: Default::default(),
        }))
        .await?;
        match wire.next().await? {
            Packet::SubAck(_) => {}
            other => anyhow::bail!("unexpected answer to SUBSCRIBE: {other:?}"),
        }
        let last = last_receipt.clone();
        subscribers.push(tokio::spawn(receive(
            wire,
            per_subscriber,
            epoch,
            deadline,
            last,
        )));
    }

    let start = Arc::new(Barrier::new(options.publishers + 1));
    let mut publishers = Vec::new();
    for i in 0..options.publishers {
        let wire = Wire::connect(
            &options.host,
            options.port,
            &format!("load-pub-{run_id}-{i}"),
            600,
        )
        .await?;
        let options = options.clone();
        let start = start.clone();
        publishers.push(tokio::spawn(async move {
            start.wait().await;
            publish(wire, i, &options, epoch).await
        }));
    }
    start.wait().await;
    let first_send = epoch.elapsed();
    for publisher in publishers {
        publisher.await??;
    }
    let mut latencies = Vec::new();
    let mut received = 0u64;
    for subscriber in subscribers {
        let (count, mut lat) = subscriber.await??;
        received += count;
        latencies.append(&mut lat);
    }
    latencies.sort_unstable();
    let percentile = |p: f64| -> Duration {
        if latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        Duration::from_nanos(latencies[index.min(latencies.len() - 1)])
    };
    let end = Duration::from_nanos(last_receipt.load(Ordering::Relaxed));
    Ok(LoadReport {
        expected,
        received,
        elapsed: end.saturating_sub(first_send),
        p50: percentile(0.50),
        p99: percentile(0.99),
    })
}

async fn publish(
    wire: Wire,
    index: usize,
    options: &LoadOptions,
    epoch: Instant,
) -> anyhow::Result<()> {
    let qos = qos_of(options.qos);
    let topic = format!("load/{index}");
    let window = Arc::new(Semaphore::new(options.window.max(1)));
    let Wire {
        reader,
        mut writer,
        buf,
    } = wire;
    let mut acks = AckReader { reader, buf };
    // QoS 1: a reader task returns a window slot for every PUBACK.
    let ack_task = (qos == QoS::AtLeastOnce).then(|| {
        let window = window.clone();
        let total = options.messages;
        tokio::spawn(async move {
            for _ in 0..total {
                match acks.next().await? {
                    Packet::PubAck(_) => window.add_permits(1),
                    other => anyhow::bail!("unexpected packet for a publisher: {other:?}"),
                }
            }
            anyhow::Ok(acks)
        })
    });
    let mut out = BytesMut::with_capacity(64 * 1024);
    for n in 0..options.messages {
        if qos == QoS::AtLeastOnce {
            window.acquire().await?.forget();
        }
        let mut payload = BytesMut::with_capacity(options.payload);
        payload.put_u64(epoch.elapsed().as_nanos() as u64);
        payload.resize(options.payload, b'x');
        let packet = Packet::Publish(Publish {
            dup: false,
            qos,
            retain: false,
            topic: topic.clone(),
            packet_id: (qos == QoS::AtLeastOnce).then_some((n % 65_535) as u16 + 1),
            payload: payload.freeze(),
            properties: Default::default(),
        });
        mqtt::encode(&packet, ProtocolVersion::V311, &mut out);
        if qos == QoS::AtLeastOnce || out.len() > 32 * 1024 || n + 1 == options.messages {
            writer.write_all(&out).await?;
            out.clear();
        }
    }
    if let Some(task) = ack_task {
        task.await??;
    }
    Ok(())
}

struct AckReader {
    reader: OwnedReadHalf,
    buf: BytesMut,
}

impl AckReader {
    async fn next(&mut self) -> anyhow::Result<Packet> {
        next_packet(&mut self.reader, &mut self.buf).await
    }
}

async fn next_packet(reader: &mut OwnedReadHalf, buf: &mut BytesMut) -> anyhow::Result<Packet> {
    loop {
        match mqtt::decode(buf, Some(ProtocolVersion::V311), usize::MAX) {
            Ok((packet, used)) => {
                buf.advance(used);
                return Ok(packet);
            }
            Err(DecodeError::Incomplete) => {}
            Err(error) => anyhow::bail!("broker sent a bad packet: {error}"),
        }
        if reader.read_buf(buf).await? == 0 {
            anyhow::bail!("broker closed the connection");
        }
    }
}

async fn receive(
    mut wire: Wire,
    expected: u64,
    epoch: Instant,
    deadline: Instant,
    last_receipt: Arc<AtomicU64>,
) -> anyhow::Result<(u64, Vec<u64>)> {
    let mut latencies = Vec::with_capacity(expected.min(1_000_000) as usize);
    let mut count = 0;
    while count < expected {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let packet = match tokio::time::timeout(remaining, wire.next()).await {
            Ok(packet) => packet?,
            Err(_) => break,
        };
        if let Packet::Publish(p) = packet {
            let now = epoch.elapsed().as_nanos() as u64;
            let mut payload: Bytes = p.payload;
            if payload.len() >= 8 {
                let sent = payload.get_u64();
                latencies.push(now.saturating_sub(sent));
            }
            count += 1;
            last_receipt.fetch_max(now, Ordering::Relaxed);
            if let Some(id) = p.packet_id {
                wire.send(&Packet::PubAck(PubAck {
                    packet_id: id,
                    reason_code: 0,
                    properties: Default::default(),
                }))
                .await?;
            }
        }
    }
    Ok((count, latencies))
}

/// Idle connections held open; they close when this is dropped.
pub struct IdleConnections {
    held: Vec<Wire>,
}

impl IdleConnections {
    /// How many are open.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// Whether none are open.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

/// Opens up to `count` idle connections (keep-alive 1200 s). Stops early, keeping what it
/// has, when the process runs out of file descriptors or the broker refuses more.
///
/// # Errors
/// Only when not a single connection could be made.
pub async fn open_idle(
    host: &str,
    port: u16,
    count: usize,
    progress: impl Fn(usize),
) -> anyhow::Result<IdleConnections> {
    let mut held = Vec::with_capacity(count);
    let run_id = std::process::id();
    for i in 0..count {
        match Wire::connect(host, port, &format!("idle-{run_id}-{i}"), 1200).await {
            Ok(wire) => held.push(wire),
            Err(error) => {
                if held.is_empty() {
                    return Err(error);
                }
                eprintln!("stopped at {} connections: {error}", held.len());
                break;
            }
        }
        if (i + 1) % 5000 == 0 {
            progress(i + 1);
        }
    }
    Ok(IdleConnections { held })
}
