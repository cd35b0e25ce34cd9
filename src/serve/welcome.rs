//! The welcome mail of `[welcome]`, sent once a sign-up is confirmed, and with
//! `send_latest` the latest published issue too, recorded in its ledger.
//!
//! Both go through the [`super::mail::Mailer`] (its relays in turn, deferrals
//! retried after `retry_delays`); every outcome is logged, none is silent.

use super::App;
use crate::error::{Error, Result};
use crate::id::SubscriberId;
use crate::message::{Factory, Kind, Recipient};
use crate::render::Rendered;
use crate::store::ledger::Update;
use std::sync::Arc;

/// The welcome mail, rendered once when `serve` starts.
pub struct WelcomeMail {
    pub content: Rendered,
    pub send_latest: bool,
}

/// Sends subscriber `id` the welcome (and the latest issue, if configured).
pub async fn welcome(app: Arc<App>, id: SubscriberId) {
    let Some(welcome) = &app.welcome else { return };
    let Ok(Some(reader)) = app.with_store(move |s| s.get(id)).await else {
        eprintln!("gazette: error: subscriber {id} is gone; no welcome sent");
        return;
    };
    let now = match crate::clock::now() {
        Ok(now) => now.as_second(),
        Err(e) => return eprintln!("gazette: error: no welcome sent to subscriber {id}: {e}"),
    };
    let factory = Factory::welcome(&app.config, &welcome.content, now, app.secret.clone());
    let recipient = Recipient {
        id: Some(id),
        email: &reader.email,
        name: reader.name.as_deref(),
    };
    let mut message = Vec::new();
    match factory.build(&recipient, &mut message) {
        Ok(_) => match app.mailer.send(&reader.email, message).await {
            Ok(reply) => eprintln!("gazette: sent the welcome to subscriber {id}: {reply}"),
            Err(e) => eprintln!("gazette: error: the welcome to subscriber {id} was not sent: {e}"),
        },
        Err(e) => eprintln!("gazette: error: the welcome to subscriber {id} was not composed: {e}"),
    }
    if welcome.send_latest
        && let Err(e) = latest(&app, id, &reader.email, reader.name.as_deref(), now).await
    {
        eprintln!("gazette: error: the latest issue was not sent to subscriber {id}: {e}");
    }
}

/// The latest published issue to subscriber `id`, as the list send would have
/// sent it (their token and Message-ID under the list id it was sent under),
/// in its ledger: `sending`, then what came of it.
async fn latest(
    app: &Arc<App>,
    id: SubscriberId,
    email: &str,
    name: Option<&str>,
    now: i64,
) -> Result<()> {
    let Some(issue) = app.with_store(|s| s.latest_published()).await? else {
        return Ok(());
    };
    let drafts = app.blocking(|app| app.archive.drafts()).await?;
    let Some(cached) = drafts.get(issue) else {
        return Err(Error::Failed(format!(
            "issue #{issue} has no draft in drafts/"
        )));
    };
    if !app.with_store(move |s| s.add_late(issue, id, now)).await? {
        return Ok(());
    }
    let list_id = app.with_store(move |s| s.send_list_id(issue)).await?;
    let rendered = crate::render::render(&cached.draft, &app.config);
    let factory = Factory::new(
        &app.config,
        &rendered,
        issue,
        now,
        Kind::List,
        app.secret.clone(),
        Vec::new(),
    );
    let factory = match list_id {
        Some(l) => factory.under_list_id(l),
        None => factory,
    };
    let recipient = Recipient {
        id: Some(id),
        email,
        name,
    };
    let mut message = Vec::new();
    let message_id = factory.build(&recipient, &mut message)?;
    let update = match app.mailer.send(email, message).await {
        Ok(reply) => {
            eprintln!("gazette: sent issue #{issue} to subscriber {id}: {reply}");
            Update::Sent {
                subscriber_id: id,
                code: reply.get(..3).and_then(|c| c.parse().ok()),
                reply,
                message_id,
            }
        }
        Err(e) => {
            // Kept as failed with the reason, so `send --retry-failed` can send it again.
            eprintln!("gazette: error: issue #{issue} was not sent to subscriber {id}: {e}");
            Update::Failed {
                subscriber_id: id,
                code: 0,
                reply: e.to_string(),
                message_id,
                bounce: false,
            }
        }
    };
    app.with_store(move |s| s.record(issue, &[update], now))
        .await
}
