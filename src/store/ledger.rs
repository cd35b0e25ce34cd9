//! The delivery ledger: one row per (issue, subscriber), written as the send
//! goes, so that an interrupted send resumes without losing or doubling anyone.
//!
//! States: `pending` (in the audience, not tried), `sending` (handed to a
//! connection; after a crash, in doubt and sent again with the same
//! Message-ID), `sent`, `deferred` (a 4xx or a dropped connection; retried
//! after `next_attempt`), `failed` (5xx) and `skipped` (unsubscribed or
//! bounced before their turn). Times are Unix seconds.

pub use super::delivery::{DeliveryState, Update};
use super::{Status, Store};
use crate::error::Result;
use crate::id::SubscriberId;
use rusqlite::{OptionalExtension, params};

/// Migration 2: the ledger.
pub const MIGRATION: &str = "
CREATE TABLE sends (
    issue     INTEGER PRIMARY KEY,
    subject   TEXT NOT NULL,
    started   INTEGER NOT NULL,
    completed INTEGER
) STRICT;
CREATE TABLE deliveries (
    issue         INTEGER NOT NULL REFERENCES sends (issue),
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    state         TEXT NOT NULL CHECK (state IN
                      ('pending', 'sending', 'sent', 'deferred', 'failed', 'skipped')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_code     INTEGER,
    last_reply    TEXT,
    message_id    TEXT,
    next_attempt  INTEGER,
    updated       INTEGER NOT NULL,
    PRIMARY KEY (issue, subscriber_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX deliveries_state ON deliveries (issue, state);
CREATE TABLE notices (
    issue INTEGER NOT NULL,
    kind  TEXT NOT NULL,
    at    INTEGER NOT NULL,
    PRIMARY KEY (issue, kind)
) STRICT, WITHOUT ROWID;
";

/// Migration 7: when each recipient of an issue was first tried, so that
/// one deferred for longer than `max_retry_age` is given up on. Rows tried
/// before it count from their send's start.
pub const FIRST_ATTEMPT: &str = "
ALTER TABLE deliveries ADD COLUMN first_attempt INTEGER;
UPDATE deliveries SET first_attempt = (SELECT started FROM sends WHERE sends.issue = deliveries.issue)
    WHERE attempts > 0;
";

/// One recipient of a send, as the send loop needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub subscriber_id: SubscriberId,
    pub email: String,
    pub name: Option<String>,
    pub attempts: u32,
    /// When (Unix seconds) this issue was first tried for them, if it was.
    pub first_attempt: Option<i64>,
}

/// A recipient a run may try, with their status when read (one no longer
/// active is skipped, not sent to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub recipient: Pending,
    pub status: Status,
}

impl Candidate {
    pub fn is_active(&self) -> bool {
        self.status == Status::Active
    }
}

/// A failed or deferred recipient, with the last reply.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub email: String,
    pub state: DeliveryState,
    pub code: Option<u16>,
    pub reply: String,
}

/// A send as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRecord {
    pub issue: u32,
    pub subject: String,
    pub started: i64,
    pub completed: Option<i64>,
}

/// Counts per state, with the last attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StateCounts {
    pub pending: u64,
    pub sending: u64,
    pub sent: u64,
    pub deferred: u64,
    pub failed: u64,
    pub skipped: u64,
    pub last_attempt: Option<i64>,
}

impl StateCounts {
    /// Recipients still to be sent to (pending, in doubt or deferred).
    pub fn remaining(&self) -> u64 {
        self.pending + self.sending + self.deferred
    }
}

