//! The `[serve]` table of the config: what the web endpoint needs beyond the
//! newsletter's own settings, checked once when the config is read.
//!
//! ```toml
//! [serve]
//! consent = "..."                          # the sign-up form's consent wording
//! trusted_proxy_header = "X-Forwarded-For" # where the client's IP is, behind a proxy
//! signups_per_ip_per_hour = 5
//! confirmations_per_address_per_day = 3
//! max_connections = 512                    # open connections at once
//! header_timeout = 10                      # seconds for a request's head
//! body_timeout = 10                        # seconds for its body
//! idle_timeout = 5                         # seconds a kept-alive connection may idle
//! ```

use crate::diag::Diagnostic;
use crate::fields::Fields;
use axum::http::HeaderName;
use std::time::Duration;
use toml::Spanned;

/// The range of `max_connections`.
pub const CONNECTIONS: std::ops::RangeInclusive<i64> = 1..=100_000;
/// The range, in seconds, of the three timeouts.
pub const TIMEOUT_SECONDS: std::ops::RangeInclusive<i64> = 1..=3600;

/// The checked `[serve]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Serve {
    /// The wording the sign-up form shows above its button, recorded with each
    /// consent. Default: "Send me {name} by email. ..." (see [`default_consent`]).
    pub consent: String,
    /// A request header holding the client's IP address, set by a reverse
    /// proxy in front of gazette; its right-most address is taken. Default:
    /// none, and the connection's peer address is used.
    pub trusted_proxy_header: Option<HeaderName>,
    /// Sign-up requests allowed from one IP address per hour (default 5).
    pub signups_per_ip_per_hour: u32,
    /// Sign-up requests (so confirmation emails) allowed for one address per
    /// day (default 3).
    pub confirmations_per_address_per_day: u32,
    /// Connections open at once (default 512, and never more than the
    /// process's file-descriptor limit allows). When all are taken, the
    /// connection idle the longest is closed for a new one.
    pub max_connections: usize,
    /// How long a client has to send a request's head, from when the
    /// connection opens or the previous response was sent (default 10 s).
    pub header_timeout: Duration,
    /// How long a client has to send a request's body (default 10 s); 408 after.
    pub body_timeout: Duration,
    /// How long a connection kept alive after a response may wait for the
    /// next request (default 5 s).
    pub idle_timeout: Duration,
}

/// The consent wording when the config gives none.
pub fn default_consent(name: &str) -> String {
    format!(
        "Send me {name} by email. I can unsubscribe at any time with the link at the foot \
         of every issue."
    )
}

impl Serve {
    /// The settings with every default, for a newsletter called `name`.
    pub fn defaults(name: &str) -> Serve {
        Serve {
            consent: default_consent(name),
            trusted_proxy_header: None,
            signups_per_ip_per_hour: 5,
            confirmations_per_address_per_day: 3,
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(5),
        }
    }

