//! The commands: thin adapters, each `run(&Newsletter, Args) -> Result<ExitStatus>`,
//! that call the stages, print what they produce and ask on a terminal. No
//! command imports another; what two of them share lives below them.

pub mod check;
pub mod dkim;
pub mod new;
pub mod preview;
pub mod render;
pub mod schedule;
pub mod send;
pub mod serve;
pub mod status;
pub mod subscribers;

use crate::error::{Error, Result};
use std::path::Path;

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
