//! The MIME walk: mail-parser gives the tree, and this picks out of it what
//! the readers need (the report parts, the human-readable text, the returned
//! headers), bounded: at most [`MAX_PARTS`] parts looked at, text kept up to
//! [`MAX_TEXT`] per part, and no descent below the returned message (a
//! report about a report is read by its outer layer only).

use super::fields::{self, Field};
use mail_parser::{MessageParser, MessagePart, MimeHeaders, PartType};

/// The most MIME containers (`multipart/*`, `message/*` types, counted as
/// those words followed by `/` anywhere in the message) a message may hold
/// to be parsed at all: mail-parser builds nested messages as nested values,
/// so a message nested thousands deep would overflow the stack when read or
/// dropped. A report holds fewer than ten; more is read as headers only.
pub(super) const MAX_CONTAINERS: usize = 128;

/// The most lines that look like header fields (`name:` at the start) a
/// message may hold to be parsed: mail-parser keeps every header field of
/// every part, about a hundred bytes each, so sixteen megabytes of `a:` lines
/// would take over half a gigabyte. A report holds a few hundred; more is
/// read as headers only.
pub(super) const MAX_FIELD_LINES: usize = 200_000;

/// The most lines starting with `--` (each may delimit a part) a message may
/// hold to be parsed: mail-parser keeps every part, so sixteen megabytes of
/// empty parts would take over half a gigabyte. A report has a dozen; more
/// is read as headers only.
pub(super) const MAX_DELIMITERS: usize = 10_000;

/// The most MIME parts of a message looked at; the rest are skipped.
pub(super) const MAX_PARTS: usize = 200;

/// The most bytes of one text part kept for the plain-notice and auto-reply
/// readers (notices put what matters first).
pub(super) const MAX_TEXT: usize = 256 * 1024;

/// The most report parts (`message/delivery-status`, `message/feedback-report`)
/// and returned header blocks kept.
pub(super) const MAX_REPORT_PARTS: usize = 8;

/// What the readers need from one message.
#[derive(Debug, Default)]
pub(super) struct Tree {
    /// The message's own header fields.
    pub headers: Vec<Field>,
    /// The `report-type` of a top-level `multipart/report`, lower-cased.
    pub report_type: Option<String>,
    /// The root is a multipart whose closing delimiter never comes (the
    /// message was cut short), or the message holds more than
    /// [`MAX_CONTAINERS`], [`MAX_FIELD_LINES`] or [`MAX_DELIMITERS`]: it is
    /// not read as a report.
    pub truncated: bool,
    /// Bodies of `message/delivery-status` and `message/global-delivery-status` parts.
    pub dsn: Vec<String>,
    /// Bodies of `message/feedback-report` parts.
    pub feedback: Vec<Vec<u8>>,
    /// `text/plain` parts (or text without a type), then `text/html` parts
    /// with their tags taken out, each cut to [`MAX_TEXT`].
    pub texts: Vec<String>,
    /// Header blocks of the returned message: from `message/rfc822`,
    /// `message/global`, `text/rfc822-headers` and `message/global-headers` parts.
    pub returned: Vec<Vec<Field>>,
    /// The report's own `Subject`, decoded.
    pub subject: Option<String>,
    /// The report's own `Message-ID`.
    pub message_id: Option<String>,
}

/// Walks `raw`. A message mail-parser cannot read at all gives only the
/// header fields found at its start.
pub(super) fn walk(raw: &[u8]) -> Tree {
    let mut tree = Tree {
        headers: fields::header_block(raw),
        ..Tree::default()
    };
    if too_big(raw) {
        tree.truncated = true;
        return tree;
    }
    let Some(message) = MessageParser::new().parse(raw) else {
        return tree;
    };
    tree.subject = message.subject().map(one_line);
    tree.message_id = message.message_id().map(str::to_string);
    if let Some(ct) = message.root_part().content_type()
        && ct.ctype().eq_ignore_ascii_case("multipart")
    {
        tree.truncated = ct
            .attribute("boundary")
            .is_some_and(|b| !closed(raw, b.as_bytes()));
        if ct
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        {
            tree.report_type = ct.attribute("report-type").map(str::to_ascii_lowercase);
        }
    }
    let mut html = Vec::new();
    for part in message.parts.iter().take(MAX_PARTS) {
        take(&mut tree, &mut html, part);
    }
    tree.texts.extend(html);
    tree
}

