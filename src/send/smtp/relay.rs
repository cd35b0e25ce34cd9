//! One SMTP relay: its TLS set-up, credentials and connections (lettre's
//! client on tokio), and the sending of one message over a free connection,
//! reconnecting once when a reused connection turns out closed.

use super::pipeline::Pipelined;
use super::reply::{classify, lettre_envelope, relay_level, tls_refused, trouble};
use crate::config::{Relay, TlsMode};
use crate::error::{Error, Result};
use crate::send::transport::{Envelope, Outcome, Sending, Transport};
use lettre::address::Envelope as LettreEnvelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::authentication::DEFAULT_MECHANISMS;
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailParameter};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
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
    slots: Vec<Mutex<Option<Open>>>,
}

/// An open connection, with the marker its pipelining layer (if any) keeps
/// of which command a refusal answered.
struct Open {
    conn: AsyncSmtpConnection,
    refused_command: Option<Arc<AtomicUsize>>,
}

/// The part of a transaction a reply answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// MAIL FROM: a refusal is the relay's, never the recipient's.
    Mail,
    /// RCPT TO: names the recipient.
    Rcpt,
    /// The DATA command itself: the relay's.
    Data,
    /// The reply to the message's final `.`: about this message.
    EndOfData,
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
                    let pem = crate::files::read_small(ca).map_err(|e| {
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

    /// Opens, secures and logs in one connection. Every refusal on the way
    /// (greeting, EHLO, STARTTLS) is the relay's: it breaks the relay for this
    /// run or rests it, and never fails a recipient.
    async fn connect(&self) -> Result<Open, Outcome> {
        let r = &self.relay;
        let open = async {
            match (&self.tls, r.tls) {
                (Some(params), TlsMode::Tls) => self.open_tls(params).await,
                _ => self.open_plain().await,
            }
        };
        // The connection and the greeting within connect_timeout: a relay
        // that accepts and never greets is given up on quickly.
        let mut open = match tokio::time::timeout(r.connect_timeout, open).await {
            Ok(result) => result.map_err(relay_level)?,
            Err(_) => {
                return Err(trouble(format!(
                    "{} did not greet within {:?}",
                    r.name(),
                    r.connect_timeout
                )));
            }
        };
        match tokio::time::timeout(r.command_timeout, self.login(&mut open.conn)).await {
            Ok(result) => result.map_err(relay_level)?,
            Err(_) => return Err(trouble(format!("no reply from {} to the login", r.name()))),
        }
        Ok(open)
    }

    /// Implicit TLS (port 465), through lettre's own connect.
    async fn open_tls(&self, params: &TlsParameters) -> Connected {
        let r = &self.relay;
        let conn = AsyncSmtpConnection::connect_tokio1(
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
        })?;
        Ok(Open {
            conn,
            refused_command: None,
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
        let (stream, refused_command): (Box<dyn AsyncTokioStream>, _) = match r.tls {
            TlsMode::None => {
                let marker = Arc::new(AtomicUsize::new(0));
                (
                    Box::new(Pipelined::watched(tcp, marker.clone())),
                    Some(marker),
                )
            }
            _ => (Box::new(tcp), None),
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
        Ok(Open {
            conn,
            refused_command,
        })
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

impl SmtpRelay {
    /// The relay did not answer within the timeout for `phase`.
    fn no_reply(&self, phase: Phase) -> Outcome {
        let (what, wait) = match phase {
            Phase::EndOfData => ("the end of the message", self.relay.data_timeout),
            _ => ("a command", self.relay.command_timeout),
        };
        let reply = format!(
            "no reply from {} to {what} within {:?}",
            self.relay.name(),
            wait
        );
        Outcome::Deferred {
            code: None,
            reply,
            relay_trouble: false,
        }
    }

    /// What a refused command of the transaction means: only RCPT and the
    /// end of data can fail (or bounce) the recipient.
    fn refused(&self, phase: Phase, e: &lettre::transport::smtp::Error) -> Outcome {
        match (phase, classify(e, &self.relay)) {
            // A dropped connection mid-transaction: not the relay's trouble.
            (
                _,
                Outcome::Deferred {
                    code: None, reply, ..
                },
            ) => Outcome::Deferred {
                code: None,
                reply,
                relay_trouble: false,
            },
            (Phase::Mail | Phase::Data, outcome) => relay_level(outcome),
            (Phase::Rcpt | Phase::EndOfData, outcome) => outcome,
        }
    }

    /// One transaction on an open connection: MAIL, RCPT, DATA and the
    /// message, each reply read and classified by the command it answers.
    async fn transaction(
        &self,
        open: &mut Open,
        envelope: &LettreEnvelope,
        message: &[u8],
    ) -> std::result::Result<Outcome, (Phase, lettre::transport::smtp::Error)> {
        let conn = &mut open.conn;
        let mut options = Vec::new();
        let non_ascii = envelope
            .from()
            .is_some_and(|a| !AsRef::<str>::as_ref(a).is_ascii())
            || envelope
                .to()
                .iter()
                .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
        if non_ascii {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Ok(self.no_smtputf8(envelope));
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        let command = self.relay.command_timeout;
        let step = |phase: Phase, r: std::result::Result<_, _>| r.map_err(|e| (phase, e));
        let from = envelope.from().cloned();
        let to = envelope.to().first().cloned().expect("one recipient");
        let mail = tokio::time::timeout(command, conn.command(Mail::new(from, options))).await;
        let Ok(mail) = mail else {
            return Ok(self.no_reply(Phase::Mail));
        };
        step(Phase::Mail, mail)?;
        let Ok(rcpt) = tokio::time::timeout(command, conn.command(Rcpt::new(to, vec![]))).await
        else {
            return Ok(self.no_reply(Phase::Rcpt));
        };
        step(Phase::Rcpt, rcpt)?;
        let Ok(data) = tokio::time::timeout(command, conn.command(Data)).await else {
            return Ok(self.no_reply(Phase::Data));
        };
        if let Err(e) = data {
            // Pipelined, MAIL and RCPT were answered together with DATA:
            // the refusal is for whichever command its marker names.
            let phase = match open
                .refused_command
                .as_ref()
                .map(|m| m.load(Ordering::Relaxed))
            {
                Some(1) => Phase::Mail,
                Some(2) => Phase::Rcpt,
                _ => Phase::Data,
            };
            return Err((phase, e));
        }
        // RFC 5321 4.5.3.2.6: wait up to 10 minutes for the reply to the final
        // dot; giving up sooner makes a slow relay deliver the message twice.
        let Ok(sent) = tokio::time::timeout(self.relay.data_timeout, conn.message(message)).await
        else {
            return Ok(self.no_reply(Phase::EndOfData));
        };
        let response = step(Phase::EndOfData, sent)?;
        let code: u16 = response.code().into();
        let text: Vec<&str> = response.message().collect();
        Ok(Outcome::Sent {
            reply: format!("{code} {}", text.join(" ")),
        })
    }

    /// An address that needs SMTPUTF8, and a relay without it: no retry
    /// through this relay can succeed, and the address may be fine.
    fn no_smtputf8(&self, envelope: &LettreEnvelope) -> Outcome {
        let to = envelope
            .to()
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        Outcome::Failed {
            code: 553,
            reply: format!(
                "the relay {} does not support SMTPUTF8 (RFC 6531), which {to} needs",
                self.relay.name()
            ),
            bounce: false,
        }
    }
}

/// A connection, or why there is none.
type Connected = std::result::Result<Open, Outcome>;

fn password(relay: &Relay) -> Result<String> {
    if let Some(path) = &relay.password_file {
        let text = crate::files::read_small_text(path).map_err(|e| {
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
                        Ok(open) => *slot = Some(open),
                        Err(outcome) => return outcome,
                    }
                }
                let open = slot.as_mut().expect("connected above");
                match self.transaction(open, &env, message).await {
                    Ok(outcome) => {
                        if !matches!(outcome, Outcome::Sent { .. }) {
                            // A timeout or a refusal: the connection's state is unknown.
                            *slot = None;
                        }
                        return outcome;
                    }
                    Err((phase, e)) => {
                        // lettre leaves a refused transaction half open: start afresh.
                        *slot = None;
                        let dropped = !e.is_client() && e.status().is_none() && !e.is_tls();
                        if reused && !fresh_try && dropped {
                            continue;
                        }
                        return self.refused(phase, &e);
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
