//! Diagnostics about files a person wrote: drafts and the config.
//!
//! A diagnostic points at a byte span in a named source; rendering it gives
//! `file:line:col`, the offending line and a caret under the span, and a hint
//! when the fix is guessable ("did you mean `links`?").

use std::fmt;
use std::ops::Range;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// A text that diagnostics point into: its display name and contents.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            name: name.into(),
            text: text.into(),
        }
    }

    /// One-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }
}

/// One finding about a source, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Range<usize>,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            hint: None,
        }
    }

    pub fn warning(span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            message: message.into(),
            span,
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic against its source, ready for stderr.
    pub fn display<'a>(&'a self, source: &'a Source) -> DisplayDiagnostic<'a> {
        DisplayDiagnostic { diag: self, source }
    }
}

/// A diagnostic with its source, formatted like a compiler message.
pub struct DisplayDiagnostic<'a> {
    diag: &'a Diagnostic,
    source: &'a Source,
}

impl fmt::Display for DisplayDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Diagnostic {
            severity,
            message,
            span,
            hint,
        } = self.diag;
        let kind = match severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let (line, col) = self.source.line_col(span.start);
        writeln!(
            f,
            "gazette: {kind}: {}:{line}:{col}: {message}",
            self.source.name
        )?;
        let text = &self.source.text;
        let start = span.start.min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line_text = text[line_start..line_end].trim_end_matches('\r');
        let number = line.to_string();
        let pad = " ".repeat(number.len());
        writeln!(f, "{pad} |")?;
        writeln!(f, "{number} | {line_text}")?;
        // Tabs stay tabs so that the caret lines up however they are shown.
        let lead: String = text[line_start..start]
            .chars()
            .flat_map(|c| {
                let (ch, n) = if c == '\t' {
                    ('\t', 1)
                } else {
                    (' ', c.width().unwrap_or(0))
                };
                std::iter::repeat_n(ch, n)
            })
            .collect();
        let end = span.end.clamp(start, line_start + line_text.len());
        let width = UnicodeWidthStr::width(&text[start..end]).max(1);
        writeln!(f, "{pad} | {lead}{}", "^".repeat(width))?;
        if let Some(hint) = hint {
            writeln!(f, "{pad} = hint: {hint}")?;
        }
        Ok(())
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (levenshtein(word, c), c))
        .filter(|&(d, c)| d <= 2.max(c.len() / 3) && d < c.len().max(word.len()))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        assert_eq!(suggest("linkz", ["text", "links", "title"]), Some("links"));
        assert_eq!(
            suggest("brand_colour", ["brand_color", "name"]),
            Some("brand_color")
        );
        assert_eq!(suggest("zzz", ["text", "links"]), None);
    }

    #[test]
    fn renders_line_and_caret() {
        let src = Source::new("d.toml", "issue = 1\nlinkz = 2\n");
        let d = Diagnostic::error(10..15, "unknown key `linkz`").with_hint("did you mean `links`?");
        assert_eq!(
            d.display(&src).to_string(),
            "gazette: error: d.toml:2:1: unknown key `linkz`\n  |\n2 | linkz = 2\n  | ^^^^^\n  = hint: did you mean `links`?\n"
        );
    }

    #[test]
    fn caret_lines_up_after_tabs_and_wide_characters() {
        let src = Source::new("d.toml", "\tt = \"été 🚀 x\"\n");
        let at = src.text.find('x').unwrap();
        let d = Diagnostic::warning(at..at + 1, "here");
        assert_eq!(
            d.display(&src).to_string(),
            "gazette: warning: d.toml:1:13: here\n  |\n1 | \tt = \"été 🚀 x\"\n  | \t            ^\n"
        );
    }
}
