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
    postal_address(&mut out, config);
    out
}

/// A welcome mail's text part: `blocks`, then the unsubscribe link and the postal address.
pub fn welcome(config: &Config, blocks: &[Block]) -> String {
    let mut out = String::new();
    underline(&mut out, &config.name, '=');
    for block in blocks {
        paragraph(&mut out, None, block);
        urls(&mut out, inline_links(std::slice::from_ref(block)));
    }
    out.push_str("---\n\n");
    wrap_into(&mut out, "Unsubscribe at once, with no login:");
    out.push_str(UNSUBSCRIBE_MARK);
    out.push_str("\n\n");
    postal_address(&mut out, config);
    out
}

/// The footer's postal address, a wrapped line per line of it.
fn postal_address(out: &mut String, config: &Config) {
    for line in (config.postal_address.lines().map(str::trim)).filter(|l| !l.is_empty()) {
        wrap_into(out, line);
    }
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
        .word_separator(textwrap::WordSeparator::Custom(words))
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// The pieces a line may break between: after each run of spaces, as in
/// English; and, in text written without spaces (Chinese, Japanese, Korean),
/// wherever the Unicode line-breaking algorithm (UAX #14) allows a break next
/// to a wide character, which keeps its rules (no break before `。` or after
/// `「`). Nothing else breaks: not a URL, nor a hyphenated `code-span`.
fn words(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    use unicode_width::UnicodeWidthChar;
    let wide = |c: Option<char>| c.is_some_and(|c| c.width() == Some(2));
    let mut cuts: Vec<usize> = Vec::new();
    let mut previous = None;
    for (at, c) in line.char_indices() {
        if previous == Some(' ') && c != ' ' {
            cuts.push(at);
        }
        previous = Some(c);
    }
    for (at, _) in unicode_linebreak::linebreaks(line) {
        let before = line[..at].chars().next_back();
        let after = line[at..].chars().next();
        if at < line.len() && before != Some(' ') && (wide(before) || wide(after)) {
            cuts.push(at);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut start = 0;
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    for cut in cuts.into_iter().chain(std::iter::once(line.len())) {
        if cut > start {
            pieces.push(textwrap::core::Word::from(&line[start..cut]));
            start = cut;
        }
    }
    Box::new(pieces.into_iter())
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

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    fn wrapped(text: &str) -> String {
        let mut out = String::new();
        wrap_into(&mut out, text);
        out
    }

    #[test]
    fn text_without_spaces_wraps_at_72_columns_by_uax14() {
        let ja = "東京のチームは、障害の振り返りを公開しました。「なぜ再試行が嵐になったのか」を、図と数字で丁寧に説明しています。読む価値があります。".repeat(3);
        let out = wrapped(&ja);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() > 3, "{out}");
        for line in &lines {
            assert!(line.width() <= WIDTH, "{} columns: {line}", line.width());
            // Kinsoku: no line starts with a closing mark or ends with an opening one.
            assert!(!line.starts_with(['。', '、', '」']), "{line}");
            assert!(!line.ends_with('「'), "{line}");
        }
        assert_eq!(lines.concat(), ja, "only line breaks were added");
    }

    #[test]
    fn spaced_text_urls_and_hyphens_break_as_before() {
        let url = format!("https://example.com/{}", "a-b/".repeat(30));
        let out = wrapped(&format!(
            "See {url} and the `retry-storm-detector` tool, 東京 too."
        ));
        assert!(out.lines().any(|l| l == url), "{out}");
        assert!(out.contains("`retry-storm-detector`"), "{out}");
        let english = "word ".repeat(40);
        assert!(
            wrapped(&english)
                .lines()
                .all(|l| l.width() <= WIDTH && !l.starts_with(' '))
        );
    }
}
