//! Draft TOML to [`Draft`], with every error pointing at what the editor wrote.

use super::{Draft, Item, Link, Section, Sponsor, markdown, normalize_url};
use crate::config::url::check_url;
use crate::config::{Config, DRAFT_KEYS};
use crate::diag::{Diagnostic, Source, suggest};
use crate::fields::{self, Fields};
use jiff::civil;
use jiff::tz::AmbiguousOffset;
use std::collections::HashMap;
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
        Some(value) => date_value(value, f.diags),
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
        send_at(&d, config, f.diags)
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
        subject_from_template(&config.subject_template, &config.name, issue, date)
    });
    let preheader = preheader.unwrap_or_else(|| default_preheader(&intro));
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
    };
    warn(&draft, &written, subject_span, diags);
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
        Err((msg, hint, span)) => {
            let mut d = Diagnostic::error(span, format!("in `{key}`: {msg}"));
            if let Some(h) = hint {
                d = d.with_hint(h);
            }
            diags.push(d);
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

/// `date`, which must be a TOML local date.
fn date_value(value: fields::Value<'_>, diags: &mut Vec<Diagnostic>) -> Option<civil::Date> {
    let span = value.span();
    match value.get_ref() {
        DeValue::Datetime(d) => local_date(&Spanned::new(span, *d), diags),
        other => {
            let msg = format!(
                "`date` must be a date such as 2026-12-06, found {}",
                other.type_str()
            );
            let mut d = Diagnostic::error(span, msg);
            if let DeValue::String(s) = other
                && s.parse::<civil::Date>().is_ok()
            {
                d = d.with_hint(format!("write it without quotes: date = {s}"));
            }
            diags.push(d);
            None
        }
    }
}

fn local_date(
    d: &Spanned<toml::value::Datetime>,
    diags: &mut Vec<Diagnostic>,
) -> Option<civil::Date> {
    match (d.get_ref().date, d.get_ref().time) {
        (Some(date), None) => {
            civil::Date::new(date.year as i16, date.month as i8, date.day as i8).ok()
        }
        _ => {
            let msg = "`date` must be a plain date such as 2026-12-06";
            diags.push(
                Diagnostic::error(d.span(), msg).with_hint("the time to send goes in `send_at`"),
            );
            None
        }
    }
}

/// `send_at` as an instant: `Some(None)` never happens; `None` on error.
fn send_at(
    d: &Spanned<toml::value::Datetime>,
    config: &Config,
    diags: &mut Vec<Diagnostic>,
) -> Option<Option<jiff::Timestamp>> {
    let v = d.get_ref();
    let (Some(date), Some(time)) = (v.date, v.time) else {
        let msg = "`send_at` must be a date and time, such as 2026-12-06T09:00:00 or 2026-12-06T09:00:00Z";
        diags.push(Diagnostic::error(d.span(), msg));
        return None;
    };
    let civil = civil::DateTime::new(
        date.year as i16,
        date.month as i8,
        date.day as i8,
        time.hour as i8,
        time.minute as i8,
        time.second as i8,
        time.nanosecond as i32,
    )
    .ok()?;
    let offset_secs = match v.offset {
        Some(toml::value::Offset::Z) => Some(0),
        Some(toml::value::Offset::Custom { minutes }) => Some(i32::from(minutes) * 60),
        None => None,
    };
    if let Some(secs) = offset_secs {
        let offset = jiff::tz::Offset::from_seconds(secs).ok()?;
        return offset.to_timestamp(civil).ok().map(Some);
    }
    let tz_name = &config.timezone_name;
    let ambiguous = config.timezone.to_ambiguous_timestamp(civil);
    match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(civil).ok().map(Some),
        AmbiguousOffset::Gap { before, after } => {
            let (a, b) = (
                before.to_timestamp(civil).ok()?,
                after.to_timestamp(civil).ok()?,
            );
            let msg = format!(
                "`send_at` {civil} does not exist in {tz_name}: the clocks skip it (daylight saving)"
            );
            let hint = format!(
                "write an instant with its offset: {} or {}",
                fmt_instant(a, before),
                fmt_instant(b, after)
            );
            diags.push(Diagnostic::error(d.span(), msg).with_hint(hint));
            None
        }
        AmbiguousOffset::Fold { before, after } => {
            let (a, b) = (
                before.to_timestamp(civil).ok()?,
                after.to_timestamp(civil).ok()?,
            );
            let msg = format!(
                "`send_at` {civil} happens twice in {tz_name}: the clocks go back (daylight saving)"
            );
            let hint = format!(
                "write the one you mean with its offset: {} or {}",
                fmt_instant(a, before),
                fmt_instant(b, after)
            );
            diags.push(Diagnostic::error(d.span(), msg).with_hint(hint));
            None
        }
    }
}

/// An instant as TOML writes an offset date-time, then in UTC.
fn fmt_instant(ts: jiff::Timestamp, offset: jiff::tz::Offset) -> String {
    let local = ts.to_zoned(jiff::tz::TimeZone::fixed(offset));
    format!(
        "{} ({}Z)",
        local.strftime("%Y-%m-%dT%H:%M:%S%:z"),
        ts.strftime("%Y-%m-%dT%H:%M:%S")
    )
}

/// "6th December 2020".
pub fn long_date(date: civil::Date) -> String {
    let day = date.day();
    let suffix = match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{day}{suffix} {}", date.strftime("%B %Y"))
}

/// Fills `{name}`, `{issue}` and `{date}` in a subject template.
pub fn subject_from_template(template: &str, name: &str, issue: u32, date: civil::Date) -> String {
    template
        .replace("{name}", name)
        .replace("{issue}", &issue.to_string())
        .replace("{date}", &long_date(date))
}

