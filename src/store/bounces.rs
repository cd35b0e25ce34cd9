//! What came back, recorded: one row per report `gazette bounces` processed
//! (its key, when, where from, how it was classified and matched, what it
//! changed), and the rules a report applies to its subscriber: a hard bounce
//! or a complaint at once, soft bounces over the last issues sent to them.
//!
//! Each report is applied in one transaction that first looks for its key, so
//! that the same report processed twice changes nothing the second time.

use super::Store;
use super::subscriber::Status;
use super::subscribers::{set_status, suppress};
use crate::error::Result;
use crate::id::SubscriberId;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

/// Migration 9: the reports, and the index that finds a delivery by the
/// Message-ID a report quotes.
pub const MIGRATION: &str = "
CREATE TABLE reports (
    id            INTEGER PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,
    processed     INTEGER NOT NULL,
    origin        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    status        TEXT,
    diagnostic    TEXT,
    issue         INTEGER,
    subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE CASCADE,
    matched       TEXT NOT NULL CHECK (matched IN ('verp', 'message-id', 'recipient', 'none')),
    forged        INTEGER NOT NULL DEFAULT 0,
    changed       TEXT
) STRICT;
CREATE INDEX reports_issue ON reports (issue, kind);
CREATE INDEX reports_subscriber ON reports (subscriber_id, issue);
CREATE INDEX deliveries_message_id ON deliveries (message_id) WHERE message_id IS NOT NULL;
";

/// How a report was tied to a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Matched {
    Verp,
    MessageId,
    Recipient,
    None,
}

impl Matched {
    pub fn as_str(self) -> &'static str {
        match self {
            Matched::Verp => "verp",
            Matched::MessageId => "message-id",
            Matched::Recipient => "recipient",
            Matched::None => "none",
        }
    }
}

/// What a report does to its subscriber, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// A hard bounce: `bounced` and suppressed at once.
    Hard,
    /// A soft bounce: `bounced` once `limit` of the last `window` issues sent bounced.
    Soft { limit: u32, window: u32 },
    /// A complaint: `complained` and suppressed at once.
    Complaint,
    /// Delayed, auto-reply, unclassified, forged: recorded only.
    None,
}

/// One report to record.
#[derive(Debug, Clone)]
pub struct NewReport<'a> {
    /// Its Message-ID, or `sha256:` and the hex digest of the raw message.
    pub key: &'a str,
    pub origin: &'a str,
    /// `hard`, `soft`, `complaint`, `delayed`, `auto-reply`, `unclassified`.
    pub kind: &'a str,
    pub status: Option<&'a str>,
    pub diagnostic: Option<&'a str>,
    pub issue: Option<u32>,
    pub subscriber: Option<SubscriberId>,
    pub matched: Matched,
    pub forged: bool,
    pub effect: Effect,
}

/// What recording a report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// A report with this key was recorded before: nothing changed.
    AlreadyRecorded,
    /// Recorded; the subscriber's new status, when it changed.
    Recorded { changed: Option<Status> },
}

/// Bounces and complaints recorded against one issue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct IssueBounces {
    pub hard: u64,
    pub soft: u64,
    pub complaints: u64,
}

/// The complaint rate above which `status` and `check` warn: 0.1%, a third
/// of the 0.3% Gmail and Yahoo tell bulk senders to stay under.
pub const COMPLAINT_WARNING: f64 = 0.001;

impl IssueBounces {
    /// Complaints per message sent; `None` before anything was sent.
    pub fn complaint_rate(&self, sent: u64) -> Option<f64> {
        (sent > 0).then(|| self.complaints as f64 / sent as f64)
    }
}

/// Records `r` and applies its effect, on a connection inside the caller's
/// transaction (or savepoint).
pub fn apply(conn: &Connection, r: &NewReport<'_>, now: Timestamp) -> rusqlite::Result<Applied> {
    let known = conn
        .prepare_cached("SELECT 1 FROM reports WHERE key = ?1")?
        .exists([r.key])?;
    if known {
        return Ok(Applied::AlreadyRecorded);
    }
    let subscriber = match r.subscriber {
        Some(id) => conn
            .prepare_cached("SELECT email, status FROM subscribers WHERE id = ?1")?
            .query_row([id], |row| {
                Ok((id, row.get::<_, String>(0)?, row.get::<_, Status>(1)?))
            })
            .optional()?,
        None => None,
    };
    conn.prepare_cached(
        "INSERT INTO reports (key, processed, origin, kind, status, diagnostic, issue,
             subscriber_id, matched, forged)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        r.key,
        now.as_second(),
        r.origin,
        r.kind,
        r.status,
        r.diagnostic,
        r.issue,
        subscriber.as_ref().map(|s| s.0),
        r.matched.as_str(),
        r.forged,
    ])?;
    let report_id = conn.last_insert_rowid();
    let Some((id, email, status)) = subscriber else {
        return Ok(Applied::Recorded { changed: None });
    };
    let reachable = matches!(status, Status::Active | Status::Pending);
    let new = match r.effect {
        Effect::None => None,
        Effect::Hard => {
            suppress(conn, &email, now)?;
            reachable.then_some(Status::Bounced)
        }
        Effect::Complaint => {
            suppress(conn, &email, now)?;
            (status != Status::Complained).then_some(Status::Complained)
        }
        Effect::Soft { limit, window } => (reachable
            && soft_issues(conn, id, window)? >= u64::from(limit))
        .then_some(Status::Bounced),
    };
    if let Some(new) = new {
        set_status(conn, id, new, now)?;
        conn.prepare_cached("UPDATE reports SET changed = ?2 WHERE id = ?1")?
            .execute(params![report_id, new.as_str()])?;
    }
    Ok(Applied::Recorded { changed: new })
}

