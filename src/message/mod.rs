//! Messages: the rendered issue becomes one complete, signed email per recipient.
//!
//! [`Factory::new`] builds the issue's message once with mail-builder, with
//! placeholders where the recipient's token and Message-ID go, and records
//! where those placeholders landed in the encoded bytes. [`Factory::build`]
//! then copies that template and overwrites the placeholders with the
//! recipient's values, byte for byte: tokens are fixed-length and made of
//! characters that quoted-printable leaves alone, so line lengths and
//! encodings stay exactly as mail-builder chose them. Only the To header is
//! written per recipient. When mail-builder picks base64 for a part (text in a
//! non-Latin script), placeholders cannot be found and each message is
//! composed in full instead: slower, equally correct.

pub mod dkim;
pub mod token;

use crate::config::Config;
use crate::error::Result;
use crate::render::{Rendered, UNSUBSCRIBE_MARK};
use mail_builder::MessageBuilder;
use mail_builder::headers::Header;
use mail_builder::headers::address::Address;
use mail_builder::headers::date::Date;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::url::URL;
use token::{MESSAGE_ID_HEX, Secret, TOKEN_LEN};

pub use dkim::Signer;

const TOKEN_PLACEHOLDER: &str = "GazetteUnsubscribeTokenPlaceholder00";
const MESSAGE_ID_PLACEHOLDER: &str = "GazetteMessageIdentifier";
const _: () =
    assert!(TOKEN_PLACEHOLDER.len() == TOKEN_LEN && MESSAGE_ID_PLACEHOLDER.len() == MESSAGE_ID_HEX);

/// Who a message goes to. `id` is the subscriber's id; `None` for a test send.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    pub id: Option<u64>,
    pub email: &'a str,
    pub name: Option<&'a str>,
}

/// What kind of send the messages are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// To the list: deterministic Message-IDs, the subscriber's own token.
    List,
    /// A test send: `[TEST] ` subject, a fresh Message-ID each time.
    Test,
}

/// Builds every recipient's message of one issue.
pub struct Factory {
    parts: Parts,
    template: Option<Template>,
    secret: Secret,
    signers: Vec<Signer>,
    kind: Kind,
    list_id: String,
    issue: u32,
    domain: String,
}

/// The per-issue ingredients of a message.
struct Parts {
    rendered: Rendered,
    subject: String,
    from: (Option<String>, String),
    reply_to: Option<(Option<String>, String)>,
    date: i64,
    base_url: String,
    unsubscribe_mailto: Option<String>,
    list_id_header: String,
    archive_url: String,
}

/// The message with placeholders, and where each landed in its bytes.
struct Template {
    bytes: Vec<u8>,
    tokens: Vec<Vec<usize>>,
    message_id: Vec<usize>,
}

impl Factory {
    /// Prepares the messages of `rendered` for `issue`, dated `date` (Unix seconds).
    pub fn new(
        config: &Config,
        rendered: &Rendered,
        issue: u32,
        date: i64,
        kind: Kind,
        secret: Secret,
        signers: Vec<Signer>,
    ) -> Factory {
        let subject = match kind {
            Kind::List => rendered.subject.clone(),
            Kind::Test => format!("[TEST] {}", rendered.subject),
        };
        let phrase = if config
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ')
        {
            config.name.clone()
        } else if config.name.is_ascii() && !config.name.contains(['"', '\\']) {
            format!("\"{}\"", config.name)
        } else {
            String::new()
        };
        let list_id_header = format!("{phrase} <{}>", config.list_id)
            .trim_start()
            .to_string();
        let parts = Parts {
            rendered: rendered.clone(),
            subject,
            from: (config.from.name.clone(), config.from.address.clone()),
            reply_to: config
                .reply_to
                .as_ref()
                .map(|m| (m.name.clone(), m.address.clone())),
            date,
            base_url: config.base_url.clone(),
            unsubscribe_mailto: config.unsubscribe_mailto.clone(),
            list_id_header,
            archive_url: format!("{}/archive", config.base_url),
        };
        let domain = config.domain().to_string();
        let template = Template::locate(
            &parts,
            &format!("gz.{issue}.{MESSAGE_ID_PLACEHOLDER}@{domain}"),
        );
        Factory {
            parts,
            template,
            secret,
            signers,
            kind,
            list_id: config.list_id.clone(),
            issue,
            domain,
        }
    }

