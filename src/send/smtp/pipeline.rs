//! SMTP PIPELINING (RFC 2920) underneath lettre, for plain-text connections.
//!
//! lettre sends MAIL, RCPT and DATA one at a time, each waiting for its reply:
//! four round trips a message. On a busy loopback relay those round trips,
//! and the wake-ups they cost on both sides, are most of the time a message
//! takes. This stream sits between lettre and the socket: when the server has
//! advertised PIPELINING, it answers MAIL and RCPT at once on the server's
//! behalf, then sends MAIL, RCPT and DATA together and hands lettre the first
//! refusal among the real replies (or DATA's 354). lettre therefore sees the
//! server's own reply, with its code and text, for whichever command failed,
//! and classifies it as usual. Everything else passes through untouched.
//!
//! Over TLS the commands are encrypted below this layer, so it is used only
//! for `tls = "none"` (local relays, where speed matters most).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

const PIPELINED_OK: &[u8] = b"250 2.0.0 Ok (pipelined)\r\n";

/// A stream that pipelines the envelope commands of each transaction.
#[derive(Debug)]
pub struct Pipelined<S> {
    inner: S,
    /// The server said PIPELINING in its EHLO reply.
    supported: bool,
    /// Reading the reply to EHLO, to look for PIPELINING.
    ehlo_reply: Option<Vec<u8>>,
    /// Commands held back until DATA.
    held: Vec<u8>,
    /// How many of `held` have been written to the socket.
    written: usize,
    /// Real replies still to read for the held commands (0: not collecting).
    expect: usize,
    /// Bytes read from the socket and not yet used.
    input: Vec<u8>,
    /// The first refusal among the replies collected so far.
    refusal: Option<Vec<u8>>,
    /// What lettre reads next, and how much of it it has read.
    reply: Vec<u8>,
    reply_at: usize,
    /// Replies read so far in the group being collected.
    answered: usize,
    /// Which command of the last group the refusal lettre was handed answers
    /// (1 for MAIL, 2 for the first RCPT, ...; 0: none), so the caller can
    /// tell a refused sender (the relay's fault) from a refused recipient.
    refused_command: Arc<AtomicUsize>,
}

impl<S> Pipelined<S> {
    #[cfg(test)]
    pub fn new(inner: S) -> Pipelined<S> {
        Pipelined::watched(inner, Arc::default())
    }

    /// As `new`, reporting into `refused_command` which command of a group
    /// its refusal answered.
    pub fn watched(inner: S, refused_command: Arc<AtomicUsize>) -> Pipelined<S> {
        Pipelined {
            inner,
            supported: false,
            ehlo_reply: None,
            held: Vec::new(),
            written: 0,
            expect: 0,
            input: Vec::new(),
            refusal: None,
            reply: Vec::new(),
            reply_at: 0,
            answered: 0,
            refused_command,
        }
    }

    fn answer(&mut self, bytes: &[u8]) {
        if self.reply_at == self.reply.len() {
            self.reply.clear();
            self.reply_at = 0;
        }
        self.reply.extend_from_slice(bytes);
    }
}

