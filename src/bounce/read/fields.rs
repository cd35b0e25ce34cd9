//! Header-style fields (`Name: value`, folded lines unfolded), the one
//! reader for a message's own header block, a `message/delivery-status` or
//! `message/feedback-report` body, returned headers, and DSN fields written
//! into a `text/plain` part. Lenient and linear: a line that is not a field
//! ends the field before it and is skipped; values are capped.

/// The most fields read from one block of text; the rest are skipped.
pub(super) const MAX_FIELDS: usize = 10_000;

/// The longest value kept for one field (bytes, cut on a char boundary);
/// more continuation text is skipped.
pub(super) const MAX_VALUE: usize = 8 * 1024;

/// One field: its name lower-cased, its value unfolded to one line and
/// trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Field {
    pub name: String,
    pub value: String,
}

/// The fields of `text`, in blocks separated by blank lines (a DSN's
/// per-message block, then one block per recipient). Lines that are not
/// fields (prose) are skipped; empty blocks are dropped.
pub(super) fn blocks(text: &str) -> Vec<Vec<Field>> {
    let mut blocks: Vec<Vec<Field>> = Vec::new();
    let mut block: Vec<Field> = Vec::new();
    let mut open = false; // whether the last line was a field (or its continuation)
    let mut count = 0;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            if !block.is_empty() {
                blocks.push(std::mem::take(&mut block));
            }
            open = false;
        } else if line.starts_with([' ', '\t']) {
            if let (true, Some(last)) = (open, block.last_mut()) {
                append(&mut last.value, line.trim());
            }
        } else if let Some(field) = field(line) {
            if count == MAX_FIELDS {
                break;
            }
            count += 1;
            block.push(field);
            open = true;
        } else {
            open = false;
        }
    }
    if !block.is_empty() {
        blocks.push(block);
    }
    blocks
}

/// The header block at the start of `bytes` (up to the first blank line),
/// read as [`blocks`] reads one block. Leading blank lines are skipped, as
/// `text/rfc822-headers` parts often start with one.
pub(super) fn header_block(bytes: &[u8]) -> Vec<Field> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let rest = &bytes[start..];
    let end = blank_line(rest).unwrap_or(rest.len());
    let text = String::from_utf8_lossy(&rest[..end]);
    blocks(&text).into_iter().next().unwrap_or_default()
}

/// Where the first blank line (`\n\n` or `\n\r\n`) of `bytes` starts.
fn blank_line(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(|&b| b == b'\n') {
        let at = i + off;
        match bytes.get(at + 1) {
            Some(b'\n') => return Some(at),
            Some(b'\r') if bytes.get(at + 2) == Some(&b'\n') => return Some(at),
            _ => i = at + 1,
        }
    }
    None
}

/// `Name: value` with a name of printable ASCII without spaces.
fn field(line: &str) -> Option<Field> {
    let (name, value) = line.split_once(':')?;
    let good = !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic());
    good.then(|| {
        let mut v = String::new();
        append(&mut v, value.trim());
        Field {
            name: name.to_ascii_lowercase(),
            value: v,
        }
    })
}

/// Appends `more` to `value` with one space, within [`MAX_VALUE`].
fn append(value: &mut String, more: &str) {
    if more.is_empty() || value.len() >= MAX_VALUE {
        return;
    }
    if !value.is_empty() {
        value.push(' ');
    }
    let room = MAX_VALUE.saturating_sub(value.len());
    value.push_str(cut(more, room));
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char
/// boundary.
pub(super) fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The first field called `name` (lower case).
pub(super) fn get<'a>(fields: &'a [Field], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.value.as_str())
}

/// The addresses in a header value (`"Name" <a@b>, c@d`), as written: the
/// text inside `<>` where there is one, else the bare word holding `@`.
/// Parts without `@` are skipped.
pub(super) fn addresses(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut quoted, mut angle, mut start) = (false, false, 0);
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                out.extend(address(&value[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.extend(address(&value[start..]));
    out
}

/// The one address of a mailbox or an address-type value.
pub(super) fn address(value: &str) -> Option<String> {
    let inner = match (value.rfind('<'), value.rfind('>')) {
        (Some(a), Some(b)) if a < b => &value[a + 1..b],
        _ => value
            .split_whitespace()
            .find(|w| w.contains('@'))
            .unwrap_or(""),
    };
    let inner = inner
        .trim()
        .trim_matches(|c| matches!(c, '<' | '>' | '"' | '\'' | ';' | ','));
    (inner.contains('@') && !inner.contains(char::is_whitespace)).then(|| inner.to_string())
}

/// A Message-ID value without its angle brackets: the first `<...>`, else
/// the first word.
pub(super) fn message_id(value: &str) -> Option<String> {
    let bracketed = value
        .find('<')
        .and_then(|a| value[a + 1..].find('>').map(|b| &value[a + 1..a + 1 + b]));
    let id = bracketed.unwrap_or_else(|| value.split_whitespace().next().unwrap_or(""));
    let id = id.trim();
    (!id.is_empty() && !id.contains(char::is_whitespace)).then(|| id.to_string())
}
