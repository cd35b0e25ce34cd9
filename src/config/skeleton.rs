//! The `gazette.toml` that `gazette init` writes, and the stand-ins it uses
//! for values nobody gave, which `gazette check` reports until they are replaced.

use crate::diag::{Diagnostic, Source};

/// The stand-in domain: reserved for documentation (RFC 2606), so a real list never uses it.
pub const PLACEHOLDER_DOMAIN: &str = "example.com";
pub const PLACEHOLDER_NAME: &str = "My Newsletter";
pub const PLACEHOLDER_POSTAL_ADDRESS: &str = "Your postal address, Street, City, Country";

/// What `init` was told; `None` becomes a stand-in.
#[derive(Debug, Default, Clone)]
pub struct Initial {
    pub name: Option<String>,
    pub from: Option<String>,
    pub base_url: Option<String>,
    pub postal_address: Option<String>,
    pub timezone: Option<String>,
}

/// A complete, commented config for a new newsletter.
pub fn skeleton(initial: &Initial) -> String {
    let name = initial.name.as_deref().unwrap_or(PLACEHOLDER_NAME);
    let from = match &initial.from {
        Some(from) => from.clone(),
        None => format!("{name} <editor@{PLACEHOLDER_DOMAIN}>"),
    };
    let base_url =
        (initial.base_url.clone()).unwrap_or_else(|| format!("https://{PLACEHOLDER_DOMAIN}"));
    let postal = (initial.postal_address.as_deref()).unwrap_or(PLACEHOLDER_POSTAL_ADDRESS);
    let timezone = initial.timezone.as_deref().unwrap_or("UTC");
    format!(
        r##"# gazette's settings for one newsletter. Every key is described in gazette's README.
# `gazette check` reports the stand-ins below (example.com, "{PLACEHOLDER_NAME}") until you replace them.

# The newsletter's name, shown in the header, the footer and the default subject.
name = {name}

# Who the issue comes from: "Display Name <address>". Its domain names the
# Message-IDs and, by default, the List-Id; DKIM keys sign for it.
from = {from}

# Where replies go (optional; default: the From address).
# reply_to = "Editor <editor@news.example.org>"

# The public site: the archive lives at {{base_url}}/archive and the one-click
# unsubscribe endpoint (`gazette serve`) at {{base_url}}/unsubscribe/{{token}}.
base_url = {base_url}

# A physical postal address, shown in every footer (CAN-SPAM requires one).
postal_address = {postal}

# The language of the issue, for <html lang> (default "en").
language = "en"

# The day issues go out; `gazette new` dates the next draft on it (default "sunday").
publish_day = "sunday"

# The subject when a draft sets none. {{name}}, {{issue}} and {{date}} ("6th December 2020")
# are filled in.
subject = "{{name}} Issue #{{issue}} - {{date}}"

# The time zone that local `send_at` times are read in: an IANA name.
timezone = {timezone}

# The accent colour of headings and links, as #rrggbb.
brand_color = "#1a5fb4"

# The secret behind unsubscribe tokens and Message-IDs: 32 random bytes that
# `gazette init` made (mode 0600). Keep it, and keep it private: every link
# already sent depends on it. GAZETTE_SECRET, when set, is used instead.
secret_file = "data/secret"

# Where messages go. "outbox" (the default) writes each one as a file in a
# Maildir, data/outbox/new/, for trying gazette without a mail server. For real
# sends, set transport = "smtp" and describe the relay(s):
transport = "outbox"
# [[smtp]]
# host = "smtp.example.net"
# port = 587                  # 587 with tls = "starttls" (default), 465 with "tls"
# tls = "starttls"
# username = "newsletter"     # the password: GAZETTE_SMTP_PASSWORD or password_file
# connections = 4
# rate = 10                   # messages per second; default unlimited

# The envelope sender (Return-Path), where bounces go (default bounces@ the From domain).
# envelope_from = "bounces@news.example.org"

# The sections of an issue, in order. A draft lists each section's items as
# [[key]] tables.
[[sections]]
key = "news"
title = "News"

[[sections]]
key = "tools"
title = "Tools"

# The mail a reader gets once their sign-up is confirmed (`gazette serve`).
# [welcome]
# text = """
# Thanks for subscribing. An issue comes every Sunday.
# """
# send_latest = true          # also send them the latest issue

# Feeds of links you save during the week, for `gazette collect`.
# [collect]
# feeds = ["https://bookmarks.example.net/you/saved.rss"]

# Where DMARC reports go, for `gazette dns` (default: dmarc@ the From domain).
# [dns]
# dmarc_rua = "dmarc@news.example.org"

# Where bounces and complaints come back, for `gazette bounces`. The table
# (even empty, for a pipe alias) gives each message a signed return address,
# bounces+ISSUE-ID-MAC@...: the mailbox must take mail for every bounces+*.
# [bounces]
# maildir = ["/home/newsletter/Maildir/.bounces"]
# soft_limit = 3              # soft bounces from 3 of the last 5 issues sent
# soft_window = 5             # end a subscription
"##,
        name = quote(name),
        from = quote(&from),
        base_url = quote(&base_url),
        postal = quote(postal),
        timezone = quote(timezone),
    )
}

