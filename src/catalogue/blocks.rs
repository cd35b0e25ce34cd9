//! The Markdown body of an exported issue as a list of blocks: headings, and
//! paragraphs split into their text and the lines after it that hold only a
//! link. pulldown-cmark finds the blocks and gives their source offsets, so
//! every error points at the file as written.

use crate::config::url::check_url;
use crate::diag::Diagnostic;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, TextMergeStream};
use std::ops::Range;

/// One top-level block of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A heading (setext or ATX, any level): its plain text.
    Heading {
        text: String,
        span: Range<usize>,
    },
    Paragraph(Paragraph),
}

/// A paragraph: its text lines (Markdown, escapes undone where the draft
/// format does not need them) and the link lines after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    /// Empty when every line is a link.
    pub text: String,
    pub links: Vec<LinkLine>,
    pub span: Range<usize>,
    /// Where the text lines stand (empty at the start when there are none).
    pub text_span: Range<usize>,
}

/// A line holding only a link: `[label](url)`, `<url>` or a bare URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkLine {
    pub url: String,
    pub span: Range<usize>,
}

/// The blocks of `text[body..]`; spans are offsets into `text`.
pub fn read(text: &str, body: usize) -> Result<Vec<Block>, Vec<Diagnostic>> {
    let md = &text[body..];
    let mut blocks = Vec::new();
    let mut diags = Vec::new();
    let mut heading: Option<(String, Range<usize>)> = None;
    // Depth inside a block that is not part of the format, already reported.
    let mut skipping = 0usize;
    for (event, range) in Parser::new_ext(md, Options::empty()).into_offset_iter() {
        let span = range.start + body..range.end + body;
        if skipping > 0 {
            match event {
                Event::Start(_) => skipping += 1,
                Event::End(_) => skipping -= 1,
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some((String::new(), span)),
            Event::End(TagEnd::Heading(_)) => {
                if let Some((text, span)) = heading.take() {
                    blocks.push(Block::Heading {
                        text: text.trim().to_string(),
                        span,
                    });
                }
            }
            Event::Text(t) | Event::Code(t) if heading.is_some() => {
                if let Some((text, _)) = &mut heading {
                    text.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak if heading.is_some() => {
                if let Some((text, _)) = &mut heading {
                    text.push(' ');
                }
            }
            Event::Start(Tag::Paragraph) => match paragraph(text, span) {
                Ok(p) => blocks.push(Block::Paragraph(p)),
                Err(d) => diags.push(d),
            },
            Event::Start(Tag::Image { .. }) => {
                diags.push(
                    Diagnostic::error(span, "an image is not part of the draft format")
                        .with_hint("gazette's items are text and links; link to the image instead"),
                );
            }
            // A link inside an item's text: the draft format takes http(s) only.
            Event::Start(Tag::Link { dest_url, .. }) if heading.is_none() => {
                let in_text = matches!(blocks.last(), Some(Block::Paragraph(p))
                    if p.text_span.start <= span.start && span.end <= p.text_span.end);
                if in_text && let Err(why) = check_url(&dest_url) {
                    diags.push(Diagnostic::error(
                        span,
                        format!("the link `{dest_url}` {why}"),
                    ));
                }
            }
            // Inline events of a paragraph: `paragraph` read it from the source.
            Event::Start(Tag::Emphasis | Tag::Strong | Tag::Link { .. } | Tag::Strikethrough)
            | Event::End(_)
            | Event::Text(_)
            | Event::Code(_)
            | Event::InlineHtml(_)
            | Event::SoftBreak
            | Event::HardBreak => {}
            // A horizontal rule separates; it holds nothing to keep.
            Event::Rule => {}
            Event::Start(tag) => {
                diags.push(
                    Diagnostic::error(
                        span,
                        format!("{} is not part of the format", describe(&tag)),
                    )
                    .with_hint("an issue holds paragraphs, headings and link lines"),
                );
                skipping = 1;
            }
            _ => diags.push(Diagnostic::error(
                span,
                "this Markdown is not part of the format",
            )),
        }
    }
    if diags.is_empty() {
        Ok(blocks)
    } else {
        Err(diags)
    }
}

fn describe(tag: &Tag<'_>) -> &'static str {
    match tag {
        Tag::List(_) | Tag::Item => "a list",
        Tag::BlockQuote(_) => "a block quote",
        Tag::CodeBlock(_) => "a code block",
        Tag::HtmlBlock => "an HTML block",
        Tag::Table(_) | Tag::TableHead | Tag::TableRow | Tag::TableCell => "a table",
        Tag::FootnoteDefinition(_) => "a footnote",
        _ => "this block",
    }
}

/// Splits the paragraph at `span` into text lines and the link lines that end it.
fn paragraph(text: &str, span: Range<usize>) -> Result<Paragraph, Diagnostic> {
    let mut lines = Vec::new();
    let mut at = span.start;
    for line in text[span.clone()].split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let lead = content.len() - content.trim_start().len();
        let trimmed = content.trim();
        if !trimmed.is_empty() {
            lines.push((trimmed, at + lead..at + lead + trimmed.len()));
        }
        at += line.len();
    }
    let mut links = Vec::new();
    while let Some((line, line_span)) = lines.last() {
        let Some(url) = link_line(line) else { break };
        let start = line.find(url.as_str()).unwrap_or(0);
        let url_span = if line.contains(url.as_str()) {
            line_span.start + start..line_span.start + start + url.len()
        } else {
            line_span.clone()
        };
        links.push(LinkLine {
            url,
            span: url_span,
        });
        lines.pop();
    }
    links.reverse();
    let text_span = match (lines.first(), lines.last()) {
        (Some((_, a)), Some((_, b))) => a.start..b.end,
        _ => span.start..span.start,
    };
    let joined: Vec<&str> = lines.iter().map(|(l, _)| *l).collect();
    Ok(Paragraph {
        text: unescape(&joined.join("\n")),
        links,
        span,
        text_span,
    })
}

/// The URL of a line that holds only a link, whatever its scheme.
fn link_line(line: &str) -> Option<String> {
    if !line.contains(char::is_whitespace) && looks_like_url(line) {
        return Some(line.to_string());
    }
    let mut url = None;
    let mut depth = 0;
    for event in Parser::new_ext(line, Options::empty()) {
        match event {
            Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph) => {}
            Event::Start(Tag::Link { dest_url, .. }) if depth == 0 && url.is_none() => {
                depth = 1;
                url = Some(dest_url.to_string());
            }
            Event::End(TagEnd::Link) => depth = 0,
            _ if depth > 0 => {}
            _ => return None,
        }
    }
    url
}

/// `scheme:` followed by something, as a bare URL is written.
fn looks_like_url(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    !rest.is_empty()
        && scheme.len() >= 2
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && (rest.starts_with("//")
            || matches!(
                scheme.to_ascii_lowercase().as_str(),
                "mailto" | "javascript" | "data"
            ))
}

/// Drops each backslash escape whose removal changes nothing a Markdown
/// reader sees (`\#519`, `snake\_case`); keeps those that matter (`\*not
/// emphasis\*`). Escapes of a delimiter (`*`, `_`, `` ` ``, brackets) go all
/// together or not at all, so that a pair is never left half-escaped.
pub fn unescape(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_string();
    }
    let target = events(text);
    let mut out = text.to_string();
    // First each escaped character's escapes all at once.
    let mut escaped: Vec<char> = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next) = chars.peek()
            && next.is_ascii_punctuation()
        {
            if !escaped.contains(&next) {
                escaped.push(next);
            }
            chars.next();
        }
    }
    for c in escaped {
        let candidate = strip_escapes_of(&out, c);
        if events(&candidate) == target {
            out = candidate;
        }
    }
    // Then the others one by one; each try costs a parse, so only a few dozen.
    if out.matches('\\').count() > MAX_ESCAPES_TRIED {
        return out;
    }
    let mut from = 0;
    while let Some(i) = out[from..].find('\\').map(|i| from + i) {
        let next = out[i + 1..].chars().next();
        let Some(next) = next.filter(|c| c.is_ascii_punctuation()) else {
            from = i + 1;
            continue;
        };
        if DELIMITERS.contains(next) {
            from = i + 1 + next.len_utf8();
            continue;
        }
        let candidate = format!("{}{}", &out[..i], &out[i + 1..]);
        if events(&candidate) == target {
            out = candidate;
            from = i + 1;
        } else {
            from = i + 2;
        }
    }
    out
}

