//! The newsletter's settings, `config/gazette.toml`, read once into a checked type.
//!
//! Every key is validated here (addresses, URLs, time zone, sections), so the
//! rest of gazette never meets a missing or malformed setting. Secrets are not
//! settings: the config may name a file holding one, never the secret itself.

mod bounces;
mod collect;
mod delivery;
mod dkim;
mod dns;
mod import;
mod link_text;
pub mod relay;
mod sections;
mod serve;
pub mod skeleton;
mod transport_url;
pub mod url;
mod welcome;

pub use bounces::{Bounces, Imap, parse_imap_url, redact_imap_url};
pub use collect::Collect;
pub use delivery::{Delivery, Destination};
pub use dkim::DkimKey;
pub use dns::Dns;
pub use import::{Import, Pattern, squash};
pub use link_text::LinkText;
pub use relay::{Relay, RelayError, TlsMode, is_loopback};
pub use sections::{DRAFT_KEYS, SectionDef};
pub use serve::{Serve, default_consent};
pub use transport_url::{UrlError, parse_transport_url};
pub use welcome::Welcome;

use crate::address::Mailbox;
use crate::diag::{Diagnostic, Source};
use crate::error::Error;
use crate::fields::{self, Fields};
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use std::path::{Path, PathBuf};

/// Where the config lives inside a newsletter directory.
pub const CONFIG_PATH: &str = "config/gazette.toml";

/// The checked settings of one newsletter.
#[derive(Debug, Clone)]
pub struct Config {
    /// The newsletter directory (holds `config/`, `drafts/`, `data/`).
    pub root: PathBuf,
    pub name: String,
    pub from: Mailbox,
    pub reply_to: Option<Mailbox>,
    /// Without a trailing slash.
    pub base_url: String,
    pub postal_address: String,
    pub language: String,
    pub publish_day: Weekday,
    pub subject_template: String,
    pub timezone_name: String,
    pub timezone: TimeZone,
    pub brand_color: String,
    /// How a bare URL reads as link text in the HTML part (`link_text`).
    pub link_text: LinkText,
    pub sections: Vec<SectionDef>,
    /// The List-Id identifier, e.g. `opsdigest.example.org`.
    pub list_id: String,
    pub unsubscribe_mailto: Option<String>,
    /// The last field of the Feedback-ID header, which Gmail's feedback loop
    /// reports complaints by (default: the From domain).
    pub feedback_sender_id: Option<String>,
    /// A file holding the token secret (else `GAZETTE_SECRET`).
    pub secret_file: Option<PathBuf>,
    /// The SQLite store (default `data/gazette.db`).
    pub database: PathBuf,
    pub dkim: Vec<DkimKey>,
    /// Transport, envelope sender, retries.
    pub delivery: Delivery,
    /// A draft more than this past its `send_at`, not yet begun, is not sent by
    /// `send --due` (default 24 hours).
    pub max_lateness: jiff::SignedDuration,
    /// The web endpoint's `[serve]` table (`gazette serve`, `gazette archive`).
    pub serve: Serve,
    /// The `[dns]` table (`gazette dns`).
    pub dns: Dns,
    /// `gazette collect`'s feeds (`[collect]`).
    pub collect: Collect,
    /// The mail a confirmed reader gets (`[welcome]`; none without it).
    pub welcome: Option<Welcome>,
    /// How `gazette import` reads Markdown issues (`[import]`).
    pub import: Import,
    /// Where `gazette bounces` reads reports (`[bounces]`; `None` without the table).
    pub bounces: Option<Bounces>,
}

