//! The bytes under a relay's connection. [`Net`] is lettre's network stream
//! (our own TCP socket, with TCP_NODELAY, plain or with lettre's TLS over it)
//! as a tokio stream. [`Lent`] is a handle on it lent to lettre for the
//! greeting, EHLO, STARTTLS and the login, and taken back for the
//! transactions, which `session` runs above the TLS, where it sees commands.

#![allow(deprecated)] // lettre's AsyncNetworkStream: public, "not meant to be".

use futures_io::{AsyncRead as FutRead, AsyncWrite as FutWrite};
use lettre::transport::smtp::client::{AsyncNetworkStream, AsyncTokioStream, TlsParameters};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection's byte stream: TCP, or TLS over it.
#[derive(Debug)]
pub struct Net {
    inner: AsyncNetworkStream,
    peer: SocketAddr,
}

impl Net {
    /// A TCP connection with TCP_NODELAY: a message and its final `.` (or a
    /// TLS record and the next) would otherwise wait for the server's delayed
    /// ACK, 40 ms a message.
    pub async fn connect(host: &str, port: u16) -> io::Result<Net> {
        let tcp = tokio::net::TcpStream::connect((host, port)).await?;
        tcp.set_nodelay(true)?;
        let peer = tcp.peer_addr()?;
        let inner = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
        Ok(Net { inner, peer })
    }

    /// TLS over the connection (implicit TLS at once, or after STARTTLS).
    pub async fn upgrade(
        &mut self,
        params: TlsParameters,
    ) -> Result<(), lettre::transport::smtp::Error> {
        self.inner.upgrade_tls(params).await
    }
}

impl AsyncRead for Net {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = ready!(Pin::new(&mut self.inner).poll_read(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Net {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// A [`Net`] lent to lettre, and what it learnt from the server's last EHLO
/// reply that lettre does not keep (PIPELINING).
#[derive(Debug, Clone)]
pub struct Lent(Arc<Mutex<Loan>>);

#[derive(Debug)]
struct Loan {
    net: Option<Net>,
    peer: SocketAddr,
    /// Read before the stream: the greeting lettre waits for, stood in for
    /// after STARTTLS (where the server sends none).
    prefix: Vec<u8>,
    /// The reply to the EHLO being answered, as it arrives.
    ehlo: Option<Vec<u8>>,
    pipelining: bool,
}

impl Lent {
    pub fn new(net: Net, prefix: &[u8]) -> Lent {
        let peer = net.peer;
        Lent(Arc::new(Mutex::new(Loan {
            net: Some(net),
            peer,
            prefix: prefix.to_vec(),
            ehlo: None,
            pipelining: false,
        })))
    }

    /// The stream back, and whether the last EHLO reply offered PIPELINING.
    pub fn take(&self) -> Option<(Net, bool)> {
        let mut loan = self.0.lock().ok()?;
        let pipelining = loan.pipelining;
        loan.net.take().map(|net| (net, pipelining))
    }
}

fn returned() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the connection was taken back")
}

impl AsyncRead for Lent {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut loan = self.0.lock().map_err(|_| returned())?;
        let loan = &mut *loan;
        if !loan.prefix.is_empty() {
            let n = buf.remaining().min(loan.prefix.len());
            buf.put_slice(&loan.prefix[..n]);
            loan.prefix.drain(..n);
            return Poll::Ready(Ok(()));
        }
        let net = loan.net.as_mut().ok_or_else(returned)?;
        let before = buf.filled().len();
        ready!(Pin::new(net).poll_read(cx, buf))?;
        if let Some(seen) = &mut loan.ehlo {
            seen.extend_from_slice(&buf.filled()[before..]);
            if super::session::complete_reply(seen).is_some() {
                loan.pipelining = offers(seen, b"PIPELINING");
                loan.ehlo = None;
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// Whether an EHLO reply lists `keyword`.
pub fn offers(reply: &[u8], keyword: &[u8]) -> bool {
    reply.split(|&b| b == b'\n').any(|line| {
        let words = line.get(4..).unwrap_or_default().trim_ascii();
        let first = words.split(|&b| b == b' ').next().unwrap_or_default();
        first.eq_ignore_ascii_case(keyword)
    })
}

impl AsyncWrite for Lent {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut loan = self.0.lock().map_err(|_| returned())?;
        if buf.len() >= 5 && buf[..5].eq_ignore_ascii_case(b"EHLO ") {
            loan.ehlo = Some(Vec::new());
            loan.pipelining = false;
        }
        let net = loan.net.as_mut().ok_or_else(returned)?;
        Pin::new(net).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut loan = self.0.lock().map_err(|_| returned())?;
        let net = loan.net.as_mut().ok_or_else(returned)?;
        Pin::new(net).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut loan = self.0.lock().map_err(|_| returned())?;
        match loan.net.as_mut() {
            Some(net) => Pin::new(net).poll_shutdown(cx),
            None => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncTokioStream for Lent {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.lock().map(|l| l.peer).map_err(|_| returned())
    }
}

#[cfg(test)]
mod tests {
    use super::offers;

    #[test]
    fn finds_keywords_in_an_ehlo_reply() {
        let reply = b"250-mx.example\r\n250-PIPELINING\r\n250-SIZE 100\r\n250 chunking\r\n";
        assert!(offers(reply, b"PIPELINING"));
        assert!(offers(reply, b"SIZE"));
        assert!(offers(reply, b"CHUNKING"));
        assert!(!offers(b"250-mx\r\n250 8BITMIME\r\n", b"PIPELINING"));
        assert!(!offers(b"250 NOPIPELINING\r\n", b"PIPELINING"));
    }
}
