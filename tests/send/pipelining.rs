//! PIPELINING over TLS: smtp-sink (which offers it) behind stunnel, with
//! STARTTLS and with implicit TLS; what reached smtp-sink, decrypted, shows
//! each envelope sent in one go, and each next envelope with the previous
//! message's end of data.

use crate::support::smtp::SMTP_TOP;
use crate::support::{Pki, SmtpServer, Tls, TlsFront, assert_everyone_once, shared};

fn relay(port: u16, mode: Tls, pki: &Pki) -> String {
    let tls = match mode {
        Tls::StartTls => "starttls",
        Tls::Implicit => "tls",
    };
    format!(
        "{SMTP_TOP}[[smtp]]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"{tls}\"\nca_file = \"{}\"\n\
         connections = 1\n",
        pki.ca().display()
    )
}

#[test]
fn over_starttls_and_implicit_tls_a_message_costs_one_round_trip() {
    let _machine = shared();
    for mode in [Tls::StartTls, Tls::Implicit] {
        let pki = Pki::new();
        let sink = SmtpServer::sink(&[]);
        let front = TlsFront::new(&pki, mode, sink.port);
        let n = crate::support::Newsletter::new(&relay(front.port, mode, &pki));
        let emails = n.subscribe(5);
        n.send(&[]).assert_code(0);
        assert_everyone_once(&n, &sink.received(), &emails, 0);

        let chunks = front.chunks();
        let all = chunks.concat();
        // The first envelope: MAIL, RCPT and DATA arrived together.
        let first = chunks.iter().find(|c| c.contains("MAIL FROM:"));
        let first = first.unwrap_or_else(|| panic!("{mode:?}: no MAIL in {all:?}"));
        assert!(
            first.starts_with("MAIL FROM:")
                && first.contains("\r\nRCPT TO:")
                && first.ends_with("\r\nDATA\r\n"),
            "{mode:?}: the envelope was not sent in one go: {chunks:?}"
        );
        // Each later envelope came in the same write as the end of the
        // message before it (4 for 5 messages on one connection; a TLS record
        // may end between the two, so allow one). Without pipelining none
        // can: the end of a message waits for its reply before MAIL.
        let with_end = (chunks.iter())
            .filter(|c| c.contains(".\r\nMAIL FROM:") && c.ends_with("\r\nDATA\r\n"))
            .count();
        assert!(with_end >= 3, "{mode:?}: {with_end} of 4: {chunks:?}");
        assert_eq!(all.matches("MAIL FROM:").count(), 5, "{mode:?}");
    }
}

#[test]
fn over_implicit_tls_a_message_does_not_wait_for_a_delayed_ack() {
    let _machine = shared();
    // Nagle's algorithm holding a message's last write for the server's
    // delayed ACK costs 40 ms or more a message: 40 messages on one
    // connection would take 1.6 s. Without it they take a few ms each.
    let pki = Pki::new();
    let sink = SmtpServer::sink_without_dumps(&[]);
    let front = TlsFront::new(&pki, Tls::Implicit, sink.port);
    let n = crate::support::Newsletter::new(&relay(front.port, Tls::Implicit, &pki));
    n.subscribe(40);
    let run = n.send(&["--json"]);
    run.assert_code(0);
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(report["sent"], 40, "{report}");
    let seconds = report["seconds"].as_f64().unwrap();
    assert!(seconds < 1.0, "40 messages took {seconds} s: {report}");
}
