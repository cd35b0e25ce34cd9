//! Delivery settings: the transport (outbox or SMTP relays), the envelope
//! sender and the retry policy, read from the config and checked once, and
//! the `--transport URL` override.

use crate::diag::Diagnostic;
use crate::fields::{self, Fields};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// Extra CA certificates (PEM) to trust, for private relays and tests.
    pub ca_file: Option<PathBuf>,
    pub allow_insecure: bool,
}

/// Where messages go.
#[derive(Debug, Clone, PartialEq)]
pub enum Transport {
    /// A Maildir: each message becomes a file in `DIR/new/`.
    Outbox(PathBuf),
    Smtp(Vec<Relay>),
}

/// The checked delivery settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub transport: Transport,
    /// The envelope sender (Return-Path), `bounces@<from domain>` by default.
    pub envelope_from: String,
    /// Envelope sender `bounces+{id}@domain` per subscriber, for matching bounces.
    pub verp: bool,
    /// Waits before retrying a deferred recipient within a run (default 5 s, 30 s, 2 min).
    pub retry_delays: Vec<Duration>,
    /// How long a relay that refuses connections or answers 421 is rested (default 60 s).
    pub relay_rest: Duration,
}

impl Delivery {
    /// Reads the delivery keys from the config's top-level table.
    pub fn read(
        root: &Path,
        f: &mut Fields<'_, '_>,
        from_domain: Option<&str>,
    ) -> Option<Delivery> {
        let kind = f.opt_str("transport");
        let outbox = f
            .opt_str("outbox")
            .map_or_else(|| root.join("data/outbox"), |s| root.join(s.get_ref()));
        let relays = match f.take("smtp") {
            Some(v) => Some(read_relays(root, v, f.diags)),
            None => None,
        };
        let envelope_from =
            f.opt_str("envelope_from")
                .and_then(|s| match crate::address::normalize(s.get_ref()) {
                    Ok(a) => Some(a),
                    Err(why) => {
                        f.diags.push(Diagnostic::error(
                            s.span(),
                            format!("`envelope_from`: {why}"),
                        ));
                        None
                    }
                });
        let verp = f.opt_bool("verp").is_some_and(|b| *b.get_ref());
        let retry_delays = match f.take("retry_delays") {
            None => Some(vec![
                Duration::from_secs(5),
                Duration::from_secs(30),
                Duration::from_secs(120),
            ]),
            Some(v) => seconds_list(v, f.diags),
        };
        let relay_rest = seconds(f, "relay_rest", 60.0)?;
        let transport = match (kind.as_ref().map(|k| k.get_ref().as_str()), relays) {
            (None | Some("outbox"), None) => Transport::Outbox(outbox),
            (Some("outbox"), Some(_)) => Transport::Outbox(outbox),
            (None | Some("smtp"), Some(relays)) => Transport::Smtp(relays?),
            (Some("smtp"), None) => {
                let span = kind.as_ref().map_or(0..0, |k| k.span());
                f.diags.push(
                    Diagnostic::error(
                        span,
                        "`transport = \"smtp\"` needs at least one `[[smtp]]` relay",
                    )
                    .with_hint("add `[[smtp]]` with `host = \"smtp.example.com\"`"),
                );
                return None;
            }
            (Some(other), _) => {
                let span = kind.as_ref().map_or(0..0, |k| k.span());
                f.diags.push(Diagnostic::error(
                    span,
                    format!("`transport` must be \"outbox\" or \"smtp\", not `{other}`"),
                ));
                return None;
            }
        };
        let envelope_from =
            envelope_from.or_else(|| from_domain.map(|d| format!("bounces@{d}")))?;
        Some(Delivery {
            transport,
            envelope_from,
            verp,
            retry_delays: retry_delays?,
            relay_rest,
        })
    }

    /// The transport for one run: `url` (from `--transport` or
    /// `GAZETTE_TRANSPORT`) over the configured one, taking timeouts and the
    /// CA file from the first configured relay.
    pub fn transport_with(&self, url: Option<&str>, root: &Path) -> Result<Transport, String> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(self.transport.clone());
        };
        let base = match &self.transport {
            Transport::Smtp(relays) => relays.first(),
            Transport::Outbox(_) => None,
        };
        parse_transport_url(url, root, base)
    }

    /// The envelope sender for a subscriber (`None` for a test send).
    pub fn envelope_sender(&self, subscriber: Option<u64>) -> String {
        match (self.verp, subscriber) {
            (true, Some(id)) => {
                let (local, domain) = self
                    .envelope_from
                    .rsplit_once('@')
                    .unwrap_or((&self.envelope_from, ""));
                format!("{local}+{id}@{domain}")
            }
            _ => self.envelope_from.clone(),
        }
    }
}

