//! Status codes and verdicts: an enhanced status (RFC 3463) from a `Status`
//! field or from an SMTP reply quoted in text, a basic reply code mapped when
//! no enhanced code is given, each recipient's kind, and a report's overall
//! kind from its recipients'.

use super::super::{Kind, MAX_DIAGNOSTIC, Recipient};

/// The enhanced status at the start of `value` (`5.1.1 (user unknown)`):
/// class 2, 4 or 5, subject and detail of one to three digits.
pub(super) fn status(value: &str) -> Option<String> {
    let word = value
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .find(|w| !w.is_empty())?;
    let word = word.trim_start_matches('#');
    enhanced_at(word.as_bytes(), 0)
        .filter(|&(_, end)| end == word.len())
        .map(|(code, _)| code)
}

/// An SMTP reply found in text.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Reply {
    /// The basic code (`550`).
    pub code: Option<u16>,
    /// The enhanced status (`5.1.1`).
    pub enhanced: Option<String>,
    /// Where the reply starts: the byte offset of its basic code, else of its
    /// enhanced one.
    pub at: Option<usize>,
}

impl Reply {
    /// The status it gives: the enhanced one, else the one its basic code
    /// stands for ([`from_basic`]).
    pub fn status(&self) -> Option<String> {
        self.enhanced
            .clone()
            .or_else(|| self.code.and_then(from_basic))
    }
}

