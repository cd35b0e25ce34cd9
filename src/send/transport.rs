//! Transports: where a finished message goes, behind one small trait.
//!
//! The SMTP transport (lettre on tokio, a pool per relay) classifies every
//! reply so the send loop never matches strings: 2xx sent, 4xx and dropped
//! connections deferred, 5xx failed (5.1.x bounces the address), 535 stops the
//! run. The outbox transport writes a Maildir for runs without a server.

use super::pipeline::Pipelined;
use crate::config::{Relay, TlsMode};
use crate::error::{Error, Result};
use lettre::address::Envelope as LettreEnvelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::authentication::DEFAULT_MECHANISMS;
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Mutex;

/// The SMTP envelope of one message.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub from: String,
    pub to: String,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted (2xx); the reply usually names the server's queue id.
    Sent { reply: String },
    /// Not now (4xx, dropped connection, timeout): try again later.
    /// `relay_trouble` is set when the relay itself is unwell (refused
    /// connection, 421), so it should rest.
    Deferred {
        code: Option<u16>,
        reply: String,
        relay_trouble: bool,
    },
    /// Refused for good (5xx). `bounce` when the address does not exist (5.1.x).
    Failed {
        code: u16,
        reply: String,
        bounce: bool,
    },
    /// The relay refused our credentials (535): the whole run stops.
    AuthFailed { reply: String },
    /// The relay cannot be used at all this run (TLS certificate refused).
    RelayBroken { reply: String },
}

/// A future that sends one message.
pub type Sending<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// Sends raw message bytes to an envelope.
pub trait Transport: Send + Sync {
    fn send<'a>(&'a self, envelope: &'a Envelope, message: &'a [u8]) -> Sending<'a>;
    /// A short name for messages and the confirmation prompt.
    fn name(&self) -> String;
}

/// One SMTP relay and its connections, one per sending task.
///
/// Connections are opened here rather than by lettre's pool so that the
/// socket gets TCP_NODELAY: lettre writes the message and the final `.` in two
/// writes, and with Nagle's algorithm the second waits for the server's
/// delayed ACK, 40 ms a message. (Implicit TLS, port 465, goes through
/// lettre's own connect and keeps that delay.)
pub struct SmtpRelay {
    relay: Relay,
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    slots: Vec<Mutex<Option<AsyncSmtpConnection>>>,
}

impl SmtpRelay {
    /// Checks the relay's settings and reads its password (`password_file` or
    /// `GAZETTE_SMTP_PASSWORD`, never the config text). Connects lazily.
    pub fn new(relay: &Relay) -> Result<SmtpRelay> {
        relay.check().map_err(|e| Error::Input(e.to_string()))?;
        let tls =
            if relay.tls == TlsMode::None {
                None
            } else {
                let mut params = TlsParameters::builder(relay.host.clone());
                if let Some(ca) = &relay.ca_file {
                    // A setting that points nowhere is a config error (exit 2).
                    let pem = std::fs::read(ca).map_err(|e| {
                        Error::Input(format!(
                            "cannot read the ca_file {}: {}",
                            ca.display(),
                            e.kind()
                        ))
                    })?;
                    let cert = Certificate::from_pem(&pem).map_err(|e| {
                        Error::Input(format!(
                            "the CA file {} is not a PEM certificate: {e}",
                            ca.display()
                        ))
                    })?;
                    params = params.add_root_certificate(cert);
                }
                Some(params.build_rustls().map_err(|e| {
                    Error::Input(format!("relay {}: TLS set-up: {e}", relay.name()))
                })?)
            };
        let credentials = match &relay.username {
            Some(user) => Some(Credentials::new(user.clone(), password(relay)?)),
            None => None,
        };
        let hello = relay
            .helo
            .clone()
            .map_or_else(ClientId::default, ClientId::Domain);
        let slots = (0..relay.connections).map(|_| Mutex::new(None)).collect();
        Ok(SmtpRelay {
            relay: relay.clone(),
            tls,
            credentials,
            hello,
            slots,
        })
    }

    pub fn relay(&self) -> &Relay {
        &self.relay
    }

