//! One exported issue, its front matter and blocks, made into an [`Issue`]:
//! the number and date, the intro, the sponsor block, and each section's
//! items. Every problem is a diagnostic pointing into the Markdown.

use super::blocks::{Block, LinkLine, Paragraph};
use super::front::{Front, Value};
use super::{Issue, Item, Sponsor};
use crate::config::url::check_url;
use crate::config::{Config, Pattern, squash};
use crate::diag::Diagnostic;
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use std::collections::HashSet;

/// What one file gave: the issue, and the boilerplate paragraphs left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    pub issue: Issue,
    /// The dropped paragraphs, white space squashed.
    pub dropped: Vec<String>,
}

/// Where the reader is: which block the paragraphs belong to.
enum Place {
    Intro,
    Sponsor(String, std::ops::Range<usize>),
    Section(usize),
    /// After a heading that matched nothing (reported): skip to the next.
    Lost,
}

/// Builds the issue; `footers` are the closing paragraphs most files share.
pub fn build(
    front: &Front,
    blocks: &[Block],
    config: &Config,
    footers: &HashSet<String>,
) -> Result<Built, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let date = date(front, config, &mut diags);
    let (number, title) = number_and_title(front, &mut diags);
    let mut issue = Issue {
        number: number.unwrap_or(0),
        date: date.map_or(Date::MIN, |(d, _)| d),
        published: date.map_or(Timestamp::UNIX_EPOCH, |(_, t)| t),
        subject: None,
        intro: Vec::new(),
        sponsor: None,
        sections: config
            .sections
            .iter()
            .map(|s| (s.key.clone(), Vec::new()))
            .collect(),
    };
    if let (Some(title), Some(n), Some((d, _))) = (&title, number, date) {
        let templated =
            crate::draft::subject_from_template(&config.subject_template, &config.name, n, d);
        if *title != templated {
            issue.subject = Some(title.clone());
        }
    }
    let last_paragraph = blocks
        .iter()
        .rposition(|b| matches!(b, Block::Paragraph(_)));
    let mut dropped = Vec::new();
    let mut place = Place::Intro;
    let mut sponsor: Option<OpenSponsor> = None;
    let mut first_heading = None;
    for (i, block) in blocks.iter().enumerate() {
        let p = match block {
            Block::Heading { text, span } => {
                first_heading.get_or_insert(span.start);
                check_last_item(&issue, &place, &mut diags);
                finish_sponsor(&mut sponsor, &mut issue, &mut diags);
                place = heading(text, span.clone(), config, &issue, &mut diags);
                if let Place::Sponsor(name, span) = &place {
                    sponsor = Some(OpenSponsor {
                        name: name.clone(),
                        span: span.clone(),
                        text: Vec::new(),
                        links: Vec::new(),
                    });
                }
                continue;
            }
            Block::Paragraph(p) => p,
        };
        let squashed = squash(&p.text);
        let closing =
            Some(i) == last_paragraph && p.links.is_empty() && footers.contains(&squashed);
        if !squashed.is_empty() && (closing || drop_matches(&config.import.drop, &squashed)) {
            dropped.push(squashed);
            continue;
        }
        match &place {
            Place::Lost => {}
            Place::Intro => intro_paragraph(p, &mut issue.intro),
            Place::Sponsor(..) => {
                if let Some(open) = &mut sponsor {
                    if !p.text.is_empty() {
                        open.text.push(p.text.clone());
                    }
                    open.links.extend(p.links.iter().cloned());
                }
            }
            Place::Section(s) => {
                let s = *s;
                item_paragraph(p, &mut issue.sections[s].1, &mut diags);
            }
        }
    }
    check_last_item(&issue, &place, &mut diags);
    finish_sponsor(&mut sponsor, &mut issue, &mut diags);
    if issue.intro.is_empty() {
        let at = first_heading.unwrap_or(front.body);
        diags.push(
            Diagnostic::error(at..at, "the issue has no intro before its first heading")
                .with_hint("a draft needs an intro: write a paragraph after the front matter"),
        );
    }
    if diags.iter().any(Diagnostic::is_error) || number.is_none() || date.is_none() {
        diags.sort_by_key(|d| d.span.start);
        return Err(diags);
    }
    Ok(Built { issue, dropped })
}

fn drop_matches(patterns: &[Pattern], text: &str) -> bool {
    patterns.iter().any(|p| p.matches(text).is_some())
}

/// A paragraph before the first heading: kept whole, link lines included.
fn intro_paragraph(p: &Paragraph, intro: &mut Vec<String>) {
    let mut lines: Vec<String> = Vec::new();
    if !p.text.is_empty() {
        lines.push(p.text.clone());
    }
    lines.extend(p.links.iter().map(|l| format!("<{}>", l.url)));
    intro.push(lines.join("\n"));
}

