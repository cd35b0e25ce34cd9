//! smtp-sink soft-rejecting every recipient, run after run with "now" moved
//! forward: deferred until `max_retry_age` after the first attempt, then failed.

use crate::support::{DRAFT, Newsletter, SmtpServer, shared};

#[test]
fn recipients_deferred_past_max_retry_age_fail_with_the_last_reply_and_status_says_so() {
    let _machine = shared();
    let soft = SmtpServer::sink(&["-r", "RCPT"]);
    let transport = soft.url();
    let send = |n: &Newsletter| n.send(&["--transport", &transport]);
    let n = Newsletter::new("retry_delays = []").at("2026-11-29T09:00:00Z");
    n.subscribe(4);
    send(&n).assert_code(75);

    // Four days on: deferred still, the issue incomplete.
    let n = n.at("2026-12-03T09:00:00Z");
    send(&n).assert_code(75);
    let counts = n.counts();
    assert_eq!((counts["deferred"], counts["failed"]), (4, 0), "{counts:?}");

    // Five days and an hour after the first attempt: failed, not bounced.
    let n = n.at("2026-12-04T10:00:00Z");
    let run = send(&n);
    run.assert_code(1);
    for d in n.ledger() {
        assert_eq!((d.state.as_str(), d.code), ("failed", Some(450)), "{d:?}");
        let reply = d.reply.as_deref().unwrap_or_default();
        assert!(reply.contains("(450): 4.3.0"), "the last reply: {d:?}");
        assert!(
            reply.ends_with("given up: deferred for 5 days (max_retry_age)"),
            "{d:?}"
        );
        assert_eq!(d.status, "active", "{d:?}");
    }
    let status = n.stdout(&["status", DRAFT]);
    assert!(
        status.contains("complete with 4 failed") && status.contains("(max_retry_age)"),
        "{status}"
    );
    assert_eq!(n.status().unwrap()["counts"]["deferred"], 0);
}

#[test]
fn max_retry_age_is_a_setting_of_its_own() {
    let _machine = shared();
    let soft = SmtpServer::sink(&["-r", "RCPT"]);
    let n = Newsletter::new("retry_delays = []\nmax_retry_age = 3600");
    n.subscribe(2);
    n.send(&["--transport", &soft.url()]).assert_code(75);
    let n = n.at("2026-11-29T10:00:00Z");
    n.send(&["--transport", &soft.url()]).assert_code(1);
    for d in n.ledger() {
        let reply = d.reply.as_deref().unwrap_or_default();
        assert!(
            reply.contains("deferred for 1 hour (max_retry_age)"),
            "{d:?}"
        );
    }
}
