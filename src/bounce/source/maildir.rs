//! A Maildir: every message in `new/`, one at a time in name order (Maildir
//! names begin with the delivery time, so that is about arrival order), and
//! each one recorded moved to `cur/NAME:2,S` by a rename within the Maildir,
//! which is atomic. `cur/` is not read: it holds what was processed (or read
//! by a person's mail client). Nothing is deleted. A message another reader
//! moves away while we run is skipped, not an error.

use super::{Done, Message};
use crate::bounce::MAX_MESSAGE;
use crate::error::{Error, Result};
use std::ffi::OsString;
use std::io::{ErrorKind, Read};
use std::path::Path;

/// Reads `dir`'s `new/`, handing each message to `take`.
pub fn each(dir: &Path, take: &mut dyn FnMut(Message) -> Result<Done>) -> Result<()> {
    let (new, cur) = (dir.join("new"), dir.join("cur"));
    if !new.is_dir() || !cur.is_dir() {
        return Err(Error::Input(format!(
            "{} is not a Maildir: it needs both new/ and cur/ in it",
            dir.display()
        )));
    }
    // The names only (a few dozen bytes each), sorted: a stable order.
    let mut names: Vec<OsString> = std::fs::read_dir(&new)
        .map_err(Error::io(format!("cannot read {}", new.display())))?
        .filter_map(|entry| entry.ok().map(|e| e.file_name()))
        // Names beginning with a dot are not messages (the Maildir spec).
        .filter(|name| !name.as_encoded_bytes().starts_with(b"."))
        .collect();
    names.sort();
    for name in names {
        let path = new.join(&name);
        // Only regular files (or links to them) are messages: opening a FIFO
        // would wait for a writer for ever, and a device may never end.
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => {}
            _ => continue,
        }
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(Error::Io {
                    what: format!("cannot read {}", path.display()),
                    source: e,
                });
            }
        };
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            continue;
        }
        let message = read_file(file, &path)?;
        if take(message)? == Done::Recorded {
            let target = cur.join(seen(&name));
            if target.exists() {
                // Recorded all the same; stopping here would stop every
                // later run at this message too.
                eprintln!(
                    "gazette: warning: {} is left in new/: {} is there already (nothing is overwritten)",
                    path.display(),
                    target.display()
                );
                continue;
            }
            match std::fs::rename(&path, &target) {
                Ok(()) => {}
                // Another reader moved it first: it is done either way.
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(Error::Io {
                        what: format!("cannot move {} to {}", path.display(), target.display()),
                        source: e,
                    });
                }
            }
        }
    }
    Ok(())
}

/// At most [`MAX_MESSAGE`] bytes of a message file, and whether there was
/// more; unlike a pipe, the rest of a file is never read.
fn read_file(file: std::fs::File, path: &Path) -> Result<Message> {
    let mut raw = Vec::new();
    file.take(MAX_MESSAGE as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(Error::io(format!("cannot read {}", path.display())))?;
    let truncated = raw.len() > MAX_MESSAGE;
    raw.truncate(MAX_MESSAGE);
    Ok(Message {
        raw,
        truncated,
        origin: path.display().to_string(),
    })
}

/// The name a message gets in `cur/` once seen: its flags (after `:2,`)
/// with `S` added, kept in ASCII order as the spec asks.
pub fn seen(name: &std::ffi::OsStr) -> OsString {
    let bytes = name.as_encoded_bytes();
    let (base, flags) = match bytes.windows(3).rposition(|w| w == b":2,") {
        Some(at) => (&bytes[..at], &bytes[at + 3..]),
        None => (bytes, &b""[..]),
    };
    let mut flags = flags.to_vec();
    if !flags.contains(&b'S') {
        flags.push(b'S');
    }
    flags.sort_unstable();
    let mut out = base.to_vec();
    out.extend_from_slice(b":2,");
    out.extend_from_slice(&flags);
    <OsString as std::os::unix::ffi::OsStringExt>::from_vec(out)
}

#[cfg(test)]
mod tests {
    use super::seen;
    use std::ffi::OsStr;

    #[test]
    fn the_seen_flag_joins_the_others_in_order() {
        for (name, want) in [
            ("1.a.host", "1.a.host:2,S"),
            ("1.a.host:2,", "1.a.host:2,S"),
            ("1.a.host:2,T", "1.a.host:2,ST"),
            ("1.a.host:2,FR", "1.a.host:2,FRS"),
            ("1.a.host:2,S", "1.a.host:2,S"),
        ] {
            assert_eq!(seen(OsStr::new(name)), OsStr::new(want), "{name}");
        }
    }
}