/// The length of the first complete reply in `buf` (a multi-line reply ends
/// with a line whose fourth byte is a space), if there is one.
fn complete_reply(buf: &[u8]) -> Option<usize> {
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

fn is_positive(reply: &[u8]) -> bool {
    matches!(reply.first(), Some(b'2' | b'3'))
}

fn starts_with_ignore_case(buf: &[u8], prefix: &[u8]) -> bool {
    buf.len() >= prefix.len() && buf[..prefix.len()].eq_ignore_ascii_case(prefix)
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Pipelined<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.supported
            && (starts_with_ignore_case(buf, b"MAIL FROM:")
                || starts_with_ignore_case(buf, b"RCPT TO:"))
        {
            if this.held.is_empty() {
                this.refused_command.store(0, Ordering::Relaxed);
            }
            this.held.extend_from_slice(buf);
            this.expect += 1;
            this.answer(PIPELINED_OK);
            return Poll::Ready(Ok(buf.len()));
        }
        if this.expect > 0 && buf.eq_ignore_ascii_case(b"DATA\r\n") {
            this.held.extend_from_slice(buf);
            this.expect += 1;
            // lettre has read our OK for each held command; what it reads next
            // is the outcome of the group, collected once the group is sent.
            this.reply.clear();
            this.reply_at = 0;
            return Poll::Ready(Ok(buf.len()));
        }
        if starts_with_ignore_case(buf, b"EHLO ") {
            this.ehlo_reply = Some(Vec::new());
            this.supported = false;
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        // Held commands go out only with DATA, as one write.
        let with_data = this.held.ends_with(b"DATA\r\n") || this.held.ends_with(b"data\r\n");
        while with_data && this.written < this.held.len() {
            let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &this.held[this.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            this.written += n;
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Pipelined<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            // A reply ready for lettre: ours, or the outcome of a pipelined group.
            if this.reply_at < this.reply.len() {
                let n = buf.remaining().min(this.reply.len() - this.reply_at);
                buf.put_slice(&this.reply[this.reply_at..this.reply_at + n]);
                this.reply_at += n;
                return Poll::Ready(Ok(()));
            }
            let collecting =
                this.expect > 0 && this.written == this.held.len() && !this.held.is_empty();
            if collecting {
                if let Some(len) = complete_reply(&this.input) {
                    let reply: Vec<u8> = this.input.drain(..len).collect();
                    this.expect -= 1;
                    this.answered += 1;
                    if !is_positive(&reply) && this.refusal.is_none() {
                        this.refusal = Some(reply.clone());
                        this.refused_command.store(this.answered, Ordering::Relaxed);
                    }
                    if this.expect == 0 {
                        // The group is done: the first refusal, else DATA's reply.
                        let outcome = this.refusal.take().unwrap_or(reply);
                        this.held.clear();
                        this.written = 0;
                        this.answered = 0;
                        this.answer(&outcome);
                    }
                    continue;
                }
            } else if !this.input.is_empty() {
                let n = buf.remaining().min(this.input.len());
                let chunk: Vec<u8> = this.input.drain(..n).collect();
                this.watch_ehlo(&chunk);
                buf.put_slice(&chunk);
                return Poll::Ready(Ok(()));
            }
            // Need more from the socket.
            let mut tmp = [0u8; 4096];
            let mut read = ReadBuf::new(&mut tmp);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut read))?;
            let filled = read.filled();
            if filled.is_empty() {
                // End of stream: a refusal already read is still the best answer.
                if collecting && let Some(refusal) = this.refusal.take() {
                    this.expect = 0;
                    this.held.clear();
                    this.written = 0;
                    this.answer(&refusal);
                    continue;
                }
                return Poll::Ready(Ok(()));
            }
            this.input.extend_from_slice(filled);
        }
    }
}

impl<S> Pipelined<S> {
    fn watch_ehlo(&mut self, chunk: &[u8]) {
        let Some(seen) = &mut self.ehlo_reply else {
            return;
        };
        seen.extend_from_slice(chunk);
        if complete_reply(seen).is_some() {
            self.supported = seen.split(|&b| b == b'\n').any(|line| {
                line.len() >= 14 && line[4..].trim_ascii().eq_ignore_ascii_case(b"PIPELINING")
            });
            self.ehlo_reply = None;
        }
    }
}

impl lettre::transport::smtp::client::AsyncTokioStream for Pipelined<tokio::net::TcpStream> {
    fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.inner.peer_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

    /// A scripted server: reads what arrives, answers the given replies in order
    /// as soon as each expected command is complete.
    async fn server(
        mut s: tokio::io::DuplexStream,
        replies: Vec<(&'static str, &'static str)>,
    ) -> Vec<u8> {
        let mut seen = Vec::new();
        s.write_all(b"220 ready\r\n").await.unwrap();
        let mut buf = [0u8; 1024];
        for (until, reply) in replies {
            while !seen.ends_with(until.as_bytes()) {
                let n = s.read(&mut buf).await.unwrap();
                assert!(
                    n > 0,
                    "client closed early; saw {:?}",
                    String::from_utf8_lossy(&seen)
                );
                seen.extend_from_slice(&buf[..n]);
            }
            s.write_all(reply.as_bytes()).await.unwrap();
        }
        seen
    }

