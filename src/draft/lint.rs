//! Warnings: those of one draft alone (a link twice, an empty section, a long
//! subject), and those that look beyond it: links featured in earlier issues,
//! the rendered HTML's size against Gmail's clipping limit, `send_at`.

use super::{Draft, Link, normalize_url};
use crate::diag::Diagnostic;
use std::collections::HashMap;
use std::ops::Range;

/// Gmail clips messages whose HTML is over about 102 KB; we warn well before.
pub const HTML_WARN_BYTES: usize = 90 * 1024;

/// The stand-ins of `gazette new`'s skeleton, reported by `check` until replaced.
pub const INTRO_STAND_IN: &str = "Write the opening of the issue here.";
pub const SPONSOR_NAME_STAND_IN: &str = "Sponsor name";
pub const SPONSOR_TEXT_STAND_IN: &str = "One paragraph about the sponsor.";
pub const ITEM_TEXT_STAND_IN: &str = "A paragraph about the link.";
/// The text of an item `gazette add` wrote without `--text`.
pub const ADDED_TEXT_STAND_IN: &str = "Write about this link.";
const STAND_INS: [&str; 5] = [
    ADDED_TEXT_STAND_IN,
    INTRO_STAND_IN,
    SPONSOR_NAME_STAND_IN,
    SPONSOR_TEXT_STAND_IN,
    ITEM_TEXT_STAND_IN,
];

/// Warns about each stand-in of the skeleton left in the draft: its texts
/// (outside comments) and links to the stand-in domain, example.com.
pub fn placeholders(text: &str, draft: &Draft, diags: &mut Vec<Diagnostic>) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if !line.trim_start().starts_with('#') {
            for stand_in in STAND_INS {
                for (at, _) in line.match_indices(stand_in) {
                    let start = offset + at;
                    diags.push(
                        Diagnostic::warning(
                            start..start + stand_in.len(),
                            format!("`{stand_in}` is the skeleton's stand-in"),
                        )
                        .with_hint("write the issue's own words here"),
                    );
                }
            }
        }
        offset += line.len();
    }
    for link in draft.links() {
        if crate::config::skeleton::url_host(&link.url)
            .is_some_and(|h| h.eq_ignore_ascii_case(crate::config::skeleton::PLACEHOLDER_DOMAIN))
        {
            diags.push(
                Diagnostic::warning(
                    link.span.clone(),
                    format!("`{}` is a stand-in link", link.url),
                )
                .with_hint("link the page the item is about"),
            );
        }
    }
}

/// Every link of the drafts numbered below `issue`, normalised, with the
/// latest issue that featured it ("already linked in issue #N").
pub fn featured_before(issue: u32, others: &[&Draft]) -> HashMap<String, u32> {
    let mut featured: HashMap<String, u32> = HashMap::new();
    for other in others.iter().filter(|o| o.issue < issue) {
        for link in other.links() {
            let entry = featured
                .entry(normalize_url(&link.url))
                .or_insert(other.issue);
            *entry = (*entry).max(other.issue);
        }
    }
    featured
}

/// Warns about each link of `draft` already featured in an earlier issue.
pub fn earlier_links(draft: &Draft, others: &[&Draft], diags: &mut Vec<Diagnostic>) {
    let featured = featured_before(draft.issue, others);
    for link in draft.links() {
        if let Some(issue) = featured.get(&normalize_url(&link.url)) {
            let msg = format!("`{}` was already linked in issue #{issue}", link.url);
            diags.push(Diagnostic::warning(link.span.clone(), msg));
        }
    }
}

/// Warns when the encoded HTML part is near Gmail's clipping limit.
pub fn html_size(encoded_bytes: usize, diags: &mut Vec<Diagnostic>) {
    if encoded_bytes > HTML_WARN_BYTES {
        let msg = format!(
            "the HTML part is {} KB once encoded; Gmail clips messages over about 102 KB, hiding the unsubscribe link",
            encoded_bytes / 1024
        );
        diags.push(Diagnostic::warning(0..0, msg).with_hint("move some items to the next issue"));
    }
}

/// Warns when `send_at` has passed for an issue not yet sent, or is more than
/// 30 days ahead (a wrong year or month, most likely).
pub fn send_at(draft: &Draft, started: bool, now: jiff::Timestamp, diags: &mut Vec<Diagnostic>) {
    let (Some(at), Some(span)) = (draft.send_at, draft.send_at_span.clone()) else {
        return;
    };
    if at < now && !started {
        let msg = format!(
            "`send_at` {at} has passed and issue #{} has not been sent",
            draft.issue
        );
        let hint = "`gazette send --due` sends it if it is less than `max_lateness` late; or move `send_at`";
        diags.push(Diagnostic::warning(span, msg).with_hint(hint));
    } else if at.duration_since(now) > jiff::SignedDuration::from_hours(30 * 24) {
        diags.push(Diagnostic::warning(
            span,
            format!("`send_at` {at} is more than 30 days ahead"),
        ));
    }
}

/// Warnings that need only the draft itself. `written` counts each section's
/// `[[key]]` tables; `subject_span` is where the subject was written, if it was.
pub(super) fn own(
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
    use crate::config::Config;
    use crate::diag::Source;
    use std::path::Path;

    fn draft(send_at: &str) -> Draft {
        let config = Config::parse(
            Path::new("/n"),
            &Source::new("c", "name = \"N\"\nfrom = \"n@example.org\"\nbase_url = \"https://e.org\"\npostal_address = \"1 Road\"\n"),
        )
        .unwrap();
        let text = format!(
            "issue = 3\ndate = 2026-12-06\nsend_at = {send_at}\nintro = \"Hi.\"\n[[news]]\ntext = \"x\"\nlinks = [\"https://e.org/a\"]\n[[tools]]\ntext = \"y\"\nlinks = [\"https://e.org/b\"]\n"
        );
        crate::draft::parse(&Source::new("d", text), &config)
            .unwrap()
            .0
    }

    fn warnings(send_at: &str, started: bool, now: &str) -> Vec<String> {
        let mut diags = Vec::new();
        send_at_warning(&draft(send_at), started, now.parse().unwrap(), &mut diags);
        diags.into_iter().map(|d| d.message).collect()
    }

    use super::send_at as send_at_warning;

    #[test]
    fn send_at_in_the_past_or_far_ahead_warns() {
        let at = "2026-12-06T09:00:00Z";
        assert_eq!(
            warnings(at, false, "2026-12-07T00:00:00Z"),
            ["`send_at` 2026-12-06T09:00:00Z has passed and issue #3 has not been sent"]
        );
        assert!(
            warnings(at, true, "2026-12-07T00:00:00Z").is_empty(),
            "no warning once sent or sending"
        );
        assert!(warnings(at, false, "2026-12-01T00:00:00Z").is_empty());
        assert_eq!(
            warnings(at, false, "2026-10-01T00:00:00Z"),
            ["`send_at` 2026-12-06T09:00:00Z is more than 30 days ahead"]
        );
    }
}
