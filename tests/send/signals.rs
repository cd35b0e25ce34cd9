//! smtp-sink: a `kill -9` in the middle of a send, and SIGTERM.

use crate::support::{DRAFT, Newsletter, SmtpServer, assert_everyone_once, shared};
use std::time::{Duration, Instant};

/// Where the `kill -9` lands: after this many messages reached smtp-sink. A
/// fixed list, early, middle and late (the test once drew one at random from
/// 320..7000), so that a failure names its kill point and can be run again.
const KILL_POINTS: [usize; 3] = [320, 3_500, 6_999];

#[test]
fn kill_9_in_the_middle_of_10000_then_resume_sends_everyone_with_few_duplicates() {
    let _machine = shared();
    for kill_after in KILL_POINTS {
        // Each kill point on its own newsletter and sink; any failure below
        // is reported with the kill point it happened at.
        let round = std::panic::catch_unwind(|| kill_9_after(kill_after));
        if let Err(panic) = round {
            let why = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            panic!("kill -9 after {kill_after} messages (of KILL_POINTS {KILL_POINTS:?}): {why}");
        }
    }
}

/// One round of the kill test: 10,000 subscribers, `kill -9` once
/// `kill_after` messages have reached smtp-sink, then a second run resumes.
fn kill_9_after(kill_after: usize) {
    let n = Newsletter::new("");
    let emails = n.subscribe(10_000);
    let sink = SmtpServer::sink(&[]);
    eprintln!("kill -9 after {kill_after} messages");
    let mut running = n.spawn_send(&["--transport", &sink.url()]);
    running.wait_for(|| sink.dump_count() >= kill_after, Duration::from_secs(60));
    running.signal("KILL");
    let killed = running.finish(Duration::from_secs(10));
    assert_eq!(
        killed.code, None,
        "kill point {kill_after}: gazette ended before the kill: {killed:?}"
    );
    let before = n.counts();
    assert!(
        before["sent"] >= 300 && before["sent"] < 10_000,
        "kill point {kill_after}: {before:?}"
    );

    let run = n.send(&["--transport", &sink.url(), "--json"]);
    run.assert_code(0);
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(
        report["sent"].as_u64(),
        Some(10_000 - before["sent"]),
        "kill point {kill_after}"
    );
    let status = n.status().unwrap();
    assert_eq!(status["state"], "complete", "kill point {kill_after}");
    assert_eq!(status["counts"]["sent"], 10_000, "kill point {kill_after}");
    let received = sink.received();
    let extras = assert_everyone_once(&n, &received, &emails, 4);
    eprintln!(
        "kill point {kill_after}: killed at {} sent in the ledger; {} copies, {extras} duplicates",
        before["sent"],
        received.len()
    );
}

#[test]
fn sigterm_stops_with_143_and_a_second_run_completes() {
    let _machine = shared();
    let n = Newsletter::new("");
    let emails = n.subscribe(100);
    let sink = SmtpServer::sink(&[]);
    let mut running = n.spawn_send(&["--transport", &sink.url(), "--rate", "20"]);
    running.wait_for(|| sink.dump_count() >= 10, Duration::from_secs(30));
    running.signal("TERM");
    let signalled = Instant::now();
    let stopped = running.finish(Duration::from_secs(40));
    assert_eq!(stopped.code, Some(143), "{stopped:#?}");
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "took {:?} to stop",
        signalled.elapsed()
    );
    assert!(
        stopped.stderr.contains("stopped by SIGTERM")
            && stopped
                .stderr
                .contains(&format!("Run `gazette send {DRAFT}` again to resume")),
        "{}",
        stopped.stderr
    );
    let counts = n.counts();
    assert!(counts["sent"] >= 10 && counts["sent"] < 100, "{counts:?}");
    assert_eq!(
        counts["sending"], 0,
        "in-flight messages were not recorded: {counts:?}"
    );

    n.send(&["--transport", &sink.url()]).assert_code(0);
    assert_everyone_once(&n, &sink.received(), &emails, 4);
    assert_eq!(n.status().unwrap()["counts"]["sent"], 100);
}

#[test]
fn a_relay_that_must_rest_ends_the_run_at_once_instead_of_waiting() {
    let _machine = shared();
    // 421 and disconnect: the only relay must rest for relay_rest (60 s by
    // default). The run used to wait that out with recipients queued (and a
    // SIGTERM had to cut the wait short); now it ends at once, by itself.
    let n = Newsletter::new("retry_delays = [1]");
    n.subscribe(20);
    let sink = SmtpServer::sink_without_dumps(&["-Q", "RCPT"]);
    let started = Instant::now();
    let stopped = n.send(&["--transport", &sink.url()]);
    let took = started.elapsed();
    assert_eq!(stopped.code, Some(75), "{stopped:#?}");
    assert!(
        stopped.stderr.contains("no relay can take mail now"),
        "{}",
        stopped.stderr
    );
    assert!(took < Duration::from_secs(5), "took {took:?} to stop");
    let counts = n.counts();
    assert_eq!((counts["sent"], counts["failed"]), (0, 0), "{counts:?}");
    assert_eq!(counts["sending"], 0, "{counts:?}");
    assert_eq!(counts["deferred"], 20, "{counts:?}");
}
