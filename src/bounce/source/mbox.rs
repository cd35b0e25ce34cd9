//! An mbox file, streamed: a message begins at a `From ` line at the start
//! of the file or after a blank line (the blank line ends the message before
//! it and belongs to neither), one message held at a time, at most
//! [`MAX_MESSAGE`] bytes of it; the rest of a longer one is read past, up to
//! the next separator. Line ends are kept as they are (LF or CRLF).
//!
//! Quoting is read as mboxrd: one `>` is taken off a line of `>From `,
//! `>>From ` and so on. An mboxo file reads the same, except that a body line
//! that was `>From ` to begin with loses its `>`, which changes no report.
//! `Content-Length` (mboxcl) is not used. The file is never written: the
//! store's record of each report is what makes a second run change nothing.

use super::{Done, Message};
use crate::bounce::MAX_MESSAGE;
use crate::error::{Error, Result};
use std::io::{BufRead, BufReader, ErrorKind};
use std::path::Path;

/// How much of each line's start is kept to tell separators and quoting:
/// enough for `From ` behind many `>`.
const HEAD: usize = 80;

/// Reads the mbox at `path`, handing each message to `take`.
pub fn each(path: &Path, take: &mut dyn FnMut(Message) -> Result<Done>) -> Result<()> {
    // A device (`/dev/zero`) never ends and a FIFO blocks its reader until a
    // writer comes: only a regular file (or a link to one) is an mbox.
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
        && !meta.is_dir()
    {
        return Err(Error::Input(format!(
            "{} is not a regular file, so not an mbox (a device or a FIFO is never read)",
            path.display()
        )));
    }
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => Error::Input(format!(
            "cannot read the mbox {}: no such file",
            path.display()
        )),
        _ => Error::Io {
            what: format!("cannot read the mbox {}", path.display()),
            source: e,
        },
    })?;
    let origin = |n: usize| format!("mbox {}, message {n}", path.display());
    let mut r = BufReader::with_capacity(64 * 1024, file);
    let read_fail = Error::io(format!("cannot read the mbox {}", path.display()));
    read(&mut r, MAX_MESSAGE, &mut |n, raw, truncated| {
        take(Message {
            raw,
            truncated,
            origin: origin(n),
        })
        .map(drop)
    })
    .map_err(|e| match e {
        Stop::Io(io) if io.kind() == ErrorKind::IsADirectory => Error::Input(format!(
            "{} is a directory, not an mbox (a Maildir needs new/ and cur/)",
            path.display()
        )),
        Stop::Io(io) => read_fail(io),
        Stop::NotMbox => Error::Input(format!(
            "{} is not an mbox: it does not begin with a `From ` line",
            path.display()
        )),
        Stop::Take(e) => e,
    })
}

/// Why reading stopped early.
enum Stop {
    Io(std::io::Error),
    NotMbox,
    Take(Error),
}

/// The splitting itself: each message (its number from 1, its bytes, and
/// whether it was cut at `limit`) to `emit`.
fn read(
    r: &mut dyn BufRead,
    limit: usize,
    emit: &mut dyn FnMut(usize, Vec<u8>, bool) -> Result<()>,
) -> std::result::Result<(), Stop> {
    let mut msg = Vec::new();
    let mut head = Vec::with_capacity(HEAD);
    let mut count = 0;
    let mut truncated = false;
    // The previous line was blank: where it begins in `msg`.
    let mut blank_at: Option<usize> = None;
    loop {
        let line_start = msg.len();
        let (len, dropped) = read_line(r, &mut msg, &mut head, limit).map_err(Stop::Io)?;
        if len == 0 {
            break;
        }
        let is_from = head.starts_with(b"From ");
        if count == 0 && !is_from {
            return Err(Stop::NotMbox);
        }
        if is_from && (count == 0 || blank_at.is_some()) {
            if count > 0 {
                msg.truncate(blank_at.unwrap_or(line_start));
                let raw = std::mem::take(&mut msg);
                emit(count, raw, truncated).map_err(Stop::Take)?;
            }
            msg.clear();
            count += 1;
            truncated = false;
            blank_at = None;
            continue;
        }
        truncated |= dropped;
        let quotes = head.iter().take_while(|&&b| b == b'>').count();
        if quotes > 0 && head[quotes..].starts_with(b"From ") && line_start < msg.len() {
            msg.remove(line_start);
        }
        let blank = matches!(&head[..], b"\n" | b"\r\n");
        blank_at = blank.then_some(line_start);
    }
    if count > 0 {
        let end = blank_at.unwrap_or(msg.len());
        msg.truncate(end);
        emit(count, msg, truncated).map_err(Stop::Take)?;
    }
    Ok(())
}

/// Reads one line (through its `\n`, or to the end of the file), appending
/// it to `msg` as far as `limit` allows and its first [`HEAD`] bytes to
/// `head`; says how long it was and whether any of it was dropped.
fn read_line(
    r: &mut dyn BufRead,
    msg: &mut Vec<u8>,
    head: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<(usize, bool)> {
    head.clear();
    let (mut total, mut dropped) = (0, false);
    loop {
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            break;
        }
        let (n, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        let chunk = &buf[..n];
        let want = (HEAD - head.len()).min(n);
        head.extend_from_slice(&chunk[..want]);
        let room = limit.saturating_sub(msg.len()).min(n);
        msg.extend_from_slice(&chunk[..room]);
        dropped |= room < n;
        total += n;
        r.consume(n);
        if done {
            break;
        }
    }
    Ok((total, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &[u8], limit: usize) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        let mut r = text;
        let ok = read(&mut r, limit, &mut |_, raw, cut| {
            out.push((String::from_utf8(raw).unwrap(), cut));
            Ok(())
        });
        assert!(ok.is_ok());
        out
    }

    #[test]
    fn a_message_is_cut_at_the_limit_and_the_separator_after_it_still_seen() {
        let text = b"From a\nSubject: long\n\n0123456789\n\nFrom b\nSubject: b\n";
        assert_eq!(
            split(text, 16),
            [
                ("Subject: long\n\n0".to_string(), true),
                ("Subject: b\n".to_string(), false)
            ]
        );
        // Exactly at the limit is not cut.
        assert_eq!(split(b"From a\n0123\n", 5), [("0123\n".to_string(), false)]);
    }
}
