//! DSNs in detail: every field of each recipient, where the report was
//! delivered, the returned Message-ID and Return-Path.

use super::{MESSAGE_ID, RCPT, VERP, fixture, ids, only, report, with};
use crate::bounce::read::read;
use crate::bounce::{Kind, Recipient};

#[test]
fn postfix_user_unknown_gives_every_field_of_the_dsn() {
    let report = report("postfix-user-unknown.eml");
    assert_eq!(
        *only(&report),
        Recipient {
            address: Some(RCPT.into()),
            original: Some(RCPT.into()),
            action: Some("failed".into()),
            status: Some("5.1.1".into()),
            smtp_code: Some(550),
            diagnostic: Some(format!(
                "550 5.1.1 <{RCPT}>: Recipient address rejected: User unknown in virtual mailbox table"
            )),
            remote_mta: Some("inbound.example.net".into()),
            kind: Kind::Hard,
        }
    );
    assert_eq!(report.delivered_to, [VERP]);
    // The returned message's References and In-Reply-To name another message.
    assert_eq!(ids(&report), [MESSAGE_ID]);
    assert_eq!(report.original_return_path.as_deref(), Some(VERP));
    assert_eq!(
        report.message_id.as_deref(),
        Some("20261201090006.4Ykq2S6Bq1z1x@mx.example.net")
    );
    assert_eq!(
        report.subject.as_deref(),
        Some("Undelivered Mail Returned to Sender")
    );
}

#[test]
fn postfix_sender_field_gives_the_return_path_when_no_headers_come_back() {
    let raw = String::from_utf8(fixture("postfix-user-unknown.eml")).unwrap();
    let delimiter = "--4Ykq2S6Bq1z1x.1764579606/mx.example.net";
    let part = raw
        .find("Content-Description: Undelivered Message")
        .unwrap();
    let cut = raw[..part].rfind(delimiter).unwrap();
    let report = read(format!("{}{delimiter}--\n", &raw[..cut]).as_bytes());
    assert_eq!(report.kind, Kind::Hard);
    assert!(report.original_message_ids.is_empty());
    assert_eq!(report.original_return_path.as_deref(), Some(VERP));
}

#[test]
fn postfix_delay_warning_reads_its_headers_part() {
    let report = report("postfix-delayed.eml");
    let r = only(&report);
    assert_eq!(
        (r.action.as_deref(), r.kind),
        (Some("delayed"), Kind::Delayed)
    );
    assert_eq!(
        r.diagnostic.as_deref(),
        Some("connect to inbound.example.net[203.0.113.9]:25: Connection timed out")
    );
    assert_eq!(report.delivered_to, [VERP]);
    assert_eq!(ids(&report), [MESSAGE_ID]);
}

#[test]
fn a_4xx_failure_after_retries_is_soft() {
    let report = report("postfix-failed-4xx.eml");
    let r = only(&report);
    assert_eq!(
        (r.action.as_deref(), r.status.as_deref()),
        (Some("failed"), Some("4.4.1"))
    );
    assert_eq!(report.kind, Kind::Soft);
}

#[test]
fn a_5xx_status_with_a_full_mailbox_is_soft() {
    let report = report("postfix-quota.eml");
    assert_eq!(only(&report).status.as_deref(), Some("5.0.0"));
    assert_eq!(
        only(&report).diagnostic.as_deref(),
        Some("maildrop: maildir over quota.")
    );
    assert_eq!(report.kind, Kind::Soft);
    let not_full = with("postfix-quota.eml", "maildir over quota.", "user unknown.");
    assert_eq!(not_full.kind, Kind::Hard);
}

#[test]
fn a_relayed_dsn_is_no_bounce() {
    let report = report("postfix-relayed.eml");
    assert_eq!(only(&report).smtp_code, None, "250 is no failure code");
    assert_eq!(report.kind, Kind::Delayed);
}

