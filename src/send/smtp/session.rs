//! One connection's transactions, above TLS, where the commands are seen.
//!
//! Where the server offers PIPELINING (RFC 2920), a message's MAIL, RCPT and
//! DATA go in one write, and the next message's envelope goes in the same
//! write as this message's content and final `.`: a message costs one round
//! trip. Every reply is still read, in order, and answers its own command: a
//! refused RCPT is that recipient's, a refused MAIL or DATA the relay's.
//! Without PIPELINING each command waits for its reply.
//!
//! An envelope sent ahead holds the connection in DATA (after its 354 there is
//! no way out but the message or a closed connection): a different message
//! next finds the session [`Failure::Stale`], and the caller starts afresh,
//! having delivered nothing.

use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The longest reply read (lettre's limit too): a server sending more is
/// treated as a dropped connection.
const MAX_REPLY: usize = 64 * 1024;

/// A server's reply: its code and the text of each line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    fn positive(&self) -> bool {
        (200..400).contains(&self.code)
    }

    /// The lines' text, one after another.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }
}

/// The commands of one message's envelope, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commands {
    /// `MAIL FROM:<...>\r\n`
    pub mail: String,
    /// `RCPT TO:<...>\r\n`
    pub rcpt: String,
}

/// Which part of the transaction a failure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Mail,
    Rcpt,
    Data,
    EndOfData,
}

/// Why a transaction did not end in the server's acceptance.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// The server refused the command of `Step` with this reply.
    Refused(Step, Reply),
    /// No reply within the step's timeout.
    NoReply(Step),
    /// The connection closed or failed (or the server's reply made no sense).
    Dropped(Step, String),
    /// Another message's envelope was sent ahead: the connection cannot be
    /// used for this one. Nothing was sent for it.
    Stale,
}

/// How long to wait for a reply to a command, and to the final `.`.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub command: Duration,
    pub data: Duration,
}

