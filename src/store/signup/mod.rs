//! Sign-ups through the web form (double opt-in) and the rate limits that
//! guard the form.
//!
//! A request to subscribe never makes anyone active: a new address becomes a
//! `pending` subscriber, and every request leaves a row in `signups` (what was
//! shown, when, from which IP) until the emailed link confirms it. A
//! confirmation token names the subscriber and its expiry; it is honoured only
//! while the request it answers is open, so an old link cannot bring back
//! someone who unsubscribed after asking. Rate-limit events are rows of
//! `(bucket, time)`, kept a day at most.

use super::subscriber::{clean_name, email_key, stamp, suppression_hash};
use super::subscribers::{by_id, by_id_opt, by_key, is_suppressed};
use super::{Status, Store, Subscriber};
use crate::error::Result;
use crate::id::SubscriberId;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

/// Migration 3: open sign-up requests and rate-limit events.
///
/// `first_expires` is the expiry of the first token sent for the open
/// request, `expires` that of the latest: a token is honoured when its expiry
/// lies between them (so a second request does not void the first email).
pub const MIGRATION: &str = "
CREATE TABLE signups (
    subscriber_id INTEGER PRIMARY KEY REFERENCES subscribers (id) ON DELETE CASCADE,
    requested     TEXT NOT NULL,
    first_expires INTEGER NOT NULL,
    expires       INTEGER NOT NULL,
    name          TEXT,
    consent_text  TEXT NOT NULL,
    consent_ip    TEXT
) STRICT;
CREATE TABLE rate_events (
    bucket TEXT NOT NULL,
    at     INTEGER NOT NULL
) STRICT;
CREATE INDEX rate_events_bucket ON rate_events (bucket, at);
";

/// How long rate-limit events are kept: the longest window.
const RATE_KEEP: i64 = 24 * 60 * 60;

/// One request to subscribe, as the form gave it.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// Normalised by [`crate::address::normalize`].
    pub email: &'a str,
    pub name: Option<&'a str>,
    /// The consent wording the form showed.
    pub consent_text: &'a str,
    /// The address the request came from.
    pub ip: Option<&'a str>,
}

/// What [`Store::request_signup`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    /// Forgotten (on the suppression list): nothing is stored or sent.
    Suppressed,
    /// Active already: nothing to do.
    Active,
    /// Send a confirmation link to this subscriber: a new or pending one, or
    /// one who left and asks to come back (their status is unchanged until
    /// they confirm).
    Confirm(Box<Subscriber>),
}

/// What a confirmation token meets in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// An open request that this token answers.
    Open,
    /// The subscriber is active (this request was confirmed already).
    Active,
    /// No open request for this token: the link is used up or stale.
    Invalid,
}

/// An open request, as stored.
struct Open {
    requested: Timestamp,
    first_expires: i64,
    expires: i64,
    name: Option<String>,
    consent_text: String,
    consent_ip: Option<String>,
}