    /// Reads the optional `[serve]` table of the config; `name` is the
    /// newsletter's name, for the default consent wording. Problems become
    /// diagnostics (and the defaults are returned, the config failing anyway).
    pub fn read(f: &mut Fields<'_, '_>, name: Option<&Spanned<String>>) -> Serve {
        let name = name.map_or("this newsletter", |n| n.get_ref().as_str());
        let mut serve = Serve::defaults(name);
        let Some((table, span)) = f.opt_table("serve") else {
            return serve;
        };
        let mut t = Fields::new(table, span, "the [serve] table", &mut *f.diags);
        if let Some(text) = t.opt_str("consent") {
            let words = text
                .get_ref()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if words.is_empty() {
                let d = Diagnostic::error(text.span(), "`consent` must not be empty")
                    .with_hint("leave the key out for the default wording");
                t.diags.push(d);
            } else {
                // `{name}`, as in the default wording, is the newsletter's name.
                serve.consent = words.replace("{name}", name);
            }
        }
        if let Some(header) = t.opt_str("trusted_proxy_header") {
            match HeaderName::from_bytes(header.get_ref().trim().as_bytes()) {
                Ok(h) => serve.trusted_proxy_header = Some(h),
                Err(_) => {
                    let d = Diagnostic::error(
                        header.span(),
                        format!("`{}` is not an HTTP header name", header.get_ref()),
                    )
                    .with_hint("name the header your proxy sets, such as \"X-Forwarded-For\"");
                    t.diags.push(d);
                }
            }
        }
        for (key, slot) in [
            (
                "signups_per_ip_per_hour",
                &mut serve.signups_per_ip_per_hour,
            ),
            (
                "confirmations_per_address_per_day",
                &mut serve.confirmations_per_address_per_day,
            ),
        ] {
            if let Some(n) = t.opt_int(key) {
                match u32::try_from(*n.get_ref()) {
                    Ok(v) if v >= 1 => *slot = v,
                    _ => t.diags.push(Diagnostic::error(
                        n.span(),
                        format!("`{key}` must be a whole number of 1 or more"),
                    )),
                }
            }
        }
        if let Some(n) = t.opt_int("max_connections") {
            match usize::try_from(*n.get_ref()) {
                Ok(v) if CONNECTIONS.contains(n.get_ref()) => serve.max_connections = v,
                _ => t.diags.push(Diagnostic::error(
                    n.span(),
                    format!(
                        "`max_connections` must be a whole number from {} to {}",
                        CONNECTIONS.start(),
                        CONNECTIONS.end()
                    ),
                )),
            }
        }
        for (key, slot) in [
            ("header_timeout", &mut serve.header_timeout),
            ("body_timeout", &mut serve.body_timeout),
            ("idle_timeout", &mut serve.idle_timeout),
        ] {
            if let Some(n) = t.opt_int(key) {
                match u64::try_from(*n.get_ref()) {
                    Ok(v) if TIMEOUT_SECONDS.contains(n.get_ref()) => {
                        *slot = Duration::from_secs(v);
                    }
                    _ => t.diags.push(Diagnostic::error(
                        n.span(),
                        format!(
                            "`{key}` must be a whole number of seconds from {} to {}",
                            TIMEOUT_SECONDS.start(),
                            TIMEOUT_SECONDS.end()
                        ),
                    )),
                }
            }
        }
        t.finish();
        serve
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Serve, Vec<String>) {
        let mut diags = Vec::new();
        let table = crate::fields::parse(text).unwrap();
        let span = table.span();
        let mut f = Fields::new(table.into_inner(), span, "the config", &mut diags);
        let name = Spanned::new(0..0, "Platform Notes".to_string());
        let serve = Serve::read(&mut f, Some(&name));
        f.finish();
        (serve, diags.into_iter().map(|d| d.message).collect())
    }

    #[test]
    fn consent_wording_fills_in_the_name() {
        let (serve, diags) = read("[serve]\nconsent = \"Send me {name}, weekly.\"\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(serve.consent, "Send me Platform Notes, weekly.");
    }

    #[test]
    fn defaults_name_the_newsletter() {
        let (serve, diags) = read("");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(serve, Serve::defaults("Platform Notes"));
        assert!(
            serve
                .consent
                .starts_with("Send me Platform Notes by email.")
        );
    }

    #[test]
    fn keys_are_read_and_checked() {
        let (serve, diags) = read(
            "[serve]\nconsent = \"  Yes,\\n please. \"\ntrusted_proxy_header = \"X-Real-IP\"\n\
             signups_per_ip_per_hour = 20\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(serve.consent, "Yes, please.");
        assert_eq!(serve.trusted_proxy_header.unwrap().as_str(), "x-real-ip");
        assert_eq!(serve.signups_per_ip_per_hour, 20);
        assert_eq!(serve.confirmations_per_address_per_day, 3);
        let (serve, diags) = read("[serve]\nmax_connections = 64\nheader_timeout = 2\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(serve.max_connections, 64);
        assert_eq!(serve.header_timeout, Duration::from_secs(2));
        assert_eq!(serve.idle_timeout, Duration::from_secs(5));

        let (_, diags) = read(
            "[serve]\ntrusted_proxy_header = \"X Forwarded\"\nconfirmations_per_address_per_day = 0\nconsnet = \"x\"\n\
             max_connections = 0\nidle_timeout = 1e20\nbody_timeout = 86400\n",
        );
        assert_eq!(
            diags,
            [
                "`X Forwarded` is not an HTTP header name",
                "`confirmations_per_address_per_day` must be a whole number of 1 or more",
                "`max_connections` must be a whole number from 1 to 100000",
                "`body_timeout` must be a whole number of seconds from 1 to 3600",
                "`idle_timeout` must be an integer, found float",
                "unknown key `consnet` in the [serve] table",
            ]
        );
    }
}