/// The SMTP reply quoted in `text`: its basic code (the first `4xx`/`5xx`
/// standing as a word) and its enhanced status: the one right after the
/// basic code, else the first one of the basic code's class, else (with no
/// basic code) the first one anywhere.
pub(super) fn reply(text: &str) -> Reply {
    let b = text.as_bytes();
    let mut found = Reply::default();
    let (mut first, mut matching): (Option<(String, usize)>, Option<String>) = (None, None);
    let mut i = 0;
    while i < b.len() && matching.is_none() {
        if !b[i].is_ascii_digit() || (i > 0 && !boundary_before(b[i - 1])) {
            i += 1;
        } else if let Some((code, end)) = enhanced_at(b, i) {
            if found
                .code
                .is_some_and(|c| u16::from(b[i] - b'0') == c / 100)
            {
                matching = Some(code.clone());
            }
            first.get_or_insert((code, i));
            i = end;
        } else if let Some(code) = basic_at(b, i).filter(|_| found.code.is_none()) {
            found.code = Some(code);
            found.at = Some(i);
            let next = i
                + 3
                + b[i + 3..]
                    .iter()
                    .take_while(|c| matches!(c, b' ' | b'-' | b'#'))
                    .count();
            if let Some((adjacent, _)) = enhanced_at(b, next) {
                found.enhanced = Some(adjacent);
                return found;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    match found.code {
        Some(_) => found.enhanced = matching,
        None => {
            found.at = first.as_ref().map(|(_, at)| *at);
            found.enhanced = first.map(|(code, _)| code);
        }
    }
    found
}

/// The first enhanced status standing as a word in `text`, with no basic
/// code: what a notice naming no address is read by, since a `4xx`/`5xx`
/// in its prose is as likely a room or an invoice number as a reply.
pub(super) fn enhanced(text: &str) -> Reply {
    let b = text.as_bytes();
    for i in 0..b.len() {
        let word = i == 0 || boundary_before(b[i - 1]);
        if word && let Some((code, _)) = enhanced_at(b, i) {
            return Reply {
                code: None,
                enhanced: Some(code),
                at: Some(i),
            };
        }
    }
    Reply::default()
}

fn boundary_before(b: u8) -> bool {
    !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'/' | b'_' | b'=' | b'+'))
}

/// `[245].\d{1,3}.\d{1,3}` at `i`, not part of a longer dotted number.
fn enhanced_at(b: &[u8], i: usize) -> Option<(String, usize)> {
    if !matches!(b.get(i), Some(b'2' | b'4' | b'5')) || b.get(i + 1) != Some(&b'.') {
        return None;
    }
    let digits = |from: usize| {
        let n = b[from.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        (1..=3).contains(&n).then_some(from + n)
    };
    let mid = digits(i + 2)?;
    if b.get(mid) != Some(&b'.') {
        return None;
    }
    let end = digits(mid + 1)?;
    let longer = b.get(end).is_some_and(|c| c.is_ascii_digit())
        || (b.get(end) == Some(&b'.') && b.get(end + 1).is_some_and(u8::is_ascii_digit));
    (!longer).then(|| (String::from_utf8_lossy(&b[i..end]).into_owned(), end))
}

/// A basic reply code `4xx`/`5xx` at `i`, followed by a space, `-`, `:`,
/// `)` or the end.
fn basic_at(b: &[u8], i: usize) -> Option<u16> {
    let code = b.get(i..i + 3)?;
    let good = matches!(code[0], b'4' | b'5')
        && (b'0'..=b'5').contains(&code[1])
        && code[2].is_ascii_digit()
        && b.get(i + 3)
            .is_none_or(|c| matches!(c, b' ' | b'-' | b':' | b')' | b'\t' | b'\r' | b'\n' | b'\''));
    good.then(|| {
        u16::from(code[0] - b'0') * 100 + u16::from(code[1] - b'0') * 10 + u16::from(code[2] - b'0')
    })
}

/// The enhanced status a basic reply code stands for when a notice gives no
/// enhanced one: 550 user unknown (5.1.1), 551 user not local (5.1.6), 553
/// mailbox name not allowed (5.1.3), 552 storage exceeded (5.2.2, soft), any
/// other 5xx 5.0.0, any 4xx 4.0.0.
pub(super) fn from_basic(code: u16) -> Option<String> {
    let s = match code {
        550 => "5.1.1",
        551 => "5.1.6",
        552 => "5.2.2",
        553 => "5.1.3",
        500..=599 => "5.0.0",
        400..=499 => "4.0.0",
        _ => return None,
    };
    Some(s.into())
}

/// Words in a diagnostic that mean the mailbox is full, which is soft even
/// under a 5.x.x status.
const FULL: [&str; 7] = [
    "mailbox full",
    "mailbox is full",
    "quota",
    "insufficient storage",
    "mailbox size limit",
    "out of storage",
    "storage space",
];

fn full(diagnostic: Option<&str>) -> bool {
    diagnostic.is_some_and(|d| {
        let d = d.to_lowercase();
        FULL.iter().any(|w| d.contains(w))
    })
}

/// Permanent failures that say nothing about the address, which are soft:
/// the sender's address refused (5.1.7, 5.1.8), the message too large
/// (5.2.3, 5.3.4), and every security or policy refusal (5.7.x: a blocklisted
/// IP, spam filtering, DMARC), which would otherwise bounce every reader at a
/// provider at once. Repeated, they still reach the soft limit.
fn not_about_the_address(status: &str) -> bool {
    matches!(status, "5.1.7" | "5.1.8" | "5.2.2" | "5.2.3" | "5.3.4") || status.starts_with("5.7.")
}

/// Words of a policy refusal (lower case), for a status that does not name
/// the address (`5.0.0`, or one a basic code stood for): "blocked using
/// zen.spamhaus.org", "rejected due to SPF policy".
const POLICY: [&str; 14] = [
    "spam",
    "blocklist",
    "blacklist",
    "block list",
    "black list",
    "blocked",
    "dnsbl",
    "rbl",
    "reputation",
    "policy",
    "dmarc",
    "spf",
    "dkim",
    "unsolicited",
];

/// A status about the address itself: 5.1.x but the sender's (5.1.7,
/// 5.1.8), and 5.2.1 (mailbox disabled).
fn names_the_address(status: &str) -> bool {
    (status.starts_with("5.1.") && !not_about_the_address(status)) || status == "5.2.1"
}

fn policy(diagnostic: Option<&str>) -> bool {
    diagnostic.is_some_and(|d| {
        let d = d.to_lowercase();
        POLICY.iter().any(|w| d.contains(w))
    })
}

/// How one recipient reads: `delayed`, `relayed`, `delivered` and `expanded`
/// are [`Kind::Delayed`]; a failure (or no action) is hard under 5.x.x, soft
/// under 4.x.x, 5.2.2, [`not_about_the_address`], words of a full mailbox,
/// or [`POLICY`] words under a status that does not name the address; a
/// failure whose status cannot be told is unclassified.
pub(super) fn recipient_kind(r: &Recipient) -> Kind {
    let diagnostic = r.diagnostic.as_deref();
    match r.action.as_deref() {
        Some("delayed" | "relayed" | "delivered" | "expanded") => Kind::Delayed,
        Some("failed") | None => match r.status.as_deref().and_then(|s| s.bytes().next()) {
            Some(b'5')
                if r.status.as_deref().is_some_and(not_about_the_address)
                    || full(diagnostic)
                    || (policy(diagnostic)
                        && !r.status.as_deref().is_some_and(names_the_address)) =>
            {
                Kind::Soft
            }
            Some(b'5') => Kind::Hard,
            Some(b'4') => Kind::Soft,
            Some(b'2') if r.action.is_none() => Kind::Delayed,
            None if r.action.is_some() && full(diagnostic) => Kind::Soft,
            _ => Kind::Unclassified,
        },
        Some(_) => Kind::Unclassified,
    }
}

/// A report's kind from its recipients': the most severe failure (hard, then
/// soft), else delayed when every recipient is, else unclassified.
pub(super) fn overall(recipients: &[Recipient]) -> Kind {
    let has = |k| recipients.iter().any(|r| r.kind == k);
    if has(Kind::Hard) {
        Kind::Hard
    } else if has(Kind::Soft) {
        Kind::Soft
    } else if !recipients.is_empty() && recipients.iter().all(|r| r.kind == Kind::Delayed) {
        Kind::Delayed
    } else {
        Kind::Unclassified
    }
}

/// A diagnostic as kept: its type (`smtp;`) dropped, whitespace runs made one
/// space, cut to [`MAX_DIAGNOSTIC`] characters. Empty is none.
pub(super) fn diagnostic(value: &str) -> Option<String> {
    let value = match value.split_once(';') {
        Some((kind, rest)) if is_type(kind) => rest,
        _ => value,
    };
    let mut out = String::new();
    for (n, word) in value.split_whitespace().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.len() >= MAX_DIAGNOSTIC * 4 {
            break;
        }
    }
    if let Some((at, _)) = out.char_indices().nth(MAX_DIAGNOSTIC) {
        out.truncate(at);
    }
    (!out.is_empty()).then_some(out)
}

/// A type word before `;` (`smtp`, `X-Postfix`, `rfc822`, `dns`, `utf-8`).
pub(super) fn is_type(word: &str) -> bool {
    let word = word.trim();
    !word.is_empty()
        && word.len() <= 16
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The address after a type (`rfc822; a@b`), without angle brackets.
pub(super) fn typed_address(value: &str) -> Option<String> {
    let value = match value.split_once(';') {
        Some((kind, rest)) if is_type(kind) => rest,
        _ => value,
    };
    let value = value
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (!value.is_empty()).then(|| value.to_string())
}
