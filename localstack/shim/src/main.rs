//! `thingcore`: parse the command line, set up logging, run. Everything else is in the library.

use clap::Parser;
use std::process::ExitCode;
use thingcore_shim::cli::Cli;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("thingcore: error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(thingcore_shim::run(Cli::parse())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("thingcore: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The multi-thread runtime, without its LIFO slot where tokio offers the switch.
///
/// The LIFO slot runs the task woken last first: when one poll of the sockets wakes two
/// connections, the one whose bytes came second was read first, so a PUBLISH could be routed
/// before a SUBSCRIBE that reached the server earlier on another connection.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    runtime_builder().build()
}

fn runtime_builder() -> tokio::runtime::Builder {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    #[cfg(tokio_unstable)]
    builder.disable_lifo_slot();
    #[cfg(not(tokio_unstable))]
    tracing::warn!(
        "built without --cfg tokio_unstable (.cargo/config.toml, replaced by RUSTFLAGS): \
         packets from different connections may be applied out of arrival order"
    );
    builder
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    /// Tasks woken together run in the order they were woken, as connections whose bytes
    /// arrived in one poll of the sockets must be read (one worker, so no stealing).
    #[test]
    fn tasks_woken_together_run_in_wake_order() {
        let runtime = super::runtime_builder()
            .worker_threads(1)
            .build()
            .expect("runtime");
        let order = Arc::new(Mutex::new(Vec::new()));
        runtime.block_on(async {
            let order = order.clone();
            tokio::spawn(async move {
                let (tx, rx): (Vec<_>, Vec<_>) = (0..4)
                    .map(|_| tokio::sync::oneshot::channel::<()>())
                    .unzip();
                let waiting: Vec<_> = rx
                    .into_iter()
                    .enumerate()
                    .map(|(i, rx)| {
                        let order = order.clone();
                        tokio::spawn(async move {
                            let _ = rx.await;
                            order.lock().expect("lock").push(i);
                        })
                    })
                    .collect();
                tokio::task::yield_now().await; // every waiter is parked on its channel
                for tx in tx {
                    let _ = tx.send(()); // woken 0, 1, 2, 3 from this worker
                }
                for task in waiting {
                    let _ = task.await;
                }
            })
            .await
            .expect("joined");
        });
        assert_eq!(*order.lock().expect("lock"), [0, 1, 2, 3]);
    }
}
