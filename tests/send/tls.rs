//! aiosmtpd: STARTTLS (or TLS from the start) and AUTH required.

use crate::support::smtp::{PASSWORD, USER, aiosmtpd_config};
use crate::support::{
    Config, Newsletter, Pki, SECRET, SUBJECT, Secret, SmtpServer, Tls, angle, assert_everyone_once,
    python3, shared, tool,
};
use std::process::Command as Process;

/// aiosmtpd requiring STARTTLS with a certificate from a new CA, and a
/// newsletter configured to trust that CA.
fn starttls_newsletter() -> (Pki, SmtpServer, Newsletter) {
    let pki = Pki::new();
    let server = SmtpServer::aiosmtpd(&pki, Tls::StartTls);
    let n = Newsletter::new(&aiosmtpd_config(
        server.port,
        Tls::StartTls,
        Some(&pki.ca()),
    ));
    (pki, server, n)
}

#[test]
fn aiosmtpd_with_starttls_and_auth_gets_one_message_per_subscriber_addressed_to_them() {
    let _machine = shared();
    let (_pki, server, n) = starttls_newsletter();
    let emails = n.subscribe(20);
    let run = n.send_with_password(PASSWORD, &["--json"]);
    run.assert_code(0);
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(report["sent"], 20, "{report}");

    let received = server.received();
    assert_eq!(received.len(), 20);
    assert_eq!(assert_everyone_once(&n, &received, &emails, 0), 0);
    for r in &received {
        assert!(r.tls, "{} came without STARTTLS", r.file.display());
        assert_eq!(r.auth_user.as_deref(), Some(USER));
    }

    // Each List-Unsubscribe URL is the recipient's own: its token verifies to
    // their subscriber id, and the strict parser finds it in both parts.
    let config = Config::load(&n.root()).unwrap();
    let secret = Secret::new(SECRET.as_bytes(), "test").unwrap();
    let ids = n.subscriber_ids();
    let out = Process::new(python3())
        .arg(tool("check_message.py"))
        .arg("--require-body-unsubscribe")
        .args(received.iter().map(|r| &r.file))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (r, line) in received.iter().zip(stdout.lines()) {
        let report: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(report["file"], r.file.display().to_string());
        let url = report["unsubscribe_url"].as_str().unwrap();
        assert_eq!(angle(r.one("List-Unsubscribe")), url);
        let token = url
            .strip_prefix(&format!("{}/unsubscribe/", config.base_url))
            .unwrap();
        assert_eq!(
            secret.verify_unsubscribe(&config.list_id, token),
            Some(ids[r.rcpt()]),
            "{}: the unsubscribe URL is not {}'s",
            r.file.display(),
            r.rcpt()
        );
    }
    let counts = n.counts();
    assert_eq!((counts["sent"], counts["pending"]), (20, 0), "{counts:?}");
}

#[test]
fn aiosmtpd_refusing_the_password_stops_the_send_with_nothing_failed() {
    let _machine = shared();
    let (_pki, server, n) = starttls_newsletter();
    n.subscribe(6);
    let run = n.send_with_password("not the password", &[]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("the relay refused the login") && run.stderr.contains("535"),
        "{}",
        run.stderr
    );
    assert_eq!(server.received().len(), 0);
    let counts = n.counts();
    assert_eq!(counts["failed"], 0, "{counts:?}");
    assert_eq!(counts["pending"] + counts["sending"], 6, "{counts:?}");
    assert_eq!(counts["sent"] + counts["deferred"], 0, "{counts:?}");
    assert!(n.ledger().iter().all(|d| d.status == "active"));

    // The right password then sends to everyone.
    n.send_with_password(PASSWORD, &[]).assert_code(0);
    assert_eq!(server.received().len(), 6);
}

#[test]
fn aiosmtpd_certificate_from_an_unknown_ca_is_refused_at_once() {
    let _machine = shared();
    let pki = Pki::new();
    for mode in [Tls::StartTls, Tls::Implicit] {
        let server = SmtpServer::aiosmtpd(&pki, mode);
        // With the default retry delays, a refusal taken for a passing fault
        // would keep the run going for minutes.
        let config = aiosmtpd_config(server.port, mode, None);
        let n = Newsletter::new(&config.replace("retry_delays = []\n", ""));
        n.subscribe(6);
        let run = n.send_with_password(PASSWORD, &[]);
        run.assert_code(2);
        assert!(run.seconds < 10.0, "{mode:?}: took {:.1} s", run.seconds);
        let err = run.stderr.to_ascii_lowercase();
        assert!(
            err.contains("tls") && err.contains("certificate") && err.contains("unknownissuer"),
            "{mode:?}: the error should name the certificate problem: {}",
            run.stderr
        );
        assert_eq!(server.received().len(), 0);
        let counts = n.counts();
        assert_eq!(
            (counts["sent"], counts["failed"], counts["deferred"]),
            (0, 0, 0)
        );
        assert_eq!(counts["pending"] + counts["sending"], 6, "{counts:?}");

        // Trusting the CA, the same relay takes every message.
        n.configure(&aiosmtpd_config(server.port, mode, Some(&pki.ca())));
        n.send_with_password(PASSWORD, &[]).assert_code(0);
        let received = server.received();
        assert_eq!(received.len(), 6, "{mode:?}");
        assert!(received.iter().all(|r| r.tls && r.complete));
    }
}

#[test]
fn aiosmtpd_test_send_reaches_only_the_test_addresses_and_records_nothing() {
    let _machine = shared();
    let (_pki, server, n) = starttls_newsletter();
    n.subscribe(3);
    let run = n.send_with_password(
        PASSWORD,
        &[
            "--test",
            "Ann Editor <ann@proofs.example>,bob@proofs.example",
        ],
    );
    run.assert_code(0);
    let received = server.received();
    let mut to: Vec<(String, String)> = received
        .iter()
        .map(|r| (r.rcpt().to_string(), r.to()))
        .collect();
    to.sort();
    assert_eq!(
        to,
        [
            ("ann@proofs.example".into(), "ann@proofs.example".into()),
            ("bob@proofs.example".into(), "bob@proofs.example".into())
        ]
    );
    for r in &received {
        assert_eq!(r.one("Subject"), format!("[TEST] {SUBJECT}"));
        assert!(r.complete && r.tls);
    }
    assert_ne!(received[0].message_id(), received[1].message_id());
    assert!(n.status().is_none(), "a test send began the issue's send");
    assert!(n.ledger().is_empty());
}