#[test]
fn two_recipients_keep_their_own_kinds_and_the_worst_wins() {
    let report = report("dsn-two-recipients.eml");
    let kinds: Vec<_> = report.recipients.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [Kind::Hard, Kind::Delayed]);
    assert_eq!(
        report.recipients[1].address.as_deref(),
        Some("other.reader@example.net")
    );
    assert_eq!(report.kind, Kind::Hard);
}

#[test]
fn smtputf8_reports_read_like_the_others() {
    let report = report("dsn-smtputf8.eml");
    assert_eq!(only(&report).address.as_deref(), Some(RCPT));
    assert_eq!(ids(&report), [MESSAGE_ID]);
    assert_eq!(report.original_return_path.as_deref(), Some(VERP));
}

#[test]
fn gmail_dsn_gives_the_host_and_the_unfolded_reply() {
    let report = report("gmail-user-unknown.eml");
    let r = only(&report);
    assert_eq!(r.remote_mta.as_deref(), Some("gmail-smtp-in.l.google.com"));
    let d = r.diagnostic.as_deref().unwrap();
    assert!(d.starts_with("550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking"), "{d}");
    assert!(!d.contains("  ") && !d.contains('\n'), "{d}");
    assert_eq!(report.delivered_to, [VERP]);
    assert_eq!(ids(&report), [MESSAGE_ID]);
    assert_eq!(report.original_return_path.as_deref(), Some(VERP));
}

#[test]
fn gmail_x_original_message_id_is_a_clue_of_its_own() {
    let report = with(
        "gmail-user-unknown.eml",
        "Content-Type: message/rfc822",
        "Content-Type: application/octet-stream",
    );
    assert_eq!(ids(&report), [MESSAGE_ID]);
}

#[test]
fn gmail_mailbox_full_is_soft() {
    let report = report("gmail-mailbox-full.eml");
    let r = only(&report);
    assert_eq!(
        (r.status.as_deref(), r.smtp_code, r.kind),
        (Some("5.2.2"), Some(552), Kind::Soft)
    );
}

#[test]
fn microsoft_ndr_takes_the_returned_message_id_not_in_reply_to() {
    let report = report("microsoft-ndr.eml");
    let r = only(&report);
    assert_eq!(
        (r.status.as_deref(), r.original.as_deref()),
        (Some("5.1.10"), Some(RCPT))
    );
    assert_eq!(
        r.diagnostic.as_deref(),
        Some(
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"
        )
    );
    assert_eq!(report.delivered_to, [VERP]);
    assert_eq!(ids(&report), [MESSAGE_ID]);
    assert_eq!(report.original_return_path.as_deref(), Some(VERP));
    // The NDR's own In-Reply-To names the original, but only the returned
    // headers count: without them there is no returned Message-ID.
    let bare = with(
        "microsoft-ndr.eml",
        "Content-Type: text/rfc822-headers",
        "Content-Type: application/octet-stream",
    );
    assert!(
        bare.original_message_ids.is_empty(),
        "{:?}",
        bare.original_message_ids
    );
}

#[test]
fn ses_reads_the_report_part_or_the_text_beside_it() {
    for (name, diagnostic) in [
        ("ses-user-unknown.eml", "550 5.1.1 user unknown".to_string()),
        (
            "ses-fields-in-text.eml",
            format!("550 5.1.1 <{RCPT}>... No such user here"),
        ),
    ] {
        let report = report(name);
        let r = only(&report);
        assert_eq!(r.diagnostic.as_deref(), Some(diagnostic.as_str()), "{name}");
        assert_eq!(
            r.remote_mta.as_deref(),
            Some("inbound.example.net"),
            "{name}"
        );
        assert_eq!(ids(&report), [MESSAGE_ID], "{name}");
    }
}

#[test]
fn a_dsn_cut_short_is_unclassified_even_with_its_status() {
    let raw = String::from_utf8(fixture("postfix-user-unknown.eml")).unwrap();
    let cut = raw
        .find("Content-Description: Undelivered Message")
        .unwrap();
    let report = read(&raw.as_bytes()[..cut]);
    assert_eq!(report.kind, Kind::Unclassified);
    assert_eq!(report.delivered_to, [VERP], "the clues are kept");
}
