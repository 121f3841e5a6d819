//! `thingcore serve`: open the store, restore broker state, bind the listeners, announce, run
//! until told to stop, then disconnect clients, persist, and flush.

use crate::cli::ServeOptions;
use crate::mqtt::auth::{Authenticator, Credentials, RegistryAuthenticator};
use crate::mqtt::connection::ListenerAuth;
use crate::mqtt::custom_auth::CustomAuthenticator;
use crate::mqtt::persist::{self, Persister};
use crate::mqtt::revocation::{self, LiveConnections};
use crate::mqtt::{connection, Hub, HubHandle};
use crate::{http, rules, shadows, stores, tls};
use anyhow::Context;
use std::sync::Arc;
use thingcore::broker::{Broker, BrokerConfig, ConnectionInfo};
use thingcore::{Clock, SystemClock};
use thingcore_registry::{RegistryConfig, RegistryService};
use thingcore_shadows::ShadowService;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Runs the local core until Ctrl-C or SIGTERM.
///
/// # Errors
/// A store that cannot be opened or read, or an address that cannot be bound.
pub async fn serve(options: ServeOptions) -> anyhow::Result<()> {
    let opened = stores::open(&options).await?;
    let config = options.broker_config();
    let mut broker = Broker::new(config.clone(), SystemClock.now_millis());
    let (sessions, retained) = persist::restore(opened.store.as_ref(), &mut broker)
        .await
        .context("reading broker state from the store")?;

    let http_listener = TcpListener::bind(options.http_addr)
        .await
        .with_context(|| format!("cannot listen for HTTP on {}", options.http_addr))?;
    let http_addr = http_listener
        .local_addr()
        .context("reading the HTTP address")?;
    let mqtt_listener = TcpListener::bind(options.mqtt_addr)
        .await
        .with_context(|| format!("cannot listen for MQTT on {}", options.mqtt_addr))?;
    let mqtt_addr = mqtt_listener
        .local_addr()
        .context("reading the MQTT address")?;
    let tls_listener = TcpListener::bind(options.tls_addr)
        .await
        .with_context(|| format!("cannot listen for MQTT over TLS on {}", options.tls_addr))?;
    let tls_addr = tls_listener
        .local_addr()
        .context("reading the TLS address")?;

    let registry_config = RegistryConfig {
        endpoint_address: http_addr.to_string(),
        ..RegistryConfig::default()
    };
    let (credentials, credentials_line) = load_credentials(&options)?;
    let authorizer_functions = Arc::new(crate::authorizer_functions::LocalFunctions::from_env()?);
    let registry =
        RegistryService::new(opened.store.clone(), Arc::new(SystemClock), registry_config)
            .with_authorizer_functions(authorizer_functions.clone())
            // Topic rule destinations' confirmation requests, with enableUrl on this front.
            .with_confirmations(thingcore_registry::destinations::Confirmations {
                confirmer: Arc::new(thingcore_aws::http::HttpConfirmer::new()),
                endpoint: format!("http://{http_addr}"),
            });
    // IAM and STS; keys IAM issues are verified and held to their policies on every API.
    let issuer_keys = Arc::new(crate::oidc_keys::LocalIssuerKeys::new(&options.oidc_jwks)?);
    let oidc_line = match issuer_keys.configured().as_slice() {
        [] => "keys from each issuer's /.well-known/openid-configuration".to_string(),
        files => format!(
            "keys from JWKS files for {}, else from each issuer's /.well-known/openid-configuration",
            files.join(", ")
        ),
    };
    let iam = thingcore_iam::IamService::new(
        opened.store.clone(),
        Arc::new(SystemClock),
        thingcore_iam::IamConfig {
            account_id: registry.config().account_id.clone(),
            region: registry.config().region.clone(),
        },
    )
    .with_issuer_keys(issuer_keys);
    let http_auth = Arc::new(crate::http_auth::HttpAuth {
        custom: Some((registry.clone(), authorizer_functions.clone())),
        // Open (the local default): unsigned requests and unknown keys pass, known keys are
        // verified. Strict: every request must be signed by a configured key.
        strict: options.auth.authenticates_plain_listeners(),
        credentials: Arc::new(credentials),
        region: registry.config().region.clone(),
        account_id: registry.config().account_id.clone(),
        iam: Some(iam.clone()),
    });
    let ca_pem = registry
        .ca_certificate_pem()
        .await
        .map_err(|e| anyhow::anyhow!("creating or reading the local CA: {e}"))?;
    let ca_line = match options.store_kind() {
        crate::cli::StoreKind::Embedded => {
            let path = options.data_dir.join("ca.pem");
            std::fs::write(&path, &ca_pem)
                .with_context(|| format!("writing {}", path.display()))?;
            path.display().to_string()
        }
        _ => format!("http://{http_addr}/ca.pem"),
    };

    let (server_pem, server_key) = registry
        .issue_server_certificate(&options.tls_hostname)
        .await
        .map_err(|e| anyhow::anyhow!("issuing the TLS server certificate: {e}"))?;
    let tls_files = tls::write_files(&options.data_dir, &ca_pem, &server_pem, &server_key)?;
    let acceptor =
        tokio_rustls::TlsAcceptor::from(Arc::new(tls::server_config(&server_pem, &server_key)?));

    let (stop_tx, stop_rx) = watch::channel(false);
    let persister = Persister::start(opened.store.clone());
    let (mut hub, handle) = Hub::new(broker, persister);
    let shadow_service = ShadowService::new(opened.store.clone(), Arc::new(SystemClock));
    shadows::start(
        shadow_service.clone(),
        handle.clone(),
        hub.observe(shadows::SHADOW_TOPICS),
    );
    let jobs_service = thingcore_jobs::JobsService::new(
        opened.store.clone(),
        Arc::new(SystemClock),
        registry.clone(),
    );
    jobs_service.set_notification_sink(Arc::new(crate::jobs::HubNotifier(handle.clone())));
    crate::jobs::start(
        jobs_service.clone(),
        handle.clone(),
        hub.observe(crate::jobs::JOBS_TOPICS),
    );
    let scheduler_task = crate::jobs::start_scheduler(
        jobs_service.clone(),
        std::time::Duration::from_secs(options.jobs_tick_seconds.max(1)),
        stop_rx.clone(),
    );
    let rules_active = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let observed = rules::RULE_TOPICS
        .iter()
        .map(|filter| hub.observe_when(filter, Some(rules_active.clone())))
        .collect();
    let functions = thingcore_rules::StoreFunctions::new(shadow_service.clone(), registry.clone());
    let (rule_count, rules_handle) = rules::start(
        opened.store.clone(),
        functions,
        handle.clone(),
        observed,
        rules_active,
    )
    .await
    .context("loading topic rules")?;
    let registry_written = Arc::new(tokio::sync::Notify::new());
    registry.set_listener(Arc::new(crate::changes::ApplyChanges {
        rules: rules_handle,
        revocation: registry_written.clone(),
    }));
    let ws_gateway = crate::ws::LocalGateway::new(
        opened.store.clone(),
        handle.clone(),
        config.clone(),
        &http_auth,
        Some(Arc::new(crate::ws::RegistryRefresher::new(
            registry.clone(),
            authorizer_functions.clone(),
        ))),
    );
    ws_gateway.start(
        crate::ws::GATEWAY_TOPICS
            .iter()
            .map(|filter| hub.observe_when(filter, Some(ws_gateway.gate())))
            .collect(),
    );
    let hub_task = tokio::spawn(hub.run(stopped(stop_rx.clone())));
    let live = LiveConnections::default();
    // Certificates, and custom authorizers for clients that ask for one (or, where credentials
    // are required, for clients without a certificate when a default authorizer is set).
    let certificates: Arc<dyn Authenticator> =
        Arc::new(RegistryAuthenticator::new(registry.clone()));
    let authenticator: Arc<dyn Authenticator> = Arc::new(CustomAuthenticator::new(
        registry.clone(),
        authorizer_functions.clone(),
        Some(certificates.clone()),
    ));
    // Open plain listeners let in clients without credentials, anonymously; strict ones
    // authenticate everyone.
    let plain_authenticator: Arc<dyn Authenticator> =
        if options.auth.authenticates_plain_listeners() {
            authenticator.clone()
        } else {
            Arc::new(CustomAuthenticator::new(
                registry.clone(),
                authorizer_functions.clone(),
                None,
            ))
        };
    let mqtt_task = tokio::spawn(accept_mqtt(
        mqtt_listener,
        handle.clone(),
        config.max_packet_bytes,
        plain_authenticator.clone(),
        live.clone(),
        stop_rx.clone(),
    ));
    let limits = crate::http_server::HttpLimits {
        max_connections: options.http_max_connections,
        header_read: std::time::Duration::from_secs(options.http_header_timeout.max(1)),
        request: std::time::Duration::from_secs(options.http_request_timeout.max(1)),
    };
    let state = http::AppState {
        hub: handle.clone(),
        config: Arc::new(config.clone()),
        shadows: shadow_service,
        registry: registry.clone(),
        iam: iam.clone(),
        jobs: jobs_service,
        auth: http_auth,
        gateway: ws_gateway,
        mqtt_auth: Some((plain_authenticator.clone(), live.clone())),
    };
    // One front for HTTP on the plain port and HTTPS on the TLS port, under one limit.
    let http_front = crate::http_server::HttpFront::new(http::app(state), limits);
    let tls_task = tokio::spawn(tls::accept(
        tls_listener,
        tls::TlsPort {
            acceptor,
            hub: handle.clone(),
            max_packet: config.max_packet_bytes,
            authenticator,
            live: live.clone(),
            http: http_front.clone(),
        },
        stop_rx.clone(),
    ));
    let revocation_task = tokio::spawn(revocation::watch(
        registry.clone(),
        handle.clone(),
        live,
        registry_written,
        stop_rx.clone(),
    ));

    // The banner goes to stdout, one fact per line, so scripts and tests can read it.
    let mut signals = ShutdownSignals::install()?;
    println!("thingcore: store {}", opened.description);
    println!("thingcore: restored {sessions} sessions and {retained} retained messages");
    println!("thingcore: rules {rule_count} enabled");
    println!("thingcore: {}", options.auth.banner());
    println!("thingcore: credentials {credentials_line}");
    println!("thingcore: iam {}", iam_banner(&options));
    println!("thingcore: web identity {oidc_line}");
    println!("thingcore: authorizer {}", authorizer_functions.describe());
    println!("thingcore: mqtt listening on mqtt://{mqtt_addr}");
    println!("thingcore: tls listening on mqtts://{tls_addr}");
    println!("thingcore: https listening on https://{tls_addr} (the TLS port, ALPN http/1.1)");
    println!("thingcore: wss listening on wss://{tls_addr}/mqtt");
    println!(
        "thingcore: tls-server certificate {} key {} for {}",
        tls_files.server_certificate.display(),
        tls_files.server_key.display(),
        options.tls_hostname.join(",")
    );
    println!("thingcore: ca certificate {ca_line}");
    println!(
        "thingcore: sdk endpoint={} port={} ca_filepath={} region={} (AWS IoT Device SDK builders; see the README)",
        options.tls_hostname.first().map_or("localhost", String::as_str),
        tls_addr.port(),
        tls_files.ca.display(),
        registry.config().region,
    );
    println!("thingcore: websocket listening on ws://{http_addr}/mqtt");
    println!("thingcore: http listening on http://{http_addr}");
    tracing::info!(%http_addr, %mqtt_addr, store = %opened.description, "thingcore serving");

    let server = http_front.serve(http_listener, stopped(stop_rx));
    tokio::select! {
        () = server => {}
        () = signals.recv() => {}
    }
    // Whichever ended first, stop everything.
    let _ = stop_tx.send(true);
    tracing::info!("shutting down: disconnecting clients, persisting, flushing the store");
    let _ = mqtt_task.await;
    let _ = tls_task.await;
    let _ = revocation_task.await;
    let _ = scheduler_task.await;
    let _ = hub_task.await;
    opened.store.flush().await.context("flushing the store")?;
    println!("thingcore: stopped");
    Ok(())
}

