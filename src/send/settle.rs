//! Settling one result: [`settle`] turns a finished job's outcome into its
//! ledger update and what the loop does next, the one place where the
//! meaning of an SMTP outcome for a recipient and for the run is decided.

use super::retry::RetryPolicy;
use super::transport::Outcome;
use super::worker::{Attempt, Finished, Job, RouteState};
use crate::store::ledger::Update;
use std::sync::Arc;
use tokio::time::Instant;

/// What happens to a recipient once its result is settled.
#[derive(Debug)]
pub enum Next {
    /// Sent (with its bytes): done for this run.
    Sent(usize),
    /// Refused for good: done for this run.
    Failed,
    /// No longer subscribed when their message was to be built: not sent.
    Skipped,
    /// Deferred with no retry left in this run: counted as deferred.
    CountDeferred,
    /// Deferred: tried again in this run at the instant.
    RetryAt(Instant, Job),
    /// Another connection takes it now, without counting an attempt.
    RequeueNow(Job),
    /// Not tried (the run was stopping): back to pending, nothing counted.
    Released,
    /// The run stops, for this reason; the recipient is released.
    Abort(String),
    /// Every relay is resting or broken: the run stops at once, leaving this
    /// recipient and everyone not yet tried deferred, with the relay's reply.
    Suspend(Option<u16>, String),
}

/// What [`settle`] needs to know about the run.
pub struct Situation<'a> {
    /// Unix time, for the ledger's next attempt.
    pub now: i64,
    /// Tokio time, for retries within the run.
    pub at: Instant,
    pub stopping: bool,
    pub routes: &'a [Arc<RouteState>],
    pub retry: &'a RetryPolicy,
}

/// Turns one finished job into its ledger update and what happens next.
pub fn settle(finished: Finished, run: &Situation<'_>) -> (Option<Update>, Next) {
    let Finished {
        job,
        outcome,
        message_id,
        bytes,
    } = finished;
    let subscriber_id = job.recipient.subscriber_id;
    let release = Some(Update::Release { subscriber_id });
    let outcome = match outcome {
        Attempt::Made(outcome) => outcome,
        Attempt::NotMade => return (release, Next::Released),
        Attempt::Returned if run.stopping => return (release, Next::Released),
        Attempt::Returned => return (None, Next::RequeueNow(job)),
        Attempt::Left(reason) => {
            let update = Update::Skipped {
                subscriber_id,
                reason,
            };
            return (Some(update), Next::Skipped);
        }
    };
    match outcome {
        Outcome::Sent { reply } => {
            let code = reply_code(&reply);
            let update = Update::Sent {
                subscriber_id,
                code,
                reply,
                message_id,
            };
            (Some(update), Next::Sent(bytes))
        }
        Outcome::Failed {
            code,
            reply,
            bounce,
        } => {
            let update = Update::Failed {
                subscriber_id,
                code,
                reply,
                message_id,
                bounce,
            };
            (Some(update), Next::Failed)
        }
        Outcome::Deferred {
            relay_trouble: true,
            ..
        } if !run.stopping && available(run) => {
            // The relay is resting; another takes this recipient now.
            (None, Next::RequeueNow(job))
        }
        Outcome::Deferred {
            code,
            reply,
            relay_trouble,
        } => {
            let not_suspending = !relay_trouble || run.stopping;
            if not_suspending && run.retry.gives_up(job.recipient.first_attempt, run.now) {
                // Deferred for longer than max_retry_age: given up on. (When
                // no relay can take mail the run suspends, and the close
                // gives up on everyone past that age at once.)
                let reply = format!("{reply}{}", run.retry.give_up_note());
                let update = Update::GaveUp {
                    subscriber_id,
                    code,
                    reply,
                    message_id,
                };
                return (Some(update), Next::Failed);
            }
            let why = reply.clone();
            let update = |next_attempt| Update::Deferred {
                subscriber_id,
                code,
                reply,
                message_id,
                next_attempt,
            };
            if relay_trouble && !run.stopping {
                // No relay can take anyone now: waiting out the rest one
                // recipient at a time would keep cron's run going for hours.
                let tries = job.tries + 1;
                let update = update(run.retry.next_attempt(tries, run.now));
                return (Some(update), Next::Suspend(code, why));
            }
            defer(job, update, run)
        }
        Outcome::AuthFailed { reply } => (
            release,
            Next::Abort(format!("the relay refused the login: {reply}")),
        ),
        Outcome::RelayBroken { reply } if run.routes.iter().all(|r| r.is_broken()) => (
            release,
            Next::Abort(format!("no relay can be used: {reply}")),
        ),
        Outcome::RelayBroken { reply } if !available(run) => {
            (release, Next::Suspend(reply_code(&reply), reply))
        }
        Outcome::RelayBroken { .. } => (None, Next::RequeueNow(job)),
    }
}

/// Whether some relay can take a recipient now.
fn available(run: &Situation<'_>) -> bool {
    run.routes.iter().any(|r| r.is_available(Instant::now()))
}

/// A deferral: tried again in this run after the policy's delay, or left
/// deferred until the next attempt once the delays have run out.
fn defer(
    job: Job,
    update: impl FnOnce(i64) -> Update,
    run: &Situation<'_>,
) -> (Option<Update>, Next) {
    let tries = job.tries + 1;
    let update = update(run.retry.next_attempt(tries, run.now));
    let next = match run.retry.delay_after(tries) {
        Some(delay) if !run.stopping => {
            let recipient = job.recipient;
            Next::RetryAt(run.at + delay, Job { recipient, tries })
        }
        _ => Next::CountDeferred,
    };
    (Some(update), next)
}

fn reply_code(reply: &str) -> Option<u16> {
    reply.get(..3).and_then(|c| c.parse().ok())
}