/// A paragraph in a section: a new item, or more links for the last one.
fn item_paragraph(p: &Paragraph, items: &mut Vec<Item>, diags: &mut Vec<Diagnostic>) {
    let mut links = Vec::new();
    for l in &p.links {
        match check_url(&l.url) {
            Ok(()) => links.push(l.url.clone()),
            Err(why) => diags.push(
                Diagnostic::error(l.span.clone(), format!("the link `{}` {why}", l.url))
                    .with_hint("an item's links are absolute http(s) URLs"),
            ),
        }
    }
    let bad_links = p.links.len() - links.len();
    if p.text.is_empty() {
        match items.last_mut() {
            Some(item) => {
                item.links.extend(links);
                item.bad_links += bad_links;
            }
            None => diags.push(
                Diagnostic::error(p.span.clone(), "links with no paragraph before them")
                    .with_hint("an item is a paragraph, then a line for each of its links"),
            ),
        }
        return;
    }
    if let Some(item) = items.last() {
        no_links_error(item, diags);
    }
    items.push(Item {
        text: p.text.clone(),
        links,
        span: p.text_span.clone(),
        bad_links,
    });
}

fn no_links_error(item: &Item, diags: &mut Vec<Diagnostic>) {
    if item.links.is_empty() && item.bad_links == 0 {
        diags.push(
            Diagnostic::error(item.span.clone(), "an item without a link")
                .with_hint("put its link on a line of its own after the paragraph, as [https://...](https://...)"),
        );
    }
}

fn check_last_item(issue: &Issue, place: &Place, diags: &mut Vec<Diagnostic>) {
    if let Place::Section(s) = place
        && let Some(item) = issue.sections[*s].1.last()
    {
        no_links_error(item, diags);
    }
}

fn finish_sponsor(
    sponsor: &mut Option<OpenSponsor>,
    issue: &mut Issue,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(OpenSponsor {
        name,
        span,
        text,
        links,
    }) = sponsor.take()
    else {
        return;
    };
    let before = diags.len();
    match links.as_slice() {
        [] => diags.push(
            Diagnostic::error(
                span.clone(),
                format!("the sponsor block of {name} has no link line"),
            )
            .with_hint("end the sponsor's paragraph with a line holding only its link"),
        ),
        [one] => {
            if let Err(why) = check_url(&one.url) {
                diags.push(Diagnostic::error(
                    one.span.clone(),
                    format!("the link `{}` {why}", one.url),
                ));
            }
        }
        [_, second, ..] => diags.push(
            Diagnostic::error(
                second.span.clone(),
                "the sponsor block has more than one link line",
            )
            .with_hint(
                "a sponsor has one link; put others in its paragraph as [text](https://...)",
            ),
        ),
    }
    if text.is_empty() {
        diags.push(Diagnostic::error(
            span,
            format!("the sponsor block of {name} has no paragraph"),
        ));
    }
    if diags.len() == before {
        issue.sponsor = Some(Sponsor {
            name,
            text,
            url: links[0].url.clone(),
        });
    }
}

/// The sponsor block being read.
struct OpenSponsor {
    name: String,
    span: std::ops::Range<usize>,
    text: Vec<String>,
    links: Vec<LinkLine>,
}

/// What a heading starts: the sponsor block, a section, or an error.
fn heading(
    text: &str,
    span: std::ops::Range<usize>,
    config: &Config,
    issue: &Issue,
    diags: &mut Vec<Diagnostic>,
) -> Place {
    let lower = squash(text).to_lowercase();
    if let Some(s) = config
        .sections
        .iter()
        .position(|s| s.title.to_lowercase() == lower)
    {
        return Place::Section(s);
    }
    if let Some((_, key)) = config.import.sections.iter().find(|(t, _)| *t == lower)
        && let Some(s) = config.sections.iter().position(|s| s.key == *key)
    {
        return Place::Section(s);
    }
    if let Some(name) = config.import.sponsor.matches(text) {
        if issue.sponsor.is_some() {
            diags.push(Diagnostic::error(span, "a second sponsor block"));
            return Place::Lost;
        }
        return Place::Sponsor(name, span);
    }
    let titles: Vec<_> = config
        .sections
        .iter()
        .map(|s| format!("\"{}\"", s.title))
        .collect();
    diags.push(
        Diagnostic::error(span, format!("the heading \"{text}\" matches no section"))
            .with_hint(format!(
                "the configured sections are {}; map another title with [import] sections = {{ \"{text}\" = \"{}\" }}",
                titles.join(", "),
                config.sections.first().map_or("news", |s| s.key.as_str())
            )),
    );
    Place::Lost
}

/// The issue's date (in the config's time zone) and when it was published.
fn date(front: &Front, config: &Config, diags: &mut Vec<Diagnostic>) -> Option<(Date, Timestamp)> {
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
fn number_and_title(front: &Front, diags: &mut Vec<Diagnostic>) -> (Option<u32>, Option<String>) {
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
    use super::number_in_title;

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
}
