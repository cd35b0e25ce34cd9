//! Diagnostics about files a person wrote: drafts and the config.
//!
//! A diagnostic points at a byte span in a named source; rendering it gives
//! `file:line:col`, the offending line and a caret under the span, and a hint
//! when the fix is guessable ("did you mean `links`?").

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// The largest draft or config gazette reads: 1 MiB, some 250 times the seed
/// issue, and far past Gmail's 102 KB clipping of the HTML made from it.
pub const MAX_SOURCE_BYTES: u64 = 1024 * 1024;

/// The UTF-8 byte-order mark some editors write at the start of a file.
pub const BOM: &[u8] = b"\xef\xbb\xbf";

/// A text that diagnostics point into: its display name and contents.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
    /// Where each line starts, found once when a diagnostic first needs it:
    /// a file with thousands of errors is not searched from the top for each.
    line_starts: OnceLock<Vec<usize>>,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            name: name.into(),
            text: text.into(),
            line_starts: OnceLock::new(),
        }
    }

    /// Reads a file a person wrote, named `name` in messages (see [`Source::from_bytes`]).
    pub fn read(
        path: &Path,
        name: impl Into<String>,
    ) -> std::io::Result<(Source, Option<Diagnostic>)> {
        let (bytes, more) = crate::files::read_at_most(path, MAX_SOURCE_BYTES)?;
        Ok(Source::from_bytes(bytes, more, name))
    }

    /// A file's bytes as a source; `more` says the file went on past them. A
    /// file over [`MAX_SOURCE_BYTES`] or not UTF-8 comes back with an error
    /// diagnostic pointing at the problem (and the text, lossily, up to the
    /// limit). A byte-order mark is dropped, so columns count as an editor
    /// shows them.
    pub fn from_bytes(
        mut bytes: Vec<u8>,
        more: bool,
        name: impl Into<String>,
    ) -> (Source, Option<Diagnostic>) {
        let name = name.into();
        if bytes.starts_with(BOM) {
            bytes.drain(..BOM.len());
        }
        if more || bytes.len() as u64 > MAX_SOURCE_BYTES {
            bytes.truncate(MAX_SOURCE_BYTES as usize);
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let at = text.len();
            let d = Diagnostic::error(
                at..at,
                format!(
                    "the file is larger than {} KiB, the most gazette reads",
                    MAX_SOURCE_BYTES / 1024
                ),
            );
            return (Source::new(name, text), Some(d));
        }
        match String::from_utf8(bytes) {
            Ok(text) => (Source::new(name, text), None),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let d = Diagnostic::error(at..at + 1, "the file is not valid UTF-8 here")
                    .with_hint("save it as UTF-8");
                (Source::new(name, text), Some(d))
            }
        }
    }

    /// One-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = self.floor(offset);
        let starts = self.line_starts.get_or_init(|| {
            let newlines = self.text.bytes().enumerate().filter(|&(_, b)| b == b'\n');
            std::iter::once(0)
                .chain(newlines.map(|(i, _)| i + 1))
                .collect()
        });
        // The last line starting at or before the offset.
        let line = starts.partition_point(|&s| s <= offset);
        let col = self.text[starts[line - 1]..offset].chars().count() + 1;
        (line, col)
    }

    /// `offset`, kept inside the text and moved back to a character boundary.
    fn floor(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

/// One finding about a source, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Range<usize>,
    pub hint: Option<String>,
    /// The span is a secret (a password written in the config): the line is
    /// shown up to it, with `…` in its place.
    pub secret: bool,
}

impl Diagnostic {
    pub fn error(span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            hint: None,
            secret: false,
        }
    }

    pub fn warning(span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            message: message.into(),
            span,
            hint: None,
            secret: false,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// Shows the line up to the span, and `…` for the span and what follows.
    pub fn hiding_the_span(mut self) -> Diagnostic {
        self.secret = true;
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
            secret,
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
        let start = self.source.floor(span.start);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let mut line_text = text[line_start..line_end].trim_end_matches('\r');
        let mut shown_end = "";
        if *secret {
            line_text = &text[line_start..start.min(line_start + line_text.len())];
            shown_end = "…";
        }
        let number = line.to_string();
        let pad = " ".repeat(number.len());
        writeln!(f, "{pad} |")?;
        writeln!(f, "{number} | {line_text}{shown_end}")?;
        // Tabs stay tabs so that the caret lines up however they are shown.
        let lead: String = text[line_start..start]
            .chars()
            .flat_map(|c| {
                let (ch, n) = if c == '\t' {
                    ('\t', 1)
                } else {
                    (' ', c.width().unwrap_or(1))
                };
                std::iter::repeat_n(ch, n)
            })
            .collect();
        // The shown line may end before `start` (a span on a trailing CR).
        let end = if *secret {
            start
        } else {
            self.source.floor(span.end)
        }
        .min(line_start + line_text.len())
        .max(start);
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

    #[test]
    fn spans_at_carriage_returns_and_odd_offsets_render() {
        // A span on the second of two CRs, past the end of the shown line.
        let src = Source::new("d.toml", "a = 1\r\r\nb = 2\n");
        let d = Diagnostic::error(6..7, "bare CR");
        assert_eq!(
            d.display(&src).to_string(),
            "gazette: error: d.toml:1:7: bare CR\n  |\n1 | a = 1\n  |       ^\n"
        );
        // Offsets inside a character or past the end never panic.
        let src = Source::new("d.toml", "é\n");
        #[allow(clippy::reversed_empty_ranges)]
        let spans = [1..2, 1..1, 2..1, 9..12];
        for span in spans {
            let _ = Diagnostic::error(span, "x").display(&src).to_string();
            let _ = src.line_col(1);
        }
    }

    #[test]
    fn many_diagnostics_in_a_large_file_render_quickly() {
        // A 700 KB file with an error on each of its 100,000 lines, as a
        // mutated draft of repeated tables gave: once 13 s for 13,000 errors,
        // finding each line from the start of the file.
        let src = Source::new(
            "d.toml",
            "[[x]]\n\n".repeat(50_000) + &"x = 1\n".repeat(50_000),
        );
        let started = std::time::Instant::now();
        let mut shown = 0;
        for (at, _) in src.text.match_indices('\n') {
            let d = Diagnostic::error(at..at + 1, "here");
            shown += d.display(&src).to_string().len();
        }
        assert!(shown > 0);
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_secs(3), "{took:?}");
        assert_eq!(src.line_col(src.text.len()), (150_001, 1));
        assert_eq!(src.line_col(6), (2, 1));
        assert_eq!(src.line_col(7), (3, 1));
        assert_eq!(src.line_col(5), (1, 6));
    }

    #[test]
    fn a_secret_line_is_shown_only_up_to_its_key() {
        let src = Source::new("c.toml", "[[smtp]]\npassword = \"hunter2\"\n");
        let d = Diagnostic::error(20..29, "no").hiding_the_span();
        let shown = d.display(&src).to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("2 | password = …\n  |            ^\n"),
            "{shown}"
        );
    }
}
