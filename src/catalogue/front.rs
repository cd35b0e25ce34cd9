//! The front matter of an exported issue: `key: value` lines between `---`
//! lines, read for the title, the date and the issue number under the names
//! exports use, and those read into the number, subject and date.
//! Other keys (tags, authors) are left alone.

use crate::config::{Config, squash};
use crate::diag::Diagnostic;
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use std::ops::Range;

/// A value as written, trimmed and unquoted, with where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub text: String,
    pub span: Range<usize>,
}

/// What the front matter says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Front {
    /// `title`, else `subject`.
    pub title: Option<Value>,
    /// `date`, else `publish_date`.
    pub date: Option<Value>,
    /// `issue`, else `number`.
    pub number: Option<Value>,
    /// Where the block stands (its first line when it is missing or open).
    pub span: Range<usize>,
    /// Where the Markdown after it begins.
    pub body: usize,
}

/// Reads the front matter at the top of `text`.
pub fn read(text: &str) -> Result<Front, Diagnostic> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut lines = Lines { text, at: start };
    let first = lines.next();
    if first.as_ref().map(|(l, _)| l.trim_end()) != Some("---") {
        let end = first.map_or(start, |(_, span)| span.end);
        return Err(Diagnostic::error(
            start..end,
            "the file has no front matter: an issue starts with `---`, its `title` and `date`, and `---`",
        )
        .with_hint("add `---`, `title: ...`, `date: 2020-12-06` and `---` lines at the top"));
    }
    let mut front = Front::default();
    let (mut title, mut subject, mut publish_date) = (None, None, None);
    let mut number = None;
    for (line, span) in lines.by_ref() {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            front.span = start..span.end;
            front.body = (span.end + 1).min(text.len());
            front.title = title.or(subject);
            front.date = front.date.or(publish_date);
            front.number = front.number.or(number);
            return Ok(front);
        }
        let Some((key, raw)) = line.split_once(':') else {
            continue;
        };
        let offset = span.start + key.len() + 1;
        let value = unquote(raw, offset);
        let slot = match key.trim().to_ascii_lowercase().as_str() {
            "title" => &mut title,
            "subject" => &mut subject,
            "date" => &mut front.date,
            "publish_date" => &mut publish_date,
            "issue" => &mut front.number,
            "number" => &mut number,
            _ => continue,
        };
        if slot.is_none() && !value.text.is_empty() {
            *slot = Some(value);
        }
    }
    Err(Diagnostic::error(
        start..start + 3,
        "the front matter is not closed: no `---` line after it",
    )
    .with_hint("end the front matter with a line holding only `---`"))
}

/// A value trimmed, its quotes taken off (`"..."` with backslash escapes, or
/// `'...'` with `''` for a quote).
fn unquote(raw: &str, offset: usize) -> Value {
    let lead = raw.len() - raw.trim_start().len();
    let trimmed = raw.trim();
    let span = offset + lead..offset + lead + trimmed.len();
    let text = if trimmed.len() >= 2 && trimmed.starts_with('"') && trimmed.ends_with('"') {
        let inner = &trimmed[1..trimmed.len() - 1];
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match (c, c == '\\') {
                (_, true) => match chars.next() {
                    Some('n') => out.push(' '),
                    Some('t') => out.push(' '),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                },
                (c, false) => out.push(c),
            }
        }
        out
    } else if trimmed.len() >= 2 && trimmed.starts_with('\'') && trimmed.ends_with('\'') {
        trimmed[1..trimmed.len() - 1].replace("''", "'")
    } else {
        trimmed.to_string()
    };
    Value { text, span }
}

/// Lines with their spans (line break excluded, a CR kept).
struct Lines<'t> {
    text: &'t str,
    at: usize,
}

impl<'t> Iterator for Lines<'t> {
    type Item = (&'t str, Range<usize>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.text.len() {
            return None;
        }
        let rest = &self.text[self.at..];
        let len = rest.find('\n').unwrap_or(rest.len());
        let span = self.at..self.at + len;
        self.at += (len + 1).min(rest.len());
        Some((&rest[..len], span))
    }
}

/// The date (in the config's time zone) and when it was published.
pub(super) fn date(
    front: &Front,
    config: &Config,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Date, Timestamp)> {
    let Some(Value { text, span }) = &front.date else {
        diags.push(
            Diagnostic::error(
                front.span.start..front.span.start + 3,
                "the front matter has no `date`",
            )
            .with_hint("add `date: 2020-12-06` (or an RFC 3339 date-time) to the front matter"),
        );
        return None;
    };
    let tz = &config.timezone;
    if let Ok(t) = text.parse::<Timestamp>() {
        return Some((t.to_zoned(tz.clone()).date(), t));
    }
    if let Ok(dt) = text.parse::<DateTime>()
        && text.len() > 10
        && let Ok(z) = dt.to_zoned(tz.clone())
    {
        return Some((z.date(), z.timestamp()));
    }
    if let Ok(d) = text.parse::<Date>()
        && let Ok(z) = d.to_zoned(tz.clone())
    {
        return Some((d, z.timestamp()));
    }
    diags.push(
        Diagnostic::error(span.clone(), format!("`{text}` is not a date"))
            .with_hint("write a date such as 2020-12-06, or an RFC 3339 date-time such as 2020-12-06T12:39:01+00:00"),
    );
    None
}

