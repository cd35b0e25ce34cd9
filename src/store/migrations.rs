//! The store's schema, as numbered migrations tracked by `PRAGMA user_version`.
//!
//! Migration N (counting from 1) is `MIGRATIONS[N - 1]`; a database at
//! `user_version` V has had the first V applied. To change the schema, append a
//! migration: never edit, reorder or remove one that has shipped, since
//! databases in the wild already ran it.

use rusqlite::{Connection, TransactionBehavior};

/// Every migration, oldest first. Append new ones at the end.
pub const MIGRATIONS: &[&str] = &[
    SUBSCRIBERS,
    super::ledger::MIGRATION,
    super::signup::MIGRATION,
    super::lists::MIGRATION,
    super::collected::MIGRATION,
    super::catalogue::MIGRATION,
    super::ledger::FIRST_ATTEMPT,
    ATTRIBUTES,
    super::bounces::MIGRATION,
];

/// 8: a subscriber's attributes as another list kept them (listmonk's
/// `attributes`, a JSON object), kept as written so an export gives them back.
const ATTRIBUTES: &str = "ALTER TABLE subscribers ADD COLUMN attributes TEXT;";

/// 1: subscribers and the suppression list.
///
/// `email_key` is the address lower-cased (Unicode-aware, in Rust), so the
/// uniqueness rule and the suppression hash agree on what "the same address"
/// means. AUTOINCREMENT keeps the id of a forgotten subscriber from ever being
/// given to someone else, because tokens and Message-IDs derive from it.
const SUBSCRIBERS: &str = "
CREATE TABLE subscribers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    email        TEXT NOT NULL,
    email_key    TEXT NOT NULL UNIQUE,
    name         TEXT,
    status       TEXT NOT NULL CHECK (status IN
                     ('pending', 'active', 'unsubscribed', 'bounced', 'complained')),
    created      TEXT NOT NULL,
    confirmed    TEXT,
    unsubscribed TEXT,
    source       TEXT NOT NULL,
    consent_at   TEXT,
    consent_how  TEXT,
    consent_text TEXT,
    consent_ip   TEXT
) STRICT;
CREATE INDEX subscribers_status ON subscribers (status);
CREATE TABLE suppressed (
    hash  TEXT PRIMARY KEY,
    since TEXT NOT NULL
) STRICT, WITHOUT ROWID;
";

/// The schema version this gazette writes.
pub fn latest() -> usize {
    MIGRATIONS.len()
}

/// What migrating found.
#[derive(Debug, PartialEq, Eq)]
pub enum Migrated {
    /// The schema is current (after applying this many migrations).
    Current { applied: usize },
    /// The database was written by a newer gazette, at this version.
    Newer(usize),
}

/// Brings the schema up to date, in one write transaction so that two
/// processes opening a new database at once do not both create it.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<Migrated> {
    let version = user_version(conn)?;
    if version > latest() {
        return Ok(Migrated::Newer(version));
    }
    if version == latest() {
        return Ok(Migrated::Current { applied: 0 });
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Another process may have migrated while this one waited for the lock.
    let version = user_version(&tx)?;
    if version > latest() {
        return Ok(Migrated::Newer(version));
    }
    for sql in &MIGRATIONS[version..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", latest() as i64)?;
    tx.commit()?;
    Ok(Migrated::Current {
        applied: latest() - version,
    })
}

/// The schema version recorded in the database.
pub fn user_version(conn: &Connection) -> rusqlite::Result<usize> {
    conn.pragma_query_value(None, "user_version", |row| row.get::<_, i64>(0))
        .map(|v| v.max(0) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_newer() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(
            migrate(&mut conn).unwrap(),
            Migrated::Current { applied: latest() }
        );
        assert_eq!(
            migrate(&mut conn).unwrap(),
            Migrated::Current { applied: 0 }
        );
        assert_eq!(user_version(&conn).unwrap(), latest());
        conn.pragma_update(None, "user_version", 99).unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), Migrated::Newer(99));
    }

    /// Rows tried before migration 4 count their `max_retry_age` from the
    /// start of their send; untried ones have no first attempt yet.
    #[test]
    fn first_attempts_of_old_rows_are_their_sends_start() {
        let mut conn = Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        for sql in &MIGRATIONS[..3] {
            tx.execute_batch(sql).unwrap();
        }
        tx.execute_batch(
            "INSERT INTO subscribers (email, email_key, status, created, source)
                 VALUES ('a@x.org', 'a@x.org', 'active', 't', 'cli'), ('b@x.org', 'b@x.org', 'active', 't', 'cli');
             INSERT INTO sends (issue, subject, started) VALUES (3, 's', 1000);
             INSERT INTO deliveries (issue, subscriber_id, state, attempts, updated)
                 VALUES (3, 1, 'deferred', 2, 2000), (3, 2, 'pending', 0, 1000);
             PRAGMA user_version = 3;",
        )
        .unwrap();
        tx.commit().unwrap();
        migrate(&mut conn).unwrap();
        let firsts: Vec<Option<i64>> = conn
            .prepare("SELECT first_attempt FROM deliveries ORDER BY subscriber_id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(firsts, [Some(1000), None]);
    }
}
