//! `gazette serve`: the newsletter's web endpoint. One-click unsubscribe
//! (RFC 8058) at the URL in every message, double opt-in sign-up with its
//! consent record, and the archive of sent issues with an Atom feed.
//!
//! Pages are server-rendered HTML without scripts or cookies. Every request
//! is logged on stderr with its token redacted; bodies are limited to 16 KiB;
//! the store is used from blocking threads, one request at a time.

pub mod archive;
mod http;
mod mail;
mod pages;
mod signup;
mod unsubscribe;

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
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// The largest request body accepted.
pub const BODY_LIMIT: usize = 16 * 1024;

/// Everything the handlers share.
pub struct App {
    newsletter: Newsletter,
    config: Config,
    secret: Secret,
    store: Mutex<Store>,
    mailer: Mailer,
}

impl App {
    pub fn new(newsletter: Newsletter, secret: Secret, store: Store, mailer: Mailer) -> App {
        App {
            config: newsletter.config.clone(),
            newsletter,
            secret,
            store: Mutex::new(store),
            mailer,
        }
    }

    /// Runs `f` with the store on a blocking thread.
    async fn with_store<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let app = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut store = app.store.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut store)
        })
        .await
        .map_err(|e| Error::Failed(format!("a store task failed: {e}")))?
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

    /// Logs a failure and answers 500.
    fn failed(&self, what: &str, e: &Error) -> Response {
        eprintln!("gazette: error: {what}: {e}");
        self.page(
            StatusCode::INTERNAL_SERVER_ERROR,
            pages::failed(&self.config),
        )
    }
}

/// Every route, with logging, hardening headers and the body limit.
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
        .route("/archive", get(archive_index))
        .route("/archive/", get(archive_index))
        .route("/archive/{issue}", get(archive_issue))
        .route("/archive/{issue}/", get(archive_issue))
        .route("/feed.xml", get(feed))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(http::harden))
        .layer(axum::middleware::from_fn(http::log))
        .with_state(app)
}

/// Serves until SIGINT or SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, app: Arc<App>) -> Result<()> {
    let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(Error::io("the server failed"))
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

async fn archive_index(State(app): State<Arc<App>>) -> Response {
    let newsletter = app.newsletter.clone();
    match app
        .with_store(move |s| archive::published(&newsletter, s))
        .await
    {
        Ok(issues) => {
            cacheable(app.page(StatusCode::OK, archive::index_page(&app.config, &issues)))
        }
        Err(e) => app.failed("the archive", &e),
    }
}

async fn archive_issue(
    State(app): State<Arc<App>>,
    axum::extract::Path(issue): axum::extract::Path<String>,
) -> Response {
    let Ok(number) = issue.parse::<u32>() else {
        return not_found(State(app)).await;
    };
    let newsletter = app.newsletter.clone();
    let issues = match app
        .with_store(move |s| archive::published(&newsletter, s))
        .await
    {
        Ok(issues) => issues,
        Err(e) => return app.failed("the archive", &e),
    };
    match issues
        .into_iter()
        .find(|i| i.issue == number)
        .and_then(|i| i.draft)
    {
        Some(draft) => {
            cacheable(app.page(StatusCode::OK, archive::issue_page(&app.config, &draft)))
        }
        None => not_found(State(app)).await,
    }
}

async fn feed(State(app): State<Arc<App>>) -> Response {
    let newsletter = app.newsletter.clone();
    let issues = match app
        .with_store(move |s| archive::published(&newsletter, s))
        .await
    {
        Ok(issues) => issues,
        Err(e) => return app.failed("the feed", &e),
    };
    let now = match crate::clock::now() {
        Ok(now) => now,
        Err(e) => return app.failed("the clock", &e),
    };
    cacheable(
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/atom+xml; charset=utf-8"),
            )],
            archive::feed(&app.config, &issues, now),
        )
            .into_response(),
    )
}
