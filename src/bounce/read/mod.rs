//! One raw returned message read into a [`Report`]: DSNs (RFC 3464), the
//! common non-standard bounces (Exim, qmail, plain notices), ARF complaints
//! (RFC 5965) and auto-replies. Pure: no store, no I/O, and no input, of any
//! size or shape, panics; time and memory are linear in the input.
//!
//! The order of reading: a feedback report (a `message/feedback-report`
//! part, or Microsoft's classic JMRP copy) is a complaint or nothing; else DSN fields (a
//! `message/delivery-status` part, or the same fields in a `text/plain`
//! part) give the recipients; else the auto-reply marks, unless the message
//! shows a sign of a mail system (`auto::from_mail_system`: bounces are
//! marked `Auto-Submitted: auto-replied` too); else a plain notice's
//! per-address blocks; else an out-of-office subject; else
//! [`Kind::Unclassified`]. A report's kind
//! is its most severe recipient's (`classify` says how each reads). The
//! formats recognised, with a sample of each, are listed in
//! `tests/fixtures/bounces/README.md`.
//!
//! Unclassified whatever it holds: a multipart message whose closing
//! delimiter is missing (it was cut short), and one too large in shape to
//! hand to mail-parser, which keeps every part and field as a value (more
//! than [`mime::MAX_CONTAINERS`] MIME containers, [`mime::MAX_DELIMITERS`]
//! `--` lines or [`mime::MAX_FIELD_LINES`] field-like lines); its own header
//! fields are still read.
//!
//! Limits (each a constant here or in the room it bounds): mail-parser's own
//! nesting limits, [`mime::MAX_PARTS`] parts looked at, [`mime::MAX_TEXT`]
//! of each text part, [`fields::MAX_FIELDS`] fields and [`fields::MAX_VALUE`]
//! bytes a value, [`MAX_RECIPIENTS`] recipients and [`MAX_IDS`] returned
//! Message-IDs and delivered-to addresses kept.

mod arf;
mod auto;
mod classify;
mod dsn;
mod fields;
mod mime;
mod plain;
#[cfg(test)]
mod tests;

use super::{Kind, Report};
use fields::Field;

/// The most recipients kept from one report (gazette sends one recipient a
/// message, so a report about more is about someone else's mail too).
pub const MAX_RECIPIENTS: usize = 100;

/// The most returned Message-IDs, and the most delivered-to addresses, kept.
pub const MAX_IDS: usize = 16;

/// Reads one message. What cannot be parsed is [`Kind::Unclassified`].
pub fn read(raw: &[u8]) -> Report {
    let tree = mime::walk(raw);
    let mut report = Report {
        message_id: tree.message_id.clone(),
        subject: tree.subject.clone(),
        delivered_to: delivered_to(&tree.headers),
        ..Report::default()
    };
    for headers in &tree.returned {
        returned(&mut report, headers);
    }
    if tree.truncated || tree.headers.is_empty() {
        return report;
    }
    let feedback =
        !tree.feedback.is_empty() || tree.report_type.as_deref() == Some("feedback-report");
    let classic = (!feedback && tree.dsn.is_empty() && tree.report_type.is_none())
        .then(|| arf::classic_jmrp(&tree.returned))
        .flatten();
    if feedback || classic.is_some() {
        let complaint = classic.unwrap_or_else(|| arf::read(&tree.feedback, &tree.returned));
        report.kind = complaint.kind;
        report.recipients.extend(complaint.recipient);
        if report.original_return_path.is_none() {
            report.original_return_path = complaint.mail_from;
        }
        return report;
    }
    let mut found = dsn::Dsn::default();
    for body in &tree.dsn {
        dsn::read(body, &mut found);
    }
    if found.recipients.is_empty() {
        // Fields written in a text part, inside or beside the report part.
        for text in &tree.texts {
            dsn::read(text, &mut found);
        }
        found
            .recipients
            .retain(|r| r.address.is_some() && r.action.is_some());
    }
    if !found.recipients.is_empty() {
        if report.original_return_path.is_none() {
            report.original_return_path = found.sender;
        }
        for id in found.message_ids {
            push(&mut report.original_message_ids, id);
        }
        report.kind = classify::overall(&found.recipients);
        report.recipients = found.recipients;
        return report;
    }
    // An auto-reply copies the subject and may quote anything, so
    // its marks are read before the plain-notice reader can take it for one.
    let subject = tree.subject.as_deref();
    if !auto::from_mail_system(&tree.headers, tree.report_type.is_some())
        && auto::is_marked(&tree.headers, subject)
    {
        report.kind = Kind::AutoReply;
        return report;
    }
    let text = tree.texts.first().map_or("", String::as_str);
    if let Some(notice) = plain::read(&tree.headers, tree.subject.as_deref(), text)
        && (notice.delayed || !notice.recipients.is_empty())
    {
        report.kind = if notice.delayed {
            Kind::Delayed
        } else {
            classify::overall(&notice.recipients)
        };
        report.recipients = notice.recipients;
        for id in notice.message_ids {
            push(&mut report.original_message_ids, id);
        }
        if report.original_return_path.is_none() {
            report.original_return_path = notice.return_path;
        }
        return report;
    }
    if tree.report_type.is_none() && auto::is_auto_reply(&tree.headers, tree.subject.as_deref()) {
        report.kind = Kind::AutoReply;
    }
    report
}

/// The report's own `To`, `Delivered-To`, `X-Original-To` and `Envelope-To`
/// addresses, in the order found.
fn delivered_to(headers: &[Field]) -> Vec<String> {
    let mut out = Vec::new();
    for field in headers {
        if matches!(
            field.name.as_str(),
            "to" | "delivered-to" | "x-original-to" | "envelope-to"
        ) {
            for address in fields::addresses(&field.value) {
                push(&mut out, address);
            }
        }
    }
    out
}

/// The returned message's `Message-ID` and `Return-Path`.
fn returned(report: &mut Report, headers: &[Field]) {
    if let Some(id) = fields::get(headers, "message-id").and_then(fields::message_id) {
        push(&mut report.original_message_ids, id);
    }
    if report.original_return_path.is_none() {
        report.original_return_path = fields::get(headers, "return-path").and_then(fields::address);
    }
}

/// Adds `value` to `list` unless it is there or the list is full.
fn push(list: &mut Vec<String>, value: String) {
    if list.len() < MAX_IDS && !list.contains(&value) {
        list.push(value);
    }
}
