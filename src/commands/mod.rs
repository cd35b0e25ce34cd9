//! The commands: thin adapters, each `run(&Newsletter, Args) -> Result<ExitStatus>`,
//! that call the stages, print what they produce and ask on a terminal. No
//! command imports another; what two of them share lives below them.

/// `println!` for what a command produces: returns the write error instead of
/// panicking, so that a pipe closed early (`gazette status | head -1`) ends
/// the command quietly (main treats a broken pipe as success, as ripgrep does).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::commands::write_line(format_args!($($arg)*))
    };
}

pub mod add;
pub mod bounces;
pub mod check;
pub mod collect;
pub mod dkim;
pub mod dns;
pub mod import;
pub mod init;
pub mod new;
pub mod preview;
pub mod render;
pub mod schedule;
pub mod send;
pub mod serve;
pub mod shell;
pub mod status;
pub mod subscribers;

use crate::error::{Error, Result};
use std::path::Path;

/// An instant for `--json`: RFC 3339 in UTC (`2026-11-29T09:00:00Z`), the one
/// form every command's JSON uses; `null` when there is none.
pub fn json_time(unix_seconds: Option<i64>) -> serde_json::Value {
    unix_seconds
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map_or(serde_json::Value::Null, |t| t.to_string().into())
}

/// Writes one line to standard output.
pub fn write_line(args: std::fmt::Arguments<'_>) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(Error::io("cannot write to standard output"))
}

/// Writes `bytes` to `path`, or to stdout when there is no path.
pub fn write_output(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    match path {
        Some(p) => {
            std::fs::write(p, bytes).map_err(Error::io(format!("cannot write {}", p.display())))
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|()| out.flush())
                .map_err(Error::io("cannot write to standard output"))
        }
    }
}
