//! Double opt-in: `/subscribe` takes an address and mails it a signed,
//! expiring link; `/confirm/{token}` shows a button whose POST makes the
//! subscriber active with the consent record of their request.
//!
//! The answer to a sign-up is the same page whatever the address's state
//! (new, pending, active, left or forgotten), and the email is sent in the
//! background so that the answer takes the same time too. Forgotten
//! addresses are never stored again. Requests are limited per client IP and
//! per address (429). A name may have at most [`MAX_NAME`] characters.

use super::http::{client_ip, ip_bucket};
use super::mail::{self, CONFIRM_HOURS};
use super::{App, pages};
use crate::store::signup::{Confirmation, Request, Requested, address_bucket};
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::net::SocketAddr;
use std::sync::Arc;

const HOUR: i64 = 60 * 60;

/// The longest name a sign-up may give, in characters.
pub const MAX_NAME: usize = 200;

/// The sign-up form's fields.
#[derive(Debug, serde::Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
}

pub async fn form(State(app): State<Arc<App>>) -> Response {
    app.page(
        StatusCode::OK,
        pages::signup_form(&app.config, None, "", ""),
    )
}

pub async fn submit(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<SignupForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => {
            let status = match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::BAD_REQUEST,
            };
            let page = pages::signup_form(&app.config, Some("Please fill in the form."), "", "");
            return app.page(status, page);
        }
    };
    let email = match crate::address::normalize(&form.email) {
        Ok(e) => e,
        Err(_) => {
            let error = "That does not look like an email address. Please check it.";
            let page = pages::signup_form(&app.config, Some(error), &form.email, &form.name);
            return app.page(StatusCode::BAD_REQUEST, page);
        }
    };
    if form.name.trim().chars().count() > MAX_NAME {
        let error = format!("Please give a name of at most {MAX_NAME} characters.");
        let page = pages::signup_form(&app.config, Some(&error), &form.email, "");
        return app.page(StatusCode::BAD_REQUEST, page);
    }
    if let Some(refused) = app.refuse_if_read_only("a sign-up") {
        return refused;
    }
    let now = match crate::clock::now() {
        Ok(now) => now,
        Err(e) => return app.failed("the clock", &e),
    };
    let client = client_ip(&app.config.serve, &headers, peer);
    let (ip, ip_bucket) = (client.to_string(), ip_bucket(client));
    let name = form.name;
    let expires = now.as_second() + CONFIRM_HOURS * HOUR;
    let limits = &app.config.serve;
    let (per_ip, per_address) = (
        limits.signups_per_ip_per_hour,
        limits.confirmations_per_address_per_day,
    );
    let consent = limits.consent.clone();
    let outcome = app
        .with_store(move |store| {
            let t = now.as_second();
            if !store.rate_take(&ip_bucket, per_ip, HOUR, t)? {
                return Ok(None);
            }
            if !store.rate_take(&address_bucket(&email), per_address, 24 * HOUR, t)? {
                return Ok(None);
            }
            let request = Request {
                email: &email,
                name: Some(name.as_str()),
                consent_text: &consent,
                ip: Some(&ip),
            };
            store.request_signup(&request, now, expires).map(Some)
        })
        .await;
    let requested = match outcome {
        Ok(Some(r)) => r,
        Ok(None) => return too_many(&app),
        Err(e) => return app.failed("a sign-up", &e),
    };
    if let Requested::Confirm(subscriber) = requested {
        let token = app
            .secret
            .confirm_token(&app.config.list_id, subscriber.id, expires);
        let url = format!("{}/confirm/{token}", app.config.base_url);
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            let sent = match mail::confirmation(
                &app.config,
                &subscriber.email,
                subscriber.name.as_deref(),
                &url,
                now,
            ) {
                Ok(message) => app.mailer.send(&subscriber.email, message).await,
                Err(e) => Err(mail::Undelivered::Unwritten(e)),
            };
            match sent {
                Ok(reply) => eprintln!(
                    "gazette: sent the confirmation to subscriber {}: {reply}",
                    subscriber.id
                ),
                Err(reply) => eprintln!(
                    "gazette: error: the confirmation to subscriber {} was not sent: {reply}",
                    subscriber.id
                ),
            }
        });
    }
    app.page(StatusCode::OK, pages::check_inbox(&app.config))
}

fn too_many(app: &App) -> Response {
    let mut response = app.page(StatusCode::TOO_MANY_REQUESTS, pages::too_many(&app.config));
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
    response
}

/// The subscriber and expiry of a genuine token that has not expired.
async fn verified(app: &Arc<App>, token: String) -> Option<(i64, i64, jiff::Timestamp)> {
    let (id, expires) = app
        .verify_token(move |secret, lists| secret.verify_confirm_any(lists, &token))
        .await?;
    let now = crate::clock::now().ok()?;
    let id = Some(id).filter(|&id| id > 0)?;
    (expires >= now.as_second()).then_some((id, expires, now))
}

pub async fn confirm_page(State(app): State<Arc<App>>, Path(token): Path<String>) -> Response {
    let Some((id, expires, _)) = verified(&app, token).await else {
        return app.bad_link();
    };
    match app.with_store(move |s| s.confirmation(id, expires)).await {
        Ok(Confirmation::Open) => app.page(StatusCode::OK, pages::confirm_form(&app.config)),
        Ok(Confirmation::Active) => app.page(StatusCode::OK, pages::confirmed(&app.config)),
        Ok(Confirmation::Invalid) => app.bad_link(),
        Err(e) => app.failed("a confirmation", &e),
    }
}

pub async fn confirm(State(app): State<Arc<App>>, Path(token): Path<String>) -> Response {
    let Some((id, expires, now)) = verified(&app, token).await else {
        return app.bad_link();
    };
    if let Some(refused) = app.refuse_if_read_only("a confirmation") {
        return refused;
    }
    match app
        .with_store(move |s| s.confirm_signup(id, expires, now))
        .await
    {
        Ok(Confirmation::Open) => {
            // Confirmed now, for the first time: the welcome, if there is one.
            tokio::spawn(super::welcome::welcome(Arc::clone(&app), id));
            app.page(StatusCode::OK, pages::confirmed(&app.config))
        }
        Ok(Confirmation::Active) => app.page(StatusCode::OK, pages::confirmed(&app.config)),
        Ok(Confirmation::Invalid) => app.bad_link(),
        Err(e) => app.failed("a confirmation", &e),
    }
}
