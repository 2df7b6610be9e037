//! Kurier's HTTP side: the admin API under `/api/v1` (JSON, bearer token, problem+json errors) and the
//! public pages people see (subscribe, confirm, unsubscribe). It talks to the database only through
//! `kurier-store` and hands mail to the outbox; it never sends anything itself.

mod api;
mod error;
mod extract;
mod i18n;
mod limiter;
mod mails;
mod pages;
mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use kurier_core::{FeedbackPolicy, Secret};
use kurier_mail::SenderIdentity;
use kurier_store::Store;
use url::Url;

pub use error::ApiError;
pub use webhooks::{FetchRule, SesWebhook, Webhooks};

/// What the web side needs to know, already validated by the binary's config loading.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Base of every link in mail and pages (`https://news.example.com`).
    pub public_url: Url,
    /// The bearer token of the admin API.
    pub admin_token: String,
    pub sender: SenderIdentity,
    /// Domain of VERP return paths (`bounces.example.com`).
    pub bounce_domain: String,
    /// Right-hand side of `Message-ID`s.
    pub message_id_domain: String,
    /// How long a confirmation link works.
    pub confirm_ttl: Duration,
    /// Subscribe requests one IP address may make per `subscribe_window`.
    pub subscribe_limit: u32,
    pub subscribe_window: Duration,
    /// Largest request body accepted (larger ones get 413).
    pub max_body_bytes: usize,
    /// Provider webhooks that may post bounces and complaints.
    pub webhooks: Webhooks,
    /// The thresholds the rates in the API are judged by.
    pub feedback_policy: FeedbackPolicy,
    /// Signs every mail put into the outbox, so the outbox holds exactly what is sent.
    pub dkim: Option<Arc<kurier_mail::dkim::DkimSigner>>,
}

impl WebConfig {
    /// How many days a confirmation link works, for the texts that say so.
    pub fn confirm_ttl_days(&self) -> u64 {
        self.confirm_ttl.as_secs().div_ceil(86_400)
    }

    /// Defaults for everything but the identity and links.
    pub fn new(public_url: Url, admin_token: String, sender: SenderIdentity) -> Self {
        let host = public_url.host_str().unwrap_or("localhost").to_string();
        Self {
            public_url,
            admin_token,
            sender,
            bounce_domain: host.clone(),
            message_id_domain: host,
            confirm_ttl: Duration::from_secs(7 * 24 * 3600),
            subscribe_limit: 10,
            subscribe_window: Duration::from_secs(600),
            max_body_bytes: 64 * 1024,
            webhooks: Webhooks::default(),
            feedback_policy: FeedbackPolicy::default(),
            dkim: None,
        }
    }
}

#[derive(Clone)]
pub(crate) struct AppState {
    store: Store,
    secret: Arc<Secret>,
    config: Arc<WebConfig>,
    pages: Arc<pages::Pages>,
    limiter: Arc<limiter::Limiter>,
    /// For the few fetches webhooks need (SNS signing certificates, subscription confirmations).
    http: reqwest::Client,
}

/// The whole application. Serve it with `into_make_service_with_connect_info::<SocketAddr>()`, since
/// the ledger records the client's address.
pub fn router(store: Store, secret: Secret, config: WebConfig) -> Router {
    let limiter = limiter::Limiter::new(config.subscribe_limit, config.subscribe_window);
    let max_body = config.max_body_bytes;
    let state = AppState {
        store,
        secret: Arc::new(secret),
        config: Arc::new(config),
        pages: Arc::new(pages::Pages::new()),
        limiter: Arc::new(limiter),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default(),
    };
    Router::new()
        .nest("/api/v1", api::routes(state.clone()))
        .merge(pages::routes())
        .merge(webhooks::routes())
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` completes, then finishes requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