impl Store {
    /// The send of `issue`, if one has begun.
    pub fn send_record(&self, issue: u32) -> Result<Option<SendRecord>> {
        self.conn()
            .query_row(
                "SELECT issue, subject, started, completed FROM sends WHERE issue = ?1",
                [issue],
                |r| {
                    Ok(SendRecord {
                        issue: r.get(0)?,
                        subject: r.get(1)?,
                        started: r.get(2)?,
                        completed: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(self.error())
    }

    /// Every send, newest issue first.
    pub fn send_records(&self) -> Result<Vec<SendRecord>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT issue, subject, started, completed FROM sends ORDER BY issue DESC",
            )
            .map_err(self.error())?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SendRecord {
                    issue: r.get(0)?,
                    subject: r.get(1)?,
                    started: r.get(2)?,
                    completed: r.get(3)?,
                })
            })
            .map_err(self.error())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.error())
    }

    /// Fixes the audience of `issue`: on its first send, every active
    /// subscriber; with `include_new`, also those active now but not yet in it.
    /// Records `list_id` as the list id its tokens and Message-IDs are made
    /// under (a resumed send keeps the one it began with; see
    /// [`Store::send_list_id`]). Returns how many recipients were added.
    pub fn begin_send(
        &mut self,
        issue: u32,
        subject: &str,
        list_id: &str,
        now: i64,
        include_new: bool,
    ) -> Result<u64> {
        let fail = self.error();
        let tx = self.write()?;
        let fresh = tx
            .execute(
                "INSERT OR IGNORE INTO sends (issue, subject, started, list_id)
                 VALUES (?1, ?2, ?3, ?4)",
                params![issue, subject, now, list_id],
            )
            .map_err(&fail)?
            == 1;
        // A send begun by a gazette that did not record its list id.
        tx.execute(
            "UPDATE sends SET list_id = ?2 WHERE issue = ?1 AND list_id IS NULL",
            params![issue, list_id],
        )
        .map_err(&fail)?;
        tx.execute(
            "INSERT OR IGNORE INTO list_ids (list_id, first_used) VALUES (?1, ?2)",
            params![list_id, now],
        )
        .map_err(&fail)?;
        let mut added = 0;
        if fresh || include_new {
            added = tx
                .execute(
                    "INSERT OR IGNORE INTO deliveries (issue, subscriber_id, state, updated)
                     SELECT ?1, id, 'pending', ?2 FROM subscribers WHERE status = 'active'",
                    params![issue, now],
                )
                .map_err(&fail)? as u64;
            if added > 0 {
                tx.execute(
                    "UPDATE sends SET completed = NULL WHERE issue = ?1",
                    [issue],
                )
                .map_err(&fail)?;
            }
        }
        tx.commit().map_err(&fail)?;
        Ok(added)
    }

    /// Up to `limit` recipients of `issue` still to send to, with ids above
    /// `after`, in id order. Deferred ones count only once `next_attempt` is
    /// at or before `retry_before` (pass `i64::MAX` to retry all at once).
    pub fn pending_batch(
        &self,
        issue: u32,
        after: i64,
        limit: usize,
        retry_before: i64,
    ) -> Result<Vec<Candidate>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT d.subscriber_id, s.email, s.name, d.attempts, s.status, d.first_attempt
                 FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
                 WHERE d.issue = ?1 AND d.subscriber_id > ?2
                   AND (d.state IN ('pending', 'sending')
                        OR (d.state = 'deferred' AND coalesce(d.next_attempt, 0) <= ?4))
                 ORDER BY d.subscriber_id LIMIT ?3",
            )
            .map_err(self.error())?;
        let rows = stmt
            .query_map(params![issue, after, limit as i64, retry_before], |r| {
                Ok(Candidate {
                    recipient: Pending {
                        subscriber_id: r.get(0)?,
                        email: r.get(1)?,
                        name: r.get(2)?,
                        attempts: r.get(3)?,
                        first_attempt: r.get(5)?,
                    },
                    status: r.get(4)?,
                })
            })
            .map_err(self.error())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.error())
    }

    /// Counts per state of `issue`'s ledger.
    pub fn state_counts(&self, issue: u32) -> Result<StateCounts> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT state, count(*), max(updated) FROM deliveries WHERE issue = ?1 GROUP BY state")
            .map_err(self.error())?;
        let mut counts = StateCounts::default();
        let rows = stmt
            .query_map([issue], |r| {
                Ok((
                    r.get::<_, DeliveryState>(0)?,
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, Option<i64>>(2)?,
                ))
            })
            .map_err(self.error())?;
        for row in rows {
            let (state, n, last) = row.map_err(self.error())?;
            match state {
                DeliveryState::Pending => counts.pending = n,
                DeliveryState::Sending => counts.sending = n,
                DeliveryState::Sent => counts.sent = n,
                DeliveryState::Deferred => counts.deferred = n,
                DeliveryState::Failed => counts.failed = n,
                DeliveryState::Skipped => counts.skipped = n,
            }
            if state != DeliveryState::Pending {
                counts.last_attempt = counts.last_attempt.max(last);
            }
        }
        Ok(counts)
    }

    /// The failed and deferred recipients of `issue` with their last reply.
    pub fn problems(&self, issue: u32) -> Result<Vec<Problem>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT s.email, d.state, d.last_code, coalesce(d.last_reply, '')
                 FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
                 WHERE d.issue = ?1 AND d.state IN ('failed', 'deferred') ORDER BY d.state, s.email",
            )
            .map_err(self.error())?;
        let rows = stmt
            .query_map([issue], |r| {
                Ok(Problem {
                    email: r.get(0)?,
                    state: r.get(1)?,
                    code: r.get(2)?,
                    reply: r.get(3)?,
                })
            })
            .map_err(self.error())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.error())
    }

    /// Marks the send of `issue` complete if no recipient remains; returns whether it is.
    pub fn complete_if_done(&mut self, issue: u32, now: i64) -> Result<bool> {
        let remaining = self.state_counts(issue)?.remaining();
        if remaining == 0 {
            self.conn()
                .execute(
                    "UPDATE sends SET completed = coalesce(completed, ?2) WHERE issue = ?1",
                    params![issue, now],
                )
                .map_err(self.error())?;
        }
        Ok(remaining == 0)
    }
}

impl Store {
    /// How many subscribers are active now.
    pub fn active_count(&self) -> Result<u64> {
        self.conn()
            .query_row(
                "SELECT count(*) FROM subscribers WHERE status = 'active'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(self.error())
    }

    /// Recipients of `issue` a run would try now: pending, in doubt, or
    /// deferred with their next attempt at or before `retry_before`.
    pub fn eligible_count(&self, issue: u32, retry_before: i64) -> Result<u64> {
        self.conn()
            .query_row(
                "SELECT count(*) FROM deliveries WHERE issue = ?1
                 AND (state IN ('pending', 'sending') OR (state = 'deferred' AND coalesce(next_attempt, 0) <= ?2))",
                params![issue, retry_before],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(self.error())
    }

    /// Records that `kind` was said of `issue`; true only the first time, so
    /// that an unattended run says a thing once rather than every run.
    pub fn note_once(&self, issue: u32, kind: &str, now: i64) -> Result<bool> {
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO notices (issue, kind, at) VALUES (?1, ?2, ?3)",
                params![issue, kind, now],
            )
            .map(|n| n == 1)
            .map_err(self.error())
    }

    /// Active subscribers not yet in the audience of `issue`.
    pub fn new_since_send(&self, issue: u32) -> Result<u64> {
        self.conn()
            .query_row(
                "SELECT count(*) FROM subscribers s WHERE s.status = 'active'
                 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.issue = ?1 AND d.subscriber_id = s.id)",
                [issue],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(self.error())
    }
}
