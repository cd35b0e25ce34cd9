//! Plain notices, feedback reports and auto-replies in detail.

use super::{MESSAGE_ID, RCPT, VERP, ids, only, report, with};
use crate::bounce::Kind;

#[test]
fn microsoft_plain_notice_reads_the_reply_and_the_quoted_headers() {
    let report = report("microsoft-plain.eml");
    let r = only(&report);
    assert_eq!(
        (r.smtp_code, r.status.as_deref()),
        (Some(550), Some("5.1.10"))
    );
    assert_eq!(
        r.diagnostic.as_deref(),
        Some(
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"
        )
    );
    assert_eq!(ids(&report), [MESSAGE_ID]);
    assert_eq!(report.original_return_path.as_deref(), Some(VERP));
}

#[test]
fn exim_notice_reads_the_failed_address_and_its_reply() {
    let report = report("exim-user-unknown.eml");
    let r = only(&report);
    assert_eq!(
        (r.address.as_deref(), r.action.as_deref()),
        (Some(RCPT), Some("failed"))
    );
    assert_eq!(
        (r.smtp_code, r.status.as_deref()),
        (Some(550), Some("5.1.1"))
    );
    assert_eq!(
        r.diagnostic.as_deref(),
        Some(format!("550 5.1.1 <{RCPT}>: Recipient address rejected: User unknown in local recipient table").as_str())
    );
    assert_eq!(report.delivered_to, [VERP]);
    assert_eq!(ids(&report), [MESSAGE_ID]);
    assert_eq!(report.original_return_path.as_deref(), Some(VERP));
}

#[test]
fn exim_names_the_recipient_in_x_failed_recipients_alone_too() {
    let report = with(
        "exim-user-unknown.eml",
        &format!("\n  {RCPT}\n"),
        "\n  (address withheld)\n",
    );
    assert_eq!(only(&report).address.as_deref(), Some(RCPT));
    assert_eq!(
        report.kind,
        Kind::Unclassified,
        "no block, no reply: {report:#?}"
    );
}

#[test]
fn exim_delay_warning_is_no_bounce() {
    let report = report("exim-delayed.eml");
    let r = only(&report);
    assert_eq!(
        (r.action.as_deref(), r.status.as_deref()),
        (Some("delayed"), Some("4.3.0"))
    );
    assert_eq!(report.kind, Kind::Delayed);
    // Its References name the original, which is no returned Message-ID.
    assert!(report.original_message_ids.is_empty());
}

#[test]
fn qmail_notice_takes_the_enhanced_code_alone() {
    let report = report("qmail-no-mailbox.eml");
    let r = only(&report);
    assert_eq!((r.smtp_code, r.status.as_deref()), (None, Some("5.1.1")));
    assert_eq!(
        r.diagnostic.as_deref(),
        Some("Sorry, no mailbox here by that name. (#5.1.1)")
    );
    assert_eq!(report.delivered_to, [VERP]);
    assert_eq!(ids(&report), [MESSAGE_ID]);
    assert_eq!(report.original_return_path.as_deref(), Some(VERP));
}

#[test]
fn yahoo_notice_maps_its_basic_code() {
    let report = report("yahoo-user-unknown.eml");
    let r = only(&report);
    assert_eq!(
        (r.smtp_code, r.status.as_deref(), r.kind),
        (Some(554), Some("5.0.0"), Kind::Hard)
    );
    assert!(
        r.diagnostic
            .as_deref()
            .unwrap()
            .starts_with("554: delivery error: dd This user doesn't have")
    );
    assert_eq!(ids(&report), [MESSAGE_ID]);
    let full = with(
        "yahoo-user-unknown.eml",
        "554: delivery error: dd This user doesn't have a yahoo.com account",
        "552 mailbox over its storage limit",
    );
    assert_eq!(
        (only(&full).status.as_deref(), full.kind),
        (Some("5.2.2"), Kind::Soft)
    );
    let later = with(
        "yahoo-user-unknown.eml",
        "554: delivery error",
        "421 try again later",
    );
    assert_eq!(
        (only(&later).status.as_deref(), later.kind),
        (Some("4.0.0"), Kind::Soft)
    );
}

#[test]
fn arf_reports_name_the_complainant_and_the_returned_message() {
    for name in [
        "arf-yahoo-cfl.eml",
        "arf-microsoft-jmrp.eml",
        "arf-generic-headers.eml",
    ] {
        let report = report(name);
        let r = only(&report);
        assert_eq!(
            (r.address.as_deref(), r.kind),
            (Some(RCPT), Kind::Complaint),
            "{name}"
        );
        assert!(
            r.diagnostic
                .as_deref()
                .unwrap()
                .starts_with("Feedback-Type: abuse; User-Agent: ")
        );
        assert_eq!(ids(&report), [MESSAGE_ID], "{name}");
        assert_eq!(report.original_return_path.as_deref(), Some(VERP), "{name}");
    }
}

