//! Opening a relay's connections: the relay's TLS parameters and
//! credentials, read once, then for each connection the TCP (or implicit TLS)
//! connect, the greeting, STARTTLS and the login. Every refusal on the way is
//! the relay's, never a recipient's.

use super::pipeline::Pipelined;
use super::relay::SmtpRelay;
use super::reply::{classify, relay_level, tls_refused, trouble};
use super::tls;
use crate::config::{Relay, TlsMode};
use crate::error::{Error, Result};
use crate::send::transport::Outcome;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::authentication::DEFAULT_MECHANISMS;
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use tokio::sync::Mutex;

/// An open connection, with the marker its pipelining layer (if any) keeps
/// of which command a refusal answered.
pub(super) struct Open {
    pub(super) conn: AsyncSmtpConnection,
    pub(super) refused_command: Option<Arc<AtomicUsize>>,
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
    pub(super) async fn connect(&self) -> Result<Open, Outcome> {
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
                    reply: tls::failure("TLS", &e, r),
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
                            reply: tls::failure("STARTTLS", &e, r),
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

/// A connection, or why there is none.
pub(super) type Connected = std::result::Result<Open, Outcome>;

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
