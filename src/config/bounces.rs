//! The `[bounces]` table: where `gazette bounces` reads what comes back
//! (bounce reports and complaints), and when soft bounces end a subscription.
//!
//! ```toml
//! [bounces]
//! maildir = ["data/bounces"]                       # Maildir directories
//! mbox = ["/var/mail/bounces"]                     # mbox files, read and never changed
//! imap = "imaps://bounces@mail.example.org:993/INBOX"
//! password_file = "config/imap-password"           # else GAZETTE_IMAP_PASSWORD
//! ca_file = "config/imap-ca.pem"                   # a private server's CA
//! soft_limit = 3    # soft bounces from this many ...
//! soft_window = 5   # ... of the last this many issues sent end a subscription
//! ```
//!
//! The table's presence is what "a bounce source is configured" means: it
//! turns `verp` on unless the config says `verp = false` (a pipe alias feeding
//! `gazette bounces -` needs the table, even empty, for its signed addresses).

use crate::diag::Diagnostic;
use crate::fields::Fields;
use std::path::{Path, PathBuf};

/// The checked `[bounces]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounces {
    /// Maildir directories: messages in `new/` are read and moved to `cur/`.
    pub maildirs: Vec<PathBuf>,
    /// mbox files: read, never changed.
    pub mboxes: Vec<PathBuf>,
    pub imap: Option<Imap>,
    /// Soft bounces from this many of the last `soft_window` issues sent to
    /// a subscriber make them `bounced` (default 3).
    pub soft_limit: u32,
    /// How many of a subscriber's latest issues soft bounces count over (default 5).
    pub soft_window: u32,
}

impl Default for Bounces {
    fn default() -> Bounces {
        Bounces {
            maildirs: Vec::new(),
            mboxes: Vec::new(),
            imap: None,
            soft_limit: 3,
            soft_window: 5,
        }
    }
}

/// An IMAP mailbox to read reports from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imap {
    /// `imaps://` (TLS from the start), or `imap://` (STARTTLS, required).
    pub implicit_tls: bool,
    pub host: String,
    pub port: u16,
    pub user: String,
    /// The mailbox to read (default `INBOX`).
    pub mailbox: String,
    /// A file holding the password, read when connecting; else `GAZETTE_IMAP_PASSWORD`.
    pub password_file: Option<PathBuf>,
    /// PEM CA certificates to trust instead of the platform's (a private server).
    pub ca_file: Option<PathBuf>,
}

impl Imap {
    /// `imaps://user@host:993/INBOX`, for messages (never with a password).
    pub fn url(&self) -> String {
        let scheme = if self.implicit_tls { "imaps" } else { "imap" };
        format!(
            "{scheme}://{}@{}:{}/{}",
            self.user, self.host, self.port, self.mailbox
        )
    }
}

/// The greatest `soft_window`: more issues than a weekly list sends in two years.
const MAX_WINDOW: i64 = 100;

impl Bounces {
    /// Reads the optional table; `None` when the config has none.
    pub fn read(root: &Path, f: &mut Fields<'_, '_>) -> Option<Bounces> {
        let (table, span) = f.opt_table("bounces")?;
        let mut t = Fields::new(table, span, "the [bounces] table", &mut *f.diags);
        let mut b = Bounces::default();
        let paths = |t: &mut Fields<'_, '_>, key| {
            t.opt_str_array(key)
                .unwrap_or_default()
                .into_iter()
                .map(|s| root.join(s.get_ref()))
                .collect::<Vec<_>>()
        };
        b.maildirs = paths(&mut t, "maildir");
        b.mboxes = paths(&mut t, "mbox");
        if let Some(p) = t.take("password") {
            let d = Diagnostic::error(p.span(), "the IMAP password never goes in the config")
                .hiding_the_span()
                .with_hint("set GAZETTE_IMAP_PASSWORD, or `password_file = \"...\"` naming a file that holds it");
            t.diags.push(d);
        }
        let password_file = t.opt_str("password_file").map(|s| root.join(s.get_ref()));
        let ca_file = t.opt_str("ca_file").map(|s| root.join(s.get_ref()));
        if let Some(url) = t.opt_str("imap") {
            match parse_imap_url(url.get_ref()) {
                Ok(mut imap) => {
                    imap.password_file = password_file;
                    imap.ca_file = ca_file;
                    b.imap = Some(imap);
                }
                Err(why) => {
                    let mut d = Diagnostic::error(url.span(), format!("`imap` {why}")).with_hint(
                        "write it as imaps://USER@HOST:993/MAILBOX (or imap:// for STARTTLS)",
                    );
                    // The config's line would show the password.
                    if redact_imap_url(url.get_ref()) != *url.get_ref() {
                        d = d.hiding_the_span();
                    }
                    t.diags.push(d);
                }
            }
        }
        let count = |t: &mut Fields<'_, '_>, key, default: u32| match t.opt_int(key) {
            None => Some((default, None)),
            Some(n) if (1..=MAX_WINDOW).contains(n.get_ref()) => {
                Some((*n.get_ref() as u32, Some(n.span())))
            }
            Some(n) => {
                let msg = format!("`{key}` must be 1 to {MAX_WINDOW}");
                t.diags.push(Diagnostic::error(n.span(), msg));
                None
            }
        };
        let limit = count(&mut t, "soft_limit", 3);
        let window = count(&mut t, "soft_window", 5);
        if let (Some((limit, limit_span)), Some((window, _))) = (limit, window) {
            if limit > window {
                let msg = format!(
                    "`soft_limit` ({limit}) is more than `soft_window` ({window}): no subscriber could reach it"
                );
                let span = limit_span.unwrap_or_else(|| t.span());
                t.diags.push(
                    Diagnostic::error(span, msg).with_hint("make soft_limit at most soft_window"),
                );
            }
            b.soft_limit = limit;
            b.soft_window = window;
        }
        t.finish();
        Some(b)
    }

