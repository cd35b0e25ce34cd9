//! The Markdown subset of draft text: paragraphs, emphasis, strong, inline
//! code and inline links, parsed once with pulldown-cmark into a small tree
//! that both the HTML and the plain-text renderers walk.
//!
//! Raw HTML is kept as text (and escaped later), never passed through.
//! Other block constructs (headings, lists, quotes, code blocks, images) are
//! errors, so that what the editor sees is what every mail client shows.

use super::Link;
use super::written::Written;
use crate::config::url::check_url;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::ops::Range;

/// A block of text: only paragraphs exist in the subset.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Paragraph(Vec<Inline>),
}

/// Inline content of a paragraph.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    Text(String),
    Code(String),
    Emphasis(Vec<Inline>),
    Strong(Vec<Inline>),
    Link { link: Link, children: Vec<Inline> },
    LineBreak,
}

/// How deep emphasis, strong and links may nest: more than any text needs,
/// and few enough that the renderers' recursion stays shallow.
pub const MAX_NESTING: usize = 16;

const SUBSET: &str =
    "text takes paragraphs, *emphasis*, **strong**, `code` and [links](https://...)";

/// What is wrong with a text, and where in the draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub message: String,
    pub hint: Option<String>,
    pub span: Range<usize>,
}

impl Error {
    fn new(message: String, hint: Option<&str>, span: Range<usize>) -> Error {
        Error {
            message,
            hint: hint.map(str::to_string),
            span,
        }
    }
}

/// Parses `text`. `span` is where the string stands in the draft and `raw` is
/// how it is written there (empty if unknown): each error points at the first
/// line of its construct, and each link's span narrows to where its URL is
/// written, when it is written as is. Every error is reported, not only the first.
pub fn parse(text: &str, span: Range<usize>, raw: &str) -> Result<Vec<Block>, Vec<Error>> {
    let mut locate = Locator {
        raw,
        span: span.clone(),
        cursor: 0,
    };
    let written = Written::new(raw, text);
    // The first line of the construct at `range` of the text, in the draft.
    let at = |range: Range<usize>| -> Range<usize> {
        let Some(w) = &written else {
            return span.clone();
        };
        let first = text.get(range.clone()).unwrap_or("");
        let first = &first[..first.find(['\r', '\n']).unwrap_or(first.len())];
        let indent = first.len() - first.trim_start_matches([' ', '\t']).len();
        let end = range.start + first.len();
        let start = span.start + w.raw_offset(range.start + indent);
        start..(span.start + w.raw_offset(end)).max(start)
    };
    let mut errors = Vec::new();
    let mut blocks = Vec::new();
    // A stack of open inline containers; the bottom one is the paragraph.
    let mut stack: Vec<(Option<Tag<'_>>, Vec<Inline>)> = Vec::new();
    // Inside a construct already reported: how many of its tags are open.
    let mut skipping = 0usize;
    for (event, range) in Parser::new_ext(text, Options::empty()).into_offset_iter() {
        if skipping > 0 {
            match event {
                Event::Start(_) => skipping += 1,
                Event::End(_) => skipping -= 1,
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::Paragraph) | Event::Start(Tag::HtmlBlock) => {
                stack.push((None, Vec::new()))
            }
            Event::End(TagEnd::Paragraph) | Event::End(TagEnd::HtmlBlock) => {
                if let Some((_, inlines)) = stack.pop() {
                    let inlines = trim(inlines);
                    if !inlines.is_empty() {
                        blocks.push(Block::Paragraph(inlines));
                    }
                }
            }
            Event::Start(tag @ (Tag::Emphasis | Tag::Strong | Tag::Link { .. })) => {
                if let Tag::Link { dest_url, .. } = &tag
                    && let Err(why) = check_url(dest_url)
                {
                    let at = locate.find(dest_url);
                    errors.push(Error::new(format!("the link `{dest_url}` {why}"), None, at));
                }
                // The paragraph is the bottom of the stack.
                if stack.len() > MAX_NESTING {
                    let message = format!(
                        "emphasis, strong and links are nested more than {MAX_NESTING} deep"
                    );
                    errors.push(Error::new(message, None, at(range)));
                    skipping = 1;
                    continue;
                }
                stack.push((Some(tag), Vec::new()));
            }
            Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Link) => {
                let (tag, children) = stack.pop().expect("pulldown-cmark balances tags");
                let node = match tag {
                    Some(Tag::Emphasis) => Inline::Emphasis(children),
                    Some(Tag::Strong) => Inline::Strong(children),
                    Some(Tag::Link { dest_url, .. }) => Inline::Link {
                        link: Link {
                            url: dest_url.to_string(),
                            span: locate.find(&dest_url),
                        },
                        children,
                    },
                    _ => unreachable!("only inline tags are pushed with a tag"),
                };
                push(&mut stack, node);
            }
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => {
                push(&mut stack, Inline::Text(t.to_string()))
            }
            Event::Code(t) => push(&mut stack, Inline::Code(t.to_string())),
            Event::SoftBreak => push(&mut stack, Inline::Text(" ".into())),
            Event::HardBreak => push(&mut stack, Inline::LineBreak),
            Event::Start(tag) => {
                let message = format!("{} is not supported in text", describe(&tag));
                errors.push(Error::new(message, Some(SUBSET), at(range)));
                skipping = 1;
            }
            Event::End(_) => {}
            other => {
                let what = match other {
                    Event::Rule => "a horizontal rule",
                    _ => "this Markdown construct",
                };
                let message = format!("{what} is not supported in text");
                errors.push(Error::new(message, Some(SUBSET), at(range)));
            }
        }
    }
    if errors.is_empty() {
        Ok(blocks)
    } else {
        Err(errors)
    }
}

