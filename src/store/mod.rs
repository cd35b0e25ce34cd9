//! The embedded SQLite store: the subscribers and the delivery ledger.
//!
//! One file, `data/gazette.db` by default, so a newsletter needs no database
//! server. This module owns opening it (file mode 0600, WAL, foreign keys, a
//! busy timeout so a second process waits instead of failing) and the schema's
//! migrations; `subscribers` holds the subscriber queries, `import` and
//! `export` the CSV, `ledger` who got which issue.

pub mod bounces;
pub mod catalogue;
pub mod collected;
mod delivery;
pub mod export;
pub mod header;
pub mod import;
mod late;
pub mod ledger;
pub mod lists;
pub mod merge;
pub mod migrations;
mod read_only;
pub mod roll;
pub mod signup;
pub mod subscriber;
pub mod subscribers;

pub use import::{ImportOptions, Summary};
pub use read_only::is_unwritable;
pub use subscriber::{Consent, Source, Status, Subscriber, email_key, suppression_hash};
pub use subscribers::{Added, Counts};

use crate::error::{Error, Result};
use migrations::Migrated;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a process waits for another one's write lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// An open store, its schema up to date.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Opened with [`Store::open_read_only`]: every write fails.
    read_only: bool,
}

impl Store {
    /// Opens the store at `path`, creating it (and its directory) on first use.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(Error::io(format!("cannot create {}", dir.display())))?;
        }
        create_private(path)?;
        let conn = Connection::open(path).map_err(store_error(path))?;
        Store::setup(conn, path.to_path_buf())
    }

    /// A store in memory, for tests.
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory().map_err(store_error(Path::new(":memory:")))?;
        Store::setup(conn, PathBuf::from(":memory:"))
    }

    fn setup(mut conn: Connection, path: PathBuf) -> Result<Store> {
        let fail = store_error(&path);
        conn.busy_timeout(BUSY_TIMEOUT).map_err(&fail)?;
        conn.set_prepared_statement_cache_capacity(32);
        wal(&conn).map_err(&fail)?;
        // In WAL mode NORMAL loses no committed transaction on a crash of the
        // process (only, at worst, the last ones on a power cut), and makes
        // the ledger's per-result commits cheap.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(&fail)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(&fail)?;
        match migrations::migrate(&mut conn).map_err(&fail)? {
            Migrated::Current { .. } => Ok(Store {
                conn,
                path,
                read_only: false,
            }),
            Migrated::Newer(version) => Err(newer(&path, version)),
        }
    }

    /// Where the store lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for queries this module does not offer.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The connection, mutably (e.g. for a transaction of your own).
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Begins a write transaction, taking the write lock at once (waiting up
    /// to [`BUSY_TIMEOUT`] for another process) so that it never fails half-way
    /// because a reader wanted to become a writer.
    pub fn write(&mut self) -> Result<Transaction<'_>> {
        let fail = store_error(&self.path);
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)
    }

    /// Turns a SQLite error into gazette's, naming this store.
    pub fn error(&self) -> impl Fn(rusqlite::Error) -> Error + use<> {
        store_error(&self.path)
    }
}

/// Puts the database in WAL mode, so that readers never block the writer.
///
/// Switching a new database to WAL takes an exclusive lock for which SQLite
/// does not call the busy handler, so when two processes create the store at
/// once one of them is told "database is locked" at once: retry until
/// [`BUSY_TIMEOUT`], as the busy handler would.
fn wal(conn: &Connection) -> rusqlite::Result<()> {
    let start = Instant::now();
    loop {
        // Returns the mode now in force: "wal", or "memory" for :memory:.
        let tried = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0));
        match tried {
            Ok(_) => return Ok(()),
            Err(e) if is_busy(&e) && start.elapsed() < BUSY_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    }
}

/// The error for a database written by a newer gazette.
fn newer(path: &Path, version: usize) -> Error {
    Error::Failed(format!(
        "database {} has schema version {version} but this gazette knows only up to {}; \
         it was written by a newer gazette, so upgrade gazette to use it",
        path.display(),
        migrations::latest()
    ))
}

fn is_busy(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
    matches!(e.sqlite_error_code(), Some(DatabaseBusy | DatabaseLocked))
}

fn store_error(path: &Path) -> impl Fn(rusqlite::Error) -> Error + use<> {
    let path = path.display().to_string();
    move |source| Error::Store {
        path: path.clone(),
        source,
    }
}

/// Creates the database file readable by its owner only, if it is missing;
/// SQLite gives its `-wal` and `-shm` files the same mode.
fn create_private(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map(drop)
        .map_err(Error::io(format!("cannot create {}", path.display())))
}

#[cfg(test)]
mod tests;
