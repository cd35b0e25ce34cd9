//! One SMTP relay's settings (`[[smtp]]` tables): host, port and TLS mode,
//! credentials by file or environment only, connections, rate and timeouts,
//! and the rule that plain text stays on this machine unless allowed.

use super::delivery::seconds;
use crate::diag::Diagnostic;
use crate::fields::{self, Fields};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Mail submission with STARTTLS (RFC 6409).
pub const SUBMISSION_PORT: u16 = 587;
/// Mail submission over implicit TLS (RFC 8314).
pub const SUBMISSIONS_PORT: u16 = 465;
/// Plain SMTP relay.
pub const SMTP_PORT: u16 = 25;

/// Connections to one relay: `connections`, `--connections`.
pub const CONNECTIONS: std::ops::RangeInclusive<usize> = 1..=100;
/// Messages per second through one relay: `rate`, `--rate` (one a minute
/// and a half up to far past any relay).
pub const RATES: std::ops::RangeInclusive<f64> = 0.01..=100_000.0;
/// What the rate must be, for errors.
pub const RATE_RANGE: &str = "`rate` must be 0.01 to 100000 messages per second";

/// How a relay's connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// STARTTLS, required (port 587).
    StartTls,
    /// Implicit TLS (port 465).
    Tls,
    /// Plain text: loopback only unless `allow_insecure`, never with credentials.
    None,
}

impl TlsMode {
    /// The port a relay listens on for this mode when none is given.
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::StartTls => SUBMISSION_PORT,
            TlsMode::Tls => SUBMISSIONS_PORT,
            TlsMode::None => SMTP_PORT,
        }
    }
}

/// Why a relay's settings are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RelayError {
    #[error("relay {0}: `tls = \"none\"` with credentials would send the password in clear")]
    PasswordInClear(String),
    #[error(
        "relay {0}: `tls = \"none\"` to a host that is not loopback needs `allow_insecure = true` \
         (in a --transport URL: `?allow_insecure=true`)"
    )]
    Insecure(String),
}

/// One SMTP relay.
#[derive(Debug, Clone, PartialEq)]
pub struct Relay {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    /// Read at send time; else `GAZETTE_SMTP_PASSWORD`.
    pub password_file: Option<PathBuf>,
    pub helo: Option<String>,
    /// Connections kept open to this relay (default 4).
    pub connections: usize,
    /// Messages per second through this relay (default unlimited).
    pub rate: Option<f64>,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
    /// How long to wait for the reply to a message's final `.` (default 600 s,
    /// RFC 5321 4.5.3.2.6): a relay that is slow then is scanning it.
    pub data_timeout: Duration,
    /// Extra CA certificates (PEM) to trust, for private relays and tests.
    pub ca_file: Option<PathBuf>,
    pub allow_insecure: bool,
}