fn seconds(f: &mut Fields<'_, '_>, key: &'static str, default: f64) -> Option<Duration> {
    match f.opt_number(key) {
        None => Some(Duration::from_secs_f64(default)),
        Some(n) if *n.get_ref() >= 0.0 && n.get_ref().is_finite() => {
            Some(Duration::from_secs_f64(*n.get_ref()))
        }
        Some(n) => {
            f.diags.push(Diagnostic::error(
                n.span(),
                format!("`{key}` must be a number of 0 or more"),
            ));
            None
        }
    }
}

fn seconds_list(value: fields::Value<'_>, diags: &mut Vec<Diagnostic>) -> Option<Vec<Duration>> {
    let span = value.span();
    let bad = || {
        Diagnostic::error(
            span.clone(),
            "`retry_delays` must be a list of seconds, like [5, 30, 120]",
        )
    };
    let toml::de::DeValue::Array(items) = value.into_inner() else {
        diags.push(bad());
        return None;
    };
    let mut out = Vec::new();
    for item in items.iter() {
        let n = match item.get_ref() {
            toml::de::DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64),
            toml::de::DeValue::Float(x) => x.as_str().parse::<f64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if n >= 0.0 && n.is_finite() => out.push(Duration::from_secs_f64(n)),
            _ => {
                diags.push(bad());
                return None;
            }
        }
    }
    Some(out)
}

fn read_relays(
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
                .with_hint("set GAZETTE_SMTP_PASSWORD, or `password_file = \"...\"` naming a file that holds it");
            f.diags.push(d);
        }
        let password_file = f.opt_str("password_file").map(|s| root.join(s.get_ref()));
        let helo = f.opt_str("helo").map(|s| s.into_inner());
        let connections = match f.opt_int("connections") {
            None => Some(4),
            Some(n) if (1..=100).contains(n.get_ref()) => Some(*n.get_ref() as usize),
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
            Some(r) if *r.get_ref() > 0.0 && r.get_ref().is_finite() => Some(Some(*r.get_ref())),
            Some(r) => {
                f.diags.push(Diagnostic::error(
                    r.span(),
                    "`rate` must be a positive number of messages per second",
                ));
                None
            }
        };
        let connect_timeout = seconds(&mut f, "connect_timeout", 10.0);
        let command_timeout = seconds(&mut f, "command_timeout", 60.0);
        let ca_file = f.opt_str("ca_file").map(|s| root.join(s.get_ref()));
        let allow_insecure = f.opt_bool("allow_insecure").is_some_and(|b| *b.get_ref());
        f.finish();
        let (Some(host), Some(tls), Some(connections), Some(rate), Some(ct), Some(cmd)) = (
            host,
            tls,
            connections,
            rate,
            connect_timeout,
            command_timeout,
        ) else {
            continue;
        };
        let port = port.unwrap_or(match tls {
            TlsMode::StartTls => 587,
            TlsMode::Tls => 465,
            TlsMode::None => 25,
        });
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
            ca_file,
            allow_insecure,
        };
        if let Err(why) = relay.check() {
            diags.push(Diagnostic::error(host.span(), why));
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
            ca_file: None,
            allow_insecure: false,
        }
    }

    /// Refuses credentials over plain text, and plain text off this machine
    /// unless allowed.
    pub fn check(&self) -> Result<(), String> {
        if self.tls == TlsMode::None {
            if self.username.is_some() {
                return Err(format!(
                    "relay {}: `tls = \"none\"` with credentials would send the password in clear",
                    self.host
                ));
            }
            if !is_loopback(&self.host) && !self.allow_insecure {
                return Err(format!(
                    "relay {}: `tls = \"none\"` to a host that is not loopback needs `allow_insecure = true` \
                     (in a --transport URL: `?allow_insecure=true`)",
                    self.host
                ));
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

/// Parses `--transport URL`: `smtp://[user@]HOST:PORT[?tls=starttls]`,
/// `smtps://[user@]HOST:PORT` or `outbox:DIR`. `base` supplies timeouts and
/// the CA file of the configured first relay, if any.
pub fn parse_transport_url(
    url: &str,
    root: &Path,
    base: Option<&Relay>,
) -> Result<Transport, String> {
    if let Some(dir) = url.strip_prefix("outbox:") {
        if dir.is_empty() {
            return Err("`outbox:` needs a directory, as in outbox:data/outbox".into());
        }
        return Ok(Transport::Outbox(root.join(dir)));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("`{url}` is not smtp://, smtps:// or outbox:"))?;
    let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = authority.trim_end_matches('/');
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if user.is_some_and(|u| u.contains(':')) {
        return Err("put no password in the transport URL: set GAZETTE_SMTP_PASSWORD".into());
    }
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
            h.to_string(),
            Some(
                p.parse::<u16>()
                    .map_err(|_| format!("`{p}` is not a port"))?,
            ),
        ),
        _ => (hostport.to_string(), None),
    };
    if host.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    let mut tls = match scheme {
        "smtp" => TlsMode::None,
        "smtps" => TlsMode::Tls,
        _ => {
            return Err(format!(
                "unknown transport scheme `{scheme}`: use smtp://, smtps:// or outbox:"
            ));
        }
    };
    let mut allow_insecure = false;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("tls", "starttls")) => tls = TlsMode::StartTls,
            Some(("tls", "none")) => tls = TlsMode::None,
            Some(("tls", "tls")) => tls = TlsMode::Tls,
            Some(("allow_insecure", "true")) => allow_insecure = true,
            _ => return Err(format!("unknown transport URL parameter `{pair}`")),
        }
    }
    let default_port = match tls {
        TlsMode::Tls => 465,
        TlsMode::StartTls => 587,
        TlsMode::None => 25,
    };
    let mut relay = match base {
        Some(b) => Relay {
            host: host.clone(),
            port: port.unwrap_or(default_port),
            tls,
            ..b.clone()
        },
        None => Relay::new(&host, port.unwrap_or(default_port), tls),
    };
    relay.username = user.map(str::to_string);
    relay.allow_insecure = allow_insecure;
    // The password comes from GAZETTE_SMTP_PASSWORD only.
    relay.password_file = None;
    relay.check()?;
    Ok(Transport::Smtp(vec![relay]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_urls() {
        let root = Path::new("/n");
        assert_eq!(
            parse_transport_url("outbox:out", root, None).unwrap(),
            Transport::Outbox(PathBuf::from("/n/out"))
        );
        let Transport::Smtp(r) = parse_transport_url("smtp://127.0.0.1:2525", root, None).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (r[0].host.as_str(), r[0].port, r[0].tls),
            ("127.0.0.1", 2525, TlsMode::None)
        );
        let Transport::Smtp(r) =
            parse_transport_url("smtp://ann@mail.example.com:587?tls=starttls", root, None)
                .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (r[0].username.as_deref(), r[0].tls),
            (Some("ann"), TlsMode::StartTls)
        );
        let Transport::Smtp(r) =
            parse_transport_url("smtps://mail.example.com", root, None).unwrap()
        else {
            panic!()
        };
        assert_eq!((r[0].port, r[0].tls), (465, TlsMode::Tls));
        assert!(
            parse_transport_url("smtp://mail.example.com:25", root, None)
                .unwrap_err()
                .contains("allow_insecure")
        );
        assert!(
            parse_transport_url("smtp://a@127.0.0.1:25", root, None)
                .unwrap_err()
                .contains("password in clear")
        );
        assert!(
            parse_transport_url("smtp://a:pw@h:25", root, None)
                .unwrap_err()
                .contains("no password")
        );
    }

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

