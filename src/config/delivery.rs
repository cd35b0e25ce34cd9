//! Delivery settings: where messages go (the outbox or SMTP relays), the
//! envelope sender and the retry policy, read from the config and checked once.

use super::relay::{Relay, read_relays};
use super::transport_url::{UrlError, parse_transport_url};
use crate::diag::Diagnostic;
use crate::fields::{self, Fields};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where messages go.
#[derive(Debug, Clone, PartialEq)]
pub enum Destination {
    /// A Maildir: each message becomes a file in `DIR/new/`.
    Outbox(PathBuf),
    Smtp(Vec<Relay>),
}

/// The checked delivery settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub transport: Destination,
    /// The envelope sender (Return-Path), `bounces@<from domain>` by default.
    pub envelope_from: String,
    /// A signed envelope sender per message (`LOCAL+<issue>-<subscriber>-<mac>@DOMAIN`),
    /// for matching what comes back: on by default with a `[bounces]` table.
    pub verp: bool,
    /// Waits before retrying a deferred recipient within a run (default 5 s, 30 s, 2 min).
    pub retry_delays: Vec<Duration>,
    /// How long a relay that refuses connections or answers 421 is rested (default 60 s).
    pub relay_rest: Duration,
    /// How long after its first attempt a recipient still deferred is given
    /// up on, failed with the last reply (default 5 days, as MTAs do).
    pub max_retry_age: Duration,
}

impl Delivery {
    /// Reads the delivery keys from the config's top-level table.
    pub fn read(
        root: &Path,
        f: &mut Fields<'_, '_>,
        from_domain: Option<&str>,
        bounces_configured: bool,
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
        let verp = f
            .opt_bool("verp")
            .map_or(bounces_configured, |b| *b.get_ref());
        let retry_delays = match f.take("retry_delays") {
            None => Some(vec![
                Duration::from_secs(5),
                Duration::from_secs(30),
                Duration::from_secs(120),
            ]),
            Some(v) => seconds_list(v, f.diags),
        };
        let relay_rest = seconds(f, "relay_rest", 60.0, 0.0..=DAY);
        let max_retry_age = seconds(f, "max_retry_age", 5.0 * DAY, 0.0..=MAX_RETRY_AGE);
        let transport = match (kind.as_ref().map(|k| k.get_ref().as_str()), relays) {
            (None | Some("outbox"), None) => Destination::Outbox(outbox),
            (Some("outbox"), Some(_)) => Destination::Outbox(outbox),
            (None | Some("smtp"), Some(relays)) => Destination::Smtp(relays?),
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
            relay_rest: relay_rest?,
            max_retry_age: max_retry_age?,
        })
    }

    /// The transport for one run: `url` (from `--transport` or
    /// `GAZETTE_TRANSPORT`) over the configured one, taking timeouts and the
    /// CA file from the first configured relay.
    pub fn transport_with(&self, url: Option<&str>, root: &Path) -> Result<Destination, UrlError> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(self.transport.clone());
        };
        let base = match &self.transport {
            Destination::Smtp(relays) => relays.first(),
            Destination::Outbox(_) => None,
        };
        parse_transport_url(url, root, base)
    }
}

/// A day, in seconds: the longest wait any timing setting but
/// `max_retry_age` may ask for.
pub(super) const DAY: f64 = 86_400.0;

/// The longest `max_retry_age`: 30 days.
const MAX_RETRY_AGE: f64 = 30.0 * DAY;