#[test]
fn arf_complainant_comes_from_original_rcpt_to_first_then_microsoft_then_to() {
    let to = format!("To: {RCPT}\nSubject: The Weekly");
    let generic = with(
        "arf-generic-headers.eml",
        &to,
        "To: someone.else@example.net\nSubject: The Weekly",
    );
    assert_eq!(only(&generic).address.as_deref(), Some(RCPT));
    let jmrp = with(
        "arf-microsoft-jmrp.eml",
        &format!("To: {RCPT}\r\n"),
        "To: undisclosed-recipients:;\r\n",
    );
    assert_eq!(only(&jmrp).address.as_deref(), Some(RCPT));
    let mail_from_only = with(
        "arf-yahoo-cfl.eml",
        &format!("Return-Path: <{VERP}>\nDKIM"),
        "DKIM",
    );
    assert_eq!(
        mail_from_only.original_return_path.as_deref(),
        Some(VERP),
        "from Original-Mail-From"
    );
}

#[test]
fn arf_feedback_types_other_than_abuse_and_fraud_are_no_complaint() {
    for (kind, want) in [
        ("fraud", Kind::Complaint),
        ("virus", Kind::Unclassified),
        ("auth-failure", Kind::Unclassified),
        ("other", Kind::Unclassified),
        ("opt-out", Kind::Unclassified),
    ] {
        let report = with(
            "arf-generic-headers.eml",
            "Feedback-Type: abuse",
            &format!("Feedback-Type: {kind}"),
        );
        assert_eq!(report.kind, want, "{kind}");
    }
    assert_eq!(report("arf-not-spam.eml").kind, Kind::Unclassified);
}

#[test]
fn auto_replies_take_no_message_id_from_in_reply_to() {
    for name in [
        "auto-reply-rfc3834.eml",
        "auto-reply-outlook.eml",
        "auto-reply-german.eml",
    ] {
        let report = report(name);
        assert_eq!(report.kind, Kind::AutoReply, "{name}");
        assert!(
            report.recipients.is_empty() && report.original_message_ids.is_empty(),
            "{name}"
        );
        assert_eq!(report.delivered_to, [VERP], "{name}");
    }
    let french = report("auto-reply-french.eml");
    assert_eq!(
        french.subject.as_deref(),
        Some("Réponse automatique : The Weekly Gazette #12")
    );
}

#[test]
fn an_ordinary_reply_is_no_auto_reply() {
    let report = with("auto-reply-x-autoreply.eml", "X-Autoreply: yes\n", "");
    assert_eq!(report.kind, Kind::Unclassified);
    let report = with("auto-reply-german.eml", "Abwesenheitsnotiz: ", "");
    assert_eq!(report.kind, Kind::Unclassified);
}

/// A plain notice in Postfix's words: the address opens the line that
/// quotes the reply.
#[test]
fn an_address_opening_the_reply_line_starts_a_block() {
    let raw = format!(
        "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n\
         To: {VERP}\n\
         Subject: Undelivered Mail Returned to Sender\n\
         \n\
         This is the mail system at host mx.example.net.\n\
         \n\
         <{RCPT}>: host inbound.example.net[203.0.113.9] said: 550 5.1.1\n    \
         <{RCPT}>: Recipient address rejected: User unknown (in reply to RCPT TO\n    \
         command)\n\
         \n\
         <other@example.net>: mailbox is full\n"
    );
    let report = crate::bounce::read::read(raw.as_bytes());
    let got: Vec<_> = report
        .recipients
        .iter()
        .map(|r| (r.address.as_deref(), r.status.as_deref(), r.kind))
        .collect();
    assert_eq!(
        got,
        [
            (Some(RCPT), Some("5.1.1"), Kind::Hard),
            (Some("other@example.net"), None, Kind::Soft),
        ]
    );
    let d = report.recipients[0].diagnostic.as_deref().unwrap();
    assert!(
        d.starts_with("550 5.1.1 <reader@example.net>: Recipient address rejected"),
        "{d}"
    );
}

#[test]
fn microsoft_classic_jmrp_is_a_complaint_without_an_arf_part() {
    let report = report("arf-microsoft-jmrp-classic.eml");
    let r = only(&report);
    assert_eq!(
        (r.address.as_deref(), r.kind),
        (Some(RCPT), Kind::Complaint)
    );
    assert_eq!(r.diagnostic.as_deref(), Some("Microsoft JMRP complaint"));
    assert_eq!(report.delivered_to, ["fbl@news.example.org"]);
    let plain = with(
        "arf-microsoft-jmrp-classic.eml",
        &format!("X-HmXmrOriginalRecipient: <{RCPT}>\n"),
        "",
    );
    assert_eq!(
        plain.kind,
        Kind::Unclassified,
        "a forwarded message is no complaint"
    );
}
