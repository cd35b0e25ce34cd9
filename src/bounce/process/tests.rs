//! The matching order, on an in-memory store: VERP, then Message-ID, then
//! the failed recipient; a forged VERP ends it.

use super::*;
use crate::store::Store;
use crate::store::ledger::Update;

const T: i64 = 1_800_000_000;
const FROM: &str = "bounces@news.example.org";

fn secret() -> Secret {
    Secret::new(b"0123456789abcdef0123456789abcdef", "test").unwrap()
}

/// reader@ (1) and other@ (2), both sent issues 1 and 2.
fn store() -> Store {
    let mut s = Store::open_in_memory().unwrap();
    let at = Timestamp::from_second(T).unwrap();
    for email in ["reader@example.org", "other@example.org"] {
        s.add(email, None, "cli", false, at).unwrap();
    }
    for issue in 1..=2 {
        s.begin_send(issue, "s", "l.example", T, false).unwrap();
        let updates: Vec<Update> = (1..=2)
            .map(|id| Update::Sent {
                subscriber_id: id,
                code: Some(250),
                reply: "250 ok".into(),
                message_id: format!("gz.{issue}.{id}@news.example.org"),
            })
            .collect();
        s.record(issue, &updates, T).unwrap();
    }
    s
}

fn rules<'a>(secret: &'a Secret, to: Option<&'a str>) -> Rules<'a> {
    Rules {
        secret,
        envelope_from: FROM,
        soft_limit: 3,
        soft_window: 5,
        to,
        verp: true,
    }
}

fn failed(address: &str) -> Recipient {
    Recipient {
        address: Some(address.into()),
        action: Some("failed".into()),
        status: Some("5.1.1".into()),
        kind: Kind::Hard,
        ..Recipient::default()
    }
}

fn hard(delivered_to: Vec<String>, ids: Vec<String>, rcpt: &str) -> Report {
    Report {
        kind: Kind::Hard,
        recipients: vec![failed(rcpt)],
        delivered_to,
        original_message_ids: ids,
        ..Report::default()
    }
}

fn matched(issue: u32, subscriber: SubscriberId, how: Matched) -> Match {
    Match {
        issue: Some(issue),
        subscriber: Some(subscriber),
        matched: how,
        forged: false,
    }
}

fn find_in(s: &Store, rules: &Rules<'_>, r: &Report) -> Match {
    find(s.conn(), rules, r, r.recipients.first()).unwrap()
}

#[test]
fn verp_comes_first_then_the_message_id_then_the_recipient() {
    let (s, k) = (store(), secret());
    let rules = rules(&k, None);
    let verp = verp::address(&k, FROM, 2, 1);
    let other_id = "<gz.1.2@news.example.org>".to_string();
    // All three clues, each naming someone else: VERP wins.
    let r = hard(
        vec![verp.clone()],
        vec![other_id.clone()],
        "other@example.org",
    );
    assert_eq!(find_in(&s, &rules, &r), matched(2, 1, Matched::Verp));
    // Without the VERP, the Message-ID (in angle brackets or not).
    let r = hard(vec![FROM.into()], vec![other_id], "reader@example.org");
    assert_eq!(find_in(&s, &rules, &r), matched(1, 2, Matched::MessageId));
    // Without either, the recipient, to the latest issue sent them.
    let r = hard(vec![], vec!["<elsewhere@x>".into()], "Reader@Example.org");
    assert_eq!(find_in(&s, &rules, &r), matched(2, 1, Matched::Recipient));
    // A recipient who is not a subscriber matches nothing.
    let r = hard(vec![], vec![], "stranger@example.org");
    assert_eq!(find_in(&s, &rules, &r).matched, Matched::None);
}

#[test]
fn the_returned_return_path_and_the_command_line_address_are_verp_clues() {
    let (s, k) = (store(), secret());
    let mut r = hard(vec![], vec![], "nobody@example.org");
    r.original_return_path = Some(format!("<{}>", verp::address(&k, FROM, 1, 2)));
    assert_eq!(
        find_in(&s, &rules(&k, None), &r),
        matched(1, 2, Matched::Verp)
    );
    let r = hard(vec![FROM.into()], vec![], "nobody@example.org");
    let to = verp::address(&k, FROM, 2, 2);
    assert_eq!(
        find_in(&s, &rules(&k, Some(&to)), &r),
        matched(2, 2, Matched::Verp)
    );
}