impl Config {
    /// Reads `config/gazette.toml` under `root`.
    pub fn load(root: &Path) -> Result<Config, Error> {
        let path = root.join(CONFIG_PATH);
        let (source, unreadable) = Source::read(&path, CONFIG_PATH).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::Input(format!(
                "no config at {}: run gazette in a newsletter directory, or name one with -C DIR",
                path.display()
            )),
            _ => Error::Io {
                what: format!("cannot read the config {}", path.display()),
                source: e,
            },
        })?;
        if let Some(d) = unreadable {
            return Err(Error::Diagnostics {
                file: source,
                diags: vec![d],
            });
        }
        Config::parse(root, &source).map_err(|diags| Error::Diagnostics {
            file: source,
            diags,
        })
    }

    /// Parses config text; `root` resolves relative paths.
    pub fn parse(root: &Path, source: &Source) -> Result<Config, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let table = match fields::parse(&source.text) {
            Ok(t) => t,
            Err(d) => return Err(vec![d]),
        };
        let span = table.span();
        let mut f = Fields::new(table.into_inner(), span, "the config", &mut diags);

        let name = f.req_str("name");
        let from = f.req_str("from").and_then(|s| mailbox(&mut f, "from", s));
        let reply_to = f
            .opt_str("reply_to")
            .and_then(|s| mailbox(&mut f, "reply_to", s));
        let base_url = f.req_str("base_url").and_then(|s| {
            let url = s.get_ref().trim_end_matches('/').to_string();
            match url::check_url(&url) {
                Ok(()) => Some(url),
                Err(why) => {
                    f.diags
                        .push(Diagnostic::error(s.span(), format!("`base_url` {why}")));
                    None
                }
            }
        });
        let postal_address = f.req_str("postal_address");
        let language = f
            .opt_str("language")
            .map_or_else(|| "en".to_string(), |s| s.into_inner());
        let publish_day = match f.opt_str("publish_day") {
            None => Some(Weekday::Sunday),
            Some(s) => parse_weekday(s.get_ref()).or_else(|| {
                let d = Diagnostic::error(
                    s.span(),
                    format!("`{}` is not a day of the week", s.get_ref()),
                )
                .with_hint("use a day name such as `sunday`");
                f.diags.push(d);
                None
            }),
        };
        let subject_template = f.opt_str("subject").map_or_else(
            || "{name} Issue #{issue} - {date}".to_string(),
            |s| s.into_inner(),
        );
        let (timezone_name, timezone) = match f.opt_str("timezone") {
            None => (Some("UTC".to_string()), Some(TimeZone::UTC)),
            Some(s) => match TimeZone::get(s.get_ref()) {
                Ok(tz) => (Some(s.get_ref().clone()), Some(tz)),
                Err(_) => {
                    let d =
                        Diagnostic::error(s.span(), format!("unknown time zone `{}`", s.get_ref()))
                            .with_hint("use an IANA name such as `Europe/London` or `UTC`");
                    f.diags.push(d);
                    (None, None)
                }
            },
        };
        let brand_color = match f.opt_str("brand_color") {
            None => Some("#1a5fb4".to_string()),
            Some(s) => {
                let v = s.get_ref();
                let ok = v.len() == 7
                    && v.starts_with('#')
                    && v[1..].chars().all(|c| c.is_ascii_hexdigit());
                if !ok {
                    let d = Diagnostic::error(
                        s.span(),
                        "`brand_color` must be a colour like `#1a5fb4`",
                    );
                    f.diags.push(d);
                }
                ok.then(|| v.to_lowercase())
            }
        };
        let link_text = link_text::read_link_text(&mut f);
        let sections = match f.take("sections") {
            None => sections::default_sections(),
            Some(v) => sections::read_sections(v, f.diags),
        };
        let list_id = f.opt_str("list_id").map(|s| s.into_inner());
        let unsubscribe_mailto = f.opt_str("unsubscribe_mailto").and_then(|s| {
            let addr = s.get_ref().trim_start_matches("mailto:");
            match crate::address::normalize(addr) {
                Ok(a) => Some(a),
                Err(why) => {
                    f.diags.push(Diagnostic::error(
                        s.span(),
                        format!("`unsubscribe_mailto`: {why}"),
                    ));
                    None
                }
            }
        });
        let feedback_sender_id = f.opt_str("feedback_sender_id").and_then(|s| {
            let ok = !s.get_ref().is_empty()
                && (s.get_ref().bytes()).all(|b| b.is_ascii_graphic() && b != b':');
            if !ok {
                let d = Diagnostic::error(s.span(), "`feedback_sender_id` must be printable ASCII without spaces or colons")
                    .with_hint("Gmail's Feedback-ID separates its fields with colons; the default is the From domain");
                f.diags.push(d);
            }
            ok.then(|| s.into_inner())
        });
        let secret_file = f.opt_str("secret_file").map(|s| root.join(s.get_ref()));
        let database = f
            .opt_str("database")
            .map_or_else(|| root.join("data/gazette.db"), |s| root.join(s.get_ref()));
        let dkim = match f.take("dkim") {
            None => Vec::new(),
            Some(v) => dkim::read_dkim(root, v, from.as_ref(), f.diags),
        };
        let max_lateness = match f.opt_str("max_lateness") {
            None => Some(jiff::SignedDuration::from_hours(24)),
            Some(v) => match v.get_ref().parse::<jiff::SignedDuration>() {
                Ok(d) if d.is_positive() && d <= jiff::SignedDuration::from_hours(24 * 366) => {
                    Some(d)
                }
                _ => {
                    let d = Diagnostic::error(
                        v.span(),
                        format!(
                            "`max_lateness` = `{}` is not a duration of up to a year",
                            v.get_ref()
                        ),
                    )
                    .with_hint("write hours and minutes, like \"24h\" or \"6h 30m\"");
                    f.diags.push(d);
                    None
                }
            },
        };
        let bounces = Bounces::read(root, &mut f);
        let delivery = Delivery::read(
            root,
            &mut f,
            from.as_ref().map(Mailbox::domain),
            bounces.is_some(),
        );
        let serve = Serve::read(&mut f, name.as_ref());
        let dns = Dns::read(&mut f);
        let collect = Collect::read(&mut f, &sections);
        let welcome = Welcome::read(&mut f, name.as_ref().map_or("", |n| n.get_ref().as_str()));
        let import = Import::read(&mut f, &sections);
        f.finish();

        if diags.iter().any(Diagnostic::is_error) {
            diags.sort_by_key(|d| d.span.start);
            return Err(diags);
        }
        let (name, from, base_url) = (name.unwrap().into_inner(), from.unwrap(), base_url.unwrap());
        let list_id = list_id.unwrap_or_else(|| format!("{}.{}", slug(&name), from.domain()));
        Ok(Config {
            root: root.to_path_buf(),
            name,
            from,
            reply_to,
            base_url,
            postal_address: postal_address.unwrap().into_inner(),
            language,
            publish_day: publish_day.unwrap(),
            subject_template,
            timezone_name: timezone_name.unwrap(),
            timezone: timezone.unwrap(),
            brand_color: brand_color.unwrap(),
            link_text,
            sections,
            list_id,
            unsubscribe_mailto,
            feedback_sender_id,
            secret_file,
            database,
            dkim,
            delivery: delivery.unwrap(),
            max_lateness: max_lateness.unwrap(),
            serve,
            dns,
            collect,
            welcome,
            import,
            bounces,
        })
    }

    /// The drafts directory.
    pub fn drafts_dir(&self) -> PathBuf {
        self.root.join("drafts")
    }

    /// The data directory (store, outbox, locks).
    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// The domain messages are identified under (Message-ID, List-Id).
    pub fn domain(&self) -> &str {
        self.from.domain()
    }

    /// The archive page of one issue.
    pub fn archive_url(&self, issue: u32) -> String {
        format!("{}/archive/{issue}", self.base_url)
    }
}