/// A number of seconds within `range` (timings outside it are mistakes, and
/// some would overflow a timer).
pub(super) fn seconds(
    f: &mut Fields<'_, '_>,
    key: &'static str,
    default: f64,
    range: std::ops::RangeInclusive<f64>,
) -> Option<Duration> {
    match f.opt_number(key) {
        None => Some(Duration::from_secs_f64(default)),
        Some(n) if range.contains(n.get_ref()) => Some(Duration::from_secs_f64(*n.get_ref())),
        Some(n) => {
            f.diags.push(Diagnostic::error(
                n.span(),
                format!(
                    "`{key}` must be {} to {} seconds",
                    range.start(),
                    range.end()
                ),
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
            "`retry_delays` must be a list of at most 10 waits of 0 to 86400 seconds, like [5, 30, 120]",
        )
    };
    let toml::de::DeValue::Array(items) = value.into_inner() else {
        diags.push(bad());
        return None;
    };
    if items.len() > 10 {
        diags.push(bad());
        return None;
    }
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
            Some(n) if (0.0..=DAY).contains(&n) => out.push(Duration::from_secs_f64(n)),
            _ => {
                diags.push(bad());
                return None;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::relay::TlsMode;
    use crate::diag::Source;

    /// A minimal config with `extra` after it.
    fn source(extra: &str) -> Source {
        let text = format!(
            "name = \"N\"\nfrom = \"N <n@news.example.org>\"\nbase_url = \"https://e.org\"\npostal_address = \"1 Road\"\n{extra}"
        );
        Source::new("c", text)
    }

    fn config(extra: &str) -> Result<crate::config::Config, Vec<Diagnostic>> {
        crate::config::Config::parse(Path::new("/n"), &source(extra))
    }

    #[test]
    fn envelope_sender_defaults_and_verp() {
        let plain = config("").unwrap().delivery;
        assert_eq!(plain.envelope_from, "bounces@news.example.org");
        assert!(!plain.verp);
        assert_eq!(
            plain.transport,
            Destination::Outbox(PathBuf::from("/n/data/outbox"))
        );
        let verp = config("verp = true\nenvelope_from = \"Returns@Example.ORG\"\n")
            .unwrap()
            .delivery;
        // The signed per-message address is the message factory's (it holds
        // the secret): message::Factory::envelope_sender.
        assert_eq!(verp.envelope_from, "Returns@example.org");
        assert!(verp.verp);
    }

    #[test]
    fn a_bounces_table_turns_verp_on_unless_told_not_to() {
        assert!(!config("").unwrap().delivery.verp);
        assert!(config("[bounces]\n").unwrap().delivery.verp);
        assert!(!config("verp = false\n[bounces]\n").unwrap().delivery.verp);
        let b = config("[bounces]\nmaildir = [\"data/b\"]\nsoft_limit = 2\n")
            .unwrap()
            .bounces
            .unwrap();
        assert_eq!(b.maildirs, [PathBuf::from("/n/data/b")]);
        assert_eq!((b.soft_limit, b.soft_window), (2, 5));
        let why = |extra: &str| {
            config(extra)
                .unwrap_err()
                .into_iter()
                .map(|d| d.message)
                .collect::<Vec<_>>()
                .join("; ")
        };
        assert!(why("[bounces]\nsoft_limit = 6\n").contains("more than `soft_window`"));
        assert!(why("[bounces]\nsoft_window = 0\n").contains("1 to 100"));
        assert!(why("[bounces]\npassword = \"hunter2\"\n").contains("never goes in the config"));
        assert!(!why("[bounces]\npassword = \"hunter2\"\n").contains("hunter2"));
        assert!(why("[bounces]\nimap = \"imaps://u:pw@h\"\n").contains("holds a password"));
        // The whole error as printed, the config's line quoted under it.
        let text = "[bounces]\nimap = \"imaps://u:hunter2@h/INBOX\"\n";
        let diags = config(text).unwrap_err();
        let src = source(text);
        for d in &diags {
            let shown = d.display(&src).to_string();
            assert!(!shown.contains("hunter2"), "{shown}");
        }
    }

    #[test]
    fn relays_are_checked() {
        let ok = config("[[smtp]]\nhost = \"smtp.example.net\"\nusername = \"u\"\n")
            .unwrap()
            .delivery;
        let Destination::Smtp(relays) = ok.transport else {
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

    #[test]
    fn timings_out_of_range_are_located_errors_not_panics() {
        for (extra, expected) in [
            (
                "relay_rest = 1e20\n",
                "`relay_rest` must be 0 to 86400 seconds",
            ),
            (
                "relay_rest = -1\n",
                "`relay_rest` must be 0 to 86400 seconds",
            ),
            (
                "max_retry_age = 1e12\n",
                "`max_retry_age` must be 0 to 2592000 seconds",
            ),
            (
                "max_retry_age = -5\n",
                "`max_retry_age` must be 0 to 2592000 seconds",
            ),
            (
                "retry_delays = [5, 1e300]\n",
                "`retry_delays` must be a list of at most 10",
            ),
            (
                "retry_delays = [1,1,1,1,1,1,1,1,1,1,1]\n",
                "`retry_delays` must be a list of at most 10",
            ),
            (
                "[[smtp]]\nhost = \"h.example\"\nrate = 1e-300\n",
                "`rate` must be 0.01 to 100000",
            ),
            (
                "[[smtp]]\nhost = \"h.example\"\nrate = nan\n",
                "`rate` must be 0.01 to 100000",
            ),
            (
                "[[smtp]]\nhost = \"h.example\"\ncommand_timeout = 1e19\n",
                "`command_timeout` must be 1 to 3600 seconds",
            ),
            (
                "[[smtp]]\nhost = \"h.example\"\nconnect_timeout = 0\n",
                "`connect_timeout` must be 1 to 600 seconds",
            ),
            (
                "[[smtp]]\nhost = \"h.example\"\nconnections = 9999999999\n",
                "`connections` must be 1 to 100",
            ),
            (
                "max_lateness = \"99999999h\"\n",
                "is not a duration of up to a year",
            ),
        ] {
            let messages: Vec<String> = config(extra)
                .unwrap_err()
                .into_iter()
                .map(|d| d.message)
                .collect();
            assert!(
                messages.iter().any(|m| m.contains(expected)),
                "{extra}: {messages:?}"
            );
        }
    }

    #[test]
    fn a_password_in_the_config_is_never_shown() {
        let source = source("[[smtp]]\nhost = \"h.example\"\npassword = \"hunter2\"\n");
        let diags = crate::config::Config::parse(Path::new("/n"), &source).unwrap_err();
        let shown: String = diags
            .iter()
            .map(|d| d.display(&source).to_string())
            .collect();
        assert!(shown.contains("never goes in the config"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