    /// Whether messages are DKIM-signed.
    pub fn signs(&self) -> bool {
        !self.signers.is_empty()
    }

    /// Whether messages are made by substitution (true) or composed in full.
    pub fn is_templated(&self) -> bool {
        self.template.is_some()
    }

    /// The Message-ID (without angle brackets) that `recipient` gets.
    pub fn message_id(&self, recipient: &Recipient<'_>) -> String {
        self.format_message_id(&self.message_id_part(recipient))
    }

    fn message_id_part(&self, recipient: &Recipient<'_>) -> String {
        match (self.kind, recipient.id) {
            (Kind::List, Some(id)) => self.secret.message_id_part(&self.list_id, self.issue, id),
            _ => token::random_message_id_part(),
        }
    }

    fn format_message_id(&self, part: &str) -> String {
        format!("gz.{}.{part}@{}", self.issue, self.domain)
    }

    /// The unsubscribe URL of `recipient` (test sends get subscriber 0's, which
    /// the endpoint accepts and ignores).
    pub fn unsubscribe_url(&self, recipient: &Recipient<'_>) -> String {
        let token = self
            .secret
            .unsubscribe_token(&self.list_id, recipient.id.unwrap_or(0));
        format!("{}/unsubscribe/{token}", self.parts.base_url)
    }

    /// Writes `recipient`'s complete message into `out` (cleared first) and
    /// returns its Message-ID.
    pub fn build(&self, recipient: &Recipient<'_>, out: &mut Vec<u8>) -> Result<String> {
        let token = self
            .secret
            .unsubscribe_token(&self.list_id, recipient.id.unwrap_or(0));
        let id_part = self.message_id_part(recipient);
        let message_id = self.format_message_id(&id_part);

        out.clear();
        out.extend_from_slice(b"To: ");
        let name = recipient.name.map(str::trim).filter(|n| !n.is_empty());
        Address::new_address(name, recipient.email).write_header(out, 4);
        match &self.template {
            Some(t) => {
                let start = out.len();
                out.extend_from_slice(&t.bytes);
                let body = &mut out[start..];
                for slot in &t.tokens {
                    for (&at, &b) in slot.iter().zip(token.as_bytes()) {
                        body[at] = b;
                    }
                }
                for (&at, &b) in t.message_id.iter().zip(id_part.as_bytes()) {
                    body[at] = b;
                }
            }
            None => out.extend_from_slice(&compose(&self.parts, &token, &message_id)),
        }
        if !self.signers.is_empty() {
            let mut signatures = String::new();
            for signer in &self.signers {
                signatures.push_str(&signer.sign(out)?);
            }
            out.splice(0..0, signatures.into_bytes());
        }
        Ok(message_id)
    }
}

impl Template {
    /// Composes the message with placeholders and finds them; `None` when a
    /// part's encoding hides them (base64).
    fn locate(parts: &Parts, message_id: &str) -> Option<Template> {
        let bytes = compose(parts, TOKEN_PLACEHOLDER, message_id);
        let tokens = find_all(&bytes, TOKEN_PLACEHOLDER.as_bytes());
        let expected = 1
            + usize::from(parts.unsubscribe_mailto.is_some())
            + parts.rendered.text.matches(UNSUBSCRIBE_MARK).count()
            + parts.rendered.html.matches(UNSUBSCRIBE_MARK).count();
        let ids = find_all(&bytes, MESSAGE_ID_PLACEHOLDER.as_bytes());
        if tokens.len() != expected || ids.len() != 1 {
            return None;
        }
        Some(Template {
            bytes,
            tokens,
            message_id: ids.into_iter().next()?,
        })
    }
}