/// The issue number (from `issue`/`number`, else the title) and the title
/// with its Markdown escapes undone.
pub(super) fn number_and_title(
    front: &Front,
    diags: &mut Vec<Diagnostic>,
) -> (Option<u32>, Option<String>) {
    let title = front
        .title
        .as_ref()
        .map(|t| squash(&unescape_plain(&t.text)));
    if let Some(Value { text, span }) = &front.number {
        let digits = text.trim_start_matches('#');
        return match digits.parse::<u32>() {
            Ok(n) if n >= 1 => (Some(n), title),
            _ => {
                diags.push(Diagnostic::error(
                    span.clone(),
                    format!("`{text}` is not an issue number (a whole number of 1 or more)"),
                ));
                (None, title)
            }
        };
    }
    if let Some(n) = title.as_deref().and_then(number_in_title) {
        return (Some(n), title);
    }
    let d = match &front.title {
        Some(t) => Diagnostic::error(t.span.clone(), "no issue number in the title"),
        None => Diagnostic::error(
            front.span.start..front.span.start + 3,
            "the front matter has no title and no issue number",
        ),
    };
    diags.push(d.with_hint(
        "add `issue: 519` to the front matter, or write the number in the title as `#519`, `Issue 519` or `No. 519`",
    ));
    (None, title)
}

/// `#519`, `Issue 519`, `Issue #519`, `No. 519`, in any case.
pub fn number_in_title(title: &str) -> Option<u32> {
    let lower = title.to_lowercase();
    let after = |i: usize| -> Option<u32> {
        let rest = lower[i..].trim_start_matches([' ', '#', ':', '.']);
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok().filter(|&n| n >= 1)
    };
    if let Some(n) = lower.match_indices('#').find_map(|(i, _)| after(i + 1)) {
        return Some(n);
    }
    for word in ["issue", "no.", "no ", "nº", "№"] {
        if let Some(n) = lower
            .match_indices(word)
            .find_map(|(i, w)| after(i + w.len()))
        {
            return Some(n);
        }
    }
    None
}

/// A title's backslash escapes (`\#`) undone: a subject is plain text.
fn unescape_plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(char::is_ascii_punctuation) {
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_seeds_front_matter() {
        let text = "---\ntitle: DEVOPS WEEKLY ISSUE \\#519 - 6th December 2020 \ndate: 2020-12-06T12:39:01+00:00\n---\n\nHello.\n";
        let f = read(text).unwrap();
        let title = f.title.unwrap();
        assert_eq!(title.text, "DEVOPS WEEKLY ISSUE \\#519 - 6th December 2020");
        assert_eq!(&text[title.span], title.text);
        assert_eq!(f.date.unwrap().text, "2020-12-06T12:39:01+00:00");
        assert_eq!(&text[f.body..], "\nHello.\n");
    }

    #[test]
    fn other_names_quotes_and_crlf() {
        let text = "---\r\nsubject: \"Ops \\\"weekly\\\"\"\r\npublish_date: '2021-01-03'\r\nnumber: 12\r\ntags:\r\n  - ops\r\n---\r\nHi\r\n";
        let f = read(text).unwrap();
        assert_eq!(f.title.unwrap().text, "Ops \"weekly\"");
        assert_eq!(f.date.unwrap().text, "2021-01-03");
        assert_eq!(f.number.unwrap().text, "12");
        assert_eq!(&text[f.body..], "Hi\r\n");
        let bom = read("\u{feff}---\ntitle: Issue 3\n---\nHi\n").unwrap();
        assert_eq!(bom.title.unwrap().text, "Issue 3");
    }

    #[test]
    fn numbers_come_from_titles() {
        assert_eq!(
            number_in_title("DEVOPS WEEKLY ISSUE #519 - 6th December 2020"),
            Some(519)
        );
        assert_eq!(number_in_title("Ops Weekly, Issue 12"), Some(12));
        assert_eq!(number_in_title("The Digest No. 7: caches"), Some(7));
        assert_eq!(number_in_title("Café Ops № 8"), Some(8));
        assert_eq!(number_in_title("Just a title"), None);
    }

    #[test]
    fn missing_or_open_front_matter_is_an_error() {
        let e = read("# Title\n").unwrap_err();
        assert!(e.message.contains("no front matter"), "{e:?}");
        let e = read("---\ntitle: x\n").unwrap_err();
        assert!(e.message.contains("not closed"), "{e:?}");
    }
}
