//! [`Roll`]: where subscribers stand at the moment a message is built, read
//! through a connection of the send's own, so an unsubscribe recorded by
//! `serve` or `subscribers remove` in another process is seen at once.

use super::Store;
use crate::error::Result;
use crate::id::SubscriberId;
use crate::store::Status;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::sync::Mutex;

/// Where subscribers stand now, read through a connection of its own so
/// that a send's connections can ask just before building each message,
/// whatever another process (`serve`, `subscribers remove`) wrote meanwhile:
/// one read by primary key.
pub struct Roll {
    conn: Mutex<Connection>,
    fail: Box<dyn Fn(rusqlite::Error) -> crate::error::Error + Send + Sync>,
}

impl Roll {
    /// The status of subscriber `id` now; `None` once they were forgotten.
    pub fn status(&self, id: SubscriberId) -> Result<Option<Status>> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = (conn.prepare_cached("SELECT status FROM subscribers WHERE id = ?1"))
            .map_err(&self.fail)?;
        stmt.query_row([id], |r| r.get(0))
            .optional()
            .map_err(&self.fail)
    }
}

impl Store {
    /// A [`Roll`] of this store: a second connection to its file, used only
    /// to read (so a store on disk; one in memory has no file to share).
    ///
    /// It is opened read-write all the same: in WAL mode the last connection
    /// to close checkpoints the log and deletes it, and a read-only one cannot,
    /// so a Roll that outlived the store would leave `gazette.db-wal` behind
    /// (and a read-only data directory then could not be read).
    pub fn roll(&self) -> Result<Roll> {
        let fail = self.error();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(self.path(), flags).map_err(&fail)?;
        conn.busy_timeout(super::BUSY_TIMEOUT).map_err(&fail)?;
        Ok(Roll {
            conn: Mutex::new(conn),
            fail: Box::new(fail),
        })
    }
}
