//! The plain-text part: the same content as the HTML part, in the same order,
//! wrapped at 72 columns, with every URL whole on a line of its own.

use super::UNSUBSCRIBE_MARK;
use crate::config::Config;
use crate::draft::{Block, Draft, Inline, Link, long_date};
use unicode_width::UnicodeWidthStr;

const WIDTH: usize = 72;

pub fn render(draft: &Draft, config: &Config) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let title = format!("{} - Issue #{}", config.name, draft.issue);
    underline(&mut out, &title, '=');
    out.push_str(&long_date(draft.date));
    out.push_str("\n\n");

    for block in &draft.intro {
        paragraph(&mut out, None, block);
        urls(&mut out, inline_links(std::slice::from_ref(block)));
    }

    if let Some(s) = &draft.sponsor {
        underline(&mut out, &format!("Sponsored by {}", s.name), '-');
        blocks(&mut out, None, &s.text);
        let mut links = inline_links(&s.text);
        links.push(&s.url);
        urls(&mut out, links);
    }

    for section in draft.sections.iter().filter(|s| !s.items.is_empty()) {
        underline(&mut out, &section.title, '=');
        for item in &section.items {
            blocks(&mut out, item.title.as_deref(), &item.text);
            let mut links = inline_links(&item.text);
            links.extend(item.links.iter());
            urls(&mut out, links);
        }
    }

    for block in &draft.outro {
        paragraph(&mut out, None, block);
        urls(&mut out, inline_links(std::slice::from_ref(block)));
    }

    out.push_str("---\n\n");
    wrap_into(
        &mut out,
        &format!(
            "You are receiving {} because you subscribed to it. Unsubscribe at once, with no login:",
            config.name
        ),
    );
    out.push_str(UNSUBSCRIBE_MARK);
    out.push_str("\n\n");
    wrap_into(&mut out, "Read this and past issues in the archive:");
    out.push_str(&config.archive_url(draft.issue));
    out.push_str("\n\n");
    for line in config
        .postal_address
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        wrap_into(&mut out, line);
    }
    out
}

/// A heading, wrapped like any text (a sponsor's name comes from the draft),
/// underlined as wide as its widest line.
fn underline(out: &mut String, title: &str, ch: char) {
    let mut width = 1;
    for line in textwrap::wrap(title, wrap_options()) {
        let line = line.trim_end();
        width = width.max(UnicodeWidthStr::width(line));
        out.push_str(line);
        out.push('\n');
    }
    out.extend(std::iter::repeat_n(ch, width));
    out.push_str("\n\n");
}

/// Paragraphs separated by blank lines, the title before the first.
fn blocks(out: &mut String, title: Option<&str>, blocks: &[Block]) {
    for (i, block) in blocks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        paragraph(out, if i == 0 { title } else { None }, block);
    }
}

/// One paragraph's wrapped lines, without a blank line after.
fn paragraph(out: &mut String, title: Option<&str>, block: &Block) {
    let Block::Paragraph(inlines) = block;
    let mut text = String::new();
    if let Some(t) = title {
        text.push('*');
        text.push_str(t);
        text.push_str("* ");
    }
    flatten(inlines, &mut text);
    wrap_into(out, &text);
}

fn wrap_options() -> textwrap::Options<'static> {
    textwrap::Options::new(WIDTH)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// Writes `text` wrapped at 72 columns, never breaking a word, one newline after.
/// Lines break at spaces only: never inside a word, nor after its hyphens,
/// so a URL or a `code-span` written in the text stays whole.
fn wrap_into(out: &mut String, text: &str) {
    let options = wrap_options();
    for line in text.split('\n') {
        for wrapped in textwrap::wrap(line, &options) {
            out.push_str(wrapped.trim_end());
            out.push('\n');
        }
    }
}

fn flatten(inlines: &[Inline], out: &mut String) {
    for i in inlines {
        match i {
            Inline::Text(t) => out.push_str(t),
            Inline::Code(t) => {
                out.push('`');
                out.push_str(t);
                out.push('`');
            }
            Inline::Emphasis(c) => {
                out.push('_');
                flatten(c, out);
                out.push('_');
            }
            Inline::Strong(c) => {
                out.push('*');
                flatten(c, out);
                out.push('*');
            }
            Inline::Link { children, .. } => flatten(children, out),
            Inline::LineBreak => out.push('\n'),
        }
    }
}

fn inline_links(blocks: &[Block]) -> Vec<&Link> {
    let mut out = Vec::new();
    crate::draft::collect_links(blocks, &mut out);
    out
}

/// Each distinct URL on a line of its own, then the blank line that ends the item.
fn urls(out: &mut String, links: Vec<&Link>) {
    let mut seen: Vec<&str> = Vec::new();
    for link in links {
        if !seen.contains(&link.url.as_str()) {
            seen.push(&link.url);
            out.push_str(&link.url);
            out.push('\n');
        }
    }
    out.push('\n');
}