pub(super) fn read_relays(
    root: &Path,
    value: fields::Value<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Relay>> {
    let tables = fields::array_of_tables("smtp", value, diags);
    let before = diags.len();
    let mut relays = Vec::new();
    for (i, (table, span)) in tables.into_iter().enumerate() {
        let mut f = Fields::new(table, span.clone(), format!("smtp relay {}", i + 1), diags);
        let host = f.req_str("host");
        let tls = match f.opt_str("tls") {
            None => Some(TlsMode::StartTls),
            Some(s) => match s.get_ref().as_str() {
                "starttls" => Some(TlsMode::StartTls),
                "tls" => Some(TlsMode::Tls),
                "none" => Some(TlsMode::None),
                other => {
                    f.diags.push(Diagnostic::error(
                        s.span(),
                        format!("`tls` must be \"starttls\", \"tls\" or \"none\", not `{other}`"),
                    ));
                    None
                }
            },
        };
        let port = f
            .opt_int("port")
            .and_then(|p| match u16::try_from(*p.get_ref()) {
                Ok(v) if v > 0 => Some(v),
                _ => {
                    f.diags
                        .push(Diagnostic::error(p.span(), "`port` must be 1 to 65535"));
                    None
                }
            });
        let username = f.opt_str("username").map(|s| s.into_inner());
        if let Some(p) = f.take("password") {
            let d = Diagnostic::error(p.span(), "the SMTP password never goes in the config")
                .hiding_the_span()
                .with_hint("set GAZETTE_SMTP_PASSWORD, or `password_file = \"...\"` naming a file that holds it");
            f.diags.push(d);
        }
        let password_file = f.opt_str("password_file").map(|s| root.join(s.get_ref()));
        let helo = f.opt_str("helo").map(|s| s.into_inner());
        let connections = match f.opt_int("connections") {
            None => Some(4),
            Some(n) if usize::try_from(*n.get_ref()).is_ok_and(|c| CONNECTIONS.contains(&c)) => {
                Some(*n.get_ref() as usize)
            }
            Some(n) => {
                f.diags.push(Diagnostic::error(
                    n.span(),
                    "`connections` must be 1 to 100",
                ));
                None
            }
        };
        let rate = match f.opt_number("rate") {
            None => Some(None),
            Some(r) if RATES.contains(r.get_ref()) => Some(Some(*r.get_ref())),
            Some(r) => {
                f.diags.push(Diagnostic::error(r.span(), RATE_RANGE));
                None
            }
        };
        let connect_timeout = seconds(&mut f, "connect_timeout", 10.0, 1.0..=600.0);
        let command_timeout = seconds(&mut f, "command_timeout", 60.0, 1.0..=3600.0);
        let data_timeout = seconds(&mut f, "data_timeout", 600.0, 1.0..=3600.0);
        let ca_file = f.opt_str("ca_file").map(|s| root.join(s.get_ref()));
        let allow_insecure = f.opt_bool("allow_insecure").is_some_and(|b| *b.get_ref());
        f.finish();
        let (Some(host), Some(tls), Some(connections), Some(rate), Some(ct), Some(cmd), Some(data)) = (
            host,
            tls,
            connections,
            rate,
            connect_timeout,
            command_timeout,
            data_timeout,
        ) else {
            continue;
        };
        let port = port.unwrap_or(tls.default_port());
        let relay = Relay {
            host: host.get_ref().clone(),
            port,
            tls,
            username,
            password_file,
            helo,
            connections,
            rate,
            connect_timeout: ct,
            command_timeout: cmd,
            data_timeout: data,
            ca_file,
            allow_insecure,
        };
        if let Err(why) = relay.check() {
            diags.push(Diagnostic::error(host.span(), why.to_string()));
        }
        relays.push(relay);
    }
    (diags.len() == before).then_some(relays)
}

impl Relay {
    /// A relay with defaults for `host:port`.
    pub fn new(host: &str, port: u16, tls: TlsMode) -> Relay {
        Relay {
            host: host.to_string(),
            port,
            tls,
            username: None,
            password_file: None,
            helo: None,
            connections: 4,
            rate: None,
            connect_timeout: Duration::from_secs(10),
            command_timeout: Duration::from_secs(60),
            data_timeout: Duration::from_secs(600),
            ca_file: None,
            allow_insecure: false,
        }
    }

    /// Refuses credentials over plain text, and plain text off this machine
    /// unless allowed.
    pub fn check(&self) -> Result<(), RelayError> {
        if self.tls == TlsMode::None {
            if self.username.is_some() {
                return Err(RelayError::PasswordInClear(self.host.clone()));
            }
            if !is_loopback(&self.host) && !self.allow_insecure {
                return Err(RelayError::Insecure(self.host.clone()));
            }
        }
        Ok(())
    }

    /// `host:port`, for messages.
    pub fn name(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// Whether `host` is this machine.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback() {
        assert!(
            is_loopback("127.0.0.1")
                && is_loopback("localhost")
                && is_loopback("[::1]")
                && is_loopback("127.5.0.1")
        );
        assert!(!is_loopback("10.0.0.1") && !is_loopback("mail.example.com"));
    }
}
