//! Internationalised addresses in the envelope. smtp-sink announces no
//! SMTPUTF8, so an IDN domain goes as its A-label (IDNA) and a non-ASCII local
//! part cannot go at all; aiosmtpd told to announce SMTPUTF8 gets the UTF-8
//! address with the SMTPUTF8 parameter.

use crate::support::smtp::{PASSWORD, aiosmtpd_config};
use crate::support::{Newsletter, Pki, SmtpServer, Tls, shared};

#[test]
fn without_smtputf8_an_idn_domain_goes_in_the_envelope_as_its_a_label() {
    let _machine = shared();
    let n = Newsletter::new("retry_delays = []\nenvelope_from = \"bounces@bücher.example\"");
    for email in ["reader@bücher.example", "josé@example.org"] {
        n.add(email);
    }
    let emails = n.subscribe(1);
    let sink = SmtpServer::sink(&[]);
    let run = n.send(&["--transport", &sink.url()]);
    // josé's local part needs SMTPUTF8: failed, the relay named as the cause.
    run.assert_code(1);
    let mut expected = vec![
        "reader@xn--bcher-kva.example".to_string(),
        emails[0].clone(),
    ];
    expected.sort();
    assert_eq!(sink.recipients(), expected);
    let received = sink.received();
    assert_eq!(received.len(), 2);
    for r in &received {
        // smtp-sink records MAIL FROM's arguments too.
        assert_eq!(
            r.all("X-Mail-Args"),
            ["<bounces@xn--bcher-kva.example>"],
            "{}",
            r.file.display()
        );
        assert!(r.complete);
    }
    let ledger = n.ledger();
    let state = |email: &str| ledger.iter().find(|d| d.email == email).unwrap();
    assert_eq!(state("reader@bücher.example").state, "sent");
    let jose = state("josé@example.org");
    assert_eq!(
        (jose.state.as_str(), jose.code),
        ("failed", Some(553)),
        "{jose:?}"
    );
    let reply = jose.reply.as_deref().unwrap_or_default();
    assert!(
        reply.contains("does not support SMTPUTF8 (RFC 6531)"),
        "{jose:?}"
    );
    assert_eq!(jose.status, "active", "{jose:?}");
}

#[test]
fn with_smtputf8_the_address_goes_as_utf8_with_the_smtputf8_parameter() {
    let _machine = shared();
    let pki = Pki::new();
    let server = SmtpServer::aiosmtpd_with(&pki, Tls::StartTls, &["--smtputf8"]);
    let n = Newsletter::new(&aiosmtpd_config(
        server.port,
        Tls::StartTls,
        Some(&pki.ca()),
    ));
    for email in ["reader@bücher.example", "josé@example.org"] {
        n.add(email);
    }
    n.send_with_password(PASSWORD, &[]).assert_code(0);
    let received = server.received();
    let mut got: Vec<(String, Vec<String>)> = received
        .iter()
        .map(|r| (r.rcpt().to_string(), r.mail_options.clone()))
        .collect();
    got.sort();
    let utf8 = vec!["SMTPUTF8".to_string()];
    assert_eq!(
        got,
        [
            ("josé@example.org".to_string(), utf8.clone()),
            ("reader@bücher.example".to_string(), utf8)
        ]
    );
}

#[test]
fn without_smtputf8_a_non_ascii_envelope_sender_is_the_relays_fault_and_fails_no_one() {
    let _machine = shared();
    let n = Newsletter::new("retry_delays = []\nenvelope_from = \"rücksendung@bücher.example\"");
    n.subscribe(3);
    let sink = SmtpServer::sink(&[]);
    let run = n.send(&["--transport", &sink.url()]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("does not support SMTPUTF8 (RFC 6531)")
            && run.stderr.contains("envelope sender"),
        "{}",
        run.stderr
    );
    assert_eq!(sink.received().len(), 0);
    let counts = n.counts();
    assert_eq!((counts["failed"], counts["sent"]), (0, 0), "{counts:?}");
    assert_eq!(counts["pending"] + counts["sending"], 3, "{counts:?}");
}
