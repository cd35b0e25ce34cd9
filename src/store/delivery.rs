//! Writing the ledger: where one recipient stands ([`DeliveryState`], stored
//! by name), what a send loop reports of them ([`Update`]), and the one
//! transaction a group of updates is written in.

use super::Store;
use crate::error::Result;
use crate::id::SubscriberId;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{OptionalExtension, Transaction, params};

/// Where one recipient of a send stands; stored as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// In the audience, not tried.
    Pending,
    /// Handed to a connection; after a crash, in doubt.
    Sending,
    Sent,
    /// A 4xx or a dropped connection; retried after `next_attempt`.
    Deferred,
    /// Refused for good (5xx).
    Failed,
    /// Unsubscribed or bounced before their turn.
    Skipped,
}

impl DeliveryState {
    /// The value stored in `deliveries.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sending => "sending",
            DeliveryState::Sent => "sent",
            DeliveryState::Deferred => "deferred",
            DeliveryState::Failed => "failed",
            DeliveryState::Skipped => "skipped",
        }
    }

    /// The state a stored value names, if any.
    pub fn parse(text: &str) -> Option<DeliveryState> {
        use DeliveryState::*;
        [Pending, Sending, Sent, Deferred, Failed, Skipped]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromSql for DeliveryState {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<DeliveryState> {
        let text = value.as_str()?;
        DeliveryState::parse(text)
            .ok_or_else(|| FromSqlError::Other(format!("unknown delivery state `{text}`").into()))
    }
}

impl ToSql for DeliveryState {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

/// What to write for one recipient.
#[derive(Debug, Clone)]
pub enum Update {
    /// Handed to a connection.
    Sending { subscriber_id: SubscriberId },
    Sent {
        subscriber_id: SubscriberId,
        code: Option<u16>,
        reply: String,
        message_id: String,
    },
    Deferred {
        subscriber_id: SubscriberId,
        code: Option<u16>,
        reply: String,
        message_id: String,
        next_attempt: i64,
    },
    Failed {
        subscriber_id: SubscriberId,
        code: u16,
        reply: String,
        message_id: String,
        bounce: bool,
    },
    /// Deferred once more after `max_retry_age`: failed, not bounced, with
    /// the last reply and the reason in `reply`.
    GaveUp {
        subscriber_id: SubscriberId,
        code: Option<u16>,
        reply: String,
        message_id: String,
    },
    /// Back to pending without counting an attempt (a run stopped before it).
    Release { subscriber_id: SubscriberId },
    /// Not sent: no longer subscribed when their turn came. `reason` (their
    /// status, such as `unsubscribed`) is kept as the last reply.
    Skipped {
        subscriber_id: SubscriberId,
        reason: &'static str,
    },
}

impl Store {
    /// Writes a group of updates in one transaction; marks the send complete
    /// when nothing remains.
    pub fn record(&mut self, issue: u32, updates: &[Update], now: i64) -> Result<()> {
        let fail = self.error();
        let tx = self.write()?;
        apply(&tx, issue, updates, now).map_err(&fail)?;
        tx.commit().map_err(&fail)
    }

    /// Puts the failed recipients of `issue` back to pending, except those
    /// whose address bounced or who left the list; reopens the send when any
    /// went back, and their `max_retry_age` counts afresh. Returns how many.
    pub fn retry_failed(&mut self, issue: u32, now: i64) -> Result<u64> {
        let fail = self.error();
        let tx = self.write()?;
        let n = tx
            .execute(
                "UPDATE deliveries SET state = 'pending', next_attempt = NULL, updated = ?2,
                     first_attempt = NULL
                 WHERE issue = ?1 AND state = 'failed' AND subscriber_id IN
                     (SELECT id FROM subscribers WHERE status = 'active')",
                params![issue, now],
            )
            .map_err(&fail)?;
        if n > 0 {
            tx.execute(
                "UPDATE sends SET completed = NULL WHERE issue = ?1",
                [issue],
            )
            .map_err(&fail)?;
        }
        tx.commit().map_err(&fail)?;
        Ok(n as u64)
    }

    /// Defers every recipient of `issue` not yet tried, with the relay's
    /// reply, until `next_attempt` (when no relay can take mail); returns how
    /// many. Their attempts are not counted: nothing was sent to them, but
    /// their `max_retry_age` starts now, as an MTA's queue time would.
    pub fn defer_untried(
        &mut self,
        issue: u32,
        code: Option<u16>,
        reply: &str,
        next_attempt: i64,
        now: i64,
    ) -> Result<u64> {
        self.conn()
            .execute(
                "UPDATE deliveries SET state = 'deferred', last_code = ?2, last_reply = ?3,
                     next_attempt = ?4, updated = ?5, first_attempt = coalesce(first_attempt, ?5)
                 WHERE issue = ?1 AND state = 'pending'",
                params![issue, code, reply, next_attempt, now],
            )
            .map(|n| n as u64)
            .map_err(self.error())
    }

    /// Fails the deferred recipients of `issue` first tried at or before
    /// `first_before`, their last reply followed by `why` (when no relay can
    /// take mail, past `max_retry_age`); returns how many.
    pub fn give_up_deferred(
        &mut self,
        issue: u32,
        first_before: i64,
        why: &str,
        now: i64,
    ) -> Result<u64> {
        self.conn()
            .execute(
                "UPDATE deliveries SET state = 'failed', next_attempt = NULL, updated = ?4,
                     last_reply = coalesce(last_reply, '') || ?3
                 WHERE issue = ?1 AND state = 'deferred' AND first_attempt <= ?2",
                params![issue, first_before, why, now],
            )
            .map(|n| n as u64)
            .map_err(self.error())
    }
}

fn apply(tx: &Transaction<'_>, issue: u32, updates: &[Update], now: i64) -> rusqlite::Result<()> {
    let mut state = tx.prepare_cached(
        "UPDATE deliveries SET state = ?3, attempts = attempts + ?4, last_code = coalesce(?5, last_code),
             last_reply = coalesce(?6, last_reply), message_id = coalesce(?7, message_id),
             next_attempt = ?8, updated = ?9,
             first_attempt = CASE WHEN ?4 > 0 THEN coalesce(first_attempt, ?9) ELSE first_attempt END
         WHERE issue = ?1 AND subscriber_id = ?2",
    )?;
    let mut bounce = tx.prepare_cached(
        "UPDATE subscribers SET status = 'bounced', unsubscribed = ?2 WHERE id = ?1 AND status = 'active'",
    )?;
    // A 5.1.x refusal also puts the address on the suppression list, so that
    // an import cannot bring a dead address back (issue 12).
    let mut email = tx.prepare_cached("SELECT email FROM subscribers WHERE id = ?1")?;
    let at = jiff::Timestamp::from_second(now).unwrap_or_default();
    let stamp = crate::store::subscriber::stamp(at);
    for u in updates {
        // (subscriber, state, attempts added, code, reply, Message-ID, next attempt)
        let (id, new_state, attempt, code, reply, message_id, next_attempt) = match u {
            Update::Sending { subscriber_id } => (
                subscriber_id,
                DeliveryState::Sending,
                0,
                None,
                None,
                None,
                None,
            ),
            Update::Sent {
                subscriber_id,
                code,
                reply,
                message_id,
            } => (
                subscriber_id,
                DeliveryState::Sent,
                1,
                *code,
                Some(reply.as_str()),
                Some(message_id),
                None,
            ),
            Update::Deferred {
                subscriber_id,
                code,
                reply,
                message_id,
                next_attempt,
            } => (
                subscriber_id,
                DeliveryState::Deferred,
                1,
                *code,
                Some(reply.as_str()),
                Some(message_id),
                Some(*next_attempt),
            ),
            Update::Failed {
                subscriber_id,
                code,
                reply,
                message_id,
                bounce: bounced,
            } => {
                if *bounced {
                    bounce.execute(params![subscriber_id, stamp])?;
                    let address: Option<String> =
                        email.query_row([subscriber_id], |r| r.get(0)).optional()?;
                    if let Some(address) = address {
                        super::subscribers::suppress(tx, &address, at)?;
                    }
                }
                (
                    subscriber_id,
                    DeliveryState::Failed,
                    1,
                    Some(*code),
                    Some(reply.as_str()),
                    Some(message_id),
                    None,
                )
            }
            Update::GaveUp {
                subscriber_id,
                code,
                reply,
                message_id,
            } => (
                subscriber_id,
                DeliveryState::Failed,
                1,
                *code,
                Some(reply.as_str()),
                Some(message_id),
                None,
            ),
            Update::Release { subscriber_id } => (
                subscriber_id,
                DeliveryState::Pending,
                0,
                None,
                None,
                None,
                None,
            ),
            Update::Skipped {
                subscriber_id,
                reason,
            } => (
                subscriber_id,
                DeliveryState::Skipped,
                0,
                None,
                Some(*reason),
                None,
                None,
            ),
        };
        state.execute(params![
            issue,
            id,
            new_state,
            attempt,
            code,
            reply,
            message_id,
            next_attempt,
            now
        ])?;
    }
    Ok(())
}
