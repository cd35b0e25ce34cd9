//! One exported issue, its front matter and blocks, made into an [`Issue`]:
//! the number and date, the intro, the sponsor block, and each section's
//! items. Every problem is a diagnostic pointing into the Markdown.

use super::blocks::{Block, LinkLine, Paragraph};
use super::front::{self, Front};
use super::{Issue, Item, Sponsor};
use crate::config::url::check_url;
use crate::config::{Config, Pattern, squash};
use crate::diag::Diagnostic;
use jiff::Timestamp;
use jiff::civil::Date;
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
    let date = front::date(front, config, &mut diags);
    let (number, title) = front::number_and_title(front, &mut diags);
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
