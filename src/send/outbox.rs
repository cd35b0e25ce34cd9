//! The outbox transport: each message becomes a file in a Maildir, for runs
//! without an SMTP server (a first try, a review of what would be sent).
//! It owns the file naming and the tmp-then-new write, so a reader of `new/`
//! never sees half a message.

use super::transport::{Envelope, Outcome, Sending, Transport};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A Maildir: each message is written to `tmp/` then renamed into `new/`,
/// with `Return-Path` and `Delivered-To` lines as a local delivery adds them.
pub struct Outbox {
    dir: PathBuf,
    counter: AtomicU64,
}

impl Outbox {
    pub fn new(dir: &Path) -> Result<Outbox> {
        for sub in ["tmp", "new", "cur"] {
            let d = dir.join(sub);
            std::fs::create_dir_all(&d).map_err(Error::io(format!(
                "cannot create the outbox {}",
                d.display()
            )))?;
        }
        Ok(Outbox {
            dir: dir.to_path_buf(),
            counter: AtomicU64::new(0),
        })
    }

    /// The folder new messages land in.
    pub fn new_dir(&self) -> PathBuf {
        self.dir.join("new")
    }

    fn write(&self, envelope: &Envelope, message: &[u8]) -> std::io::Result<String> {
        let now = crate::clock::wall();
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let name = format!(
            "{}.M{}P{}Q{n}.gazette",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id()
        );
        let tmp = self.dir.join("tmp").join(&name);
        let mut bytes = Vec::with_capacity(message.len() + 128);
        bytes.extend_from_slice(
            format!(
                "Return-Path: <{}>\r\nDelivered-To: {}\r\n",
                envelope.from, envelope.to
            )
            .as_bytes(),
        );
        bytes.extend_from_slice(message);
        std::fs::write(&tmp, &bytes)?;
        std::fs::rename(&tmp, self.dir.join("new").join(&name))?;
        Ok(name)
    }
}

impl Transport for Outbox {
    fn send<'a>(&'a self, envelope: &'a Envelope, message: &'a [u8]) -> Sending<'a> {
        Box::pin(async move {
            match self.write(envelope, message) {
                Ok(name) => Outcome::Sent {
                    reply: format!("250 written to new/{name}"),
                },
                Err(e) => Outcome::Deferred {
                    code: None,
                    reply: format!("cannot write to the outbox: {e}"),
                    relay_trouble: true,
                },
            }
        })
    }

    fn name(&self) -> String {
        format!("the outbox {}", self.new_dir().display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_writes_a_maildir() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path()).unwrap();
        let env = Envelope {
            from: "b@example.org".into(),
            to: "r@example.org".into(),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let outcome = rt.block_on(outbox.send(&env, b"Subject: x\r\n\r\nbody\r\n"));
        let Outcome::Sent { reply } = outcome else {
            panic!("{outcome:?}")
        };
        let name = reply.strip_prefix("250 written to new/").unwrap();
        let text = std::fs::read_to_string(dir.path().join("new").join(name)).unwrap();
        assert_eq!(
            text,
            "Return-Path: <b@example.org>\r\nDelivered-To: r@example.org\r\nSubject: x\r\n\r\nbody\r\n"
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
    }
}
