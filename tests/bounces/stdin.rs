//! `gazette bounces -`, one report at a time on standard input, after a send
//! to the outbox (whose files show each envelope): forged VERP, a report
//! twice, --dry-run, --json, --to, what is not a bounce, and bad sources.

use crate::support::bounces::{
    Seen, auto_reply, dsn, exim_notice, outbox_seen, pipe, reports, summary,
};
use crate::support::{Newsletter, Status};

/// Issue 41 sent through the outbox to three readers, VERP on.
fn sent() -> (Newsletter, Vec<Seen>) {
    let n = Newsletter::new("[bounces]\n");
    n.subscribe(3);
    n.send(&[]).assert_code(0);
    let seen = outbox_seen(&n);
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter().all(|s| s.mail_from.starts_with("bounces+41-")),
        "{seen:?}"
    );
    (n, seen)
}

fn hard(id: &str, s: &Seen) -> Vec<u8> {
    dsn(
        id,
        &s.mail_from,
        &s.rcpt,
        "5.1.1",
        "550 5.1.1 user unknown",
        &s.message_id,
    )
}

#[test]
fn a_forged_verp_changes_nobody_even_naming_a_real_delivery() {
    let (n, seen) = sent();
    let s = &seen[0];
    // The right issue and subscriber, a made-up MAC; the returned headers
    // quote the reader's real Message-ID and address.
    let (head, _) = s.mail_from.rsplit_once('-').unwrap();
    let forged = format!("{head}-aaaaaaaaaaaaa@platformnotes.example");
    let report = dsn(
        "f1",
        &forged,
        &s.rcpt,
        "5.1.1",
        "550 5.1.1 user unknown",
        &s.message_id,
    );
    let run = pipe(&n, &report, &["--json"]);
    run.assert_code(0);
    assert!(
        summary(&run.stderr)
            .contains("0 hard, 0 soft, 0 complaints, 0 ignored, 0 unclassified, 1 forged"),
        "{run:?}"
    );
    assert!(
        summary(&run.stderr).ends_with("0 subscribers changed"),
        "{run:?}"
    );
    let line: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(
        (
            line["forged"].as_bool(),
            line["matched"].as_str(),
            line["changed"].as_str()
        ),
        (Some(true), Some("none"), None)
    );
    assert_eq!(n.subscriber_status(&s.rcpt), Some(Status::Active));
}

#[test]
fn a_report_processed_twice_changes_nothing_the_second_time() {
    let (n, seen) = sent();
    let report = hard("twice", &seen[1]);
    let first = pipe(&n, &report, &[]);
    first.assert_code(0);
    assert!(
        first.stdout.contains(
            "is now bounced (hard report of issue #41, matched by verp: 550 5.1.1 user unknown)"
        ),
        "{first:?}"
    );
    assert!(summary(&first.stderr).ends_with("1 hard, 0 soft, 0 complaints, 0 ignored, 0 unclassified, 0 forged, 0 already recorded; 1 subscriber changed"), "{first:?}");
    let second = pipe(&n, &report, &["--json"]);
    second.assert_code(0);
    assert!(
        summary(&second.stderr).contains("1 already recorded; 0 subscribers changed"),
        "{second:?}"
    );
    let line: serde_json::Value = serde_json::from_str(second.stdout.trim()).unwrap();
    assert_eq!(line["already_recorded"], true);
    assert_eq!(reports(&n), 1);
    // A soft bounce delivered three times is one soft bounce, not the three
    // that would end the subscription.
    let s = &seen[0];
    let soft = dsn(
        "soft",
        &s.mail_from,
        &s.rcpt,
        "4.2.2",
        "452 4.2.2 mailbox full",
        &s.message_id,
    );
    for _ in 0..3 {
        pipe(&n, &soft, &[]).assert_code(0);
    }
    assert_eq!(n.subscriber_status(&s.rcpt), Some(Status::Active));
    assert_eq!(reports(&n), 2, "the hard bounce once, the soft one once");
}

#[test]
fn a_dry_run_says_what_would_change_and_changes_nothing() {
    let (n, seen) = sent();
    let report = hard("dry", &seen[2]);
    let run = pipe(&n, &report, &["--dry-run"]);
    run.assert_code(0);
    assert!(run.stdout.contains("would become bounced"), "{run:?}");
    assert!(
        summary(&run.stderr).ends_with("1 subscriber would change (dry run: nothing changed)"),
        "{run:?}"
    );
    assert_eq!(n.subscriber_status(&seen[2].rcpt), Some(Status::Active));
    assert_eq!(reports(&n), 0);
    pipe(&n, &report, &[]).assert_code(0);
    assert_eq!(n.subscriber_status(&seen[2].rcpt), Some(Status::Bounced));
}

#[test]
fn json_gives_one_line_per_report_with_what_it_found() {
    let (n, seen) = sent();
    let run = pipe(&n, &hard("json", &seen[0]), &["--json"]);
    run.assert_code(0);
    let line: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    let ids = n.subscriber_ids();
    assert_eq!(line["kind"], "hard");
    assert_eq!(line["class"], "hard");
    assert_eq!(line["status"], "5.1.1");
    assert_eq!(line["diagnostic"], "550 5.1.1 user unknown");
    assert_eq!(line["recipient"].as_str(), Some(seen[0].rcpt.as_str()));
    assert_eq!(line["issue"], 41);
    assert_eq!(line["subscriber_id"].as_i64(), Some(ids[&seen[0].rcpt]));
    assert_eq!(line["matched"], "verp");
    assert_eq!(line["changed"], "bounced");
    // Its Message-ID and a digest of its body.
    let key = line["key"].as_str().unwrap();
    assert!(key.starts_with("json@mx.example.net "), "{key}");
    assert_eq!(line["origin"], "standard input");
    assert_eq!(line["processed"], crate::support::NOW);
    assert_eq!(line["dry_run"], false);
}

#[test]
fn the_address_given_with_to_matches_a_report_sent_to_the_plain_address() {
    let (n, seen) = sent();
    // A notice that shows neither the VERP address nor the Message-ID: only
    // the pipe alias knows which address it came to.
    let notice = exim_notice("to1", "gone@elsewhere.example");
    let run = pipe(&n, &notice, &["--to", &seen[1].mail_from]);
    run.assert_code(0);
    assert_eq!(
        n.subscriber_status(&seen[1].rcpt),
        Some(Status::Bounced),
        "{run:?}"
    );
}

#[test]
fn auto_replies_garbage_and_truncated_input_change_nobody() {
    let (n, seen) = sent();
    let run = pipe(&n, &auto_reply("ooo", &seen[0].mail_from), &[]);
    run.assert_code(0);
    assert!(summary(&run.stderr).contains("1 ignored"), "{run:?}");
    let garbage: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let run = pipe(&n, &garbage, &[]);
    run.assert_code(0);
    assert!(summary(&run.stderr).contains("1 unclassified"), "{run:?}");
    let run = pipe(&n, b"", &[]);
    run.assert_code(0);
    assert!(summary(&run.stderr).contains("1 unclassified"), "{run:?}");
    for s in &seen {
        assert_eq!(n.subscriber_status(&s.rcpt), Some(Status::Active));
    }
}

#[test]
fn no_source_or_an_unreadable_one_is_exit_2_naming_it() {
    let n = Newsletter::new("");
    let err = n.stderr(&["bounces"], 2);
    assert!(
        err.contains("no source to read") && err.contains("[bounces]"),
        "{err}"
    );
    let err = n.stderr(&["bounces", "no/such/mbox"], 2);
    assert!(err.contains("no/such/mbox"), "{err}");
}