/// A TOML basic string holding `s` exactly.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// A warning for each stand-in left in the config.
pub fn placeholders(source: &Source) -> Vec<Diagnostic> {
    let Ok(table) = crate::fields::parse(&source.text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in table.get_ref().iter() {
        let Some(text) = value.get_ref().as_str() else {
            continue;
        };
        let stand_in = match &**key.get_ref() {
            "name" => text == PLACEHOLDER_NAME,
            "postal_address" => text == PLACEHOLDER_POSTAL_ADDRESS,
            "from" | "reply_to" | "envelope_from" => mentions_placeholder_domain(text),
            "base_url" => url_host(text) == Some(PLACEHOLDER_DOMAIN),
            _ => false,
        };
        if stand_in {
            out.push(
                Diagnostic::warning(
                    value.span(),
                    format!("`{}` is still a stand-in", key.get_ref()),
                )
                .with_hint("replace it with your newsletter's own value before sending"),
            );
        }
    }
    out.sort_by_key(|d| d.span.start);
    out
}

fn mentions_placeholder_domain(address: &str) -> bool {
    let address = address.trim().trim_end_matches('>');
    address
        .rsplit_once('@')
        .is_some_and(|(_, domain)| domain.eq_ignore_ascii_case(PLACEHOLDER_DOMAIN))
}

/// The host of an http(s) URL, as written.
pub fn url_host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    Some(host.split(':').next().unwrap_or(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::path::Path;

    #[test]
    fn the_skeleton_is_a_valid_config_whose_stand_ins_are_all_reported() {
        let source = Source::new("gazette.toml", skeleton(&Initial::default()));
        Config::parse(Path::new("/nl"), &source).expect("the skeleton parses");
        let keys: Vec<String> = placeholders(&source)
            .iter()
            .map(|d| source.text[d.span.clone()].to_owned())
            .collect();
        assert_eq!(
            keys,
            [
                "\"My Newsletter\"",
                "\"My Newsletter <editor@example.com>\"",
                "\"https://example.com\"",
                "\"Your postal address, Street, City, Country\"",
            ]
        );
    }

    #[test]
    fn given_values_are_written_exactly_and_are_not_stand_ins() {
        let initial = Initial {
            name: Some("Ops \"Weekly\"".into()),
            from: Some("Ops <ed@ops.example.org>".into()),
            base_url: Some("https://ops.example.org".into()),
            postal_address: Some("1 Road\\Town".into()),
            timezone: Some("Europe/Paris".into()),
        };
        let source = Source::new("gazette.toml", skeleton(&initial));
        let config = Config::parse(Path::new("/nl"), &source).expect("parses");
        assert_eq!(config.name, "Ops \"Weekly\"");
        assert_eq!(config.postal_address, "1 Road\\Town");
        assert_eq!(config.timezone_name, "Europe/Paris");
        assert!(placeholders(&source).is_empty());
    }

    #[test]
    fn only_the_stand_in_domain_itself_is_a_placeholder() {
        assert_eq!(
            url_host("https://user@example.com:8080/x?y"),
            Some("example.com")
        );
        assert!(mentions_placeholder_domain("A <a@Example.COM>"));
        assert!(!mentions_placeholder_domain("A <a@tracking.example.com>"));
        assert_eq!(
            url_host("https://tracking.example.com/x"),
            Some("tracking.example.com")
        );
    }
}
