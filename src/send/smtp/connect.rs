//! Opening a relay's connections: the relay's TLS parameters and
//! credentials, read once, then for each connection our own TCP socket (with
//! TCP_NODELAY), implicit TLS or STARTTLS over it, the greeting, EHLO and the
//! login through lettre, and the stream taken back for our own pipelined
//! transactions. Every refusal on the way is the relay's, never a recipient's.

use super::relay::SmtpRelay;
use super::reply::{classify, relay_level, tls_refused, trouble};
use super::session::Session;
use super::stream::{Lent, Net};
use super::tls;
use crate::config::{Relay, TlsMode};
use crate::error::{Error, Result};
use crate::send::transport::Outcome;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::authentication::DEFAULT_MECHANISMS;
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::Starttls;
use lettre::transport::smtp::extension::{ClientId, Extension};
use tokio::sync::Mutex;

/// The greeting lettre is given after STARTTLS, where the server sends none
/// (it waits for the new EHLO).
const AFTER_STARTTLS: &[u8] = b"220 TLS established\r\n";

/// An open connection: its transactions, and whether the server takes
/// UTF-8 addresses.
pub(super) struct Open {
    pub(super) session: Session<Net>,
    pub(super) smtputf8: bool,
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
                    let pem = crate::files::ca_file(ca)?;
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
        // The connection and the greeting within connect_timeout: a relay
        // that accepts and never greets is given up on quickly.
        let (mut conn, lent) = match tokio::time::timeout(r.connect_timeout, self.open()).await {
            Ok(result) => result.map_err(relay_level)?,
            Err(_) => {
                return Err(trouble(format!(
                    "{} did not greet within {:?}",
                    r.name(),
                    r.connect_timeout
                )));
            }
        };
        match tokio::time::timeout(r.command_timeout, self.login(&mut conn)).await {
            Ok(result) => result.map_err(relay_level)?,
            Err(_) => return Err(trouble(format!("no reply from {} to the login", r.name()))),
        }
        let smtputf8 = conn.server_info().supports_feature(Extension::SmtpUtfEight);
        drop(conn);
        let Some((net, pipelining)) = lent.take() else {
            return Err(trouble(format!("{}: the connection was lost", r.name())));
        };
        Ok(Open {
            session: Session::new(net, pipelining),
            smtputf8,
        })
    }

    /// The TCP connection, TLS as the relay asks, the greeting and EHLO.
    async fn open(&self) -> std::result::Result<(AsyncSmtpConnection, Lent), Outcome> {
        let r = &self.relay;
        let mut net = Net::connect(&r.host, r.port)
            .await
            .map_err(|e| trouble(format!("cannot connect to {}: {e}", r.name())))?;
        if let (Some(params), TlsMode::Tls) = (&self.tls, r.tls) {
            // Implicit TLS (port 465): before the greeting.
            net.upgrade(params.clone()).await.map_err(|e| {
                if tls_refused(&e) {
                    Outcome::RelayBroken {
                        reply: tls::failure("TLS", &e, r),
                    }
                } else {
                    classify(&e, r)
                }
            })?;
        }
        let lent = Lent::new(net, b"");
        let mut conn =
            AsyncSmtpConnection::connect_with_transport(Box::new(lent.clone()), &self.hello)
                .await
                .map_err(|e| classify(&e, r))?;
        let (Some(params), TlsMode::StartTls) = (&self.tls, r.tls) else {
            return Ok((conn, lent));
        };
        let refused = |e: lettre::transport::smtp::Error| match classify(&e, r) {
            Outcome::Deferred { code: None, .. } if !e.is_response() => Outcome::RelayBroken {
                reply: tls::failure("STARTTLS", &e, r),
            },
            other => other,
        };
        if !conn.server_info().supports_feature(Extension::StartTls) {
            // lettre's own refusal, in its words: STARTTLS is not offered.
            return Err(conn
                .starttls(params.clone(), &self.hello)
                .await
                .err()
                .map_or_else(|| trouble(format!("{}: STARTTLS", r.name())), refused));
        }
        conn.command(Starttls).await.map_err(refused)?;
        drop(conn);
        // TLS under our own transactions, not lettre's: lettre is lent the
        // secured stream, with a greeting, for the new EHLO and the login.
        let (mut net, _) = lent
            .take()
            .ok_or_else(|| trouble(format!("{}: the connection was lost", r.name())))?;
        net.upgrade(params.clone()).await.map_err(refused)?;
        let lent = Lent::new(net, AFTER_STARTTLS);
        let conn = AsyncSmtpConnection::connect_with_transport(Box::new(lent.clone()), &self.hello)
            .await
            .map_err(|e| classify(&e, r))?;
        Ok((conn, lent))
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

fn password(relay: &Relay) -> Result<String> {
    crate::files::password(
        relay.password_file.as_deref(),
        "GAZETTE_SMTP_PASSWORD",
        || {
            format!(
                "relay {} has a username but no password: set GAZETTE_SMTP_PASSWORD or `password_file`",
                relay.name()
            )
        },
    )
}
