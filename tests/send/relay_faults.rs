//! A fault of the relay is never a recipient's failure: a 5xx to the
//! greeting, EHLO or MAIL FROM breaks the relay for the run (another relay
//! takes its recipients, or they stay to be sent), and a relay that cannot be
//! reached ends the run at once with everyone deferred, not hours later.

use crate::support::{Newsletter, SmtpServer, assert_everyone_once, free_port, shared};
use std::time::{Duration, Instant};

#[test]
fn a_relay_refusing_us_fails_and_bounces_no_one() {
    let _machine = shared();
    // smtp-sink's hard reply to each refused command: 500 5.3.0 Error: command failed.
    for refused in ["CONNECT", "EHLO", "MAIL", "DATA"] {
        let n = Newsletter::new("retry_delays = []");
        let emails = n.subscribe(12);
        let sink = SmtpServer::sink(&["-f", refused]);
        let run = n.send(&["--transport", &sink.url()]);
        assert_ne!(run.code, Some(0), "{refused}: {run:?}");
        assert!(
            run.stderr.contains("no relay can be used") && run.stderr.contains("500"),
            "{refused}: the relay's reply is shown: {}",
            run.stderr
        );
        for d in n.ledger() {
            assert_ne!(d.state, "failed", "{refused}: {d:?}");
            assert_eq!(d.status, "active", "{refused}: {d:?}");
        }
        drop(sink);
        // The relay mended, the same command sends to everyone exactly once.
        let sink = SmtpServer::sink(&[]);
        n.send(&["--transport", &sink.url()]).assert_code(0);
        assert_everyone_once(&n, &sink.received(), &emails, 0);
    }
}

#[test]
fn a_relay_refusing_the_sender_hands_its_recipients_to_the_healthy_one() {
    let _machine = shared();
    let broken = SmtpServer::sink(&["-f", "MAIL"]);
    let healthy = SmtpServer::sink(&[]);
    let relay = |port: u16| {
        format!(
            "[[smtp]]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nconnections = 2\n\n"
        )
    };
    let n = Newsletter::new(&format!(
        "retry_delays = []\n\n{}{}",
        relay(broken.port),
        relay(healthy.port)
    ));
    let emails = n.subscribe(60);
    let run = n.send(&[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("sent 60, deferred 0, failed 0"),
        "{}",
        run.stderr
    );
    assert_everyone_once(&n, &healthy.received(), &emails, 0);
}

#[test]
fn an_unreachable_relay_ends_the_run_in_seconds_with_everyone_deferred() {
    let _machine = shared();
    // relay_rest = 60: waiting out each rest would take hours for this list.
    let n = Newsletter::new("relay_rest = 60");
    n.subscribe(200);
    let dead = free_port();
    let started = Instant::now();
    let run = n.send(&["--transport", &format!("smtp://127.0.0.1:{dead}")]);
    let took = started.elapsed();
    run.assert_code(75);
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(
        run.stderr.contains(&format!("127.0.0.1:{dead}")) && run.stderr.contains("refused"),
        "cron's mail says why: {}",
        run.stderr
    );
    assert!(run.stderr.contains("deferred 200"), "{}", run.stderr);
    let ledger = n.ledger();
    assert_eq!(ledger.len(), 200);
    for d in ledger {
        assert_eq!(
            (d.state.as_str(), d.status.as_str()),
            ("deferred", "active"),
            "{d:?}"
        );
    }
}

#[test]
fn retry_failed_puts_the_failed_back_and_status_says_so_until_then() {
    let _machine = shared();
    let n = Newsletter::new("retry_delays = []");
    let emails = n.subscribe(5);
    // Every recipient refused for good (smtp-sink's 500 5.3.0: not a bounce).
    let refusing = SmtpServer::sink(&["-f", "RCPT"]);
    n.send(&["--transport", &refusing.url()]).assert_code(1);
    let status = n.run(&["status"], &[]);
    assert!(
        status
            .stdout
            .contains("complete with 5 failed (send --retry-failed retries them)"),
        "{}",
        status.stdout
    );
    drop(refusing);
    // Without the flag there is nothing to do; with it, the five go again.
    let healthy = SmtpServer::sink(&[]);
    let again = n.send(&["--transport", &healthy.url()]);
    again.assert_code(0);
    assert_eq!(healthy.received().len(), 0);
    let retried = n.send(&["--transport", &healthy.url(), "--retry-failed"]);
    retried.assert_code(0);
    assert!(
        retried
            .stderr
            .contains("5 failed recipients back in the queue"),
        "{}",
        retried.stderr
    );
    assert_everyone_once(&n, &healthy.received(), &emails, 0);
    let status = n.run(&["status"], &[]);
    assert!(
        status.stdout.contains("issue #41: complete: sent 5"),
        "{}",
        status.stdout
    );
}
