//! Where returned messages come from: a Maildir, an mbox file, standard input
//! or an IMAP mailbox, each read one message at a time (memory stays flat in
//! the number of messages), each message handed to the caller and, once the
//! caller has recorded it, marked done the way its source allows: moved from
//! `new/` to `cur/` with the seen flag, flagged `\Seen` over IMAP. Nothing is
//! ever deleted. An mbox is never written; the store's record of each report
//! is what makes a second run over it change nothing.

use super::MAX_MESSAGE;
use crate::config::{Bounces, Imap};
use crate::error::{Error, Result};
use std::io::Read;
use std::path::PathBuf;

pub mod imap;
mod maildir;
mod mbox;

/// One message from a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The message as it was stored, at most [`MAX_MESSAGE`] bytes.
    pub raw: Vec<u8>,
    /// It was longer than [`MAX_MESSAGE`] and `raw` holds its beginning only:
    /// it is counted as unclassified, never read as a report.
    pub truncated: bool,
    /// Where it came from, for errors, the record and `--json`: a Maildir
    /// file's path, `mbox PATH, message N`, `standard input`, or the IMAP
    /// URL and UID.
    pub origin: String,
}

/// What the caller made of a message, which says what its source does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// Recorded in the store: mark it done (Maildir `cur/`, IMAP `\Seen`).
    Recorded,
    /// Leave it as it was (`--dry-run`).
    Leave,
}

/// A source of returned messages, as named on the command line or in `[bounces]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    /// `-`: one message on standard input (a pipe alias, a `.forward`).
    Stdin,
    /// A Maildir directory (one holding `new/` and `cur/`).
    Maildir(PathBuf),
    /// An mbox file.
    Mbox(PathBuf),
    /// An IMAP mailbox.
    Imap(Imap),
}

impl Spec {
    /// The sources a bare `gazette bounces` reads: the configured ones, in
    /// the order Maildirs, mboxes, IMAP.
    pub fn configured(bounces: &Bounces) -> Vec<Spec> {
        let mut specs: Vec<Spec> = bounces
            .maildirs
            .iter()
            .cloned()
            .map(Spec::Maildir)
            .collect();
        specs.extend(bounces.mboxes.iter().cloned().map(Spec::Mbox));
        specs.extend(bounces.imap.iter().cloned().map(Spec::Imap));
        specs
    }

    /// A SOURCE as named on `gazette bounces`' command line: `-` standard
    /// input; an `imap://` or `imaps://` URL (its password from
    /// `GAZETTE_IMAP_PASSWORD`, the platform's roots: a mailbox that needs
    /// `password_file` or `ca_file` is configured in `[bounces]`); a
    /// directory, a Maildir (checked when read); a file, an mbox. A path
    /// that does not exist, or a bad URL, is an error naming it (exit 2);
    /// the error never repeats a password written in the URL.
    pub fn from_arg(arg: &str) -> Result<Spec> {
        if arg == "-" {
            return Ok(Spec::Stdin);
        }
        if arg.starts_with("imap://") || arg.starts_with("imaps://") {
            return crate::config::parse_imap_url(arg)
                .map(Spec::Imap)
                .map_err(|why| Error::Input(format!("the IMAP URL {} {why}", redacted(arg))));
        }
        let path = PathBuf::from(arg);
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => Ok(Spec::Maildir(path)),
            Ok(_) => Ok(Spec::Mbox(path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::Input(format!(
                "{arg}: no such file or directory (a SOURCE is a Maildir, an mbox file, an \
                 imaps:// URL or - for standard input)"
            ))),
            Err(e) => Err(Error::Input(format!("cannot read {arg}: {e}"))),
        }
    }

    /// How the source reads in messages: `standard input`, a path, a URL.
    pub fn name(&self) -> String {
        match self {
            Spec::Stdin => "standard input".into(),
            Spec::Maildir(p) | Spec::Mbox(p) => p.display().to_string(),
            Spec::Imap(imap) => imap.url(),
        }
    }
}

/// Reads every message of `spec`, handing each to `take`; a message `take`
/// answers [`Done::Recorded`] is marked done. An error from `take` stops the
/// reading and is returned as it is; a source that cannot be read is an error
/// naming it.
pub fn each(spec: &Spec, take: &mut dyn FnMut(Message) -> Result<Done>) -> Result<()> {
    match spec {
        Spec::Stdin => {
            let message = read_one(&mut std::io::stdin().lock(), "standard input")?;
            take(message).map(|_| ())
        }
        Spec::Maildir(dir) => maildir::each(dir, take),
        Spec::Mbox(path) => mbox::each(path, take),
        Spec::Imap(mailbox) => imap::each(mailbox, take),
    }
}

/// The URL for an error message: with a password in it (a `:` anywhere
/// between `//` and the last `@`, a `/` in the password included), what
/// follows the user name up to that `@` is starred out.
fn redacted(url: &str) -> String {
    crate::config::redact_imap_url(url)
}

/// How much of a message over [`MAX_MESSAGE`] is still read, and dropped,
/// so that a mail server piping it in is not left blocked on a full pipe;
/// beyond it (an endless stream) reading stops, and the writer is told so
/// by its pipe.
pub const MAX_DRAINED: u64 = 256 * 1024 * 1024;

/// Reads one whole message from `r`, keeping at most [`MAX_MESSAGE`] bytes
/// (the rest, up to [`MAX_DRAINED`], is read and dropped).
pub fn read_one(r: &mut dyn Read, origin: &str) -> Result<Message> {
    let fail = Error::io(format!("cannot read {origin}"));
    let mut raw = Vec::new();
    r.take(MAX_MESSAGE as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(fail)?;
    let truncated = raw.len() > MAX_MESSAGE;
    if truncated {
        raw.truncate(MAX_MESSAGE);
        std::io::copy(&mut r.take(MAX_DRAINED), &mut std::io::sink())
            .map_err(Error::io(format!("cannot read {origin}")))?;
    }
    Ok(Message {
        raw,
        truncated,
        origin: origin.to_string(),
    })
}

#[cfg(test)]
mod tests;
