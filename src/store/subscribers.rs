//! The subscriber queries: look up, page through, count, add, change status,
//! unsubscribe and forget. Every write takes the write lock at once (see
//! [`Store::write`]); statements are prepared once per connection and cached.

use super::merge::{self, Incoming, Outcome};
use super::subscriber::{COLUMNS, clean_name, email_key, stamp, suppression_hash};
use super::{Consent, Source, Status, Store, Subscriber};
use crate::error::Result;
use crate::id::SubscriberId;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

/// What [`Store::add`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// A new subscriber.
    New(Subscriber),
    /// A pending subscriber made active, or one who had left subscribed again.
    Activated(Subscriber),
    /// Active already; nothing changed but perhaps the name.
    Already(Subscriber),
    /// Unsubscribed, bounced or complained, and left so.
    HasLeft(Subscriber),
    /// Forgotten: on the suppression list, so never added again.
    Suppressed,
}

/// What [`Store::unsubscribe`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    Unsubscribed(Subscriber),
    /// Unsubscribed, bounced or complained already; left as it was.
    AlreadyLeft(Subscriber),
    NotFound,
}

/// How many subscribers have each status, and how many addresses are suppressed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    by_status: [u64; 5],
    pub suppressed: u64,
}

impl Counts {
    pub fn get(&self, status: Status) -> u64 {
        self.by_status[index(status)]
    }

    /// Every subscriber, whatever the status (suppressed addresses are not subscribers).
    pub fn total(&self) -> u64 {
        self.by_status.iter().sum()
    }
}

/// Where a status is in [`Status::ALL`].
fn index(status: Status) -> usize {
    Status::ALL.iter().position(|&s| s == status).unwrap()
}

impl Store {
    /// The subscriber with this id.
    pub fn get(&self, id: SubscriberId) -> Result<Option<Subscriber>> {
        let sql = format!("SELECT {COLUMNS} FROM subscribers WHERE id = ?1");
        let mut stmt = self.conn().prepare_cached(&sql).map_err(self.error())?;
        stmt.query_row([id], Subscriber::from_row)
            .optional()
            .map_err(self.error())
    }

    /// The subscriber with this address, compared case-insensitively.
    pub fn get_by_email(&self, email: &str) -> Result<Option<Subscriber>> {
        by_key(self.conn(), &email_key(email.trim())).map_err(self.error())
    }

