//! `thingcore`: parse the command line, set up logging, run. Everything else is in the library.

use clap::Parser;
use std::process::ExitCode;
use thingcore_shim::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match thingcore_shim::run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("thingcore: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
