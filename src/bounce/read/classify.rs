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
    /// Where the reply starts: the byte offset of its first code.
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
/// standing as a word) and its enhanced status (the one right after the
/// basic code, else the first one anywhere), each where there is one.
pub(super) fn reply(text: &str) -> Reply {
    let b = text.as_bytes();
    let mut found = Reply::default();
    let mut basic_end = None;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && !boundary_before(b[i - 1])) {
            i += 1;
            continue;
        }
        if let Some((code, end)) = enhanced_at(b, i) {
            if basic_end.is_some_and(|at| text[at..i].trim_matches([' ', '-', '#']).is_empty()) {
                found.enhanced = Some(code);
                return found;
            }
            found.at.get_or_insert(i);
            found.enhanced.get_or_insert(code);
            i = end;
        } else if let Some(code) = basic_at(b, i) {
            if found.code.is_none() {
                found.code = Some(code);
                found.at = Some(found.at.map_or(i, |at| at.min(i)));
                basic_end = Some(i + 3);
            }
            i += 3;
        } else {
            i += 1;
        }
        if found.code.is_some() && found.enhanced.is_some() {
            break;
        }
    }
    found
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

/// How one recipient reads: `delayed`, `relayed`, `delivered` and `expanded`
/// are [`Kind::Delayed`]; a failure (or no action) is hard under 5.x.x, soft
/// under 4.x.x, 5.2.2 or words of a full mailbox; a failure whose status
/// cannot be told is unclassified.
pub(super) fn recipient_kind(r: &Recipient) -> Kind {
    let diagnostic = r.diagnostic.as_deref();
    match r.action.as_deref() {
        Some("delayed" | "relayed" | "delivered" | "expanded") => Kind::Delayed,
        Some("failed") | None => match r.status.as_deref().and_then(|s| s.bytes().next()) {
            Some(b'5') if r.status.as_deref() == Some("5.2.2") || full(diagnostic) => Kind::Soft,
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
