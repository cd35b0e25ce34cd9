//! One SMTP relay: its TLS set-up, credentials and connections (lettre's
//! client on tokio), and the sending of one message over a free connection,
//! reconnecting once when a reused connection turns out closed.

use super::pipeline::Pipelined;
use super::reply::{classify, tls_refused};
use crate::config::{Relay, TlsMode};
use crate::error::{Error, Result};
use crate::send::transport::{Envelope, Outcome, Sending, Transport};
use lettre::address::Envelope as LettreEnvelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::authentication::DEFAULT_MECHANISMS;
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use tokio::sync::Mutex;

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

    /// Opens, secures and logs in one connection.
    async fn connect(&self) -> Connected {
        let r = &self.relay;
        let connect = async {
            let mut conn = match (&self.tls, r.tls) {
                (Some(params), TlsMode::Tls) => self.open_tls(params).await?,
                _ => self.open_plain().await?,
            };
            self.login(&mut conn).await?;
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

    /// Implicit TLS (port 465), through lettre's own connect.
    async fn open_tls(&self, params: &TlsParameters) -> Connected {
        let r = &self.relay;
        AsyncSmtpConnection::connect_tokio1(
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
        })
    }

    /// A TCP connection of our own (with TCP_NODELAY), pipelined when plain,
    /// then STARTTLS when the relay asks for it.
    async fn open_plain(&self) -> Connected {
        let r = &self.relay;
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
            conn.starttls(params.clone(), &self.hello)
                .await
                .map_err(|e| match classify(&e, r) {
                    Outcome::Deferred { code: None, .. } if !e.is_response() => {
                        Outcome::RelayBroken {
                            reply: format!("STARTTLS with {} failed: {e}", r.name()),
                        }
                    }
                    other => other,
                })?;
        }
        Ok(conn)
    }

    /// Logs in, when the relay has credentials.
    async fn login(&self, conn: &mut AsyncSmtpConnection) -> std::result::Result<(), Outcome> {
        let Some(credentials) = &self.credentials else {
            return Ok(());
        };
        let r = &self.relay;
        conn.auth(DEFAULT_MECHANISMS, credentials)
            .await
            .map(drop)
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
            })
    }
}

/// lettre's envelope for ours; an address it cannot take is refused as a
/// relay would refuse it (553).
fn lettre_envelope(envelope: &Envelope) -> std::result::Result<LettreEnvelope, Outcome> {
    let (Ok(from), Ok(to)) = (envelope.from.parse(), envelope.to.parse()) else {
        return Err(Outcome::Failed {
            code: 553,
            reply: format!("invalid envelope address {}", envelope.to),
            bounce: false,
        });
    };
    LettreEnvelope::new(Some(from), vec![to]).map_err(|e| Outcome::Failed {
        code: 553,
        reply: e.to_string(),
        bounce: false,
    })
}

impl SmtpRelay {
    /// The relay did not answer within the command timeout.
    fn no_reply(&self) -> Outcome {
        let reply = format!(
            "no reply from {} within {:?}",
            self.relay.name(),
            self.relay.command_timeout
        );
        Outcome::Deferred {
            code: None,
            reply,
            relay_trouble: false,
        }
    }

    /// What a failed transaction means.
    fn refused(&self, e: &lettre::transport::smtp::Error) -> Outcome {
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
        match classify(e, &self.relay) {
            // A dropped connection mid-transaction: not the relay's trouble.
            Outcome::Deferred {
                code: None, reply, ..
            } => Outcome::Deferred {
                code: None,
                reply,
                relay_trouble: false,
            },
            other => other,
        }
    }
}

/// A connection, or why there is none.
type Connected = std::result::Result<AsyncSmtpConnection, Outcome>;

/// The relay itself is unwell: it should rest.
fn trouble(reply: String) -> Outcome {
    Outcome::Deferred {
        code: None,
        reply,
        relay_trouble: true,
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
            let env = match lettre_envelope(envelope) {
                Ok(env) => env,
                Err(outcome) => return outcome,
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
                        return self.no_reply();
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
                        let retry = !e.is_client() && e.status().is_none() && !e.is_tls();
                        if reused && !fresh_try && retry {
                            continue;
                        }
                        return self.refused(&e);
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
