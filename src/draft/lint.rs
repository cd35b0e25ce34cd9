//! Warnings that look beyond one draft: links featured in earlier issues and
//! the rendered HTML's size against Gmail's clipping limit.

use super::{Draft, normalize_url};
use crate::diag::Diagnostic;
use std::collections::HashMap;

/// Gmail clips messages whose HTML is over about 102 KB; we warn well before.
pub const HTML_WARN_BYTES: usize = 90 * 1024;

/// Warns about each link of `draft` already featured in an earlier issue.
pub fn earlier_links(draft: &Draft, others: &[&Draft], diags: &mut Vec<Diagnostic>) {
    let mut featured: HashMap<String, u32> = HashMap::new();
    for other in others.iter().filter(|o| o.issue < draft.issue) {
        for link in other.links() {
            let entry = featured
                .entry(normalize_url(&link.url))
                .or_insert(other.issue);
            *entry = (*entry).max(other.issue);
        }
    }
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
