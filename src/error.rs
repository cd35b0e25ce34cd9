//! gazette's error type and the exit codes it maps to.

use crate::diag::{Diagnostic, Source};

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
    /// The subscriber store failed.
    #[error("database {path}: {source}")]
    Store {
        path: String,
        source: rusqlite::Error,
    },
    /// Anything else that went wrong while working.
    #[error("{0}")]
    Failed(String),
}

impl Error {
    /// The process exit code: 2 for bad input or config, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Diagnostics { .. } | Error::Input(_) => 2,
            Error::Io { .. } | Error::Store { .. } | Error::Failed(_) => 1,
        }
    }

    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
