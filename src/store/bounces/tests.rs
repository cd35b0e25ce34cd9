//! The rules a report applies, on a real (in-memory) store: idempotence, the
//! soft window, complaints and suppression, send-time bounces suppressed.

use super::*;
use crate::store::ledger::Update;

const T: i64 = 1_800_000_000;

fn now() -> Timestamp {
    Timestamp::from_second(T).unwrap()
}

/// A store with `reader@example.org` (id 1) and `other@example.org` (id 2),
/// each sent issues `1..=issues`.
fn store(issues: u32) -> Store {
    let mut s = Store::open_in_memory().unwrap();
    for email in ["reader@example.org", "other@example.org"] {
        s.add(email, None, "cli", false, now()).unwrap();
    }
    for issue in 1..=issues {
        sent(&mut s, issue);
    }
    s
}

/// Issue `issue` sent to everyone active, each with a Message-ID.
fn sent(s: &mut Store, issue: u32) {
    s.begin_send(issue, "s", "l.example", T, false).unwrap();
    let updates: Vec<Update> = (1..=2)
        .map(|id| Update::Sent {
            subscriber_id: id,
            code: Some(250),
            reply: "250 ok".into(),
            message_id: format!("gz.{issue}.{id}@l.example"),
        })
        .collect();
    s.record(issue, &updates, T).unwrap();
}

fn report<'a>(key: &'a str, kind: &'a str, issue: u32, effect: Effect) -> NewReport<'a> {
    NewReport {
        key,
        origin: "test",
        kind,
        status: Some("5.1.1"),
        diagnostic: Some("550 5.1.1 no such user"),
        issue: Some(issue),
        subscriber: Some(1),
        matched: Matched::Verp,
        forged: false,
        effect,
    }
}

fn put(s: &mut Store, r: &NewReport<'_>) -> Applied {
    let tx = s.write().unwrap();
    let applied = apply(&tx, r, now()).unwrap();
    tx.commit().unwrap();
    applied
}

fn status(s: &Store, email: &str) -> Status {
    s.get_by_email(email).unwrap().unwrap().status
}

const SOFT: Effect = Effect::Soft {
    limit: 3,
    window: 5,
};

#[test]
fn a_hard_bounce_bounces_and_suppresses_once() {
    let mut s = store(1);
    let r = report("<a@mta>", "hard", 1, Effect::Hard);
    let bounced = Applied::Recorded {
        changed: Some(Status::Bounced),
    };
    assert_eq!(put(&mut s, &r), bounced);
    assert_eq!(status(&s, "reader@example.org"), Status::Bounced);
    assert_eq!(status(&s, "other@example.org"), Status::Active);
    assert!(s.is_suppressed("Reader@Example.org").unwrap());
    // The same report again: nothing, and said so.
    assert_eq!(put(&mut s, &r), Applied::AlreadyRecorded);
    let rows: i64 = s
        .conn()
        .query_row("SELECT count(*) FROM reports", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1);
    let counts = s.issue_bounces(1).unwrap();
    assert_eq!((counts.hard, counts.soft, counts.complaints), (1, 0, 0));
    assert_eq!(
        s.last_diagnostic(1).unwrap().as_deref(),
        Some("550 5.1.1 no such user")
    );
    // An import cannot bring the address back.
    let again = s
        .add("reader@example.org", None, "cli", true, now())
        .unwrap();
    assert!(
        matches!(again, crate::store::Added::Suppressed),
        "{again:?}"
    );
}

#[test]
fn a_complaint_marks_complained_suppresses_and_counts_against_the_issue() {
    let mut s = store(2);
    let mut r = report("<c@fbl>", "complaint", 2, Effect::Complaint);
    r.status = None;
    r.diagnostic = None;
    let applied = put(&mut s, &r);
    assert_eq!(
        applied,
        Applied::Recorded {
            changed: Some(Status::Complained)
        }
    );
    assert_eq!(status(&s, "reader@example.org"), Status::Complained);
    assert!(s.is_suppressed("reader@example.org").unwrap());
    assert_eq!(s.issue_bounces(2).unwrap().complaints, 1);
    assert_eq!(s.issue_bounces(1).unwrap().complaints, 0);
    assert_eq!(
        s.last_diagnostic(1).unwrap().as_deref(),
        Some("complaint (feedback report)")
    );
}

