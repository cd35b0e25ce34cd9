//! `/unsubscribe/{token}`: the URL in every message's List-Unsubscribe header
//! and footer.
//!
//! GET shows a button and changes nothing (link scanners fetch every URL).
//! POST unsubscribes: RFC 8058's `List-Unsubscribe=One-Click`, form-encoded
//! or multipart, or the page's own button; the body is not needed, the token
//! is the authority. It is idempotent, never redirects and sets no cookie. A
//! test send's token (subscriber 0) gets a page saying so, to GET and POST,
//! and changes nothing; a token whose subscriber was forgotten gets the usual
//! answer and changes nothing, since they get no mail.

use super::{App, pages};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::sync::Arc;

use crate::id::TEST_SEND;

pub async fn page(State(app): State<Arc<App>>, Path(token): Path<String>) -> Response {
    let Some(id) = app
        .verify_token(move |secret, lists| secret.verify_unsubscribe_any(lists, &token))
        .await
    else {
        return app.bad_link();
    };
    if id == TEST_SEND {
        return app.page(StatusCode::OK, pages::test_send_link(&app.config));
    }
    // Name the address, partly masked, so the reader knows which one this is.
    let address = app
        .with_store(move |store| Ok(store.get(id)?.map(|s| s.email)))
        .await
        .ok()
        .flatten();
    app.page(
        StatusCode::OK,
        pages::unsubscribe_form(&app.config, address.as_deref().map(mask).as_deref()),
    )
}

/// `grace@example.org` as `g••••@example.org`: enough to recognise, not to harvest.
pub fn mask(address: &str) -> String {
    let (local, domain) = address.rsplit_once('@').unwrap_or((address, ""));
    let first: String = local.chars().take(1).collect();
    let hidden = local.chars().count().saturating_sub(1).clamp(2, 6);
    format!("{first}{}@{domain}", "•".repeat(hidden))
}

pub async fn post(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    _body: Bytes,
) -> Response {
    let Some(id) = app
        .verify_token(move |secret, lists| secret.verify_unsubscribe_any(lists, &token))
        .await
    else {
        return app.bad_link();
    };
    if id == TEST_SEND {
        return app.page(StatusCode::OK, pages::test_send_link(&app.config));
    }
    if let Some(refused) = app.refuse_if_read_only("an unsubscribe") {
        return refused;
    }
    let now = match crate::clock::now() {
        Ok(now) => now,
        Err(e) => return app.failed("the clock", &e),
    };
    let done = app
        .with_store(move |store| {
            match store.get(id)? {
                Some(s) if !s.status.has_left() => {
                    store.unsubscribe(&s.email, now)?;
                }
                _ => {}
            }
            Ok(())
        })
        .await;
    if let Err(e) = done {
        return app.failed("unsubscribing", &e);
    }
    app.page(StatusCode::OK, pages::unsubscribed(&app.config))
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_the_local_part() {
        assert_eq!(super::mask("grace@example.org"), "g••••@example.org");
        assert_eq!(super::mask("a@example.org"), "a••@example.org");
        assert_eq!(
            super::mask("averyverylongname@example.org"),
            "a••••••@example.org"
        );
    }
}