    /// Up to `limit` active subscribers with ids above `after_id`, by id: pass
    /// the last id of one batch to get the next, starting from 0.
    pub fn active_after(&self, after_id: SubscriberId, limit: usize) -> Result<Vec<Subscriber>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM subscribers WHERE status = 'active' AND id > ?1 \
             ORDER BY id LIMIT ?2"
        );
        let mut stmt = self.conn().prepare_cached(&sql).map_err(self.error())?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        stmt.query_map(params![after_id, limit], Subscriber::from_row)
            .and_then(|rows| rows.collect())
            .map_err(self.error())
    }

    /// Calls `f` with every subscriber (of one status, if given), by id,
    /// without holding the whole list in memory.
    pub fn each(
        &self,
        status: Option<Status>,
        mut f: impl FnMut(Subscriber) -> Result<()>,
    ) -> Result<()> {
        let filter = if status.is_some() {
            "WHERE status = ?1"
        } else {
            ""
        };
        let sql = format!("SELECT {COLUMNS} FROM subscribers {filter} ORDER BY id");
        let mut stmt = self.conn().prepare_cached(&sql).map_err(self.error())?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(status))
            .map_err(self.error())?;
        while let Some(row) = rows.next().map_err(self.error())? {
            f(Subscriber::from_row(row).map_err(self.error())?)?;
        }
        Ok(())
    }

    /// Subscribers per status, and the size of the suppression list.
    ///
    /// A bare `count(*)` walks the smallest b-tree without decoding its
    /// entries, and the statuses other than active are usually few; so this
    /// counts every row, counts the others through the status index, and
    /// subtracts. A `GROUP BY status` decodes every index entry and is several
    /// times slower on a million subscribers.
    pub fn counts(&self) -> Result<Counts> {
        let others: Vec<Status> = Status::ALL
            .into_iter()
            .filter(|&s| s != Status::Active)
            .collect();
        let mut sql = String::from(
            "SELECT (SELECT count(*) FROM subscribers), (SELECT count(*) FROM suppressed)",
        );
        for s in &others {
            sql.push_str(&format!(
                ", (SELECT count(*) FROM subscribers WHERE status = '{s}')"
            ));
        }
        let mut stmt = self.conn().prepare_cached(&sql).map_err(self.error())?;
        let numbers: Vec<u64> = stmt
            .query_row([], |r| {
                (0..2 + others.len())
                    .map(|i| r.get::<_, i64>(i).map(|n| n as u64))
                    .collect()
            })
            .map_err(self.error())?;
        let mut counts = Counts {
            suppressed: numbers[1],
            ..Counts::default()
        };
        let mut active = numbers[0];
        for (s, &n) in others.iter().zip(&numbers[2..]) {
            counts.by_status[index(*s)] = n;
            active -= n;
        }
        counts.by_status[index(Status::Active)] = active;
        Ok(counts)
    }

    /// Whether the address was forgotten and so may never be added again.
    pub fn is_suppressed(&self, email: &str) -> Result<bool> {
        is_suppressed(self.conn(), email.trim()).map_err(self.error())
    }

    /// Adds an address the editor vouches for, active at once, with consent
    /// recorded as given `how` (e.g. `cli`). An address that left stays left
    /// unless `resubscribe`; a suppressed one is never added. The address is
    /// checked with [`crate::address::normalize`] and the name made one line.
    pub fn add(
        &mut self,
        email: &str,
        name: Option<&str>,
        how: &str,
        resubscribe: bool,
        now: Timestamp,
    ) -> Result<Added> {
        let email = crate::address::normalize(email)?;
        let incoming = Incoming {
            name: name.and_then(clean_name),
            consent: Consent {
                at: Some(now),
                how: Some(how.to_string()),
                ..Consent::default()
            },
            ..Incoming::new(email, Status::Active)
        };
        let fail = self.error();
        let tx = self.write()?;
        let outcome =
            upsert(&tx, &incoming, &Source::Cli, resubscribe, false, now).map_err(&fail)?;
        let get = |id| by_id(&tx, id).map_err(&fail);
        let added = match outcome {
            Outcome::Added(id) => Added::New(get(id)?),
            Outcome::Updated { id, was } if was != Status::Active => Added::Activated(get(id)?),
            Outcome::Updated { id, .. } | Outcome::Unchanged(id) => Added::Already(get(id)?),
            Outcome::KeptLeft(id) => Added::HasLeft(get(id)?),
            Outcome::Suppressed => Added::Suppressed,
        };
        tx.commit().map_err(&fail)?;
        Ok(added)
    }

    /// Sets a subscriber's status, stamping `confirmed` when it becomes active
    /// and `unsubscribed` when it leaves. It applies no rule about who may come
    /// back: callers decide that. Returns false when there is no such id.
    pub fn set_status(&mut self, id: SubscriberId, status: Status, now: Timestamp) -> Result<bool> {
        let fail = self.error();
        let n = set_status(self.conn(), id, status, now).map_err(fail)?;
        Ok(n > 0)
    }

    /// Marks an address unsubscribed, keeping its row.
    pub fn unsubscribe(&mut self, email: &str, now: Timestamp) -> Result<Removed> {
        let fail = self.error();
        let tx = self.write()?;
        let removed = match by_key(&tx, &email_key(email.trim())).map_err(&fail)? {
            None => Removed::NotFound,
            Some(s) if s.status.has_left() => Removed::AlreadyLeft(s),
            Some(s) => {
                set_status(&tx, s.id, Status::Unsubscribed, now).map_err(&fail)?;
                Removed::Unsubscribed(by_id(&tx, s.id).map_err(&fail)?)
            }
        };
        tx.commit().map_err(&fail)?;
        Ok(removed)
    }

    /// Erases an address (GDPR): deletes its row and keeps only its hash on
    /// the suppression list. Returns whether there was a row to delete; the
    /// hash is recorded either way.
    pub fn forget(&mut self, email: &str, now: Timestamp) -> Result<bool> {
        let fail = self.error();
        let email = email.trim();
        let tx = self.write()?;
        let deleted = tx
            .execute(
                "DELETE FROM subscribers WHERE email_key = ?1",
                [email_key(email)],
            )
            .map_err(&fail)?;
        suppress(&tx, email, now).map_err(&fail)?;
        tx.commit().map_err(&fail)?;
        Ok(deleted > 0)
    }
}

