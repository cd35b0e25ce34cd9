//! Integration tests: several relays, one of them down. With no retries
//! configured, every recipient the dead relay was given must be handed to the
//! live one at once, not deferred.

use crate::support::{DRAFT, Newsletter, SmtpServer, free_port};

#[test]
fn a_relay_that_refuses_connections_rests_and_the_other_carries_on() {
    let sink = SmtpServer::sink(&[]);
    // A port nobody listens on: bind one, then let it go.
    let dead = free_port();
    let n = Newsletter::new(&format!(
        "retry_delays = []\nrelay_rest = 60\n\n[[smtp]]\nhost = \"127.0.0.1\"\nport = {dead}\ntls = \"none\"\nconnections = 2\n\n\
         [[smtp]]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nconnections = 2\n",
        sink.port
    ));
    let emails: Vec<String> = (1..=40).map(|i| format!("r{i}@example.org")).collect();
    n.subscribe_all(&emails);
    let run = n.send(&[]);
    let stderr = &run.stderr;
    assert_eq!(run.code, Some(0), "{stderr}");
    assert!(stderr.contains("sent 40, deferred 0, failed 0"), "{stderr}");
    let mut got = sink.recipients();
    got.dedup();
    assert_eq!(got.len(), 40);
}

#[test]
fn dry_run_builds_every_message_without_connecting_or_recording() {
    let n = Newsletter::example();
    let emails: Vec<String> = (1..=25).map(|i| format!("d{i}@example.org")).collect();
    n.subscribe_all(&emails);
    // A port nobody listens on: any connection attempt would fail the send.
    let dead = free_port();
    let run = n.run(
        &[
            "send",
            DRAFT,
            "--dry-run",
            "--transport",
            &format!("smtp://127.0.0.1:{dead}"),
        ],
        &[],
    );
    let stderr = &run.stderr;
    assert_eq!(run.code, Some(0), "{stderr}");
    assert!(
        stderr.contains("would send issue #41 to 25 subscribers"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    let status = n.run(&["status", "--json"], &[]);
    assert_eq!(status.stdout.trim(), "[]", "the ledger is untouched");
}

#[test]
fn a_dkim_signed_send_reaches_everyone_once_with_signatures() {
    let sink = SmtpServer::sink(&[]);
    let n = Newsletter::example();
    n.gazette()
        .args(["dkim", "keygen", "--selector", "s1"])
        .assert()
        .success();
    let config = n.read("config/gazette.toml");
    n.write(
        "config/gazette.toml",
        &format!("{config}\n[[dkim]]\nselector = \"s1\"\nkey_file = \"data/dkim/s1.pem\"\n"),
    );
    let expected: Vec<String> = (1..=60).map(|i| format!("k{i:02}@example.org")).collect();
    n.subscribe_all(&expected);
    // Signing happens ahead of sending, two recipients per connection: all
    // must still arrive exactly once, each signed.
    let run = n.send(&["--transport", &sink.url()]);
    let stderr = &run.stderr;
    assert_eq!(run.code, Some(0), "{stderr}");
    assert!(stderr.contains("sent 60, deferred 0, failed 0"), "{stderr}");
    let got = sink.recipients();
    assert_eq!(got, expected);
    for entry in std::fs::read_dir(sink.dumps()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(
            text.contains("\nDKIM-Signature: v=1; a=rsa-sha256; s=s1; d=platformnotes.example;"),
            "unsigned message"
        );
    }
}
