//! `thingcore-load`: bounded MQTT load against a broker on loopback. See `thingcore_shim::load`.

use clap::{Parser, Subcommand};
use std::time::Duration;
use thingcore_shim::load::{self, LoadOptions};

/// Load an MQTT broker and print what it delivered, how fast, and with what latency.
#[derive(Debug, Parser)]
#[command(name = "thingcore-load", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Publishers send, subscribers count: one scenario.
    Run(LoadOptions),
    /// Open idle connections and hold them.
    Idle {
        /// Broker host.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Broker MQTT port.
        #[arg(long, default_value_t = 1883)]
        port: u16,
        /// Connections to open.
        #[arg(long, default_value_t = 1000)]
        connections: usize,
        /// Seconds to hold them.
        #[arg(long, default_value_t = 5)]
        hold: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run(options) => {
            let report = load::run(&options).await?;
            println!("{report}");
            println!(
                "RESULT received={} expected={} rate={:.0} p50_ms={:.3} p99_ms={:.3}",
                report.received,
                report.expected,
                report.rate(),
                report.p50.as_secs_f64() * 1e3,
                report.p99.as_secs_f64() * 1e3
            );
            anyhow::ensure!(report.received == report.expected, "messages were lost");
        }
        Command::Idle {
            host,
            port,
            connections,
            hold,
        } => {
            let idle =
                load::open_idle(&host, port, connections, |n| println!("opened {n}")).await?;
            // Scripts read this line, then measure the broker while the connections are held.
            println!("HOLDING {}", idle.len());
            tokio::time::sleep(Duration::from_secs(hold)).await;
            println!("RESULT opened={}", idle.len());
        }
    }
    Ok(())
}
