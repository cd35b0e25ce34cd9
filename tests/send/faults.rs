//! smtp-sink: rejects, disconnects, idle timeouts and slow replies.

use crate::support::smtp::SMTP_TOP;
use crate::support::{Newsletter, SmtpServer, assert_everyone_once, shared};

#[test]
fn smtp_sink_soft_rejects_are_deferred_and_a_later_run_sends_them() {
    let _machine = shared();
    let n = Newsletter::new("retry_delays = [0.2]");
    let emails = n.subscribe(8);
    let soft = SmtpServer::sink(&["-r", "RCPT"]);
    let run = n.send(&["--transport", &soft.url(), "--json"]);
    run.assert_code(75);
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(
        (report["deferred"].as_u64(), report["sent"].as_u64()),
        (Some(8), Some(0))
    );
    for d in n.ledger() {
        assert_eq!(d.state, "deferred", "{d:?}");
        assert_eq!(d.code, Some(450), "{d:?}");
        assert!(d.reply.as_deref().unwrap().contains("4.3.0"), "{d:?}");
        assert_eq!(d.status, "active");
    }
    assert_eq!(soft.received().len(), 0);
    drop(soft);

    let sink = SmtpServer::sink(&[]);
    let run = n.send(&["--transport", &sink.url()]);
    run.assert_code(0);
    assert_everyone_once(&n, &sink.received(), &emails, 0);
    let status = n.status().unwrap();
    assert_eq!(status["state"], "complete");
    assert_eq!(status["counts"]["sent"], 8);
}

#[test]
fn smtp_sink_hard_rejects_fail_and_only_unknown_users_bounce() {
    let _machine = shared();
    // smtp-sink's own hard reply is `500 5.3.0 Error: command failed`: a
    // failure, but not a sign that the address does not exist.
    for (options, reply, bounced) in [
        (vec!["-f", "RCPT"], "500 5.3.0", false),
        (
            vec![
                "-f",
                "RCPT",
                "-B",
                "550 5.1.1 Recipient address rejected: User unknown",
            ],
            "550 5.1.1",
            true,
        ),
        (
            vec!["-f", "RCPT", "-B", "550 No such mailbox"],
            "550 No such",
            true,
        ),
        (
            vec!["-f", "RCPT", "-B", "550 5.7.1 Rejected by policy"],
            "550 5.7.1",
            false,
        ),
    ] {
        let n = Newsletter::new("retry_delays = [0.2]");
        n.subscribe(4);
        let sink = SmtpServer::sink(&options);
        let run = n.send(&["--transport", &sink.url()]);
        run.assert_code(1);
        assert_eq!(sink.received().len(), 0);
        let (code, text) = reply.split_once(' ').unwrap();
        for d in n.ledger() {
            assert_eq!(d.state, "failed", "{options:?}: {d:?}");
            assert_eq!(d.code, Some(code.parse().unwrap()), "{d:?}");
            assert!(d.reply.as_deref().unwrap().contains(text), "{d:?}");
            let status = if bounced { "bounced" } else { "active" };
            assert_eq!(d.status, status, "{options:?}: {d:?}");
        }
        let counts = n.counts();
        assert_eq!((counts["failed"], counts["deferred"]), (4, 0), "{counts:?}");
        // A failed recipient is not retried: the next run has nothing to do.
        n.send(&["--transport", &sink.url()]).assert_code(0);
        assert_eq!(n.counts()["failed"], 4);
    }
}