impl Store {
    /// Records a request to subscribe, unless the address was forgotten or is
    /// active. `expires` (Unix seconds) is the expiry of the token to send.
    pub fn request_signup(
        &mut self,
        request: &Request<'_>,
        now: Timestamp,
        expires: i64,
    ) -> Result<Requested> {
        let fail = self.error();
        let tx = self.write()?;
        if is_suppressed(&tx, request.email).map_err(&fail)? {
            return Ok(Requested::Suppressed);
        }
        let name = request.name.and_then(clean_name);
        let existing = by_key(&tx, &email_key(request.email)).map_err(&fail)?;
        let subscriber = match existing {
            Some(s) if s.status == Status::Active => return Ok(Requested::Active),
            Some(s) => s,
            None => {
                tx.prepare_cached(
                    "INSERT INTO subscribers (email, email_key, name, status, created, source,
                         consent_at, consent_how, consent_text, consent_ip)
                     VALUES (?1, ?2, ?3, 'pending', ?4, 'form', ?4, 'form', ?5, ?6)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        request.email,
                        email_key(request.email),
                        name,
                        stamp(now),
                        request.consent_text,
                        request.ip,
                    ])
                })
                .map_err(&fail)?;
                by_id(&tx, tx.last_insert_rowid()).map_err(&fail)?
            }
        };
        // A request still open keeps its first expiry; a lapsed one starts afresh.
        let first_expires = match open(&tx, subscriber.id).map_err(&fail)? {
            Some(o) if o.expires >= now.as_second() => o.first_expires,
            _ => expires,
        };
        tx.prepare_cached(
            "INSERT OR REPLACE INTO signups (subscriber_id, requested, first_expires, expires,
                 name, consent_text, consent_ip)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .and_then(|mut s| {
            s.execute(params![
                subscriber.id,
                stamp(now),
                first_expires,
                expires,
                name,
                request.consent_text,
                request.ip,
            ])
        })
        .map_err(&fail)?;
        tx.commit().map_err(&fail)?;
        Ok(Requested::Confirm(Box::new(subscriber)))
    }

    /// What a genuine, unexpired confirmation token of `id` with `expires`
    /// meets; changes nothing.
    pub fn confirmation(&self, id: SubscriberId, expires: i64) -> Result<Confirmation> {
        let fail = self.error();
        let Some(subscriber) = by_id_opt(self.conn(), id).map_err(&fail)? else {
            return Ok(Confirmation::Invalid);
        };
        let open = open(self.conn(), id).map_err(&fail)?;
        Ok(judge(&subscriber, open.as_ref(), expires))
    }

    /// Confirms the request a genuine, unexpired token answers: the subscriber
    /// becomes active with the request's consent record. Idempotent: a second
    /// confirmation finds them [`Confirmation::Active`].
    pub fn confirm_signup(
        &mut self,
        id: SubscriberId,
        expires: i64,
        now: Timestamp,
    ) -> Result<Confirmation> {
        let fail = self.error();
        let tx = self.write()?;
        let Some(subscriber) = by_id_opt(&tx, id).map_err(&fail)? else {
            return Ok(Confirmation::Invalid);
        };
        let open = open(&tx, id).map_err(&fail)?;
        let verdict = judge(&subscriber, open.as_ref(), expires);
        if let (Confirmation::Open, Some(o)) = (&verdict, &open) {
            tx.prepare_cached(
                "UPDATE subscribers SET status = 'active', confirmed = ?2, unsubscribed = NULL,
                     name = coalesce(?3, name), consent_at = ?4, consent_how = 'form',
                     consent_text = ?5, consent_ip = ?6
                 WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.execute(params![
                    id,
                    stamp(now),
                    o.name,
                    stamp(o.requested),
                    o.consent_text,
                    o.consent_ip,
                ])
            })
            .map_err(&fail)?;
        }
        if verdict != Confirmation::Invalid {
            tx.execute("DELETE FROM signups WHERE subscriber_id = ?1", [id])
                .map_err(&fail)?;
        }
        tx.commit().map_err(&fail)?;
        Ok(verdict)
    }

    /// Counts one event in `bucket` unless `limit` events happened there in
    /// the last `window` seconds; returns whether it was allowed. Forgets
    /// events older than a day.
    pub fn rate_take(&mut self, bucket: &str, limit: u32, window: i64, now: i64) -> Result<bool> {
        let fail = self.error();
        let tx = self.write()?;
        tx.prepare_cached("DELETE FROM rate_events WHERE at <= ?1")
            .and_then(|mut s| s.execute([now - RATE_KEEP.max(window)]))
            .map_err(&fail)?;
        let recent: i64 = tx
            .prepare_cached("SELECT count(*) FROM rate_events WHERE bucket = ?1 AND at > ?2")
            .and_then(|mut s| s.query_row(params![bucket, now - window], |r| r.get(0)))
            .map_err(&fail)?;
        let allowed = recent < i64::from(limit);
        if allowed {
            tx.prepare_cached("INSERT INTO rate_events (bucket, at) VALUES (?1, ?2)")
                .and_then(|mut s| s.execute(params![bucket, now]))
                .map_err(&fail)?;
        }
        tx.commit().map_err(&fail)?;
        Ok(allowed)
    }
}

/// The rate-limit bucket of an address: its suppression hash, so that the
/// table holds no address in clear.
pub fn address_bucket(email: &str) -> String {
    format!("address:{}", suppression_hash(email))
}

/// Whether a token with `expires` answers the open request of `subscriber`.
fn judge(subscriber: &Subscriber, open: Option<&Open>, expires: i64) -> Confirmation {
    if subscriber.status == Status::Active {
        return Confirmation::Active;
    }
    let Some(o) = open else {
        return Confirmation::Invalid;
    };
    let answers = (o.first_expires..=o.expires).contains(&expires);
    // Leaving after the request wins over it.
    let left_since = subscriber.unsubscribed.is_some_and(|t| t > o.requested);
    if answers && !left_since {
        Confirmation::Open
    } else {
        Confirmation::Invalid
    }
}

fn open(conn: &Connection, id: SubscriberId) -> rusqlite::Result<Option<Open>> {
    conn.prepare_cached(
        "SELECT requested, first_expires, expires, name, consent_text, consent_ip
         FROM signups WHERE subscriber_id = ?1",
    )?
    .query_row([id], |r| {
        Ok(Open {
            requested: r.get::<_, super::subscriber::Stamp>(0)?.0,
            first_expires: r.get(1)?,
            expires: r.get(2)?,
            name: r.get(3)?,
            consent_text: r.get(4)?,
            consent_ip: r.get(5)?,
        })
    })
    .optional()
}

#[cfg(test)]
mod tests;
