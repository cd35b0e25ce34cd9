//! smtp-sink: readers who unsubscribe while a slow send runs, through
//! `gazette serve`'s one-click POST and through `subscribers remove`, each in
//! another process, get nothing more.

use crate::support::http::FORM;
use crate::support::{Newsletter, SmtpServer, shared};
use std::time::Duration;

#[test]
fn readers_who_unsubscribe_during_a_slow_send_are_skipped_not_mailed() {
    let _machine = shared();
    let n = Newsletter::new("");
    let emails = n.subscribe(16);
    let (clicking, removed) = (&emails[9], [&emails[11], &emails[15]]);
    let one_click = n.unsubscribe_path(clicking);
    let sink = SmtpServer::sink(&[]);
    let server = n.serve();
    // 16 readers at 5 a second over one connection: about three seconds.
    let mut running = n.spawn_send(&[
        "--transport",
        &sink.url(),
        "--rate",
        "5",
        "--connections",
        "1",
        "--json",
    ]);
    running.wait_for(|| sink.dump_count() >= 3, Duration::from_secs(30));
    let done = server.post(&one_click, FORM, "List-Unsubscribe=One-Click");
    assert_eq!(done.status, 200, "{done:?}");
    for email in removed {
        n.subscribers(&["remove", email]).assert().success();
    }
    let left = sink.dump_count();
    assert!(
        left < 9,
        "the send was over before the unsubscribes ({left} sent)"
    );
    let run = running.finish(Duration::from_secs(60));
    run.assert_code(0);

    let leaving = [clicking, removed[0], removed[1]];
    let got = sink.recipients();
    for email in leaving {
        assert!(
            !got.contains(email),
            "{email} was mailed after unsubscribing"
        );
    }
    assert_eq!(got.len(), 13, "{got:?}");
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(
        (report["sent"].as_u64(), report["skipped"].as_u64()),
        (Some(13), Some(3))
    );
    for d in n.ledger() {
        let expected = if leaving.contains(&&d.email) {
            ("skipped", "unsubscribed")
        } else {
            ("sent", "active")
        };
        assert_eq!((d.state.as_str(), d.status.as_str()), expected, "{d:?}");
        if d.state == "skipped" {
            assert_eq!(d.reply.as_deref(), Some("unsubscribed"), "{d:?}");
        }
    }
    let counts = n.counts();
    assert_eq!(
        (counts["sent"], counts["skipped"], counts["failed"]),
        (13, 3, 0)
    );
}