fn mailbox(f: &mut Fields<'_, '_>, key: &str, s: toml::Spanned<String>) -> Option<Mailbox> {
    match Mailbox::parse(s.get_ref()) {
        Ok(m) => Some(m),
        Err(why) => {
            let d = Diagnostic::error(s.span(), format!("`{key}` is not a valid mailbox: {why}"))
                .with_hint("write it as `Display Name <address@example.org>`");
            f.diags.push(d);
            None
        }
    }
}

fn parse_weekday(s: &str) -> Option<Weekday> {
    Some(match s.to_ascii_lowercase().as_str() {
        "monday" => Weekday::Monday,
        "tuesday" => Weekday::Tuesday,
        "wednesday" => Weekday::Wednesday,
        "thursday" => Weekday::Thursday,
        "friday" => Weekday::Friday,
        "saturday" => Weekday::Saturday,
        "sunday" => Weekday::Sunday,
        _ => return None,
    })
}

/// Lower-case letters and digits with single dashes, for identifiers.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "The Ops Digest"
from = "The Ops Digest <editor@opsdigest.example>"
base_url = "https://opsdigest.example/"
postal_address = "1 Example Street, Springfield"
"#;

    #[test]
    fn defaults_apply() {
        let c = Config::parse(Path::new("/n"), &Source::new("c", MINIMAL)).unwrap();
        assert_eq!(c.base_url, "https://opsdigest.example");
        assert_eq!(c.language, "en");
        assert_eq!(c.publish_day, Weekday::Sunday);
        assert_eq!(c.timezone_name, "UTC");
        assert_eq!(c.sections.len(), 2);
        assert_eq!(c.list_id, "the-ops-digest.opsdigest.example");
        assert_eq!(c.database, Path::new("/n/data/gazette.db"));
    }

    #[test]
    fn bad_values_are_pointed_at() {
        let text = format!("{MINIMAL}timezone = \"Mars/Olympus\"\nbrand_colour = \"#fff\"\n");
        let diags = Config::parse(Path::new("/n"), &Source::new("c", text)).unwrap_err();
        let msgs: Vec<_> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "unknown time zone `Mars/Olympus`",
                "unknown key `brand_colour` in the config"
            ]
        );
        assert_eq!(
            diags[1].hint.as_deref(),
            Some("did you mean `brand_color`?")
        );
    }
}
