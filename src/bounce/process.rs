//! One returned message, processed: read into a [`Report`], matched to the
//! delivery it answers, and recorded in the store with what it changes.
//!
//! Matching goes in order: a signed VERP address (among the addresses the
//! report was delivered to, the returned message's `Return-Path`, and the
//! address given on the command line); else gazette's Message-ID quoted in
//! the report, looked up in the ledger; else the failed recipient, only when
//! that address is a subscriber who was sent an issue (the latest one). A VERP
//! address with a wrong MAC ends the matching: the report is forged, and
//! nobody is changed on its word (else anyone could fall back to naming a
//! reader's address).

use super::verp::{self, Verdict};
use super::{Kind, Recipient, Report, read};
use crate::id::SubscriberId;
use crate::message::token::{Secret, hex};
use crate::store::Status;
use crate::store::bounces::{self, Applied, Effect, Matched, NewReport};
use jiff::Timestamp;
use rusqlite::Connection;
use sha2::{Digest, Sha256};

/// What processing needs to know of the newsletter.
pub struct Rules<'a> {
    pub secret: &'a Secret,
    /// The plain envelope sender the VERP addresses are made from.
    pub envelope_from: &'a str,
    pub soft_limit: u32,
    pub soft_window: u32,
    /// The address the message was delivered to, given on the command line
    /// (`--to`, for a pipe alias).
    pub to: Option<&'a str>,
    /// List messages carry signed VERP senders (`verp`): then a report that
    /// names a recipient and no signed address or Message-ID of ours is
    /// recorded and changes nobody, since anyone could have written it.
    pub verp: bool,
}

/// How a report counts in the summary: each report counts once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Hard,
    Soft,
    Complaint,
    /// Delayed notices and auto-replies.
    Ignored,
    Unclassified,
    /// A VERP address with a wrong MAC: recorded, changes nobody.
    Forged,
}

/// Which delivery a report answers, and how that was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub issue: Option<u32>,
    pub subscriber: Option<SubscriberId>,
    pub matched: Matched,
    pub forged: bool,
}

/// One message processed.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub origin: String,
    /// What makes it the same report: see [`key`].
    pub key: String,
    pub report: Report,
    /// The recipient block the report is about (its status and diagnostic).
    pub recipient: Option<Recipient>,
    pub class: Class,
    pub found: Match,
    pub applied: Applied,
}

impl Outcome {
    /// The subscriber's new status, if this report changed it.
    pub fn changed(&self) -> Option<Status> {
        match self.applied {
            Applied::Recorded { changed } => changed,
            Applied::AlreadyRecorded => None,
        }
    }
}

/// Reads, matches and records one message on `conn` (inside the caller's
/// transaction). A message cut at [`super::MAX_MESSAGE`] is unclassified.
pub fn process(
    conn: &Connection,
    rules: &Rules<'_>,
    raw: &[u8],
    truncated: bool,
    origin: &str,
    now: Timestamp,
) -> rusqlite::Result<Outcome> {
    let report = if truncated {
        Report::default()
    } else {
        // `read` promises never to panic; should it, the message is
        // unclassified and the run goes on.
        std::panic::catch_unwind(|| read::read(raw)).unwrap_or_default()
    };
    let key = key(report.message_id.as_deref(), raw);
    let recipient = (report.recipients.iter())
        .find(|r| r.kind == report.kind)
        .or(report.recipients.first())
        .cloned();
    let found = find(conn, rules, &report, recipient.as_ref())?;
    let class = match report.kind {
        _ if found.forged => Class::Forged,
        Kind::Hard => Class::Hard,
        Kind::Soft => Class::Soft,
        Kind::Complaint => Class::Complaint,
        Kind::Delayed | Kind::AutoReply => Class::Ignored,
        Kind::Unclassified => Class::Unclassified,
    };
    let believed = !(rules.verp && found.matched == Matched::Recipient);
    let effect = match class {
        _ if !believed => Effect::None,
        Class::Hard => Effect::Hard,
        Class::Soft => Effect::Soft {
            limit: rules.soft_limit,
            window: rules.soft_window,
        },
        Class::Complaint => Effect::Complaint,
        _ => Effect::None,
    };
    let new = NewReport {
        key: &key,
        origin,
        kind: report.kind.name(),
        status: recipient.as_ref().and_then(|r| r.status.as_deref()),
        diagnostic: recipient.as_ref().and_then(|r| r.diagnostic.as_deref()),
        // A report not believed is kept apart from the reader it names, so
        // that no count or soft window of theirs ever takes it in.
        issue: found.issue.filter(|_| believed),
        subscriber: found.subscriber.filter(|_| believed),
        matched: if believed {
            found.matched
        } else {
            Matched::None
        },
        forged: found.forged,
        effect,
    };
    let applied = bounces::apply(conn, &new, now)?;
    Ok(Outcome {
        origin: origin.to_string(),
        key,
        report,
        recipient,
        class,
        found,
        applied,
    })
}

