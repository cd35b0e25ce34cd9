//! The configured sources, read by a bare `gazette bounces`: a Maildir
//! (messages moved from new/ to cur/ once recorded, left in new/ by a dry
//! run) and an mbox (never changed; a second run finds every report recorded).

use crate::support::bounces::{Seen, arf, auto_reply, dsn, outbox_seen, summary};
use crate::support::{Newsletter, Status};

/// Issue 41 sent through the outbox to three readers, with `bounces` as the
/// `[bounces]` table.
fn sent(bounces: &str) -> (Newsletter, Vec<Seen>) {
    let n = Newsletter::new(&format!("[bounces]\n{bounces}"));
    n.subscribe(3);
    n.send(&[]).assert_code(0);
    let seen = outbox_seen(&n);
    assert_eq!(seen.len(), 3);
    (n, seen)
}

/// A hard bounce for the first, a complaint from the second, an
/// out-of-office from the third.
fn reports(seen: &[Seen]) -> Vec<Vec<u8>> {
    let (a, b, c) = (&seen[0], &seen[1], &seen[2]);
    vec![
        dsn(
            "m1",
            &a.mail_from,
            &a.rcpt,
            "5.1.1",
            "550 5.1.1 user unknown",
            &a.message_id,
        ),
        arf(
            "m2",
            "bounces@platformnotes.example",
            &b.mail_from,
            &b.rcpt,
            &b.message_id,
        ),
        auto_reply("m3", &c.mail_from),
    ]
}

fn assert_applied(n: &Newsletter, seen: &[Seen]) {
    assert_eq!(n.subscriber_status(&seen[0].rcpt), Some(Status::Bounced));
    assert_eq!(n.subscriber_status(&seen[1].rcpt), Some(Status::Complained));
    assert_eq!(n.subscriber_status(&seen[2].rcpt), Some(Status::Active));
}

fn names(n: &Newsletter, dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(n.path(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_maildir_is_read_and_each_message_moved_to_cur_once_recorded() {
    let (n, seen) = sent("maildir = [\"data/bounces\"]\n");
    for d in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(n.path(&format!("data/bounces/{d}"))).unwrap();
    }
    for (i, r) in reports(&seen).iter().enumerate() {
        std::fs::write(
            n.path(&format!("data/bounces/new/17000000{i}.M1P1.host")),
            r,
        )
        .unwrap();
    }
    let dry = n.run(&["bounces", "--dry-run"], &[]);
    dry.assert_code(0);
    assert!(
        summary(&dry.stderr).contains("read 3 reports: 1 hard, 0 soft, 1 complaint, 1 ignored"),
        "{dry:?}"
    );
    assert_eq!(
        names(&n, "data/bounces/new").len(),
        3,
        "a dry run leaves them"
    );
    assert_eq!(n.subscriber_status(&seen[0].rcpt), Some(Status::Active));
    let run = n.run(&["bounces"], &[]);
    run.assert_code(0);
    assert!(
        summary(&run.stderr).ends_with("2 subscribers changed"),
        "{run:?}"
    );
    assert_applied(&n, &seen);
    assert_eq!(names(&n, "data/bounces/new"), [] as [String; 0]);
    let cur = names(&n, "data/bounces/cur");
    assert_eq!(cur.len(), 3);
    assert!(cur.iter().all(|c| c.ends_with(":2,S")), "{cur:?}");
}

#[test]
fn an_mbox_is_never_changed_and_a_second_run_changes_nothing() {
    let (n, seen) = sent("mbox = [\"data/bounces.mbox\"]\n");
    let mut mbox = Vec::new();
    for r in reports(&seen) {
        mbox.extend_from_slice(b"From MAILER-DAEMON Sun Nov 29 09:05:00 2026\n");
        mbox.extend_from_slice(
            &String::from_utf8(r)
                .unwrap()
                .replace("\r\n", "\n")
                .into_bytes(),
        );
        mbox.extend_from_slice(b"\n");
    }
    let path = n.path("data/bounces.mbox");
    std::fs::write(&path, &mbox).unwrap();
    let run = n.run(&["bounces"], &[]);
    run.assert_code(0);
    assert!(
        summary(&run.stderr).contains("read 3 reports: 1 hard, 0 soft, 1 complaint, 1 ignored"),
        "{run:?}"
    );
    assert_applied(&n, &seen);
    assert_eq!(std::fs::read(&path).unwrap(), mbox);
    let again = n.run(&["bounces"], &[]);
    again.assert_code(0);
    assert!(
        summary(&again.stderr).ends_with("3 already recorded; 0 subscribers changed"),
        "{again:?}"
    );
}