/// One connection, after the greeting, EHLO, STARTTLS and login.
#[derive(Debug)]
pub struct Session<S> {
    stream: S,
    pipelining: bool,
    /// Read and not yet used.
    input: Vec<u8>,
    /// The envelope sent ahead (with DATA), its replies not read yet.
    ahead: Option<Commands>,
    /// The last transaction was refused before its data: RSET first.
    reset: bool,
    /// Between transactions, in a known state.
    usable: bool,
    /// Replies read in this transaction.
    replies: usize,
    out: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Session<S> {
    pub fn new(stream: S, pipelining: bool) -> Session<S> {
        Session {
            stream,
            pipelining,
            input: Vec::new(),
            ahead: None,
            reset: false,
            usable: true,
            replies: 0,
            out: Vec::with_capacity(64 * 1024),
        }
    }

    /// Whether another transaction can follow on this connection.
    pub fn usable(&self) -> bool {
        self.usable
    }

    /// Whether `failure` says the server had closed (or was closing: a 421
    /// as the transaction's first reply) before it had the message's end of
    /// data: nothing was delivered, and a fresh connection may do. A drop
    /// once the end of data was written (even in part) may follow a
    /// delivery whose reply was lost.
    pub fn closed_before_data(&self, failure: &Failure) -> bool {
        match failure {
            Failure::Dropped(step, _) => *step != Step::EndOfData,
            Failure::Refused(_, reply) => reply.code == 421 && self.replies == 1,
            Failure::NoReply(_) | Failure::Stale => false,
        }
    }

    /// Whether an envelope was sent ahead of its message.
    pub fn holds_ahead(&self) -> bool {
        self.ahead.is_some()
    }

    /// Sends one message to `envelope`, sending `next` (when pipelining)
    /// with its end of data. The server's acceptance, or why not.
    pub async fn send(
        &mut self,
        envelope: &Commands,
        message: &[u8],
        next: Option<&Commands>,
        wait: Timeouts,
    ) -> Result<Reply, Failure> {
        let sent_ahead = match self.ahead.take() {
            Some(sent) if &sent == envelope => true,
            Some(other) => {
                self.ahead = Some(other);
                return Err(Failure::Stale);
            }
            None => false,
        };
        self.usable = false;
        self.replies = 0;
        if self.pipelining {
            self.envelope_pipelined(envelope, sent_ahead, wait.command)
                .await?;
        } else {
            self.envelope_in_turn(envelope, wait.command).await?;
        }
        self.out.clear();
        stuff(message, &mut self.out);
        self.out.extend_from_slice(b"\r\n.\r\n");
        if let (true, Some(next)) = (self.pipelining, next) {
            put(&mut self.out, next);
        }
        let out = std::mem::take(&mut self.out);
        let written = self.write(&out, Step::EndOfData, wait.data).await;
        self.out = out;
        written?;
        if self.pipelining {
            self.ahead = next.cloned();
        }
        let reply = self.reply(Step::EndOfData, wait.data).await?;
        self.usable = true;
        if reply.positive() {
            Ok(reply)
        } else {
            Err(Failure::Refused(Step::EndOfData, reply))
        }
    }

    /// MAIL, RCPT and DATA in one write (unless sent ahead), then their
    /// replies, each for its command: the first refusal is the outcome.
    async fn envelope_pipelined(
        &mut self,
        envelope: &Commands,
        sent_ahead: bool,
        wait: Duration,
    ) -> Result<(), Failure> {
        if !sent_ahead {
            self.out.clear();
            let reset = std::mem::take(&mut self.reset);
            if reset {
                self.out.extend_from_slice(b"RSET\r\n");
            }
            put(&mut self.out, envelope);
            let out = std::mem::take(&mut self.out);
            let written = self.write(&out, Step::Mail, wait).await;
            self.out = out;
            written?;
            if reset {
                let reply = self.reply(Step::Mail, wait).await?;
                if reply.code == 421 {
                    return Err(Failure::Refused(Step::Mail, reply));
                }
            }
        }
        let mut refusal = None;
        let mut in_data = false;
        for step in [Step::Mail, Step::Rcpt, Step::Data] {
            let reply = match self.reply(step, wait).await {
                Ok(reply) => reply,
                // A refusal already read (a 421 that closed, say) says more.
                Err(dropped) => return Err(refusal.unwrap_or(dropped)),
            };
            let refused = match step {
                Step::Data => {
                    in_data = reply.code == 354;
                    !in_data
                }
                _ => !reply.positive(),
            };
            if refused && refusal.is_none() {
                refusal = Some(Failure::Refused(step, reply));
            }
        }
        match refusal {
            None => Ok(()),
            Some(refusal) => {
                // A 354 after a refusal leaves the server waiting for a
                // message there is none of: only closing ends that.
                if !in_data {
                    self.refused_envelope();
                }
                Err(refusal)
            }
        }
    }

    /// Each command waits for its reply.
    async fn envelope_in_turn(
        &mut self,
        envelope: &Commands,
        wait: Duration,
    ) -> Result<(), Failure> {
        if self.reset {
            self.command(b"RSET\r\n", Step::Mail, wait).await?;
            self.reset = false;
        }
        let mail = self
            .command(envelope.mail.as_bytes(), Step::Mail, wait)
            .await?;
        if !mail.positive() {
            self.refused_envelope();
            return Err(Failure::Refused(Step::Mail, mail));
        }
        let rcpt = self
            .command(envelope.rcpt.as_bytes(), Step::Rcpt, wait)
            .await?;
        if !rcpt.positive() {
            self.refused_envelope();
            return Err(Failure::Refused(Step::Rcpt, rcpt));
        }
        let data = self.command(b"DATA\r\n", Step::Data, wait).await?;
        if data.code != 354 {
            self.refused_envelope();
            return Err(Failure::Refused(Step::Data, data));
        }
        Ok(())
    }

    /// A refused envelope leaves the server between commands: RSET next.
    fn refused_envelope(&mut self) {
        self.reset = true;
        self.usable = true;
    }

    async fn command(&mut self, line: &[u8], step: Step, wait: Duration) -> Result<Reply, Failure> {
        self.write(line, step, wait).await?;
        self.reply(step, wait).await
    }

    async fn write(&mut self, bytes: &[u8], step: Step, wait: Duration) -> Result<(), Failure> {
        let write = async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(wait, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Failure::Dropped(step, e.to_string())),
            Err(_) => Err(Failure::NoReply(step)),
        }
    }