#[cfg(test)]
mod delivery_tests {
    use super::*;
    use crate::diag::Source;

    fn config(extra: &str) -> Result<crate::config::Config, Vec<Diagnostic>> {
        let text = format!(
            "name = \"N\"\nfrom = \"N <n@news.example.org>\"\nbase_url = \"https://e.org\"\npostal_address = \"1 Road\"\n{extra}"
        );
        crate::config::Config::parse(Path::new("/n"), &Source::new("c", text))
    }

    #[test]
    fn envelope_sender_defaults_and_verp() {
        let plain = config("").unwrap().delivery;
        assert_eq!(plain.envelope_sender(Some(42)), "bounces@news.example.org");
        assert_eq!(
            plain.transport,
            Transport::Outbox(PathBuf::from("/n/data/outbox"))
        );
        let verp = config("verp = true\nenvelope_from = \"Returns@Example.ORG\"\n")
            .unwrap()
            .delivery;
        assert_eq!(verp.envelope_sender(Some(42)), "Returns+42@example.org");
        assert_eq!(
            verp.envelope_sender(None),
            "Returns@example.org",
            "test sends carry no id"
        );
    }

    #[test]
    fn relays_are_checked() {
        let ok = config("[[smtp]]\nhost = \"smtp.example.net\"\nusername = \"u\"\n")
            .unwrap()
            .delivery;
        let Transport::Smtp(relays) = ok.transport else {
            panic!()
        };
        assert_eq!(
            (relays[0].port, relays[0].tls, relays[0].connections),
            (587, TlsMode::StartTls, 4)
        );
        let msg = |extra: &str| {
            config(extra)
                .unwrap_err()
                .into_iter()
                .map(|d| d.message)
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(
            msg("[[smtp]]\nhost = \"h.example\"\npassword = \"hunter2\"\n")
                .contains("never goes in the config")
        );
        assert!(
            !msg("[[smtp]]\nhost = \"h.example\"\npassword = \"hunter2\"\n").contains("hunter2")
        );
        assert!(msg("[[smtp]]\nhost = \"h.example\"\ntls = \"none\"\n").contains("allow_insecure"));
        assert!(
            msg("[[smtp]]\nhost = \"127.0.0.1\"\ntls = \"none\"\nusername = \"u\"\n")
                .contains("password in clear")
        );
        assert!(msg("transport = \"smtp\"\n").contains("needs at least one `[[smtp]]`"));
    }
}
