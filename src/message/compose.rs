//! One whole message (without To) composed with mail-builder from the parts a
//! [`super::Factory`] holds. The template with placeholders, the full
//! composition a base64 part forces, and one-off transactional messages all
//! come from [`compose`], so their headers cannot drift apart.

use crate::config::Config;
use crate::render::Rendered;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mail_builder::MessageBuilder;
use mail_builder::headers::Header;
use mail_builder::headers::address::Address;
use mail_builder::headers::date::Date;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::url::URL;

/// The ingredients of a message that are the same for every recipient.
pub(super) struct Parts {
    pub rendered: Rendered,
    pub subject: String,
    pub from: (Option<String>, String),
    pub reply_to: Option<(Option<String>, String)>,
    pub date: i64,
    /// The list headers of an issue; `None` for a transactional message,
    /// which says `Auto-Submitted: auto-generated` instead.
    pub list: Option<ListHeaders>,
}

/// The RFC 2369 / RFC 8058 headers of a list message.
pub(super) struct ListHeaders {
    pub base_url: String,
    pub unsubscribe_mailto: Option<String>,
    pub list_id_header: String,
    pub archive_url: String,
    /// Gmail's feedback-loop key: `<issue>:<list>:gazette:<sender id>`.
    pub feedback_id: String,
}

impl Parts {
    pub(super) fn new(config: &Config, rendered: &Rendered, subject: String, date: i64) -> Parts {
        Parts {
            rendered: rendered.clone(),
            subject,
            from: (config.from.name.clone(), config.from.address.clone()),
            reply_to: config
                .reply_to
                .as_ref()
                .map(|m| (m.name.clone(), m.address.clone())),
            date,
            list: None,
        }
    }
}

impl ListHeaders {
    /// `campaign` is Feedback-ID's first field: the issue number, or `welcome`.
    pub(super) fn new(config: &Config, campaign: &str) -> ListHeaders {
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
        ListHeaders {
            base_url: config.base_url.clone(),
            unsubscribe_mailto: config.unsubscribe_mailto.clone(),
            list_id_header: format!("{phrase} <{}>", config.list_id)
                .trim_start()
                .to_string(),
            archive_url: format!("{}/archive", config.base_url),
            feedback_id: format!(
                "{campaign}:{list}:gazette:{sender}",
                // The List-Id's first label (the name's slug): the whole
                // List-Id would push the header past 78 octets, unfoldably.
                list = config.list_id.split('.').next().unwrap_or("list"),
                sender = (config.feedback_sender_id.as_deref()).unwrap_or(config.domain()),
            ),
        }
    }
}

/// One whole message with the given Message-ID and unsubscribe token (the
/// token is unused by a transactional message, which has no list headers).
pub(super) fn compose(parts: &Parts, token: &str, message_id: &str) -> Vec<u8> {
    let address =
        |(name, addr): &(Option<String>, String)| Address::new_address(name.clone(), addr.clone());
    let mut builder = MessageBuilder::new().from(address(&parts.from));
    if let Some(r) = &parts.reply_to {
        builder = builder.reply_to(address(r));
    }
    let builder = builder
        .subject(parts.subject.as_str())
        .date(Date::new(parts.date))
        .message_id(message_id);
    let (builder, html, text) = match &parts.list {
        Some(list) => {
            let unsubscribe = format!("{}/unsubscribe/{token}", list.base_url);
            let (html, text) = parts.rendered.personalise(&unsubscribe);
            let mut urls = vec![unsubscribe];
            if let Some(m) = &list.unsubscribe_mailto {
                urls.push(format!("mailto:{m}?subject=unsubscribe-{token}"));
            }
            let builder = builder
                .header("List-Id", Raw::new(list.list_id_header.as_str()))
                .header("List-Unsubscribe", URL::new_list(urls.into_iter()))
                .header(
                    "List-Unsubscribe-Post",
                    Raw::new("List-Unsubscribe=One-Click"),
                )
                .header("List-Archive", URL::new(list.archive_url.as_str()))
                .header("Feedback-ID", Raw::new(list.feedback_id.as_str()));
            (builder, html, text)
        }
        None => (
            builder.header("Auto-Submitted", Raw::new("auto-generated")),
            parts.rendered.html.clone(),
            parts.rendered.text.clone(),
        ),
    };
    builder
        .text_body(text)
        .html_body(html)
        .write_to_vec()
        .expect("writing to a Vec cannot fail")
}

/// Bytes of a name in one RFC 2047 encoded word: 60 characters of base64,
/// 72 with `=?utf-8?b?` and `?=`, within the 75 the RFC allows.
const WORD_BYTES: usize = 45;

/// Writes the `To:` header of one recipient. A name that holds `=?` (it
/// could pass for an encoded word, and mail clients decode those even in a
/// quoted string) is written as encoded words itself, so that what a reader
/// sees is the name exactly as it was typed; other names as mail-builder
/// writes them.
pub(super) fn write_to(out: &mut Vec<u8>, name: Option<&str>, email: &str) {
    out.extend_from_slice(b"To: ");
    let Some(name) = name.filter(|n| n.contains("=?")) else {
        Address::new_address(name, email).write_header(out, 4);
        return;
    };
    let mut column = 4;
    let mut rest = name;
    while !rest.is_empty() {
        let mut cut = rest.len().min(WORD_BYTES);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let word = format!("=?utf-8?b?{}?=", STANDARD.encode(&rest.as_bytes()[..cut]));
        if column > 4 {
            out.extend_from_slice(b"\r\n ");
            column = 1;
        }
        out.extend_from_slice(word.as_bytes());
        column += word.len();
        rest = &rest[cut..];
    }
    let angle = format!("<{email}>");
    if column + 1 + angle.len() > 78 {
        out.extend_from_slice(b"\r\n");
    }
    out.push(b' ');
    out.extend_from_slice(angle.as_bytes());
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(name: &str, email: &str) -> String {
        let mut out = Vec::new();
        write_to(&mut out, Some(name), email);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_name_like_an_encoded_word_is_encoded_itself() {
        let written = to("=?utf-8?b?QWRtaW4=?=", "eve@example.org");
        let b64 = STANDARD.encode("=?utf-8?b?QWRtaW4=?=");
        assert_eq!(
            written,
            format!("To: =?utf-8?b?{b64}?= <eve@example.org>\r\n")
        );
        // Long names fold into words of at most 75 characters, lines of 78.
        let long = format!("=?{}", "é".repeat(100));
        let written = to(&long, "eve@example.org");
        for line in written.split("\r\n") {
            assert!(line.len() <= 78, "{line}");
        }
        let decoded: Vec<u8> = written
            .split("=?utf-8?b?")
            .skip(1)
            .flat_map(|w| STANDARD.decode(w.split("?=").next().unwrap()).unwrap())
            .collect();
        assert_eq!(String::from_utf8(decoded).unwrap(), long);
        assert_eq!(
            to("Ada", "ada@example.org"),
            "To: \"Ada\" <ada@example.org>\r\n"
        );
    }
}