/// How many of the last `window` issues sent to `subscriber` (their ledger
/// rows `sent` or `failed`, by issue) have a soft bounce recorded: a later
/// issue delivered without one moves the window on, it does not wipe it.
fn soft_issues(conn: &Connection, subscriber: SubscriberId, window: u32) -> rusqlite::Result<u64> {
    conn.prepare_cached(
        "SELECT count(*) FROM (
             SELECT issue FROM deliveries
             WHERE subscriber_id = ?1 AND state IN ('sent', 'failed')
             ORDER BY issue DESC LIMIT ?2
         ) AS recent
         WHERE EXISTS (SELECT 1 FROM reports r WHERE r.subscriber_id = ?1
                       AND r.issue = recent.issue AND r.kind = 'soft' AND r.forged = 0)",
    )?
    .query_row(params![subscriber, window], |row| row.get::<_, i64>(0))
    .map(|n| n as u64)
}

/// See [`Store::delivery_by_message_id`].
pub fn by_message_id(
    conn: &Connection,
    message_id: &str,
) -> rusqlite::Result<Option<(u32, SubscriberId)>> {
    conn.prepare_cached(
        "SELECT issue, subscriber_id FROM deliveries WHERE message_id = ?1 LIMIT 1",
    )?
    .query_row([message_id], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()
}

/// See [`Store::latest_sent_to`].
pub fn latest_sent_to(
    conn: &Connection,
    email: &str,
) -> rusqlite::Result<Option<(u32, SubscriberId)>> {
    conn.prepare_cached(
        "SELECT d.issue, s.id FROM subscribers s JOIN deliveries d ON d.subscriber_id = s.id
         WHERE s.email_key = ?1 AND d.state IN ('sent', 'failed')
         ORDER BY d.issue DESC LIMIT 1",
    )?
    .query_row([super::email_key(email.trim())], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .optional()
}

impl Store {
    /// The issue and subscriber of the delivery whose Message-ID is `message_id`.
    pub fn delivery_by_message_id(&self, message_id: &str) -> Result<Option<(u32, SubscriberId)>> {
        by_message_id(self.conn(), message_id).map_err(self.error())
    }

    /// The subscriber whose address is `email`, and the latest issue sent to
    /// them (a ledger row `sent` or `failed`), if both exist.
    pub fn latest_sent_to(&self, email: &str) -> Result<Option<(u32, SubscriberId)>> {
        latest_sent_to(self.conn(), email).map_err(self.error())
    }

    /// How many readers of `issue` bounced hard, soft, or complained (each
    /// reader once per kind, however many reports; forged reports never count).
    pub fn issue_bounces(&self, issue: u32) -> Result<IssueBounces> {
        let mut counts = IssueBounces::default();
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT kind, count(DISTINCT subscriber_id) FROM reports
                 WHERE issue = ?1 AND forged = 0 AND matched != 'none' GROUP BY kind",
            )
            .map_err(self.error())?;
        let rows = stmt
            .query_map([issue], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(self.error())?;
        for row in rows {
            match row.map_err(self.error())? {
                (kind, n) if kind == "hard" => counts.hard = n,
                (kind, n) if kind == "soft" => counts.soft = n,
                (kind, n) if kind == "complaint" => counts.complaints = n,
                _ => {}
            }
        }
        Ok(counts)
    }

    /// The latest issue gazette sent (not imported), its complaints and how
    /// many it was sent to: what `check` judges the list's standing by.
    pub fn latest_complaints(&self) -> Result<Option<(u32, u64, u64)>> {
        self.conn()
            .prepare_cached(
                "SELECT s.issue,
                     (SELECT count(DISTINCT r.subscriber_id) FROM reports r WHERE r.issue = s.issue AND r.kind = 'complaint'
                          AND r.forged = 0 AND r.matched != 'none'),
                     (SELECT count(*) FROM deliveries d WHERE d.issue = s.issue AND d.state = 'sent')
                 FROM sends s WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.issue = s.issue AND d.state = 'sent')
                 ORDER BY s.issue DESC LIMIT 1",
            )
            .and_then(|mut st| {
                st.query_row([], |r| {
                    Ok((r.get(0)?, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64))
                })
                .optional()
            })
            .map_err(self.error())
    }

    /// The last thing a receiver said about `subscriber`: the diagnostic of
    /// their latest bounce report, else the reply of their latest failed delivery.
    pub fn last_diagnostic(&self, subscriber: SubscriberId) -> Result<Option<String>> {
        self.conn()
            .prepare_cached(
                "SELECT text FROM (
                     SELECT coalesce(diagnostic, status, CASE kind WHEN 'complaint' THEN 'complaint (feedback report)' END)
                         AS text, 1 AS rank, processed AS at FROM reports
                     WHERE subscriber_id = ?1 AND forged = 0 AND kind IN ('hard', 'soft', 'complaint')
                     UNION ALL
                     SELECT last_reply, 2, updated FROM deliveries
                     WHERE subscriber_id = ?1 AND state = 'failed' AND last_reply IS NOT NULL
                 ) WHERE text IS NOT NULL ORDER BY rank, at DESC LIMIT 1",
            )
            .and_then(|mut s| s.query_row([subscriber], |r| r.get(0)).optional())
            .map_err(self.error())
    }
}

#[cfg(test)]
mod tests;
