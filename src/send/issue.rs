//! One issue's send, between the command line and the engine: the destination
//! for this run, the routes, a test message, a dry run's count, the audience,
//! and the list send itself (lock, begin, engine, completion). It prints and
//! asks nothing; `commands::send` does that.

use super::engine::{self, Plan, Progress, Report, Route, Stop};
use super::outbox::Outbox;
use super::smtp::SmtpRelay;
use super::transport::{Envelope, Outcome, Transport};
use crate::address::Mailbox;
use crate::clock;
use crate::config::relay::{CONNECTIONS, RATES};
use crate::config::{Config, Destination};
use crate::error::{Error, Result};
use crate::message::{Factory, Recipient};
use crate::store::Store;
use crate::store::ledger::SendRecord;
use std::path::Path;
use std::sync::Arc;

/// What the command line changes for one run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides<'a> {
    /// `--transport` or `GAZETTE_TRANSPORT`.
    pub transport: Option<&'a str>,
    /// `--connections`, for every relay.
    pub connections: Option<usize>,
    /// `--rate`, for every relay.
    pub rate: Option<f64>,
}

/// Where this run sends: `--transport` over the config, with `--connections`
/// and `--rate` applied to every relay.
pub fn destination(config: &Config, root: &Path, o: &Overrides<'_>) -> Result<Destination> {
    let mut destination = config
        .delivery
        .transport_with(o.transport, root)
        .map_err(|e| Error::Input(format!("--transport: {e}")))?;
    if let Destination::Smtp(relays) = &mut destination {
        for relay in relays {
            if let Some(n) = o.connections {
                if !CONNECTIONS.contains(&n) {
                    return Err(Error::Input("--connections must be 1 to 100".into()));
                }
                relay.connections = n;
            }
            if let Some(r) = o.rate {
                if !RATES.contains(&r) {
                    return Err(Error::Input(
                        "--rate must be 0.01 to 100000 messages per second".into(),
                    ));
                }
                relay.rate = Some(r);
            }
        }
    }
    Ok(destination)
}

/// The routes messages take; inside the runtime, as SMTP pools need it.
pub fn routes(destination: &Destination, o: &Overrides<'_>) -> Result<Vec<Route>> {
    match destination {
        Destination::Outbox(dir) => Ok(vec![Route {
            transport: Arc::new(Outbox::new(dir)?),
            connections: o.connections.unwrap_or(1),
            rate: o.rate,
        }]),
        Destination::Smtp(relays) => relays
            .iter()
            .map(|r| {
                Ok(Route {
                    transport: Arc::new(SmtpRelay::new(r)?),
                    connections: r.connections,
                    rate: r.rate,
                })
            })
            .collect(),
    }
}

/// The routes' names, for the prompt: `smtp.example.net:587, ...`.
pub fn route_names(routes: &[Route]) -> String {
    routes
        .iter()
        .map(|r| r.transport.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Builds the test message to `mailbox` into `buf`; sends it unless `dry_run`
/// (then `None`).
pub async fn test_message(
    config: &Config,
    transport: &dyn Transport,
    factory: &Factory,
    mailbox: &Mailbox,
    dry_run: bool,
    buf: &mut Vec<u8>,
) -> Result<Option<Outcome>> {
    let recipient = Recipient {
        id: None,
        email: &mailbox.address,
        name: mailbox.name.as_deref(),
    };
    factory.build(&recipient, buf)?;
    if dry_run {
        return Ok(None);
    }
    let envelope = Envelope {
        from: config.delivery.envelope_from.clone(),
        to: mailbox.address.clone(),
    };
    Ok(Some(transport.send(&envelope, buf).await))
}

/// What a dry run would send.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DryRun {
    pub messages: u64,
    pub bytes: u64,
}

/// Builds every message the list send would send now (DKIM included), and
/// counts them, without connecting or writing the ledger.
pub fn dry_run(store: &Store, issue: u32, factory: &Factory) -> Result<DryRun> {
    let started = store.send_record(issue)?.is_some();
    let mut out = DryRun::default();
    let mut after = 0i64;
    let mut buf = Vec::new();
    loop {
        let batch: Vec<(i64, String, Option<String>)> = if started {
            store
                .pending_batch(issue, after, 500, i64::MAX)?
                .into_iter()
                .filter(|c| c.is_active())
                .map(|c| {
                    (
                        c.recipient.subscriber_id,
                        c.recipient.email,
                        c.recipient.name,
                    )
                })
                .collect()
        } else {
            store
                .active_after(after, 500)?
                .into_iter()
                .map(|s| (s.id, s.email, s.name))
                .collect()
        };
        let Some(last) = batch.last() else { break };
        after = last.0;
        for (id, email, name) in &batch {
            let recipient = Recipient {
                id: Some(*id),
                email,
                name: name.as_deref(),
            };
            factory.build(&recipient, &mut buf)?;
            out.messages += 1;
            out.bytes += buf.len() as u64;
        }
    }
    Ok(out)
}

/// Who a list send would reach now.
#[derive(Debug, Clone)]
pub struct Audience {
    /// The send's record, when it has begun before.
    pub existing: Option<SendRecord>,
    /// Recipients this run would try.
    pub to_send: u64,
}

impl Audience {
    /// The audience of `issue`: everyone active when it has not begun, else
    /// those not yet sent whose retry is due by `retry_before`, plus those
    /// active since it began when `include_new`.
    pub fn of(store: &Store, issue: u32, include_new: bool, retry_before: i64) -> Result<Audience> {
        let existing = store.send_record(issue)?;
        let new = if include_new {
            store.new_since_send(issue)?
        } else {
            0
        };
        let to_send = match &existing {
            None => store.active_count()?,
            Some(_) => store.eligible_count(issue, retry_before)? + new,
        };
        Ok(Audience { existing, to_send })
    }
}

/// One list send's parts.
pub struct ListSend<'a> {
    pub config: &'a Config,
    pub issue: u32,
    pub subject: &'a str,
    pub factory: Arc<Factory>,
    pub routes: Vec<Route>,
    pub include_new: bool,
    /// Deferred recipients due at or before this Unix time are retried.
    pub retry_before: i64,
}

/// What a list send did, and whether the issue's send is now complete.
pub struct Sent {
    pub report: Report,
    pub complete: bool,
}

impl ListSend<'_> {
    /// Takes the send lock, begins (or resumes) the send, runs the engine
    /// until it ends or `stop` fires, and records completion.
    pub async fn run(
        self,
        store: &mut Store,
        progress: impl FnOnce(u64) -> Box<dyn Progress>,
        stop: &mut Stop,
    ) -> Result<Sent> {
        let config = self.config;
        let Some(_lock) = crate::lock::try_acquire(config)? else {
            return Err(Error::Busy(format!(
                "another gazette send is running (it holds {}); wait for it to finish",
                config.data_dir().join("send.lock").display()
            )));
        };
        let now = clock::now()?.as_second();
        let list_id = self.factory.list_id().unwrap_or(&config.list_id);
        store.begin_send(self.issue, self.subject, list_id, now, self.include_new)?;
        let total = store.state_counts(self.issue)?.remaining();
        let mut progress = progress(total);
        let plan = Plan {
            issue: self.issue,
            factory: self.factory,
            delivery: &config.delivery,
            routes: self.routes,
            retry_before: self.retry_before,
            now: || clock::now().map(|t| t.as_second()).unwrap_or_default(),
        };
        let report = engine::run(store, plan, progress.as_mut(), stop).await?;
        drop(progress);
        let complete = store.complete_if_done(self.issue, clock::now()?.as_second())?;
        Ok(Sent { report, complete })
    }
}
