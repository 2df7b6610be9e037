//! `kurier serve`: data dir, secret and admin token, then the web server and the delivery engine,
//! until SIGTERM or Ctrl-C; then requests in flight finish, the engine records what it sent and gives
//! back what it had not tried, and the database is closed.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use kurier_core::Secret;
use kurier_mail::SenderIdentity;
use kurier_store::Store;
use kurier_web::WebConfig;
use kurier_workers::{
    DeliveryEngine, EngineConfig, FeedbackConfig, FeedbackWorker, ImapPoller, InboundSmtp, InboundSmtpConfig, Transport,
};
use tokio::sync::watch;

use crate::config::Config;

/// Opens the store with the instance secret (from config, or from `<data_dir>/secret`, made on first use).
pub async fn open_store(config: &Config) -> anyhow::Result<(Store, Secret)> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
    let secret_bytes = match &config.secret {
        Some(s) => s.clone(),
        None => {
            let hex = read_or_create(&config.data_dir.join("secret"), || hex(&rand::random::<[u8; 32]>()))?;
            (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .with_context(|| format!("{} is damaged", config.data_dir.join("secret").display()))?
        }
    };
    let secret = Secret::new(secret_bytes).context("the secret is too short")?;
    let store = Store::open(&config.database_url, secret.clone())
        .await
        .with_context(|| format!("cannot open the database {}", redact(&config.database_url)))?;
    Ok((store, secret))
}

pub async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let transport = Transport::from_url(config.smtp_url.as_deref()).context("smtp_url")?;
    let (store, secret) = open_store(&config).await?;
    let admin_token = match &config.admin_token {
        Some(t) => t.clone(),
        None => {
            let path = config.data_dir.join("admin-token");
            let token = read_or_create(&path, || hex(&rand::random::<[u8; 24]>()))?;
            eprintln!("kurier: admin API token is in {}", path.display());
            token
        }
    };
    let sender = SenderIdentity {
        name: config.sender_name.clone(),
        address: config.sender_address.clone(),
        postal_address: config.sender_postal_address.clone(),
        reply_to: config.reply_to.clone(),
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let public_url = if config.public_url_set {
        config.public_url.clone()
    } else {
        url::Url::parse(&format!("http://{addr}/")).context("public URL from the listen address")?
    };
    if config.sender_postal_address.trim().is_empty() {
        tracing::warn!("sender_postal_address is not set: welcome mails (marketing) are skipped until it is");
        eprintln!(
            "kurier: set sender_postal_address (KURIER_SENDER_POSTAL_ADDRESS): marketing mail must name the sender's postal address; until then welcome mails are skipped"
        );
    }
    let mut web = WebConfig::new(public_url, admin_token, sender);
    web.bounce_domain = config.bounce_domain.clone();
    web.message_id_domain = config.message_id_domain.clone();
    web.confirm_ttl = config.confirm_ttl;
    web.subscribe_limit = config.subscribe_limit;
    web.subscribe_window = config.subscribe_window;
    web.webhooks = config.webhooks.clone();
    web.feedback_policy = config.feedback_policy;
    web.dkim = config.dkim.clone();
    // The inbound SMTP server binds before anything runs, so a taken port stops start-up.
    let inbound = match config.inbound_listen {
        Some(listen) => {
            let mut smtp =
                InboundSmtpConfig::new(listen, config.inbound_hostname.clone(), vec![config.bounce_domain.clone()]);
            smtp.max_connections = config.inbound_max_connections;
            smtp.max_connections_per_client = config.inbound_max_connections_per_client;
            let server = InboundSmtp::bind(smtp).await.with_context(|| format!("inbound_listen {listen}"))?;
            eprintln!("kurier: receiving bounces by SMTP on {} for @{}", server.local_addr(), config.bounce_domain);
            Some(server)
        }
        None => None,
    };

    tracing::info!(%addr, transport = %transport.describe(), database = %redact(&config.database_url), "kurier is running");
    eprintln!("kurier: listening on http://{addr} (transport: {})", transport.describe());

    let (stop_tx, stop_rx) = watch::channel(false);
    let engine = DeliveryEngine::new(store.clone(), transport, EngineConfig::default());
    let mut engine_stop = stop_rx.clone();
    let engine_task = tokio::spawn(async move {
        engine.run(async move { while engine_stop.changed().await.is_ok() && !*engine_stop.borrow() {} }).await
    });
    let stopped = |mut rx: watch::Receiver<bool>| async move { while rx.changed().await.is_ok() && !*rx.borrow() {} };
    let feedback = FeedbackWorker::new(
        store.clone(),
        Arc::new(secret.clone()),
        FeedbackConfig { policy: config.feedback_policy, ..FeedbackConfig::default() },
    );
    let feedback_task = tokio::spawn({
        let stop = stopped(stop_rx.clone());
        async move { feedback.run(stop).await }
    });
    let inbound_task = inbound.map(|server| tokio::spawn(server.serve(store.clone(), stopped(stop_rx.clone()))));
    let imap_task = config.imap.clone().map(|imap| {
        eprintln!("kurier: polling the bounce mailbox {} on {}:{}", imap.mailbox, imap.host, imap.port);
        let poller = ImapPoller::new(imap);
        let (store, stop) = (store.clone(), stopped(stop_rx.clone()));
        tokio::spawn(async move { poller.run(store, stop).await })
    });
    let mut web_stop = stop_rx;
    let router = kurier_web::router(store.clone(), secret, web);
    let web_task = tokio::spawn(kurier_web::serve(listener, router, async move {
        while web_stop.changed().await.is_ok() && !*web_stop.borrow() {}
    }));

    shutdown_signal().await;
    eprintln!("kurier: shutting down");
    let _ = stop_tx.send(true);
    web_task.await.context("web server task")?.context("web server")?;
    let report = engine_task.await.context("delivery engine task")??;
    tracing::info!(?report, "delivery engine stopped");
    if let Some(task) = inbound_task {
        let report = task.await.context("inbound SMTP task")?;
        tracing::info!(?report, "inbound SMTP server stopped");
    }
    if let Some(task) = imap_task {
        task.await.context("IMAP poller task")?;
    }
    let report = feedback_task.await.context("feedback worker task")??;
    tracing::info!(?report, "feedback worker stopped");
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Reads a one-line secret file, or creates it (mode 0600) with `make()`.
fn read_or_create(path: &Path, make: impl FnOnce() -> String) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(s) if !s.trim().is_empty() => return Ok(s.trim().to_string()),
        Ok(_) => anyhow::bail!("{} is empty; delete it to have a new one made", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    let value = make();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    writeln!(f, "{value}")?;
    f.sync_all()?;
    Ok(value)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A database URL without its password, for logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}