/// Sorts one part into the tree.
fn take(tree: &mut Tree, html: &mut Vec<String>, part: &MessagePart) {
    let (ctype, subtype) = match part.content_type() {
        Some(ct) => (
            ct.ctype().to_ascii_lowercase(),
            ct.subtype().unwrap_or("").to_ascii_lowercase(),
        ),
        None => ("text".into(), "plain".into()),
    };
    let full = tree.dsn.len() + tree.feedback.len() + tree.returned.len() >= 3 * MAX_REPORT_PARTS;
    match (ctype.as_str(), subtype.as_str()) {
        ("multipart", _) => {}
        ("message", "delivery-status" | "global-delivery-status") if !full => {
            tree.dsn
                .push(String::from_utf8_lossy(body(part)).into_owned());
        }
        ("message", "feedback-report") if !full => tree.feedback.push(body(part).to_vec()),
        ("text", "rfc822-headers") | ("message", "global-headers") if !full => {
            tree.returned.push(fields::header_block(body(part)));
        }
        ("message", "rfc822" | "global") if !full => {
            let headers = match &part.body {
                PartType::Message(inner) => inner.parts.first().map_or_else(Vec::new, |root| {
                    let raw = inner.raw_message.as_ref();
                    let (a, b) = (root.offset_header as usize, root.offset_body as usize);
                    fields::header_block(raw.get(a..b).unwrap_or_default())
                }),
                _ => fields::header_block(body(part)),
            };
            tree.returned.push(headers);
        }
        ("text", "plain") => {
            if let PartType::Text(text) = &part.body {
                tree.texts.push(fields::cut(text, MAX_TEXT).to_string());
            }
        }
        ("text", "html") => {
            if let PartType::Html(text) | PartType::Text(text) = &part.body {
                html.push(strip_tags(fields::cut(text, MAX_TEXT)));
            }
        }
        _ => {}
    }
}

/// The decoded body of a leaf part, as bytes.
fn body<'a>(part: &'a MessagePart) -> &'a [u8] {
    match &part.body {
        PartType::Text(t) | PartType::Html(t) => t.as_bytes(),
        PartType::Binary(b) | PartType::InlineBinary(b) => b,
        PartType::Message(m) => m.raw_message.as_ref(),
        PartType::Multipart(_) => &[],
    }
}

/// How many times `multipart/` or `message/` occurs in `raw` (any case): at
/// least as many as the containers it holds.
fn containers(raw: &[u8]) -> usize {
    memchr::memchr_iter(b'/', raw)
        .filter(|&at| {
            let before = |word: &[u8]| {
                at >= word.len() && raw[at - word.len()..at].eq_ignore_ascii_case(word)
            };
            before(b"multipart") || before(b"message")
        })
        .count()
}

/// Whether `raw` holds more than [`MAX_FIELD_LINES`] lines that start with
/// a field name and a colon, or more than [`MAX_DELIMITERS`] lines that start
/// with `--`, or more than [`MAX_CONTAINERS`].
fn too_big(raw: &[u8]) -> bool {
    let (mut fields, mut delimiters) = (0, 0);
    for start in std::iter::once(0).chain(memchr::memchr_iter(b'\n', raw).map(|at| at + 1)) {
        let line = &raw[start..raw.len().min(start + 80)];
        if line.starts_with(b"--") {
            delimiters += 1;
        }
        let name = line
            .iter()
            .take_while(|b| b.is_ascii_graphic() && **b != b':')
            .count();
        if name > 0 && line.get(name) == Some(&b':') {
            fields += 1;
        }
    }
    fields > MAX_FIELD_LINES || delimiters > MAX_DELIMITERS || containers(raw) > MAX_CONTAINERS
}

/// Whether `raw` holds the closing delimiter `--BOUNDARY--`.
fn closed(raw: &[u8], boundary: &[u8]) -> bool {
    let mut needle = Vec::with_capacity(boundary.len() + 4);
    needle.extend_from_slice(b"--");
    needle.extend_from_slice(boundary);
    needle.extend_from_slice(b"--");
    memchr::memmem::find(raw, &needle).is_some()
}

/// HTML to text, roughly: tags dropped (each becomes a line break where it is
/// a block), the common entities decoded. Enough to find a reply code or an
/// address in a Microsoft-style HTML notice.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let close = after.find('>').map_or(after.len(), |c| c + 1);
        let tag = &after.as_bytes()[..close.min(5)];
        if [
            "<br", "<p", "</p", "<div", "</div", "<tr", "</tr", "<li", "<h",
        ]
        .iter()
        .any(|t| tag.len() >= t.len() && tag[..t.len()].eq_ignore_ascii_case(t.as_bytes()))
        {
            out.push('\n');
        }
        rest = &after[close..];
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// A header value on one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