#[test]
fn soft_bounces_count_over_the_last_issues_sent() {
    // Soft bounces on 1 and 2, then 3 to 7 delivered: 7's soft bounce finds
    // only one in the window 3..=7, so the reader stays.
    let mut s = store(7);
    for (key, issue) in [("<s1>", 1), ("<s2>", 2), ("<s7>", 7)] {
        let applied = put(&mut s, &report(key, "soft", issue, SOFT));
        assert_eq!(applied, Applied::Recorded { changed: None }, "{key}");
    }
    assert_eq!(status(&s, "reader@example.org"), Status::Active);
    // Soft bounces on 3 and 5 (6 delivered in between): with 7, three of
    // the last five, and the reader is bounced, not suppressed.
    assert_eq!(
        put(&mut s, &report("<s3>", "soft", 3, SOFT)),
        Applied::Recorded { changed: None }
    );
    assert_eq!(
        put(&mut s, &report("<s5>", "soft", 5, SOFT)),
        Applied::Recorded {
            changed: Some(Status::Bounced)
        }
    );
    assert_eq!(status(&s, "reader@example.org"), Status::Bounced);
    assert!(!s.is_suppressed("reader@example.org").unwrap());
    // Two reports about one issue count it once.
    let mut s = store(3);
    put(&mut s, &report("<x1>", "soft", 3, SOFT));
    put(&mut s, &report("<x2>", "soft", 3, SOFT));
    put(&mut s, &report("<x3>", "soft", 2, SOFT));
    assert_eq!(status(&s, "reader@example.org"), Status::Active);
}

#[test]
fn forged_and_unmatched_reports_are_recorded_and_change_nobody() {
    let mut s = store(1);
    let mut forged = report("<f>", "hard", 1, Effect::None);
    forged.forged = true;
    forged.subscriber = None;
    forged.issue = None;
    forged.matched = Matched::None;
    assert_eq!(put(&mut s, &forged), Applied::Recorded { changed: None });
    assert_eq!(status(&s, "reader@example.org"), Status::Active);
    assert!(!s.is_suppressed("reader@example.org").unwrap());
    assert_eq!(s.issue_bounces(1).unwrap(), IssueBounces::default());
}

#[test]
fn lookups_find_deliveries_by_message_id_and_by_address() {
    let s = store(3);
    assert_eq!(
        s.delivery_by_message_id("gz.2.1@l.example").unwrap(),
        Some((2, 1))
    );
    assert_eq!(s.delivery_by_message_id("gz.9.1@l.example").unwrap(), None);
    assert_eq!(s.latest_sent_to("OTHER@example.org").unwrap(), Some((3, 2)));
    assert_eq!(s.latest_sent_to("nobody@example.org").unwrap(), None);
}

#[test]
fn a_send_time_no_such_user_is_suppressed_too() {
    let mut s = store(0);
    s.begin_send(1, "s", "l.example", T, false).unwrap();
    let failed = Update::Failed {
        subscriber_id: 1,
        code: 550,
        reply: "550 5.1.1 no such user".into(),
        message_id: "gz.1.1@l.example".into(),
        bounce: true,
    };
    s.record(1, &[failed], T).unwrap();
    assert_eq!(status(&s, "reader@example.org"), Status::Bounced);
    assert!(s.is_suppressed("reader@example.org").unwrap());
    assert!(!s.is_suppressed("other@example.org").unwrap());
    assert_eq!(
        s.last_diagnostic(1).unwrap().as_deref(),
        Some("550 5.1.1 no such user")
    );
}

/// The same complaint can arrive twice with other headers (two sources, a
/// relay's Received line): two reports, one reader, one complaint.
#[test]
fn a_reader_counts_once_in_an_issues_complaints_however_many_reports() {
    let mut s = store(1);
    put(&mut s, &report("c1", "complaint", 1, Effect::Complaint));
    put(&mut s, &report("c2", "complaint", 1, Effect::Complaint));
    assert_eq!(s.issue_bounces(1).unwrap().complaints, 1);
    assert_eq!(s.latest_complaints().unwrap(), Some((1, 1, 2)));
}