/// Finds URLs in the string as written, in order.
struct Locator<'r> {
    raw: &'r str,
    span: Range<usize>,
    cursor: usize,
}

impl Locator<'_> {
    /// Where `url` is written next, else the whole string.
    fn find(&mut self, url: &str) -> Range<usize> {
        match self.raw.get(self.cursor..).and_then(|rest| rest.find(url)) {
            Some(at) if !url.is_empty() => {
                let start = self.cursor + at;
                self.cursor = start + url.len();
                self.span.start + start..self.span.start + self.cursor
            }
            _ => self.span.clone(),
        }
    }
}

fn push(stack: &mut [(Option<Tag<'_>>, Vec<Inline>)], node: Inline) {
    if let Some((_, top)) = stack.last_mut() {
        // Merge adjacent text so renderers see whole runs.
        if let (Inline::Text(new), Some(Inline::Text(prev))) = (&node, top.last_mut()) {
            prev.push_str(new);
            return;
        }
        top.push(node);
    }
}

fn trim(mut inlines: Vec<Inline>) -> Vec<Inline> {
    if let Some(Inline::Text(t)) = inlines.last_mut() {
        let len = t.trim_end().len();
        t.truncate(len);
    }
    inlines.retain(|i| !matches!(i, Inline::Text(t) if t.is_empty()));
    inlines
}

fn describe(tag: &Tag<'_>) -> &'static str {
    match tag {
        Tag::Heading { .. } => "a heading",
        Tag::BlockQuote(_) => "a block quote",
        Tag::CodeBlock(_) => "a code block",
        Tag::List(_) | Tag::Item => "a list",
        Tag::Image { .. } => "an image",
        Tag::Table(_) | Tag::TableHead | Tag::TableRow | Tag::TableCell => "a table",
        _ => "this Markdown construct",
    }
}

/// Appends the links of `blocks` to `out`, in order.
pub fn collect_links<'a>(blocks: &'a [Block], out: &mut Vec<&'a Link>) {
    fn walk<'a>(inlines: &'a [Inline], out: &mut Vec<&'a Link>) {
        for i in inlines {
            match i {
                Inline::Link { link, children } => {
                    out.push(link);
                    walk(children, out);
                }
                Inline::Emphasis(c) | Inline::Strong(c) => walk(c, out),
                _ => {}
            }
        }
    }
    for Block::Paragraph(inlines) in blocks {
        walk(inlines, out);
    }
}

/// The plain words of some inlines, without markup.
pub fn plain(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for i in inlines {
        match i {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Emphasis(c) | Inline::Strong(c) | Inline::Link { children: c, .. } => {
                out.push_str(&plain(c))
            }
            Inline::LineBreak => out.push(' '),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Vec<Block> {
        parse(text, 0..0, "").unwrap()
    }

    /// `*a _b *c ... c* b_ a*`, `levels` deep.
    fn nested(levels: usize) -> String {
        let open: String = (0..levels)
            .map(|i| if i % 2 == 0 { "*a " } else { "_b " })
            .collect();
        let close: String = (0..levels)
            .rev()
            .map(|i| if i % 2 == 0 { " a*" } else { " b_" })
            .collect();
        format!("{open}x{close}")
    }

    #[test]
    fn nesting_is_limited_so_deep_text_cannot_overflow_the_stack() {
        let ok = parse(&nested(MAX_NESTING), 3..9, "").unwrap();
        assert_eq!(ok.len(), 1);
        let errors = parse(&nested(MAX_NESTING + 1), 3..9, "").unwrap_err();
        let Error { message, span, .. } = &errors[0];
        assert_eq!(
            message,
            "emphasis, strong and links are nested more than 16 deep"
        );
        assert_eq!(*span, 3..9);
        // Ten thousand levels: an error, not an abort.
        assert!(parse(&nested(10_000), 0..0, "").is_err());
    }

    #[test]
    fn parses_the_subset() {
        let blocks = p("One *two* **three** `four` [five](https://e.com).\n\nSecond <b>para</b>.");
        assert_eq!(blocks.len(), 2);
        let Block::Paragraph(first) = &blocks[0];
        assert!(matches!(&first[1], Inline::Emphasis(c) if c == &[Inline::Text("two".into())]));
        assert!(matches!(&first[3], Inline::Strong(_)));
        assert!(matches!(&first[5], Inline::Code(c) if c == "four"));
        assert!(matches!(&first[7], Inline::Link { link, .. } if link.url == "https://e.com"));
        let Block::Paragraph(second) = &blocks[1];
        assert_eq!(plain(second), "Second <b>para</b>.");
    }

    #[test]
    fn links_point_at_their_urls() {
        let raw = r#"x = "[a](https://e.com/1) [b](https://e.com/1) [c](https://e.com/\u0032)""#;
        let start = raw.find('"').unwrap();
        let text = "[a](https://e.com/1) [b](https://e.com/1) [c](https://e.com/2)";
        let blocks = parse(text, start..raw.len(), &raw[start..]).unwrap();
        let mut links = Vec::new();
        collect_links(&blocks, &mut links);
        let spans: Vec<&str> = links.iter().map(|l| &raw[l.span.clone()]).collect();
        // The third is written with an escape: it falls back to the whole string.
        assert_eq!(spans, ["https://e.com/1", "https://e.com/1", &raw[start..]]);
        assert_ne!(links[0].span, links[1].span);

        let raw = "\"\"\"\nSee [this](javascript:void(0)).\"\"\"";
        let err = parse("See [this](javascript:void(0)).", 10..10 + raw.len(), raw).unwrap_err();
        assert_eq!(err[0].span, 10 + 15..10 + 15 + "javascript:void(0)".len());
    }

    #[test]
    fn rejects_what_is_outside_the_subset() {
        assert_eq!(
            parse("# Title", 0..0, "").unwrap_err()[0].message,
            "a heading is not supported in text"
        );
        assert_eq!(
            parse("- a\n- b", 0..0, "").unwrap_err()[0].message,
            "a list is not supported in text"
        );
        assert_eq!(
            parse("a\n\n***", 0..0, "").unwrap_err()[0].message,
            "a horizontal rule is not supported in text"
        );
        let err = &parse("[x](javascript:alert(1))", 0..0, "").unwrap_err()[0].message;
        assert_eq!(
            err,
            "the link `javascript:alert(1)` must be an absolute http(s) URL, not a `javascript:` URL"
        );
    }
}