/// What makes two messages the same report: its Message-ID with a digest of
/// its body (line ends aside), so that a report delivered twice, or an mbox
/// read twice, is one report, while two reports that share a Message-ID (some
/// systems reuse them) stay two; a report without a Message-ID is the
/// SHA-256 of the whole message.
pub fn key(message_id: Option<&str>, raw: &[u8]) -> String {
    let digest = |bytes: &[u8]| {
        let mut h = Sha256::new();
        for chunk in bytes.split(|&b| b == b'\r') {
            h.update(chunk);
        }
        hex(&h.finalize())
    };
    match message_id.map(str::trim).filter(|id| !id.is_empty()) {
        Some(id) => {
            let body = (raw.windows(2).position(|w| w == b"\n\n"))
                .or_else(|| raw.windows(4).position(|w| w == b"\r\n\r\n"))
                .map_or(&raw[..0], |at| &raw[at..]);
            format!("{id} {}", &digest(body)[..16])
        }
        None => format!("sha256:{}", hex(&Sha256::digest(raw))),
    }
}

/// The delivery `report` answers, in the order the module documents.
pub fn find(
    conn: &Connection,
    rules: &Rules<'_>,
    report: &Report,
    recipient: Option<&Recipient>,
) -> rusqlite::Result<Match> {
    let addresses = (report.delivered_to.iter())
        .chain(&report.original_return_path)
        .map(String::as_str)
        .chain(rules.to);
    let mut forged = false;
    for address in addresses {
        match verp::check(rules.secret, rules.envelope_from, address) {
            Verdict::Genuine { issue, subscriber } => {
                return Ok(found(Some((issue, subscriber)), Matched::Verp));
            }
            Verdict::Forged => forged = true,
            Verdict::NotOurs => {}
        }
    }
    if forged {
        return Ok(Match {
            forged: true,
            ..found(None, Matched::None)
        });
    }
    for id in &report.original_message_ids {
        let id = id.trim().trim_start_matches('<').trim_end_matches('>');
        if let Some(hit) = bounces::by_message_id(conn, id)? {
            return Ok(found(Some(hit), Matched::MessageId));
        }
    }
    let named = recipient
        .into_iter()
        .flat_map(|r| [r.address.as_deref(), r.original.as_deref()])
        .flatten();
    for address in named {
        if let Some(hit) = bounces::latest_sent_to(conn, address)? {
            return Ok(found(Some(hit), Matched::Recipient));
        }
    }
    Ok(found(None, Matched::None))
}

fn found(hit: Option<(u32, SubscriberId)>, matched: Matched) -> Match {
    Match {
        issue: hit.map(|h| h.0),
        subscriber: hit.map(|h| h.1),
        matched,
        forged: false,
    }
}

#[cfg(test)]
mod tests;