/// The intro's first sentence, cut at 140 characters on a word boundary.
fn default_preheader(intro: &[markdown::Block]) -> String {
    let markdown::Block::Paragraph(first) = &intro[0];
    let text = markdown::plain(first);
    let mut end = text.len();
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?') && text[i + 1..].starts_with(' ') {
            end = i + 1;
            break;
        }
    }
    let sentence = &text[..end];
    if sentence.chars().count() <= 140 {
        return sentence.to_string();
    }
    let cut: String = sentence.chars().take(139).collect();
    let cut = cut
        .rsplit_once(' ')
        .map_or(cut.as_str(), |(head, _)| head)
        .trim_end_matches([',', ';', ':']);
    format!("{cut}…")
}

/// Warnings that need only the draft itself. `written` counts each section's
/// `[[key]]` tables; `subject_span` is where the subject was written, if it was.
fn warn(
    draft: &Draft,
    written: &[usize],
    subject_span: Option<Range<usize>>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut seen: HashMap<String, &Link> = HashMap::new();
    for link in draft.links() {
        let key = normalize_url(&link.url);
        if let Some(first) = seen.get(&key) {
            if first.span != link.span {
                diags.push(Diagnostic::warning(
                    link.span.clone(),
                    format!("`{}` is linked twice in this issue", link.url),
                ));
            }
        } else {
            seen.insert(key, link);
        }
    }
    for (section, &tables) in draft.sections.iter().zip(written) {
        if tables == 0 {
            let span = section.span.clone().unwrap_or(0..0);
            let msg = format!("section `{}` ({}) has no items", section.key, section.title);
            let hint = format!(
                "it is left out of the issue; add a [[{}]] table to fill it",
                section.key
            );
            diags.push(Diagnostic::warning(span, msg).with_hint(hint));
        }
    }
    let len = draft.subject.chars().count();
    if len > 80 {
        let msg = format!("the subject is {len} characters long; inboxes cut it near 60-80");
        diags.push(Diagnostic::warning(subject_span.unwrap_or(0..0), msg));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_dates() {
        let d = |y, m, d| civil::date(y, m, d);
        assert_eq!(long_date(d(2020, 12, 6)), "6th December 2020");
        assert_eq!(long_date(d(2021, 1, 1)), "1st January 2021");
        assert_eq!(long_date(d(2021, 1, 22)), "22nd January 2021");
        assert_eq!(long_date(d(2021, 1, 13)), "13th January 2021");
        assert_eq!(long_date(d(2021, 1, 23)), "23rd January 2021");
    }

    #[test]
    fn preheader_is_the_first_sentence() {
        let blocks = markdown::parse("Hello *there*. Second one.", 0..0, "").unwrap();
        assert_eq!(default_preheader(&blocks), "Hello there.");
        let long = "word ".repeat(60);
        let blocks = markdown::parse(&long, 0..0, "").unwrap();
        let p = default_preheader(&blocks);
        assert!(p.chars().count() <= 140 && p.ends_with("word…"), "{p}");
    }
}

#[cfg(test)]
mod send_at_tests {
    use super::*;
    use std::path::Path;

    fn config(tz: &str) -> Config {
        let text = format!(
            "name = \"N\"\nfrom = \"N <n@example.org>\"\nbase_url = \"https://example.org\"\npostal_address = \"1 Road\"\ntimezone = \"{tz}\"\n"
        );
        Config::parse(Path::new("/n"), &Source::new("c", text)).unwrap()
    }

    fn draft(send_at: &str) -> Source {
        Source::new(
            "d.toml",
            format!(
                "issue = 1\ndate = 2026-03-29\nsend_at = {send_at}\nintro = \"Hi.\"\n[[news]]\ntext = \"x\"\nlinks = [\"https://e.org\"]\n"
            ),
        )
    }

    #[test]
    fn local_send_at_reads_in_the_config_zone() {
        let (d, _) = parse(&draft("2026-03-29T09:00:00"), &config("Europe/London")).unwrap();
        assert_eq!(d.send_at, Some("2026-03-29T08:00:00Z".parse().unwrap()));
        let (d, _) = parse(
            &draft("2026-03-29T09:00:00+02:00"),
            &config("Europe/London"),
        )
        .unwrap();
        assert_eq!(d.send_at, Some("2026-03-29T07:00:00Z".parse().unwrap()));
    }

    #[test]
    fn a_skipped_or_repeated_local_time_names_both_instants() {
        let errors = |d| {
            parse(&d, &config("Europe/London"))
                .unwrap_err()
                .into_iter()
                .filter(Diagnostic::is_error)
                .collect::<Vec<_>>()
        };
        let gap = errors(draft("2026-03-29T01:30:00"));
        assert_eq!(
            gap[0].message,
            "`send_at` 2026-03-29T01:30:00 does not exist in Europe/London: the clocks skip it (daylight saving)"
        );
        assert_eq!(
            gap[0].hint.as_deref(),
            Some(
                "write an instant with its offset: 2026-03-29T01:30:00+00:00 (2026-03-29T01:30:00Z) or 2026-03-29T01:30:00+01:00 (2026-03-29T00:30:00Z)"
            )
        );
        let fold: Vec<_> = parse(&draft("2026-11-01T01:30:00"), &config("America/New_York"))
            .unwrap_err()
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect();
        assert_eq!(
            fold[0].message,
            "`send_at` 2026-11-01T01:30:00 happens twice in America/New_York: the clocks go back (daylight saving)"
        );
        assert_eq!(
            fold[0].hint.as_deref(),
            Some(
                "write the one you mean with its offset: 2026-11-01T01:30:00-04:00 (2026-11-01T05:30:00Z) or 2026-11-01T01:30:00-05:00 (2026-11-01T06:30:00Z)"
            )
        );
    }
}
