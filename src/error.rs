//! gazette's error type and the exit codes it maps to.

use crate::diag::{Diagnostic, Source};
use crate::exit::ExitStatus;

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    /// A file a person wrote has errors; each diagnostic points into it.
    #[error("{} has {} error(s)", file.name, diags.iter().filter(|d| d.is_error()).count())]
    Diagnostics {
        file: Source,
        diags: Vec<Diagnostic>,
    },
    /// Bad input on the command line or in the environment.
    #[error("{0}")]
    Input(String),
    /// An address that is not one.
    #[error(transparent)]
    Address(#[from] crate::address::AddressError),
    /// The subscriber store failed.
    #[error("database {path}: {source}")]
    Store {
        path: String,
        source: rusqlite::Error,
    },
    /// Something else holds what this command needs (another send's lock):
    /// a later run can do it.
    #[error("{0}")]
    Busy(String),
    /// A server that could not be reached or stopped answering (an IMAP
    /// mailbox's connect or command timed out): nothing is lost, and cron's
    /// next run tries again.
    #[error("{0}")]
    Unreachable(String),
    /// Anything else that went wrong while working.
    #[error("{0}")]
    Failed(String),
}

impl Error {
    /// How a command that stopped with this error exits: bad input or config
    /// is a usage error (2), anything else a failure (1).
    pub fn status(&self) -> ExitStatus {
        match self {
            Error::Diagnostics { .. } | Error::Input(_) | Error::Address(_) => ExitStatus::Usage,
            // A full disk loses nothing (the ledger is transactional): a later
            // run, with room, resumes.
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::StorageFull => {
                ExitStatus::Deferred
            }
            // SQLite says "full" when it finds no room for a page, but a write
            // the OS refuses (ENOSPC on an already full disk) comes back as an
            // I/O error: the machine's trouble either way, and a transaction
            // that did not commit lost nothing.
            Error::Store { source, .. }
                if matches!(
                    source.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DiskFull | rusqlite::ErrorCode::SystemIoFailure)
                ) =>
            {
                ExitStatus::Deferred
            }
            Error::Busy(_) | Error::Unreachable(_) => ExitStatus::Deferred,
            Error::Io { .. } | Error::Store { .. } | Error::Failed(_) => ExitStatus::Failed,
        }
    }

    /// Whether this is a write to a pipe whose reader has gone (`| head`),
    /// which ends a command quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn store_error(code: std::ffi::c_int) -> Error {
        Error::Store {
            path: "data/gazette.db".into(),
            source: rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None),
        }
    }

    #[test]
    fn a_full_disk_is_try_again_later_however_sqlite_says_it() {
        assert_eq!(
            store_error(rusqlite::ffi::SQLITE_FULL).status(),
            ExitStatus::Deferred
        );
        // "disk I/O error": what a write refused with ENOSPC comes back as.
        assert_eq!(
            store_error(rusqlite::ffi::SQLITE_IOERR_WRITE).status(),
            ExitStatus::Deferred
        );
        assert_eq!(
            store_error(rusqlite::ffi::SQLITE_CORRUPT).status(),
            ExitStatus::Failed
        );
    }
}
