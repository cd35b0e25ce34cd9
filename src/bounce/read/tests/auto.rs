//! Auto-replies against plain notices: an auto-reply's subject copies the
//! issue's ("Automatic reply: Why your mail could not be delivered") and its
//! prose holds numbers ("room 501"), yet it is never a bounce; a bounce
//! marked `Auto-Submitted: auto-replied` (Postfix, Exim, Exchange) is still one.

use super::{RCPT, VERP, edited, only, report, with};
use crate::bounce::Kind;
use crate::bounce::read::read;

/// The out-of-office in the corpus whose subject reads like a notice's and
/// whose text has a room number and a colleague's address on a line alone.
const OOO: &str = "auto-reply-undeliverable-subject.eml";
const MARK: &str = "Auto-Submitted: auto-generated\n";

#[test]
fn an_auto_reply_with_a_bounce_subject_and_codes_in_its_prose_is_no_bounce() {
    for name in [OOO, "auto-reply-550-in-prose.eml"] {
        let report = report(name);
        assert_eq!(report.kind, Kind::AutoReply, "{name}: {report:#?}");
        assert!(report.recipients.is_empty(), "{name}: {report:#?}");
    }
}

/// Each auto-reply mark is read before the plain-notice reader, which would
/// otherwise take the quoted notice wording for a notice and the colleague's
/// address, with "Room 512" under it, for a failed recipient.
#[test]
fn auto_reply_marks_are_read_before_a_plain_notice() {
    let quoting = "> Why a message could not be delivered to one or more recipients\n\n\
                   I'm out of the office";
    for mark in [
        MARK,
        "Auto-Submitted: auto-replied\n",
        "Auto-Submitted: auto-replied (vacation)\n",
        "X-Autoreply: yes\n",
        "X-Autorespond: yes\n",
        "X-Autoresponder: on\n",
        "Precedence: auto_reply\n",
    ] {
        let report = edited(OOO, &[(MARK, mark), ("I'm out of the office", quoting)]);
        assert_eq!(report.kind, Kind::AutoReply, "{mark}{report:#?}");
        assert!(report.recipients.is_empty(), "{mark}{report:#?}");
    }
}

/// Without any auto-reply mark, the subject alone ("Undeliverable", "could
/// not be delivered") makes no notice, so no number in the text is a reply.
#[test]
fn a_subject_alone_makes_no_notice() {
    let report = with(OOO, MARK, "");
    assert_eq!(report.kind, Kind::AutoReply, "by its subject: {report:#?}");
    assert!(report.recipients.is_empty(), "{report:#?}");
    let reply = edited(
        OOO,
        &[(MARK, ""), ("Subject: Automatic reply: ", "Subject: Re: ")],
    );
    assert_eq!(reply.kind, Kind::Unclassified, "{reply:#?}");
    assert!(reply.recipients.is_empty(), "{reply:#?}");
    let vacation = with("auto-reply-550-in-prose.eml", "Auto: ", "Re: ");
    assert_eq!(vacation.kind, Kind::AutoReply, "{vacation:#?}");
    assert!(vacation.recipients.is_empty(), "{vacation:#?}");
}

/// A notice naming no address (no block, no `X-Failed-Recipients`) takes no
/// basic code from its prose: "550" there may be anything. An enhanced
/// status is still read.
#[test]
fn a_notice_without_an_address_takes_no_basic_code_from_its_prose() {
    let notice = |reply: &str| {
        let raw = format!(
            "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n\
             To: {VERP}\n\
             Subject: Undelivered Mail Returned to Sender\n\
             \n\
             Your message could not be delivered to one or more recipients.\n\
             The remote server said: {reply}\n"
        );
        read(raw.as_bytes())
    };
    for reply in ["550 Requested action not taken", "sorry (554)", "421 later"] {
        let report = notice(reply);
        assert_eq!(report.kind, Kind::Unclassified, "{reply}: {report:#?}");
        assert!(report.recipients.is_empty(), "{reply}: {report:#?}");
    }
    let report = notice("550 5.1.1 User unknown");
    let r = only(&report);
    assert_eq!(
        (r.status.as_deref(), r.kind, report.kind),
        (Some("5.1.1"), Kind::Hard, Kind::Hard)
    );
}

/// Bounces carry `Auto-Submitted: auto-replied` too: any one sign of a
/// bounce (a `MAILER-DAEMON` or `postmaster` sender, an empty
/// `Return-Path`, `X-Failed-Recipients`, a `multipart/report`) keeps the
/// notice a notice.
#[test]
fn a_bounce_marked_auto_replied_is_still_a_bounce() {
    let exim = "exim-user-unknown.eml";
    let failed = format!("X-Failed-Recipients: {RCPT}\n");
    let from = "From: Mail Delivery System <Mailer-Daemon@mx.example.net>";
    let other_from = "From: Mail System <system@mx.example.net>";
    let null = "Return-path: <>";
    let other_null = "Return-path: <system@mx.example.net>";
    for (sign, edits) in [
        ("all", vec![]),
        (
            "X-Failed-Recipients",
            vec![(from, other_from), (null, other_null)],
        ),
        (
            "MAILER-DAEMON",
            vec![(failed.as_str(), ""), (null, other_null)],
        ),
        (
            "postmaster",
            vec![
                (failed.as_str(), ""),
                (null, other_null),
                (from, "From: postmaster@mx.example.net"),
            ],
        ),
        ("<>", vec![(failed.as_str(), ""), (from, other_from)]),
    ] {
        let report = edited(exim, &edits);
        let r = only(&report);
        assert_eq!(
            (report.kind, r.address.as_deref(), r.status.as_deref()),
            (Kind::Hard, Some(RCPT), Some("5.1.1")),
            "{sign}: {report:#?}"
        );
    }
    let none = edited(
        exim,
        &[
            (failed.as_str(), ""),
            (from, other_from),
            (null, other_null),
        ],
    );
    assert_eq!(
        none.kind,
        Kind::AutoReply,
        "no sign of a bounce but the mark: {none:#?}"
    );
    let receipt = with(
        "mdn-read-receipt.eml",
        "MIME-Version: 1.0\n",
        "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n",
    );
    assert_eq!(receipt.kind, Kind::Unclassified, "{receipt:#?}");
}
