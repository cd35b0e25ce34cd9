//! Draft TOML to [`Draft`], with every error pointing at what the editor wrote.

use super::{Draft, Item, Link, Section, Sponsor, lint, markdown, present, time};
use crate::config::url::check_url;
use crate::config::{Config, DRAFT_KEYS};
use crate::diag::{Diagnostic, Source, suggest};
use crate::fields::{self, Fields};
use std::ops::Range;
use toml::Spanned;
use toml::de::DeValue;

/// Parses a draft. On success returns the draft and its warnings; on failure
/// every error found (and the warnings), sorted by position.
pub fn parse(
    source: &Source,
    config: &Config,
) -> Result<(Draft, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let draft = match fields::parse(&source.text) {
        Ok(table) => read(table, config, &source.text, &mut diags),
        Err(d) => {
            diags.push(d);
            None
        }
    };
    diags.sort_by_key(|d| (d.span.start, d.severity));
    match draft {
        Some(d) if !diags.iter().any(Diagnostic::is_error) => Ok((d, diags)),
        _ => Err(diags),
    }
}

/// `src` is the draft's text, for pointing into Markdown strings.
fn read(
    table: Spanned<toml::de::DeTable<'_>>,
    config: &Config,
    src: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Draft> {
    let span = table.span();
    let mut f = Fields::new(table.into_inner(), span, "the draft", diags);

    let issue = f
        .req_int("issue")
        .and_then(|n| match u32::try_from(*n.get_ref()) {
            Ok(v) if v >= 1 => Some(v),
            _ => {
                f.diags.push(Diagnostic::error(
                    n.span(),
                    "`issue` must be a whole number of 1 or more",
                ));
                None
            }
        });
    let date = match f.take("date") {
        Some(value) => time::date_value(value, f.diags),
        None => {
            let msg = "missing required key `date` (a date such as 2026-12-06) in the draft";
            let at = f.span().start;
            f.report_missing("date", Diagnostic::error(at..at, msg));
            None
        }
    };
    let subject = f
        .opt_str("subject")
        .map(|s| (s.span(), one_line(s, "subject", f.diags)));
    let subject_span = subject.as_ref().map(|(span, _)| span.clone());
    let subject = subject.and_then(|(_, s)| s);
    let preheader = f
        .opt_str("preheader")
        .and_then(|s| one_line(s, "preheader", f.diags));
    let send_at = f.opt_datetime("send_at").and_then(|d| {
        time::send_at(&d, config, f.diags)
            .flatten()
            .map(|t| (t, d.span()))
    });
    let intro = f
        .req_str("intro")
        .and_then(|s| text(&s, "intro", src, f.diags));
    let sponsor = f.opt_table("sponsor").and_then(|(t, span)| {
        let mut s = Fields::new(t, span, "[sponsor]", f.diags);
        let name = s.req_str("name");
        let body = s
            .req_str("text")
            .and_then(|t| text(&t, "text", src, s.diags));
        let url = s.req_str("url").and_then(|u| link(u, s.diags));
        s.finish();
        Some(Sponsor {
            name: name?.into_inner(),
            text: body?,
            url: url?,
        })
    });
    // Absent is no closing paragraph; present, it must hold one.
    let outro = f.opt_str("outro").map(|s| text(&s, "outro", src, f.diags));
    let mut sections = Vec::new();
    // How many `[[key]]` tables each section has, parsed or not: a section whose
    // items all have errors is not an empty section.
    let mut written = Vec::new();
    for def in &config.sections {
        let mut section = Section {
            key: def.key.clone(),
            title: def.title.clone(),
            span: None,
            items: Vec::new(),
        };
        let key = def.key.as_str();
        let mut tables = 0;
        if let Some(value) = f.take(key) {
            section.span = Some(value.span());
            let items = fields::array_of_tables(key, value, f.diags);
            tables = items.len();
            for (i, (table, span)) in items.into_iter().enumerate() {
                let what = format!("{} item {}", def.key, i + 1);
                if let Some(item) = item(table, span, what, src, f.diags) {
                    section.items.push(item);
                }
            }
        }
        sections.push(section);
        written.push(tables);
    }
    // Unknown top-level keys: suggest draft keys and configured sections alike.
    let known: Vec<&str> = DRAFT_KEYS
        .iter()
        .copied()
        .chain(config.sections.iter().map(|s| s.key.as_str()))
        .collect();
    for (key, value) in f.drain() {
        let key_text = key.get_ref();
        let mut d = Diagnostic::error(key.span(), format!("unknown key `{key_text}` in the draft"));
        if let Some(near) = suggest(key_text, known.iter().copied()) {
            d = d.with_hint(format!("did you mean `{near}`?"));
            f.misspelt(near);
        } else if matches!(value.get_ref(), DeValue::Array(_) | DeValue::Table(_)) {
            let list: Vec<_> = config
                .sections
                .iter()
                .map(|s| format!("`{}`", s.key))
                .collect();
            d = d.with_hint(format!("the configured sections are {}", list.join(", ")));
        } else {
            let list: Vec<_> = DRAFT_KEYS.iter().map(|k| format!("`{k}`")).collect();
            d = d.with_hint(format!("the draft's keys are {}", list.join(", ")));
        }
        f.diags.push(d);
    }
    f.finish();

    let (issue, date, intro) = (issue?, date?, intro?);
    let subject = subject.unwrap_or_else(|| {
        present::subject_from_template(&config.subject_template, &config.name, issue, date)
    });
    let preheader = preheader.unwrap_or_else(|| present::default_preheader(&intro));
    let draft = Draft {
        issue,
        date,
        subject,
        preheader,
        send_at: send_at.as_ref().map(|(t, _)| *t),
        send_at_span: send_at.map(|(_, span)| span),
        intro,
        sponsor,
        sections,
        outro: outro.unwrap_or(Some(Vec::new()))?,
    };
    lint::own(&draft, &written, subject_span, diags);
    Some(draft)
}

fn item(
    table: toml::de::DeTable<'_>,
    span: Range<usize>,
    what: String,
    src: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Item> {
    let mut f = Fields::new(table, span.clone(), what, diags);
    let title = f
        .opt_str("title")
        .and_then(|s| one_line(s, "title", f.diags));
    let body = f
        .req_str("text")
        .and_then(|t| text(&t, "text", src, f.diags));
    let links_key = f
        .remaining_keys()
        .into_iter()
        .find_map(|(k, span)| (k == "links").then_some(span));
    let before = f.diags.len();
    let links = match f.opt_str_array("links") {
        // Present but not an array: `opt_str_array` has said so.
        None if links_key.is_some() => None,
        None => {
            let msg = format!("{} has no `links`: every item needs at least one", f.what());
            let d = Diagnostic::error(span.start..span.start, msg)
                .with_hint("add `links = [\"https://...\"]`");
            f.report_missing("links", d);
            None
        }
        // Empty, or holding no strings (said already).
        Some(list) if list.is_empty() => {
            if f.diags.len() == before {
                let msg = format!(
                    "{} has an empty `links`: every item needs at least one",
                    f.what()
                );
                let at = links_key.unwrap_or(span);
                f.diags.push(Diagnostic::error(at, msg));
            }
            None
        }
        Some(list) => {
            let links: Vec<Link> = list.into_iter().filter_map(|u| link(u, f.diags)).collect();
            (f.diags.len() == before).then_some(links)
        }
    };
    f.finish();
    Some(Item {
        title,
        text: body?,
        links: links?,
    })
}

fn link(url: Spanned<String>, diags: &mut Vec<Diagnostic>) -> Option<Link> {
    let trimmed = url.get_ref().trim();
    match check_url(trimmed) {
        Ok(()) => Some(Link {
            url: trimmed.to_string(),
            span: url.span(),
        }),
        Err(why) => {
            diags.push(Diagnostic::error(
                url.span(),
                format!("the link `{}` {why}", url.get_ref()),
            ));
            None
        }
    }
}

/// A Markdown value's blocks, its errors pushed onto `diags`.
pub(super) fn markdown_text(
    s: &Spanned<String>,
    key: &str,
    src: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<markdown::Block>> {
    text(s, key, src, diags)
}

fn text(
    s: &Spanned<String>,
    key: &str,
    src: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<markdown::Block>> {
    let raw = src.get(s.span()).unwrap_or("");
    match markdown::parse(s.get_ref(), s.span(), raw) {
        Ok(blocks) if blocks.is_empty() => {
            diags.push(Diagnostic::error(s.span(), format!("`{key}` is empty")));
            None
        }
        Ok(blocks) => Some(blocks),
        Err(errors) => {
            for markdown::Error {
                message,
                hint,
                span,
            } in errors
            {
                let mut d = Diagnostic::error(span, format!("in `{key}`: {message}"));
                if let Some(h) = hint {
                    d = d.with_hint(h);
                }
                diags.push(d);
            }
            None
        }
    }
}

fn one_line(s: Spanned<String>, key: &str, diags: &mut Vec<Diagnostic>) -> Option<String> {
    if s.get_ref().contains(['\r', '\n']) {
        diags.push(Diagnostic::error(
            s.span(),
            format!("`{key}` must be one line, without line breaks"),
        ));
        return None;
    }
    let v = s.get_ref().trim();
    if v.is_empty() {
        diags.push(Diagnostic::error(s.span(), format!("`{key}` is empty")));
        return None;
    }
    Some(v.to_string())
}