    /// Whether any source is configured to read with a bare `gazette bounces`.
    pub fn has_sources(&self) -> bool {
        !self.maildirs.is_empty() || !self.mboxes.is_empty() || self.imap.is_some()
    }
}

/// Parses `imaps://USER@HOST[:PORT][/MAILBOX]`; the user and mailbox may be
/// percent-encoded (`%40` for an `@` in the user name).
pub fn parse_imap_url(url: &str) -> Result<Imap, String> {
    let (implicit_tls, rest) = if let Some(r) = url.strip_prefix("imaps://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("imap://") {
        (false, r)
    } else {
        return Err("must start with imaps:// or imap://".into());
    };
    let (authority, mailbox) = rest.split_once('/').unwrap_or((rest, ""));
    let Some((userinfo, hostport)) = authority.rsplit_once('@') else {
        return Err("names no user (USER@HOST)".into());
    };
    if userinfo.contains(':') {
        return Err("holds a password: set GAZETTE_IMAP_PASSWORD or `password_file`".into());
    }
    let user = percent_decode(userinfo)?;
    if user.is_empty() {
        return Err("names no user (USER@HOST)".into());
    }
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => {
            let port = p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("has port `{p}`, not 1 to 65535"))?;
            (h, port)
        }
        _ => (hostport, if implicit_tls { 993 } else { 143 }),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == '/' || c == '@') {
        return Err(format!("has no usable host (`{host}`)"));
    }
    let mailbox = percent_decode(mailbox.trim_end_matches('/'))?;
    if mailbox.chars().any(char::is_control) {
        return Err("names a mailbox with control characters".into());
    }
    Ok(Imap {
        implicit_tls,
        host: host.to_string(),
        port,
        user,
        mailbox: if mailbox.is_empty() {
            "INBOX".into()
        } else {
            mailbox
        },
        password_file: None,
        ca_file: None,
    })
}

/// `url` with any password starred out: whatever stands between the user
/// name's end (the first `:` after `//`) and the last `@`, when there is a
/// `:` before that `@` (a password may hold `/`, `?` or `#`, so the
/// authority's usual end is not trusted). A URL without one comes back as it is.
pub fn redact_imap_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some(at) = rest.rfind('@') else {
        return url.to_string();
    };
    match rest[..at].find(':') {
        Some(colon) => format!("{scheme}://{}:***{}", &rest[..colon], &rest[at..]),
        None => url.to_string(),
    }
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("has a bad percent-escape at `{}`", &s[i..]))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent-decodes to text that is not UTF-8".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imap_urls() {
        let i = parse_imap_url("imaps://bounces%40example.org@mail.example.org/Bounces").unwrap();
        assert!(i.implicit_tls);
        assert_eq!(
            (i.user.as_str(), i.host.as_str(), i.port, i.mailbox.as_str()),
            ("bounces@example.org", "mail.example.org", 993, "Bounces")
        );
        let i = parse_imap_url("imap://u@127.0.0.1:1143").unwrap();
        assert!(!i.implicit_tls);
        assert_eq!((i.port, i.mailbox.as_str()), (1143, "INBOX"));
        assert_eq!(i.url(), "imap://u@127.0.0.1:1143/INBOX");
        let i = parse_imap_url("imaps://a@b@[::1]:994/").unwrap();
        assert_eq!(
            (i.user.as_str(), i.host.as_str(), i.port),
            ("a@b", "::1", 994)
        );
    }

    #[test]
    fn a_password_is_starred_out_whatever_it_holds() {
        for (url, shown) in [
            ("imaps://u:hunter2@h/INBOX", "imaps://u:***@h/INBOX"),
            (
                "imaps://u:hunter2/x@h.example/INBOX",
                "imaps://u:***@h.example/INBOX",
            ),
            ("imaps://u:a@b@h/INBOX", "imaps://u:***@h/INBOX"),
            ("imaps://u@h:993/INBOX", "imaps://u@h:993/INBOX"),
            ("imaps://h:993", "imaps://h:993"),
        ] {
            assert_eq!(redact_imap_url(url), shown, "{url}");
        }
    }

    #[test]
    fn bad_imap_urls_say_why() {
        for (url, why) in [
            ("pop3://u@h", "imaps://"),
            ("imaps://h:993", "no user"),
            ("imaps://u:secret@h", "password"),
            ("imaps://u@h:0", "port"),
            ("imaps://u@h:99999", "port"),
            ("imaps://u@/INBOX", "host"),
            ("imaps://u@h/%zz", "percent"),
        ] {
            let e = parse_imap_url(url).unwrap_err();
            assert!(e.contains(why), "{url}: {e}");
            assert!(!e.contains("secret"), "{url}: {e}");
        }
    }
}
