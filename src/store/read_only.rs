//! Opening the store only to read it, for the commands that only read
//! (`status`, `subscribers list`, `schedule`, the archive) and for `serve`
//! when the data directory is not writable.
//!
//! A WAL database needs its `-shm` file even to be read: SQLite opens it
//! read-only when it exists, and creates it when the directory is writable.
//! When neither holds (a read-only directory after a clean shutdown, which
//! removes `-wal` and `-shm`), the database file holds every committed
//! transaction, and it is opened with `immutable=1`, which needs no `-shm`.
//! That is never done while a `-wal` file with content exists, since its
//! transactions would be missed.

use super::migrations::{self, user_version};
use super::{BUSY_TIMEOUT, Store, store_error};
use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

impl Store {
    /// Opens the existing store at `path` read-only. A store of an older
    /// schema is migrated first when it can be written, and refused with a
    /// clear error when it cannot.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        let fail = store_error(path);
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(&fail)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(&fail)?;
        let (conn, version) = match user_version(&conn) {
            Ok(v) => (conn, v),
            // No -shm file, and none can be made: SQLite says it cannot open
            // the database, or (when no -wal exists either) that it cannot
            // initialise the shared memory of a read-only one.
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
                ) =>
            {
                if has_wal(path) {
                    return Err(fail(e));
                }
                let conn =
                    Connection::open_with_flags(immutable_uri(path), flags).map_err(&fail)?;
                let v = user_version(&conn).map_err(&fail)?;
                (conn, v)
            }
            Err(e) => return Err(fail(e)),
        };
        let latest = migrations::latest();
        if version > latest {
            return Err(super::newer(path, version));
        }
        if version < latest {
            // Written by an older gazette: migrated first, where it can be.
            if Store::open(path).is_ok() {
                return Store::open_read_only(path);
            }
            return Err(Error::Failed(format!(
                "database {} has schema version {version}, and this gazette reads version {latest}; \
                 it cannot be upgraded while it is read-only: run a gazette command that writes \
                 (`gazette serve` or `gazette subscribers add`, say) once with write access to it",
                path.display()
            )));
        }
        conn.set_prepared_statement_cache_capacity(32);
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            read_only: true,
        })
    }

    /// Whether this store was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }
}

/// Whether `e`, from opening a store to write, says it cannot be written
/// (the file or its directory is read-only), so reading may still work.
pub fn is_unwritable(e: &Error) -> bool {
    use rusqlite::ErrorCode::{CannotOpen, PermissionDenied, ReadOnly};
    match e {
        Error::Io { source, .. } => matches!(
            source.kind(),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
        ),
        Error::Store { source, .. } => matches!(
            source.sqlite_error_code(),
            Some(ReadOnly | PermissionDenied | CannotOpen)
        ),
        _ => false,
    }
}

/// Whether `path` has a `-wal` file with transactions in it.
fn has_wal(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_os_string();
    wal.push("-wal");
    std::fs::metadata(PathBuf::from(wal)).is_ok_and(|m| m.len() > 0)
}

/// `file:PATH?mode=ro&immutable=1`, the path percent-encoded as RFC 8089 needs.
fn immutable_uri(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for b in absolute.as_os_str().as_encoded_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'.' | b'_' | b'~' => {
                uri.push(*b as char)
            }
            _ => uri.push_str(&format!("%{b:02X}")),
        }
    }
    uri + "?mode=ro&immutable=1"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_opened_read_only_reads_and_refuses_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a b?.db");
        let mut store = Store::open(&path).unwrap();
        store.remember_list_id("l.example", 1).unwrap();
        drop(store);
        let mut reader = Store::open_read_only(&path).unwrap();
        assert!(reader.is_read_only());
        assert_eq!(reader.list_ids().unwrap(), ["l.example"]);
        assert!(reader.remember_list_id("m.example", 2).is_err());
        // Immutable, as when the directory cannot hold a -shm file.
        let conn = Connection::open_with_flags(
            immutable_uri(&path),
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
        )
        .unwrap();
        assert_eq!(user_version(&conn).unwrap(), migrations::latest());
        assert!(Store::open_read_only(&dir.path().join("missing.db")).is_err());
        // An older schema is brought up to date first, where it can be written.
        let older = dir.path().join("older.db");
        let conn = Connection::open(&older).unwrap();
        conn.execute_batch(&migrations::MIGRATIONS[..3].concat())
            .unwrap();
        conn.pragma_update(None, "user_version", 3).unwrap();
        drop(conn);
        let reader = Store::open_read_only(&older).unwrap();
        assert!(reader.is_read_only());
        assert_eq!(user_version(reader.conn()).unwrap(), migrations::latest());
    }
}