#[test]
fn smtp_sink_without_smtputf8_fails_a_non_ascii_address_at_once() {
    let _machine = shared();
    // smtp-sink does not offer SMTPUTF8, so no retry can deliver to
    // josé@example.org through it: failed (553, as RFC 6531 has such a relay
    // answer), not deferred run after run, and not bounced.
    let n = Newsletter::new("retry_delays = [0.2]");
    n.gazette()
        .args(["subscribers", "add", "josé@example.org"])
        .assert()
        .success();
    let emails = n.subscribe(2);
    let sink = SmtpServer::sink(&[]);
    let run = n.send(&["--transport", &sink.url()]);
    run.assert_code(1);
    let ledger = n.ledger();
    let jose = ledger
        .iter()
        .find(|d| d.email == "josé@example.org")
        .unwrap();
    assert_eq!(
        (jose.state.as_str(), jose.code),
        ("failed", Some(553)),
        "{jose:?}"
    );
    assert!(
        jose.reply.as_deref().unwrap().contains("SMTPUTF8"),
        "{jose:?}"
    );
    assert_eq!(jose.status, "active");
    let received = sink.received();
    assert_eq!(received.len(), 2);
    assert!(
        received
            .iter()
            .all(|r| emails.contains(&r.rcpt().to_string()))
    );
}

#[test]
fn smtp_sink_disconnects_are_survived_by_reconnecting() {
    let _machine = shared();
    let n = Newsletter::new("retry_delays = []\nrelay_rest = 0.2");
    let emails = n.subscribe(6);

    // A silent disconnect after RCPT, then a 421 and disconnect: each run
    // defers everyone (nothing failed, nobody bounced)...
    for (options, code) in [(["-q", "RCPT"], None), (["-Q", "RCPT"], Some(421))] {
        let sink = SmtpServer::sink(&options);
        let run = n.send(&["--transport", &sink.url()]);
        run.assert_code(75);
        for d in n.ledger() {
            assert_eq!(
                (d.state.as_str(), d.status.as_str()),
                ("deferred", "active"),
                "{d:?}"
            );
            // With a 421 the run stops at once (the relay must rest): a
            // connection in flight then may see only the disconnect.
            assert!(d.code == code || d.code.is_none(), "{d:?}");
        }
        assert_eq!(sink.received().len(), 0);
    }
    // ...and the next run, against a healthy server, sends to each exactly once.
    let sink = SmtpServer::sink(&[]);
    n.send(&["--transport", &sink.url()]).assert_code(0);
    assert_everyone_once(&n, &sink.received(), &emails, 0);
    assert_eq!(n.status().unwrap()["state"], "complete");
}

#[test]
fn smtp_sink_closing_idle_connections_is_survived_within_the_run() {
    let _machine = shared();
    // smtp-sink drops a connection idle for over a second; sending one message
    // every 1.4 s over one connection meets a closed connection each time, and
    // must reconnect rather than defer (no in-run retries are configured).
    let n = Newsletter::new("retry_delays = []");
    let emails = n.subscribe(3);
    let sink = SmtpServer::sink(&["-t", "1"]);
    let run = n.send(&[
        "--transport",
        &sink.url(),
        "--connections",
        "1",
        "--rate",
        "0.7",
    ]);
    run.assert_code(0);
    assert_everyone_once(&n, &sink.received(), &emails, 0);
    assert!(
        sink.log().contains("timeout"),
        "smtp-sink closed nothing: {}",
        sink.log()
    );
}

#[test]
fn smtp_sink_reply_slower_than_the_command_timeout_is_deferred_not_waited_for() {
    let _machine = shared();
    let sink = SmtpServer::sink(&["-W", "DATA:5"]);
    let relay = format!(
        "[[smtp]]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n\
         connect_timeout = 1\ncommand_timeout = 1\n",
        sink.port
    );
    let n = Newsletter::new(&format!("{SMTP_TOP}{relay}"));
    n.subscribe(8);
    let run = n.send(&[]);
    run.assert_code(75);
    // Eight recipients over four connections, a second each: two rounds.
    assert!(run.seconds < 6.0, "took {:.1} s", run.seconds);
    for d in n.ledger() {
        assert_eq!(d.state, "deferred", "{d:?}");
        assert!(d.reply.as_deref().unwrap().contains("no reply"), "{d:?}");
    }
    assert_eq!(sink.received().iter().filter(|r| r.complete).count(), 0);
}