    /// Opens, secures and logs in one connection.
    async fn connect(&self) -> std::result::Result<AsyncSmtpConnection, Outcome> {
        let r = &self.relay;
        let trouble = |reply: String| Outcome::Deferred {
            code: None,
            reply,
            relay_trouble: true,
        };
        let connect = async {
            let mut conn = match (&self.tls, r.tls) {
                (Some(params), TlsMode::Tls) => AsyncSmtpConnection::connect_tokio1(
                    (r.host.as_str(), r.port),
                    Some(r.connect_timeout),
                    &self.hello,
                    Some(params.clone()),
                    None,
                )
                .await
                .map_err(|e| {
                    if tls_refused(&e) {
                        Outcome::RelayBroken {
                            reply: format!("TLS with {} failed: {e}", r.name()),
                        }
                    } else {
                        classify(&e, r)
                    }
                })?,
                _ => {
                    let tcp = tokio::net::TcpStream::connect((r.host.as_str(), r.port))
                        .await
                        .map_err(|e| trouble(format!("cannot connect to {}: {e}", r.name())))?;
                    let _ = tcp.set_nodelay(true);
                    // Pipelining works on the plain text of the commands, so only
                    // where there is no TLS underneath lettre.
                    let stream: Box<dyn AsyncTokioStream> = match r.tls {
                        TlsMode::None => Box::new(Pipelined::new(tcp)),
                        _ => Box::new(tcp),
                    };
                    let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
                        .await
                        .map_err(|e| classify(&e, r))?;
                    if let (Some(params), TlsMode::StartTls) = (&self.tls, r.tls) {
                        conn.starttls(params.clone(), &self.hello).await.map_err(
                            |e| match classify(&e, r) {
                                Outcome::Deferred { code: None, .. } if !e.is_response() => {
                                    Outcome::RelayBroken {
                                        reply: format!("STARTTLS with {} failed: {e}", r.name()),
                                    }
                                }
                                other => other,
                            },
                        )?;
                    }
                    conn
                }
            };
            if let Some(credentials) = &self.credentials {
                conn.auth(DEFAULT_MECHANISMS, credentials)
                    .await
                    .map_err(|e| {
                        // No mechanism in common (or none offered): no retry
                        // will log in, so the run stops as on a refused login.
                        if e.is_client() {
                            Outcome::AuthFailed {
                                reply: format!("{} offers no AUTH PLAIN or LOGIN: {e}", r.name()),
                            }
                        } else {
                            classify(&e, r)
                        }
                    })?;
            }
            Ok(conn)
        };
        match tokio::time::timeout(r.connect_timeout + r.command_timeout, connect).await {
            Ok(result) => result,
            Err(_) => Err(trouble(format!(
                "{} did not greet within {:?}",
                r.name(),
                r.connect_timeout
            ))),
        }
    }
}

fn password(relay: &Relay) -> Result<String> {
    if let Some(path) = &relay.password_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Input(format!(
                "cannot read the password_file {}: {}",
                path.display(),
                e.kind()
            ))
        })?;
        return Ok(text.trim_end_matches(['\r', '\n']).to_string());
    }
    match std::env::var("GAZETTE_SMTP_PASSWORD") {
        Ok(p) if !p.is_empty() => Ok(p),
        _ => Err(Error::Input(format!(
            "relay {} has a username but no password: set GAZETTE_SMTP_PASSWORD or `password_file`",
            relay.name()
        ))),
    }
}

