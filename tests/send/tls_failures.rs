//! TLS that cannot work, told in plain words that say what to change: a
//! certificate from a CA gazette does not trust (pointing at `ca_file`), one
//! for another name, an expired one, and a relay that does not speak TLS on
//! an implicit-TLS port. Each stops the run at once (exit 2), failing no one.

use crate::support::smtp::{PASSWORD, SMTP_TOP, aiosmtpd_config};
use crate::support::{Leaf, Newsletter, Pki, SmtpServer, Tls, shared};

/// Sends to 3 readers through `config`; returns the error output, once sure
/// the run stopped at once with nobody failed and nothing received.
fn refused(config: &str, server: &SmtpServer) -> String {
    let n = Newsletter::new(config);
    n.subscribe(3);
    let run = n.send_with_password(PASSWORD, &[]);
    run.assert_code(2);
    assert!(run.seconds < 10.0, "took {:.1} s", run.seconds);
    assert_eq!(server.received().len(), 0);
    let counts = n.counts();
    assert_eq!((counts["failed"], counts["sent"]), (0, 0), "{counts:?}");
    run.stderr
}

#[test]
fn a_certificate_from_an_untrusted_ca_is_explained_and_points_at_ca_file() {
    let _machine = shared();
    let pki = Pki::new();
    for mode in [Tls::StartTls, Tls::Implicit] {
        let server = SmtpServer::aiosmtpd(&pki, mode);
        let err = refused(&aiosmtpd_config(server.port, mode, None), &server);
        assert!(
            err.contains("the relay's certificate is not signed by a trusted authority")
                && err.contains("if it uses a private CA, set ca_file"),
            "{mode:?}: {err}"
        );
    }
}

#[test]
fn a_certificate_for_another_name_is_explained() {
    let _machine = shared();
    let pki = Pki::with(Leaf::OtherName);
    let server = SmtpServer::aiosmtpd(&pki, Tls::StartTls);
    let config = aiosmtpd_config(server.port, Tls::StartTls, Some(&pki.ca()));
    let err = refused(&config, &server);
    assert!(
        err.contains("the relay's certificate is for relay.other.example, not 127.0.0.1"),
        "{err}"
    );
}

#[test]
fn an_expired_certificate_is_explained() {
    let _machine = shared();
    let pki = Pki::with(Leaf::Expired);
    let server = SmtpServer::aiosmtpd(&pki, Tls::Implicit);
    let config = aiosmtpd_config(server.port, Tls::Implicit, Some(&pki.ca()));
    let err = refused(&config, &server);
    assert!(err.contains("the relay's certificate expired on "), "{err}");
}

#[test]
fn a_relay_that_does_not_speak_tls_on_an_implicit_tls_port_is_explained() {
    let _machine = shared();
    let sink = SmtpServer::sink(&[]);
    let relay = format!(
        "[[smtp]]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"tls\"\nconnect_timeout = 5\n",
        sink.port
    );
    let err = refused(&format!("{SMTP_TOP}{relay}"), &sink);
    assert!(
        err.contains("does not speak TLS on port") && err.contains("tls = \"starttls\""),
        "{err}"
    );
}
