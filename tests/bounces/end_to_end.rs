//! The whole loop: issue 41 goes to smtp-sink with VERP on (a `[bounces]`
//! table); two of its envelope senders get DSNs back and one reader complains
//! (ARF); `gazette bounces -` takes each; issue 42 then goes to everyone else.

use crate::support::bounces::{arf, dsn, pipe, seen, summary};
use crate::support::{DRAFT, Newsletter, SmtpServer, Status, shared};

#[test]
fn bounced_and_complaining_readers_get_no_next_issue() {
    let _machine = shared();
    let n = Newsletter::new("retry_delays = []\n[bounces]\n");
    let emails = n.subscribe(5);
    let ids = n.subscriber_ids();
    let sink = SmtpServer::sink(&[]);
    n.send(&["--transport", &sink.url()]).assert_code(0);
    let sent = seen(&sink);
    assert_eq!(sent.len(), 5, "{sent:?}");
    for s in &sent {
        // bounces+41-<id>-<13 characters of MAC>@platformnotes.example
        let id = ids[&s.rcpt];
        let prefix = format!("bounces+41-{id}-");
        let mac = (s.mail_from.strip_prefix(&prefix))
            .and_then(|rest| rest.strip_suffix("@platformnotes.example"))
            .unwrap_or_else(|| panic!("{s:?}"));
        assert_eq!(mac.len(), 13, "{s:?}");
        assert!(
            mac.bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
        );
    }
    let (one, two, three) = (&sent[0], &sent[1], &sent[2]);
    let reports = [
        dsn(
            "b1",
            &one.mail_from,
            &one.rcpt,
            "5.1.1",
            "550 5.1.1 <reader1@example.org>: user unknown",
            &one.message_id,
        ),
        dsn(
            "b2",
            &two.mail_from,
            &two.rcpt,
            "5.1.1",
            "550-5.1.1 The email account that you tried to reach does not exist",
            &two.message_id,
        ),
        arf(
            "c1",
            "bounces@platformnotes.example",
            &three.mail_from,
            &three.rcpt,
            &three.message_id,
        ),
    ];
    for report in &reports {
        let run = pipe(&n, report, &[]);
        run.assert_code(0);
        assert!(
            summary(&run.stderr).ends_with("1 subscriber changed"),
            "{run:?}"
        );
    }
    assert_eq!(n.subscriber_status(&emails[0]), Some(Status::Bounced));
    assert_eq!(n.subscriber_status(&emails[1]), Some(Status::Bounced));
    assert_eq!(n.subscriber_status(&emails[2]), Some(Status::Complained));
    let status = n.status().unwrap();
    let b = &status["bounces"];
    assert_eq!(
        (
            b["hard"].as_u64(),
            b["soft"].as_u64(),
            b["complaints"].as_u64()
        ),
        (Some(2), Some(0), Some(1)),
        "{status}"
    );
    assert_eq!(b["complaint_rate"].as_f64(), Some(0.2));
    assert_eq!(b["complaint_warning"], true);
    let plain = n.stdout(&["status", DRAFT]);
    assert!(
        plain.contains("\n  bounced 2 hard, 0 soft; 1 complaint (20.00% of those sent)\n"),
        "{plain}"
    );
    assert!(
        plain.contains("\n  warning: the complaint rate is over 0.1%"),
        "{plain}"
    );
    let list = n.stdout(&["subscribers", "list", "--status", "bounced"]);
    let diagnostics: Vec<&str> = list.lines().filter_map(|l| l.split('\t').nth(4)).collect();
    assert_eq!(
        diagnostics,
        [
            "550 5.1.1 <reader1@example.org>: user unknown",
            "550-5.1.1 The email account that you tried to reach does not exist"
        ],
        "{list}"
    );
    // check warns before the next send: 1 complaint of 5 sent is over 0.1%.
    n.add_draft(42, "2026-12-06", None);
    let check = n.run(&["check", "drafts/2026-12-06-42.toml"], &[]);
    assert!(
        check.stderr.contains(
            "warning: issue #41, the latest sent, drew 1 complaint from 5 sent (20.00%), over 0.1%"
        ),
        "{check:?}"
    );
    // The next issue goes to the other two only.
    let next = SmtpServer::sink(&[]);
    let run = n.run(
        &[
            "send",
            "drafts/2026-12-06-42.toml",
            "--yes",
            "--transport",
            &next.url(),
        ],
        &[],
    );
    run.assert_code(0);
    assert_eq!(next.recipients(), emails[3..].to_vec());
    // An import cannot bring them back: the addresses are suppressed.
    let csv = n.dir().join("back.csv");
    std::fs::write(&csv, emails[..3].join("\n") + "\n").unwrap();
    n.import(&csv, &["--resubscribe"]);
    for email in &emails[..2] {
        assert_eq!(n.subscriber_status(email), Some(Status::Bounced));
    }
    assert_eq!(n.subscriber_status(&emails[2]), Some(Status::Complained));
    // Issue 42 drew no complaint: check has nothing to say about it.
    let check = n.run(&["check", "drafts/2026-12-06-42.toml"], &[]);
    assert!(!check.stderr.contains("complaint"), "{check:?}");
}