impl Transport for SmtpRelay {
    fn send<'a>(&'a self, envelope: &'a Envelope, message: &'a [u8]) -> Sending<'a> {
        Box::pin(async move {
            let (Ok(from), Ok(to)) = (envelope.from.parse(), envelope.to.parse()) else {
                return Outcome::Failed {
                    code: 553,
                    reply: format!("invalid envelope address {}", envelope.to),
                    bounce: false,
                };
            };
            let env = match LettreEnvelope::new(Some(from), vec![to]) {
                Ok(e) => e,
                Err(e) => {
                    return Outcome::Failed {
                        code: 553,
                        reply: e.to_string(),
                        bounce: false,
                    };
                }
            };
            // A free connection: there are as many as sending tasks.
            let mut slot = match self.slots.iter().find_map(|s| s.try_lock().ok()) {
                Some(slot) => slot,
                None => self.slots[0].lock().await,
            };
            // A reused connection may have been closed by the server while idle:
            // then try once more on a fresh one.
            for fresh_try in [false, true] {
                let reused = slot.is_some();
                if slot.is_none() {
                    match self.connect().await {
                        Ok(conn) => *slot = Some(conn),
                        Err(outcome) => return outcome,
                    }
                }
                let conn = slot.as_mut().expect("connected above");
                // lettre's own timeout covers only the connect: bound the whole exchange.
                let result =
                    tokio::time::timeout(self.relay.command_timeout, conn.send(&env, message))
                        .await;
                match result {
                    Err(_) => {
                        *slot = None;
                        let reply = format!(
                            "no reply from {} within {:?}",
                            self.relay.name(),
                            self.relay.command_timeout
                        );
                        return Outcome::Deferred {
                            code: None,
                            reply,
                            relay_trouble: false,
                        };
                    }
                    Ok(Ok(response)) => {
                        let code: u16 = response.code().into();
                        let text: Vec<&str> = response.message().collect();
                        return Outcome::Sent {
                            reply: format!("{code} {}", text.join(" ")),
                        };
                    }
                    Ok(Err(e)) => {
                        if conn.has_broken() {
                            *slot = None;
                        }
                        if e.is_client() {
                            // Refused by lettre before any command: an address
                            // that needs SMTPUTF8 (or a body that needs 8BITMIME)
                            // and a relay without it. No retry through this relay
                            // can succeed; 553 is what such a relay would answer
                            // (RFC 6531). Not a bounce: the address may be fine.
                            return Outcome::Failed {
                                code: 553,
                                reply: format!("{}: {e}", self.relay.name()),
                                bounce: false,
                            };
                        }
                        if reused && !fresh_try && e.status().is_none() && !e.is_tls() {
                            continue;
                        }
                        return match classify(&e, &self.relay) {
                            Outcome::Deferred {
                                code: None, reply, ..
                            } => Outcome::Deferred {
                                code: None,
                                reply,
                                relay_trouble: false,
                            },
                            other => other,
                        };
                    }
                }
            }
            unreachable!("the loop returns on its second try")
        })
    }

    fn name(&self) -> String {
        self.relay.name()
    }
}

/// Turns a lettre error into an outcome.
fn classify(e: &lettre::transport::smtp::Error, relay: &Relay) -> Outcome {
    let reply = e.to_string();
    match e.status().map(u16::from) {
        Some(535) | Some(534) | Some(530) if !e.is_transient() => Outcome::AuthFailed { reply },
        Some(code) if e.is_transient() => Outcome::Deferred {
            code: Some(code),
            reply,
            relay_trouble: code == 421,
        },
        Some(code) => Outcome::Failed {
            code,
            bounce: no_such_user(code, &reply),
            reply,
        },
        None if e.is_tls() => Outcome::RelayBroken {
            reply: format!("TLS with {} failed: {reply}", relay.name()),
        },
        None => Outcome::Deferred {
            code: None,
            reply: format!("{}: {reply}", relay.name()),
            relay_trouble: true,
        },
    }
}

/// Whether a connection failed in the TLS handshake (an unknown CA, a name
/// mismatch, a server not speaking TLS): lettre reports those as connection
/// errors, with rustls's error inside an `InvalidData` I/O error. Retrying
/// cannot help, unlike a refused or timed-out connection.
fn tls_refused(e: &lettre::transport::smtp::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
        {
            return true;
        }
        source = err.source();
    }
    e.is_tls()
}

/// A permanent reply that means the address does not exist: an enhanced
/// status 5.1.x (RFC 3463), or 550/551/553 with no enhanced status.
fn no_such_user(code: u16, reply: &str) -> bool {
    let enhanced = reply.split(|c: char| c.is_whitespace() || c == ':' || c == '(' || c == ')').find(|w| {
        let mut parts = w.split('.');
        matches!((parts.next(), parts.next(), parts.next(), parts.next()), (Some("5"), Some(_), Some(d), None) if d.chars().all(|c| c.is_ascii_digit()) && !d.is_empty())
    });
    match enhanced {
        Some(w) => w.starts_with("5.1."),
        None => matches!(code, 550 | 551 | 553),
    }
}

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
    fn recognises_unknown_users() {
        assert!(no_such_user(
            550,
            "permanent error (550): 5.1.1 <x@y>: Recipient address rejected: User unknown"
        ));
        assert!(no_such_user(550, "550 mailbox unavailable"));
        assert!(!no_such_user(550, "550 5.7.1 Message rejected as spam"));
        assert!(!no_such_user(554, "554 Transaction failed"));
    }

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