/// Merges one incoming subscriber into the store: the heart of `add` and
/// `import`. `restore_id` lets a new row keep the id the file gives it.
pub(crate) fn upsert(
    conn: &Connection,
    incoming: &Incoming,
    source: &Source,
    resubscribe: bool,
    restore_id: bool,
    now: Timestamp,
) -> rusqlite::Result<Outcome> {
    if is_suppressed(conn, &incoming.email)? {
        return Ok(Outcome::Suppressed);
    }
    match by_key(conn, &email_key(&incoming.email))? {
        None => {
            let mut new = merge::new_subscriber(incoming, source, now);
            let id_free = |id| -> rusqlite::Result<bool> { Ok(by_id_opt(conn, id)?.is_none()) };
            new.id = match incoming.id {
                Some(id) if restore_id && id_free(id)? => id,
                _ => 0,
            };
            Ok(Outcome::Added(insert(conn, &new)?))
        }
        Some(old) => match merge::merge(&old, incoming, resubscribe, now) {
            merge::Merged::KeptLeft => Ok(Outcome::KeptLeft(old.id)),
            merge::Merged::Same => Ok(Outcome::Unchanged(old.id)),
            merge::Merged::Changed(new) => {
                update(conn, &new)?;
                Ok(Outcome::Updated {
                    id: old.id,
                    was: old.status,
                })
            }
        },
    }
}

/// Whether the store has never held a subscriber (so ids from a file are free).
pub(crate) fn never_used(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT NOT EXISTS (SELECT 1 FROM subscribers)
            AND coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'subscribers'), 0) = 0",
        [],
        |r| r.get(0),
    )
}

/// Puts an address's hash on the suppression list (once).
pub(crate) fn suppress(conn: &Connection, email: &str, now: Timestamp) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO suppressed (hash, since) VALUES (?1, ?2)")?
        .execute(params![suppression_hash(email), stamp(now)])
        .map(drop)
}

pub(super) fn is_suppressed(conn: &Connection, email: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM suppressed WHERE hash = ?1)")?
        .query_row([suppression_hash(email)], |r| r.get(0))
}

pub(crate) fn by_key(conn: &Connection, key: &str) -> rusqlite::Result<Option<Subscriber>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM subscribers WHERE email_key = ?1"
    ))?
    .query_row([key], Subscriber::from_row)
    .optional()
}

pub(super) fn by_id_opt(
    conn: &Connection,
    id: SubscriberId,
) -> rusqlite::Result<Option<Subscriber>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM subscribers WHERE id = ?1"))?
        .query_row([id], Subscriber::from_row)
        .optional()
}

pub(super) fn by_id(conn: &Connection, id: SubscriberId) -> rusqlite::Result<Subscriber> {
    by_id_opt(conn, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)
}

pub(crate) fn set_status(
    conn: &Connection,
    id: SubscriberId,
    status: Status,
    now: Timestamp,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE subscribers SET status = ?2,
            confirmed = CASE WHEN ?2 = 'active' THEN coalesce(confirmed, ?3) ELSE confirmed END,
            unsubscribed = CASE
                WHEN ?2 IN ('unsubscribed', 'bounced', 'complained')
                    THEN coalesce(unsubscribed, ?3)
                ELSE NULL END
         WHERE id = ?1",
    )?
    .execute(params![id, status, stamp(now)])
}

/// Inserts a subscriber; an id of 0 asks SQLite for a fresh one.
fn insert(conn: &Connection, s: &Subscriber) -> rusqlite::Result<i64> {
    let id = (s.id != 0).then_some(s.id);
    conn.prepare_cached(
        "INSERT INTO subscribers (id, email, email_key, name, status, created, confirmed,
             unsubscribed, source, consent_at, consent_how, consent_text, consent_ip, attributes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        id,
        s.email,
        email_key(&s.email),
        s.name,
        s.status,
        stamp(s.created),
        s.confirmed.map(stamp),
        s.unsubscribed.map(stamp),
        s.source.to_string(),
        s.consent.at.map(stamp),
        s.consent.how,
        s.consent.text,
        s.consent.ip,
        s.attributes,
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Rewrites every column of a subscriber but its id and address.
fn update(conn: &Connection, s: &Subscriber) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE subscribers SET name = ?2, status = ?3, created = ?4, confirmed = ?5,
             unsubscribed = ?6, source = ?7, consent_at = ?8, consent_how = ?9,
             consent_text = ?10, consent_ip = ?11, attributes = ?12
         WHERE id = ?1",
    )?
    .execute(params![
        s.id,
        s.name,
        s.status,
        stamp(s.created),
        s.confirmed.map(stamp),
        s.unsubscribed.map(stamp),
        s.source.to_string(),
        s.consent.at.map(stamp),
        s.consent.how,
        s.consent.text,
        s.consent.ip,
        s.attributes,
    ])
    .map(drop)
}
