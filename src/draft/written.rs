//! Where each byte of a TOML string's value is written in the file.
//!
//! A Markdown error is found in the string's value, after TOML has dropped the
//! quotes and the first newline of a multi-line string and decoded escapes
//! and line-ending backslashes. Decoding the string as written once more, and
//! noting where each value byte came from, lets the error point at its own
//! line and column instead of at the whole string.

/// Offsets into a string as written (quotes included), one per value byte
/// and one for the end.
#[derive(Debug, Clone)]
pub struct Written {
    at: Vec<usize>,
}

impl Written {
    /// Maps `value` onto `raw`, the string as written; `None` when decoding
    /// `raw` does not give `value` (a form this decoder does not know).
    pub fn new(raw: &str, value: &str) -> Option<Written> {
        let (quote, multi) = if raw.starts_with("\"\"\"") {
            ('"', true)
        } else if raw.starts_with("'''") {
            ('\'', true)
        } else if raw.starts_with('"') {
            ('"', false)
        } else if raw.starts_with('\'') {
            ('\'', false)
        } else {
            return None;
        };
        let width = if multi { 3 } else { 1 };
        let end = raw.len().checked_sub(width)?;
        let mut i = width;
        if multi {
            // A newline right after the opening quotes is not part of the value.
            if raw[i..].starts_with("\r\n") {
                i += 2;
            } else if raw[i..].starts_with('\n') {
                i += 1;
            }
        }
        let mut out = String::with_capacity(value.len());
        let mut at = Vec::with_capacity(value.len() + 1);
        let bytes = raw.as_bytes();
        while i < end {
            let c = raw[i..].chars().next()?;
            if quote == '\'' || c != '\\' {
                out.push(c);
                at.extend(std::iter::repeat_n(i, c.len_utf8()));
                i += c.len_utf8();
                continue;
            }
            let start = i;
            let kind = *bytes.get(i + 1)?;
            let decoded = match kind {
                b'b' => Some('\u{8}'),
                b't' => Some('\t'),
                b'n' => Some('\n'),
                b'f' => Some('\u{c}'),
                b'r' => Some('\r'),
                b'e' => Some('\u{1b}'),
                b'"' => Some('"'),
                b'\\' => Some('\\'),
                b'x' | b'u' | b'U' => {
                    let digits = match kind {
                        b'x' => 2,
                        b'u' => 4,
                        _ => 8,
                    };
                    let hex = raw.get(i + 2..i + 2 + digits)?;
                    i += digits;
                    Some(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?)
                }
                _ => None,
            };
            match decoded {
                Some(c) => {
                    out.push(c);
                    at.extend(std::iter::repeat_n(start, c.len_utf8()));
                    i += 2;
                }
                // A line-ending backslash: it and the blank run after it vanish.
                None if multi => {
                    i += 1;
                    while i < end && matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n') {
                        i += 1;
                    }
                }
                None => return None,
            }
        }
        at.push(end);
        (out == value).then_some(Written { at })
    }

    /// Where the value byte at `offset` is written (the end for an offset past it).
    pub fn raw_offset(&self, offset: usize) -> usize {
        self.at[offset.min(self.at.len() - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_values_back_to_where_they_are_written() {
        let raw = "\"\"\"\nCaf\\u00e9 \\\n   x\\ty\"\"\"";
        let w = Written::new(raw, "Café x\ty").unwrap();
        assert_eq!(w.raw_offset(0), 4); // C
        assert_eq!(w.raw_offset(3), 7); // é, both bytes at its escape
        assert_eq!(w.raw_offset(4), 7);
        assert_eq!(&raw[w.raw_offset(6)..w.raw_offset(6) + 1], "x");
        assert_eq!(&raw[w.raw_offset(7)..w.raw_offset(7) + 2], "\\t");
        assert_eq!(w.raw_offset(99), raw.len() - 3);

        let raw = "'''\r\n# a\r\n'''";
        let w = Written::new(raw, "# a\r\n").unwrap();
        assert_eq!(w.raw_offset(0), 5);
        assert_eq!(Written::new("'x'", "x").unwrap().raw_offset(0), 1);
        // A value the decoder does not reproduce is not mapped.
        assert!(Written::new("\"x\"", "y").is_none());
        assert!(Written::new("x", "x").is_none());
    }
}