#[test]
fn a_forged_verp_never_falls_back_to_the_other_clues() {
    let (s, k) = (store(), secret());
    let genuine = verp::address(&k, FROM, 2, 1);
    let forged = genuine.replace("+2-1-", "+2-2-");
    let r = hard(
        vec![forged],
        vec!["gz.2.2@news.example.org".into()],
        "other@example.org",
    );
    let m = find_in(&s, &rules(&k, None), &r);
    assert_eq!(
        m,
        Match {
            issue: None,
            subscriber: None,
            matched: Matched::None,
            forged: true
        }
    );
    // A genuine address beside a forged one is still a genuine match.
    let r = hard(
        vec![genuine.replace("+2-1-", "+2-2-"), genuine],
        vec![],
        "x@y",
    );
    assert_eq!(
        find_in(&s, &rules(&k, None), &r),
        matched(2, 1, Matched::Verp)
    );
}

#[test]
fn a_cut_message_is_unclassified_keyed_by_its_hash_and_recorded_once() {
    let (s, k) = (store(), secret());
    let now = Timestamp::from_second(T).unwrap();
    let raw = b"Subject: whatever\r\n\r\nthe first 16 MiB";
    let out = process(s.conn(), &rules(&k, None), raw, true, "here", now).unwrap();
    assert_eq!(out.class, Class::Unclassified);
    assert!(
        out.key.starts_with("sha256:") && out.key.len() == 71,
        "{}",
        out.key
    );
    assert_eq!(out.applied, Applied::Recorded { changed: None });
    let again = process(s.conn(), &rules(&k, None), raw, true, "here", now).unwrap();
    assert_eq!(again.applied, Applied::AlreadyRecorded);
}

#[test]
fn the_same_report_again_has_the_same_key_and_another_with_its_message_id_not() {
    let report = b"Received: by mx1\r\nMessage-ID: <r@mx>\r\n\r\nFinal-Recipient: rfc822; a@b\r\n";
    let again =
        b"Received: by mx2\nReceived: by mx1\nMessage-ID: <r@mx>\n\nFinal-Recipient: rfc822; a@b\n";
    let other = b"Message-ID: <r@mx>\r\n\r\nFinal-Recipient: rfc822; c@d\r\n";
    let k = key(Some("r@mx"), report);
    assert!(k.starts_with("r@mx "), "{k}");
    assert_eq!(
        key(Some("r@mx"), again),
        k,
        "delivered again, or stored with LF"
    );
    assert_ne!(key(Some("r@mx"), other), k);
    assert!(key(None, report).starts_with("sha256:"));
    assert_ne!(key(None, report), key(None, again));
}

/// Anyone can mail a notice naming a reader to the plain bounce address;
/// with signed VERP on, every genuine bounce carries a signed address or
/// gazette's Message-ID, so one that names a recipient and nothing else is
/// recorded and changes nobody.
#[test]
fn with_verp_on_a_report_matched_by_its_recipient_alone_changes_nobody() {
    let notice = b"From: MAILER-DAEMON@mx.example.net\r\nTo: bounces@news.example.org\r\n\
        Subject: Mail delivery failed: returning message to sender\r\n\
        Message-ID: <fake1@mx.example.net>\r\nX-Failed-Recipients: reader@example.org\r\n\r\n\
        This message was created automatically by mail delivery software.\r\n\r\n\
        A message that you sent could not be delivered to one or more of its\r\n\
        recipients. This is a permanent error. The following address(es) failed:\r\n\r\n\
          reader@example.org\r\n    SMTP error from remote mail server after RCPT TO:<reader@example.org>:\r\n\
            550 5.1.1 User unknown\r\n";
    let at = Timestamp::from_second(T + 60).unwrap();
    let (secret, s) = (secret(), store());
    let on = process(s.conn(), &rules(&secret, None), notice, false, "test", at).unwrap();
    assert_eq!(on.found.matched, Matched::Recipient);
    assert_eq!(on.class, Class::Hard);
    assert_eq!(on.changed(), None, "{on:?}");
    let status: String = (s.conn())
        .query_row("SELECT status FROM subscribers WHERE id = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(status, "active");
    assert_eq!(
        s.issue_bounces(2).unwrap().hard,
        0,
        "nor counted against the issue"
    );
    // Without VERP there is no better clue, and the recipient is believed.
    let s = store();
    let off = Rules {
        verp: false,
        ..rules(&secret, None)
    };
    let believed = process(s.conn(), &off, notice, false, "test", at).unwrap();
    assert_eq!(believed.changed(), Some(Status::Bounced), "{believed:?}");
}