/// What the banner says of IAM enforcement.
fn iam_banner(options: &ServeOptions) -> String {
    let admins = match &options.credentials {
        Some(path) => format!(
            "the keys from {} are the account's admins (their IoT policies still decide the data plane)",
            path.display()
        ),
        None => "test/test is the account's admin".to_string(),
    };
    let unknown = if options.auth.authenticates_plain_listeners() {
        "keys nobody issued are refused"
    } else {
        "keys nobody issued are accepted unverified, as admins"
    };
    format!(
        "enforced on every key IAM issued (users, role sessions) on every API; {admins}; {unknown}"
    )
}

/// The SigV4 credentials: `--credentials FILE`, or the local default `test`/`test`; and the
/// banner's description of them.
fn load_credentials(
    options: &ServeOptions,
) -> anyhow::Result<(thingcore::auth::CredentialStore, String)> {
    let Some(path) = &options.credentials else {
        return Ok((
            thingcore::auth::CredentialStore::local_default(),
            "test/test (local default; --credentials FILE to configure)".into(),
        ));
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading credentials {}", path.display()))?;
    let store = thingcore::auth::CredentialStore::parse_json(&text)
        .map_err(|e| anyhow::anyhow!("credentials {}: {e}", path.display()))?;
    let line = format!("{} access keys from {}", store.len(), path.display());
    Ok((store, line))
}

impl ServeOptions {
    /// The broker limits: AWS IoT's defaults, adjusted by flags.
    pub fn broker_config(&self) -> BrokerConfig {
        let mut config = BrokerConfig::default();
        if let Some(bytes) = self.max_payload_bytes {
            config.max_packet_bytes = config.max_packet_bytes - config.max_payload_bytes + bytes;
            config.max_payload_bytes = bytes;
        }
        if let Some(n) = self.max_queued_messages {
            config.max_queued_messages = n;
        }
        if let Some(secs) = self.min_keep_alive {
            config.min_keep_alive = secs.min(config.max_keep_alive);
        }
        if let Some(secs) = self.max_session_expiry {
            config.max_session_expiry = secs;
        }
        config
    }
}

/// Accepts plain MQTT connections until `stop` changes; each is authenticated by
/// `authenticator` (under `--auth open` it lets in clients that name no custom authorizer).
async fn accept_mqtt(
    listener: TcpListener,
    hub: HubHandle,
    max_packet: usize,
    authenticator: Arc<dyn Authenticator>,
    live: LiveConnections,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let info = ConnectionInfo { ip_address: Some(peer.ip().to_string()), ..ConnectionInfo::default() };
                    let auth = ListenerAuth {
                        authenticator: authenticator.clone(),
                        credentials: Credentials { source_ip: Some(peer.ip()), ..Credentials::default() },
                        live: live.clone(),
                    };
                    tokio::spawn(connection::serve_with(stream, info, hub.clone(), max_packet, Some(auth)));
                }
                Err(error) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(%error, "accepting an MQTT connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }
}

async fn stopped(mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// Ctrl-C (SIGINT) and SIGTERM, listened for from the moment this is made.
///
/// Made before the banner is printed, so a supervisor that signals as soon as it reads the
/// banner stops the server gracefully instead of killing it with the default handler.
struct ShutdownSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    /// Installs the handlers.
    fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?,
            terminate: signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?,
        })
    }

    /// Resolves on the first of the two signals.
    async fn recv(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
