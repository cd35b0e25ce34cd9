//! `gazette serve`: the newsletter's web endpoint. One-click unsubscribe
//! (RFC 8058) at the URL in every message, double opt-in sign-up with its
//! consent record, and the archive of sent issues with an Atom feed.
//!
//! Pages are server-rendered HTML without scripts or cookies. Every request
//! is logged on stderr with its token redacted; bodies are limited to 16 KiB
//! and to `body_timeout`; connections to `max_connections`, `header_timeout`
//! and `idle_timeout` (`listen`); the store is used from blocking threads,
//! one request at a time.

pub mod archive;
mod cache;
mod http;
mod listen;
mod mail;
mod pages;
mod signup;
mod unsubscribe;
mod welcome;

pub use mail::Mailer;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::message::token::Secret;
use crate::newsletter::Newsletter;
use crate::store::Store;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::{Arc, Mutex, RwLock};

/// The largest request body accepted.
pub const BODY_LIMIT: usize = 16 * 1024;

/// Everything the handlers share.
pub struct App {
    config: Config,
    /// The archive's drafts and pages, until a draft file changes.
    archive: cache::Cache,
    secret: Secret,
    store: Mutex<Store>,
    mailer: Mailer,
    /// Every list id the list has had, the config's first: tokens made under
    /// any of them are honoured.
    list_ids: RwLock<Vec<String>>,
    /// The store could only be opened to read: writes are refused (503).
    read_only: bool,
    /// `[welcome]`'s mail, rendered once.
    welcome: Option<welcome::WelcomeMail>,
}

impl App {
    pub fn new(
        newsletter: Newsletter,
        secret: Secret,
        store: Store,
        mailer: Mailer,
    ) -> Result<App> {
        let list_ids = known_list_ids(&newsletter.config, &store)?;
        let read_only = store.is_read_only();
        let welcome = match &newsletter.config.welcome {
            None => None,
            Some(w) => {
                // Its Markdown is checked here, so a bad one stops serve at once, located.
                let (source, _) = newsletter.config_findings()?;
                let blocks = crate::draft::markdown_blocks(
                    &w.text,
                    w.text_span.clone(),
                    &source.text,
                    "text",
                )
                .map_err(|diags| Error::Diagnostics {
                    file: source,
                    diags,
                })?;
                Some(welcome::WelcomeMail {
                    content: crate::render::welcome(&newsletter.config, &w.subject, &blocks),
                    send_latest: w.send_latest,
                })
            }
        };
        Ok(App {
            read_only,
            welcome,
            config: newsletter.config.clone(),
            archive: cache::Cache::new(newsletter),
            secret,
            store: Mutex::new(store),
            mailer,
            list_ids: RwLock::new(list_ids),
        })
    }

    /// What `verify` finds in a token under one of the list's identities; if
    /// none, the identities are read again from the store (a send may have
    /// begun under a new one since) and tried once more.
    async fn verify_token<T: Send + 'static>(
        self: &Arc<Self>,
        verify: impl Fn(&Secret, &[String]) -> Option<T> + Send + 'static,
    ) -> Option<T> {
        let known = self
            .list_ids
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(found) = verify(&self.secret, &known) {
            return Some(found);
        }
        let app = Arc::clone(self);
        let fresh = self
            .with_store(move |store| known_list_ids(&app.config, store))
            .await
            .ok()?;
        if fresh == known {
            return None;
        }
        let found = verify(&self.secret, &fresh);
        *self.list_ids.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        found
    }

    /// Runs `f` on a blocking thread (file system, rendering).
    async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&App) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let app = Arc::clone(self);
        tokio::task::spawn_blocking(move || f(&app))
            .await
            .map_err(|e| Error::Failed(format!("a blocking task failed: {e}")))?
    }

    /// Runs `f` with the store on a blocking thread.
    async fn with_store<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.blocking(move |app| {
            let mut store = app.store.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut store)
        })
        .await
    }

    /// A page with its status.
    fn page(&self, status: StatusCode, html: String) -> Response {
        (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            html,
        )
            .into_response()
    }

    /// The answer to any link that does not verify: 400, saying nothing more.
    fn bad_link(&self) -> Response {
        self.page(StatusCode::BAD_REQUEST, pages::bad_link(&self.config))
    }

    /// A short page for a status that needs no more words (408, 413).
    fn status_page(&self, status: StatusCode) -> Response {
        let reason = status.canonical_reason().unwrap_or("Error");
        self.page(status, pages::status(&self.config, reason))
    }

    /// With a read-only store, the answer to a request that must write:
    /// 503 with a page saying that nothing was recorded, and an error logged.
    /// `None` when the store can be written.
    fn refuse_if_read_only(&self, what: &str) -> Option<Response> {
        if !self.read_only {
            return None;
        }
        eprintln!("gazette: error: {what} was not recorded: the store is read-only");
        let mut response = self.page(
            StatusCode::SERVICE_UNAVAILABLE,
            pages::not_recorded(&self.config),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
        Some(response)
    }

    /// Logs a failure and answers 500.
    fn failed(&self, what: &str, e: &Error) -> Response {
        eprintln!("gazette: error: {what}: {e}");
        self.page(
            StatusCode::INTERNAL_SERVER_ERROR,
            pages::failed(&self.config),
        )
    }
}

/// The config's list id, then every other one the store remembers.
fn known_list_ids(config: &Config, store: &Store) -> Result<Vec<String>> {
    let mut ids = vec![config.list_id.clone()];
    ids.extend(
        store
            .list_ids()?
            .into_iter()
            .filter(|l| *l != config.list_id),
    );
    Ok(ids)
}

/// Every route, with logging, hardening headers and the body limit.
/// For the proxy and monitoring: 200 `ok` when the store answers a query,
/// else 503 with why (the reason is gazette's, never a reader's data).
async fn healthz(State(app): State<Arc<App>>) -> Response {
    let checked = app.with_store(|store| store.active_count()).await;
    let (status, body) = match checked {
        Ok(_) if app.read_only => (
            StatusCode::OK,
            "ok (read-only: unsubscribes and sign-ups are refused)\n".to_owned(),
        ),
        Ok(_) => (StatusCode::OK, "ok\n".to_owned()),
        Err(e) => {
            eprintln!("gazette: error: /healthz: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the store does not answer\n".to_owned(),
            )
        }
    };
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(signup::form))
        .route("/subscribe", get(signup::form).post(signup::submit))
        .route(
            "/confirm/{token}",
            get(signup::confirm_page).post(signup::confirm),
        )
        .route(
            "/unsubscribe/{token}",
            get(unsubscribe::page).post(unsubscribe::post),
        )
        .route("/archive", get(archive::index))
        .route("/archive/", get(archive::index))
        .route("/archive/{issue}", get(archive::issue))
        .route("/archive/{issue}/", get(archive::issue))
        .route("/feed.xml", get(archive::atom))
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            http::read_body,
        ))
        .layer(axum::middleware::from_fn(http::harden))
        .layer(axum::middleware::from_fn(http::log))
        .with_state(app)
}

/// Serves until SIGINT or SIGTERM, within the `[serve]` connection limits.
pub async fn serve(listener: tokio::net::TcpListener, app: Arc<App>) -> Result<()> {
    let settings = app.config.serve.clone();
    listen::run(listener, router(app), &settings, shutdown()).await;
    Ok(())
}

async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

async fn not_found(State(app): State<Arc<App>>) -> Response {
    app.page(StatusCode::NOT_FOUND, pages::not_found(&app.config))
}

/// Archive pages may be cached a little; they change only when a send begins.
fn cacheable(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
