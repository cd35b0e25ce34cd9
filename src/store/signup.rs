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
    pub fn confirmation(&self, id: i64, expires: i64) -> Result<Confirmation> {
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
        id: i64,
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

fn open(conn: &Connection, id: i64) -> rusqlite::Result<Option<Open>> {
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
mod tests {
    use super::*;

    const HOUR: i64 = 3600;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    fn request(email: &str) -> Request<'_> {
        Request {
            email,
            name: Some(" Ada\n Lovelace "),
            consent_text: "Send me the newsletter.",
            ip: Some("192.0.2.7"),
        }
    }

    fn id_of(r: Requested) -> i64 {
        match r {
            Requested::Confirm(s) => s.id,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_new_address_is_pending_until_confirmed() {
        let mut store = Store::open_in_memory().unwrap();
        let exp = at(48 * HOUR).as_second();
        let id = id_of(
            store
                .request_signup(&request("ada@example.org"), at(0), exp)
                .unwrap(),
        );
        let s = store.get(id).unwrap().unwrap();
        assert_eq!(
            (s.status, s.source.to_string()),
            (Status::Pending, "form".into())
        );
        assert_eq!(s.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(s.consent.ip.as_deref(), Some("192.0.2.7"));
        assert_eq!(store.confirmation(id, exp).unwrap(), Confirmation::Open);
        assert_eq!(
            store.confirmation(id, exp + 1).unwrap(),
            Confirmation::Invalid
        );

        assert_eq!(
            store.confirm_signup(id, exp, at(HOUR)).unwrap(),
            Confirmation::Open
        );
        let s = store.get(id).unwrap().unwrap();
        assert_eq!(s.status, Status::Active);
        assert_eq!(s.confirmed, Some(at(HOUR)));
        assert_eq!(s.consent.at, Some(at(0)));
        assert_eq!(s.consent.text.as_deref(), Some("Send me the newsletter."));
        // Again: still fine, nothing changes.
        assert_eq!(
            store.confirm_signup(id, exp, at(2 * HOUR)).unwrap(),
            Confirmation::Active
        );
        assert_eq!(store.get(id).unwrap().unwrap().confirmed, Some(at(HOUR)));
        assert_eq!(
            store
                .request_signup(&request("ADA@example.org"), at(3 * HOUR), exp)
                .unwrap(),
            Requested::Active
        );
    }

    #[test]
    fn forgotten_addresses_are_never_stored() {
        let mut store = Store::open_in_memory().unwrap();
        store.forget("gone@example.org", at(0)).unwrap();
        assert_eq!(
            store
                .request_signup(&request("gone@example.org"), at(1), 99)
                .unwrap(),
            Requested::Suppressed
        );
        assert_eq!(store.get_by_email("gone@example.org").unwrap(), None);
    }

    #[test]
    fn a_second_request_keeps_the_first_link_working() {
        let mut store = Store::open_in_memory().unwrap();
        let (e1, e2) = (at(48 * HOUR).as_second(), at(49 * HOUR).as_second());
        let id = id_of(
            store
                .request_signup(&request("b@example.org"), at(0), e1)
                .unwrap(),
        );
        let again = id_of(
            store
                .request_signup(&request("b@example.org"), at(HOUR), e2)
                .unwrap(),
        );
        assert_eq!(id, again);
        assert_eq!(store.confirmation(id, e1).unwrap(), Confirmation::Open);
        assert_eq!(store.confirmation(id, e2).unwrap(), Confirmation::Open);
        // A token older than the open request is not honoured.
        assert_eq!(
            store.confirmation(id, e1 - 1).unwrap(),
            Confirmation::Invalid
        );
    }

    #[test]
    fn leaving_after_asking_wins_and_asking_again_brings_back() {
        let mut store = Store::open_in_memory().unwrap();
        let exp = at(48 * HOUR).as_second();
        store
            .add("c@example.org", None, "cli", false, at(0))
            .unwrap();
        store.unsubscribe("c@example.org", at(HOUR)).unwrap();
        let id = id_of(
            store
                .request_signup(&request("c@example.org"), at(2 * HOUR), exp)
                .unwrap(),
        );
        // Asking changes nothing by itself.
        assert_eq!(store.get(id).unwrap().unwrap().status, Status::Unsubscribed);
        assert_eq!(
            store.confirm_signup(id, exp, at(3 * HOUR)).unwrap(),
            Confirmation::Open
        );
        let s = store.get(id).unwrap().unwrap();
        assert_eq!((s.status, s.unsubscribed), (Status::Active, None));

        // Removed after asking: the request's link is void.
        let id2 = id_of(
            store
                .request_signup(&request("d@example.org"), at(4 * HOUR), exp)
                .unwrap(),
        );
        store.unsubscribe("d@example.org", at(5 * HOUR)).unwrap();
        assert_eq!(store.confirmation(id2, exp).unwrap(), Confirmation::Invalid);
        assert_eq!(
            store.confirm_signup(id2, exp, at(6 * HOUR)).unwrap(),
            Confirmation::Invalid
        );
        assert_eq!(
            store.get(id2).unwrap().unwrap().status,
            Status::Unsubscribed
        );
    }

    #[test]
    fn rate_limits_count_within_their_window() {
        let mut store = Store::open_in_memory().unwrap();
        for i in 0..3 {
            assert!(store.rate_take("ip:192.0.2.1", 3, HOUR, 1000 + i).unwrap());
        }
        assert!(!store.rate_take("ip:192.0.2.1", 3, HOUR, 1010).unwrap());
        assert!(store.rate_take("ip:192.0.2.2", 3, HOUR, 1010).unwrap());
        // An hour after the first: one slot is free again, once.
        assert!(
            store
                .rate_take("ip:192.0.2.1", 3, HOUR, 1000 + HOUR)
                .unwrap()
        );
        assert!(
            !store
                .rate_take("ip:192.0.2.1", 3, HOUR, 1000 + HOUR)
                .unwrap()
        );
        assert!(address_bucket("A@example.org") == address_bucket("a@example.org"));
    }
}