/// One whole message with the given token and Message-ID, without To.
fn compose(parts: &Parts, token: &str, message_id: &str) -> Vec<u8> {
    let unsubscribe = format!("{}/unsubscribe/{token}", parts.base_url);
    let (html, text) = parts.rendered.personalise(&unsubscribe);
    let mut urls = vec![unsubscribe];
    if let Some(m) = &parts.unsubscribe_mailto {
        urls.push(format!("mailto:{m}?subject=unsubscribe-{token}"));
    }
    let address =
        |(name, addr): &(Option<String>, String)| Address::new_address(name.clone(), addr.clone());
    let mut builder = MessageBuilder::new().from(address(&parts.from));
    if let Some(r) = &parts.reply_to {
        builder = builder.reply_to(address(r));
    }
    builder
        .subject(parts.subject.as_str())
        .date(Date::new(parts.date))
        .message_id(message_id)
        .header("List-Id", Raw::new(parts.list_id_header.as_str()))
        .header("List-Unsubscribe", URL::new_list(urls.into_iter()))
        .header(
            "List-Unsubscribe-Post",
            Raw::new("List-Unsubscribe=One-Click"),
        )
        .header("List-Archive", URL::new(parts.archive_url.as_str()))
        .text_body(text)
        .html_body(html)
        .write_to_vec()
        .expect("writing to a Vec cannot fail")
}

/// Every occurrence of `needle` in `hay`, allowing quoted-printable soft line
/// breaks (`=\r\n`) between its characters: the byte positions of each character.
fn find_all(hay: &[u8], needle: &[u8]) -> Vec<Vec<usize>> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < hay.len() {
        if hay[i] == needle[0]
            && let Some(positions) = match_at(hay, i, needle)
        {
            i = positions[positions.len() - 1] + 1;
            found.push(positions);
            continue;
        }
        i += 1;
    }
    found
}

fn match_at(hay: &[u8], start: usize, needle: &[u8]) -> Option<Vec<usize>> {
    let mut positions = Vec::with_capacity(needle.len());
    let mut j = start;
    for &c in needle {
        while hay[j..].starts_with(b"=\r\n") {
            j += 3;
        }
        if *hay.get(j)? != c {
            return None;
        }
        positions.push(j);
        j += 1;
    }
    Some(positions)
}

/// Loads every configured DKIM key.
pub fn load_signers(config: &Config) -> Result<Vec<Signer>> {
    config.dkim.iter().map(Signer::load).collect()
}

/// The complete message `to` would get for this issue: a subscriber's own list
/// message when `to` is on the list, otherwise a test send.
pub fn eml_for(
    config: &Config,
    draft: &crate::draft::Draft,
    rendered: &Rendered,
    to: &str,
    subscriber: Option<(u64, Option<String>)>,
) -> Result<Vec<u8>> {
    let mailbox = crate::address::Mailbox::parse(to)
        .map_err(|e| crate::Error::Input(format!("--to: {e}")))?;
    let address = mailbox.address;
    let secret = Secret::load(config)?;
    let signers = load_signers(config)?;
    let kind = if subscriber.is_some() {
        Kind::List
    } else {
        Kind::Test
    };
    let now = crate::clock::now()?.as_second();
    let factory = Factory::new(config, rendered, draft.issue, now, kind, secret, signers);
    let (id, name) = subscriber.map_or((None, mailbox.name), |(id, name)| (Some(id), name));
    let recipient = Recipient {
        id,
        email: &address,
        name: name.as_deref(),
    };
    let mut out = Vec::new();
    factory.build(&recipient, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_placeholders_across_soft_breaks() {
        let hay = b"xx ABC= \r\nA=\r\nBC AB=\r\nC";
        assert_eq!(
            find_all(hay, b"ABC"),
            vec![vec![3, 4, 5], vec![10, 14, 15], vec![17, 18, 22]]
        );
    }
}