/// Characters whose escapes are undone all together or not at all.
const DELIMITERS: &str = "*_`[]";

/// How many backslashes in one paragraph are tried one by one.
const MAX_ESCAPES_TRIED: usize = 64;

/// `text` without the backslash of the escapes of `c`.
fn strip_escapes_of(text: &str, c: char) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '\\' && chars.peek() == Some(&c) {
            continue;
        }
        if ch == '\\' && chars.peek().is_some_and(char::is_ascii_punctuation) {
            out.push(ch);
            out.extend(chars.next());
            continue;
        }
        out.push(ch);
    }
    out
}

fn events(text: &str) -> Vec<Event<'static>> {
    TextMergeStream::new(Parser::new_ext(text, Options::empty()))
        .map(Event::into_static)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paragraphs(md: &str) -> Vec<Paragraph> {
        read(md, 0)
            .unwrap()
            .into_iter()
            .filter_map(|b| match b {
                Block::Paragraph(p) => Some(p),
                Block::Heading { .. } => None,
            })
            .collect()
    }

    #[test]
    fn link_lines_end_a_paragraph() {
        let md = "Some *text*\nover two lines.\n[https://a.example/](https://a.example/)\n<https://b.example/x>\nhttps://c.example/?utm_source=x\n";
        let p = &paragraphs(md)[0];
        assert_eq!(p.text, "Some *text*\nover two lines.");
        let urls: Vec<_> = p.links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://a.example/",
                "https://b.example/x",
                "https://c.example/?utm_source=x"
            ]
        );
        assert_eq!(&md[p.links[1].span.clone()], "https://b.example/x");
    }

    #[test]
    fn a_link_inside_text_is_text() {
        let p = &paragraphs("Read [this post](https://a.example/) today.\n")[0];
        assert!(p.links.is_empty());
        let p = &paragraphs("[one](https://a.example/) and [two](https://b.example/)\n")[0];
        assert!(p.links.is_empty());
    }

    #[test]
    fn escapes_are_undone_where_nothing_needs_them() {
        assert_eq!(
            unescape("Issue \\#519 of snake\\_case"),
            "Issue #519 of snake_case"
        );
        assert_eq!(
            unescape("2 \\* 3 and \\*not emphasis\\*"),
            "2 \\* 3 and \\*not emphasis\\*"
        );
        assert_eq!(
            unescape("an \\_independent\\_ one"),
            "an \\_independent\\_ one"
        );
        assert_eq!(
            unescape("2 \\* 3, a \\\\ and \\(x\\)"),
            "2 * 3, a \\ and (x)"
        );
        assert_eq!(unescape("`a\\_b` stays"), "`a\\_b` stays");
        assert_eq!(unescape("\\# not a heading"), "\\# not a heading");
        // Many escapes: all undone at once when nothing needs them.
        let many = "a\\_b ".repeat(100);
        assert_eq!(unescape(&many), "a_b ".repeat(100));
        let many = format!("{}\\*x\\*", "a\\_b ".repeat(100));
        assert_eq!(unescape(&many), format!("{}\\*x\\*", "a_b ".repeat(100)));
    }

    #[test]
    fn headings_of_both_kinds_and_other_blocks() {
        let md = "News\n====\n\n## Tools\n\n- a list\n- b\n\n```\ncode\n```\n";
        let diags = read(md, 0).unwrap_err();
        let msgs: Vec<_> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "a list is not part of the format",
                "a code block is not part of the format"
            ]
        );
        let blocks = read("News\n====\n\n## Tools ✨\n", 0).unwrap();
        assert_eq!(
            blocks,
            [
                Block::Heading {
                    text: "News".into(),
                    span: 0..10
                },
                Block::Heading {
                    text: "Tools ✨".into(),
                    span: 11..24
                }
            ]
        );
    }
}