    /// The next reply, within `wait`.
    async fn reply(&mut self, step: Step, wait: Duration) -> Result<Reply, Failure> {
        let read = async {
            loop {
                if let Some(len) = complete_reply(&self.input) {
                    let reply = parse(&self.input[..len]);
                    self.input.drain(..len);
                    return reply.ok_or_else(|| "a reply that is not SMTP".to_string());
                }
                if self.input.len() > MAX_REPLY {
                    return Err(format!("a reply longer than {MAX_REPLY} bytes"));
                }
                self.input.reserve(4096);
                match self.stream.read_buf(&mut self.input).await {
                    Ok(0) => return Err("the connection closed".to_string()),
                    Ok(_) => {}
                    Err(e) => return Err(e.to_string()),
                }
            }
        };
        match tokio::time::timeout(wait, read).await {
            Ok(Ok(reply)) => {
                self.replies += 1;
                Ok(reply)
            }
            Ok(Err(why)) => Err(Failure::Dropped(step, why)),
            Err(_) => Err(Failure::NoReply(step)),
        }
    }
}

/// The envelope's commands and DATA, appended to `out`.
fn put(out: &mut Vec<u8>, envelope: &Commands) {
    out.extend_from_slice(envelope.mail.as_bytes());
    out.extend_from_slice(envelope.rcpt.as_bytes());
    out.extend_from_slice(b"DATA\r\n");
}

/// The length of the first complete reply in `buf` (a multi-line reply ends
/// with a line whose fourth byte is not `-`), if there is one.
pub fn complete_reply(buf: &[u8]) -> Option<usize> {
    let mut start = 0;
    while let Some(nl) = buf[start..].iter().position(|&b| b == b'\n') {
        let line = &buf[start..start + nl + 1];
        start += nl + 1;
        if line.len() < 4 || line[3] != b'-' {
            return Some(start);
        }
    }
    None
}

/// A complete reply's code and lines; `None` when it is not SMTP.
fn parse(reply: &[u8]) -> Option<Reply> {
    let text = String::from_utf8_lossy(reply);
    let mut code = None;
    let mut lines = Vec::new();
    for line in text.split_terminator('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let digits = line
            .get(..3)
            .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?;
        let this: u16 = digits.parse().ok()?;
        if !(200..600).contains(&this) || *code.get_or_insert(this) != this {
            return None;
        }
        lines.push(line.get(4..).unwrap_or_default().to_string());
    }
    Some(Reply { code: code?, lines })
}

/// The message with transparency (RFC 5321 4.5.2): a line that begins with
/// `.` gets another, exactly as lettre does it (a line begins after CR LF).
/// Copied a run of lines at a time: byte by byte it was a fifth of a send's CPU.
fn stuff(message: &[u8], out: &mut Vec<u8>) {
    out.reserve(message.len() + 16);
    if message.first() == Some(&b'.') {
        out.push(b'.');
    }
    let mut copied = 0;
    for nl in memchr::memmem::find_iter(message, b"\n.") {
        let next = nl + 1;
        if nl > 0 && message[nl - 1] == b'\r' {
            out.extend_from_slice(&message[copied..next]);
            out.push(b'.');
            copied = next;
        }
    }
    out.extend_from_slice(&message[copied..]);
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