    async fn line(r: &mut BufReader<Pipelined<tokio::io::DuplexStream>>) -> String {
        let mut out = String::new();
        loop {
            let mut l = String::new();
            r.read_line(&mut l).await.unwrap();
            out.push_str(&l);
            if l.len() < 4 || l.as_bytes()[3] != b'-' {
                return out;
            }
        }
    }

    #[tokio::test]
    async fn sends_the_envelope_in_one_go_and_reports_the_first_refusal() {
        let (client, srv) = tokio::io::duplex(4096);
        let server = tokio::spawn(server(
            srv,
            vec![
                (
                    "EHLO me\r\n",
                    "250-hi\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
                ),
                // All three arrive together; the recipient is refused.
                (
                    "DATA\r\n",
                    "250 2.1.0 Ok\r\n550 5.1.1 <x@y>: User unknown\r\n554 5.5.1 No valid recipients\r\n",
                ),
            ],
        ));
        let refused = Arc::new(AtomicUsize::new(0));
        let mut c = BufReader::new(Pipelined::watched(client, refused.clone()));
        assert_eq!(line(&mut c).await, "220 ready\r\n");
        c.get_mut().write_all(b"EHLO me\r\n").await.unwrap();
        c.get_mut().flush().await.unwrap();
        assert!(line(&mut c).await.ends_with("250 8BITMIME\r\n"));
        for cmd in ["MAIL FROM:<a@b>\r\n", "RCPT TO:<x@y>\r\n"] {
            c.get_mut().write_all(cmd.as_bytes()).await.unwrap();
            c.get_mut().flush().await.unwrap();
            assert_eq!(line(&mut c).await, "250 2.0.0 Ok (pipelined)\r\n");
        }
        c.get_mut().write_all(b"DATA\r\n").await.unwrap();
        c.get_mut().flush().await.unwrap();
        assert_eq!(line(&mut c).await, "550 5.1.1 <x@y>: User unknown\r\n");
        // The refusal answered the second command of the group: RCPT.
        assert_eq!(refused.load(Ordering::Relaxed), 2);
        let seen = server.await.unwrap();
        assert!(seen.ends_with(b"EHLO me\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nDATA\r\n"));
    }

    #[tokio::test]
    async fn a_whole_transaction_and_a_server_without_pipelining() {
        let (client, srv) = tokio::io::duplex(4096);
        let server = tokio::spawn(server(
            srv,
            vec![
                (
                    "EHLO me\r\n",
                    "250-hi\r\n250-PIPELINING\r\n250 SIZE 100\r\n",
                ),
                ("DATA\r\n", "250 Ok\r\n250 Ok\r\n354 go\r\n"),
                ("\r\n.\r\n", "250 2.0.0 queued as ABC\r\n"),
                ("EHLO me\r\n", "250 hi\r\n"),
                ("MAIL FROM:<a@b>\r\n", "250 Ok\r\n"),
            ],
        ));
        let mut c = BufReader::new(Pipelined::new(client));
        line(&mut c).await;
        let say = async |c: &mut BufReader<Pipelined<tokio::io::DuplexStream>>, what: &[u8]| {
            c.get_mut().write_all(what).await.unwrap();
            c.get_mut().flush().await.unwrap();
            line(c).await
        };
        say(&mut c, b"EHLO me\r\n").await;
        say(&mut c, b"MAIL FROM:<a@b>\r\n").await;
        say(&mut c, b"RCPT TO:<x@y>\r\n").await;
        assert_eq!(say(&mut c, b"DATA\r\n").await, "354 go\r\n");
        c.get_mut()
            .write_all(b"Subject: x\r\n\r\nbody")
            .await
            .unwrap();
        assert_eq!(
            say(&mut c, b"\r\n.\r\n").await,
            "250 2.0.0 queued as ABC\r\n"
        );
        // A new EHLO without PIPELINING: commands pass straight through.
        say(&mut c, b"EHLO me\r\n").await;
        assert_eq!(say(&mut c, b"MAIL FROM:<a@b>\r\n").await, "250 Ok\r\n");
        server.await.unwrap();
    }
}
