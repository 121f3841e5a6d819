//! `thingcore serve`: bind, announce, run until told to stop, then drain and flush.

use crate::cli::ServeOptions;
use crate::{http, stores};
use anyhow::Context;
use tokio::net::TcpListener;

/// Runs the local core until Ctrl-C or SIGTERM.
///
/// # Errors
/// A store that cannot be opened or an address that cannot be bound.
pub async fn serve(options: ServeOptions) -> anyhow::Result<()> {
    let opened = stores::open(&options).await?;
    let http_listener = TcpListener::bind(options.http_addr)
        .await
        .with_context(|| format!("cannot listen for HTTP on {}", options.http_addr))?;
    let http_addr = http_listener
        .local_addr()
        .context("reading the HTTP address")?;

    // The banner goes to stdout, one fact per line, so scripts and tests can read it.
    println!("thingcore: store {}", opened.description);
    println!("thingcore: auth open (local default: unauthenticated clients are accepted)");
    println!("thingcore: http listening on http://{http_addr}");
    tracing::info!(%http_addr, store = %opened.description, "thingcore serving");

    axum::serve(http_listener, http::app())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the HTTP listener failed")?;

    tracing::info!("shutting down: flushing the store");
    opened.store.flush().await.context("flushing the store")?;
    println!("thingcore: stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
