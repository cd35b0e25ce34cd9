//! Integration tests: several relays, one of them down. With no retries
//! configured, every recipient the dead relay was given must be handed to the
//! live one at once, not deferred.

use crate::support::{Sink, example_newsletter};
use assert_cmd::Command;
use std::path::Path;

#[test]
fn a_relay_that_refuses_connections_rests_and_the_other_carries_on() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(dir.path());
    // A port nobody listens on: bind one, then let it go.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::create_dir_all(dir.path().join("drafts")).unwrap();
    let config = std::fs::read_to_string(repo.join("config/gazette.toml"))
        .unwrap()
        .replace("transport = \"outbox\"\n", "")
        .replace("secret_file = \"data/secret\"\n", "");
    let relays = format!(
        "retry_delays = []\nrelay_rest = 60\n\n[[smtp]]\nhost = \"127.0.0.1\"\nport = {dead}\ntls = \"none\"\nconnections = 2\n\n\
         [[smtp]]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nconnections = 2\n",
        sink.port
    );
    // Top-level keys must come before the first table of the config.
    let (head, tables) = config.split_once("[[sections]]").unwrap();
    std::fs::write(
        dir.path().join("config/gazette.toml"),
        format!("{head}{relays}\n[[sections]]{tables}"),
    )
    .unwrap();
    std::fs::copy(
        repo.join("drafts/2026-11-29-41.toml"),
        dir.path().join("drafts/2026-11-29-41.toml"),
    )
    .unwrap();
    let csv: String = (1..=40).map(|i| format!("r{i}@example.org\n")).collect();
    std::fs::write(dir.path().join("list.csv"), csv).unwrap();
    let gazette = || gazette(dir.path());
    gazette()
        .args(["subscribers", "import"])
        .arg(dir.path().join("list.csv"))
        .assert()
        .success();
    let out = gazette()
        .args(["send", "drafts/2026-11-29-41.toml", "--yes"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("sent 40, deferred 0, failed 0"), "{stderr}");
    let mut got = sink.recipients();
    got.dedup();
    assert_eq!(got.len(), 40);
}

#[test]
fn dry_run_builds_every_message_without_connecting_or_recording() {
    let dir = tempfile::tempdir().unwrap();
    example_newsletter(dir.path());
    let csv: String = (1..=25).map(|i| format!("d{i}@example.org\n")).collect();
    std::fs::write(dir.path().join("list.csv"), csv).unwrap();
    let gazette = || gazette(dir.path());
    gazette()
        .args(["subscribers", "import"])
        .arg(dir.path().join("list.csv"))
        .assert()
        .success();
    // A port nobody listens on: any connection attempt would fail the send.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = gazette()
        .args([
            "send",
            "drafts/2026-11-29-41.toml",
            "--dry-run",
            "--transport",
        ])
        .arg(format!("smtp://127.0.0.1:{dead}"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("would send issue #41 to 25 subscribers"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    let status = gazette().args(["status", "--json"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&status.stdout).trim(),
        "[]",
        "the ledger is untouched"
    );
}

#[test]
fn a_dkim_signed_send_reaches_everyone_once_with_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(dir.path());
    example_newsletter(dir.path());
    let gazette = || gazette(dir.path());
    gazette()
        .args(["dkim", "keygen", "--selector", "s1"])
        .assert()
        .success();
    let config = std::fs::read_to_string(dir.path().join("config/gazette.toml")).unwrap();
    std::fs::write(
        dir.path().join("config/gazette.toml"),
        format!("{config}\n[[dkim]]\nselector = \"s1\"\nkey_file = \"data/dkim/s1.pem\"\n"),
    )
    .unwrap();
    let csv: String = (1..=60).map(|i| format!("k{i:02}@example.org\n")).collect();
    std::fs::write(dir.path().join("list.csv"), csv).unwrap();
    gazette()
        .args(["subscribers", "import"])
        .arg(dir.path().join("list.csv"))
        .assert()
        .success();
    // Signing happens ahead of sending, two recipients per connection: all
    // must still arrive exactly once, each signed.
    let out = gazette()
        .args([
            "send",
            "drafts/2026-11-29-41.toml",
            "--yes",
            "--transport",
            &sink.url(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("sent 60, deferred 0, failed 0"), "{stderr}");
    let got = sink.recipients();
    let expected: Vec<String> = (1..=60).map(|i| format!("k{i:02}@example.org")).collect();
    assert_eq!(got, expected);
    for entry in std::fs::read_dir(sink.dumps()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(
            text.contains("\nDKIM-Signature: v=1; a=rsa-sha256; s=s1; d=platformnotes.example;"),
            "unsigned message"
        );
    }
}

/// gazette in `dir`, with a token secret and no transport from the environment.
fn gazette(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("gazette").unwrap();
    cmd.arg("-C").arg(dir).env(
        "GAZETTE_SECRET",
        "a relay-test secret that is long enough!!",
    );
    cmd.env_remove("GAZETTE_TRANSPORT")
        .env_remove("GAZETTE_SMTP_PASSWORD")
        .env("GAZETTE_NOW", crate::support::NOW);
    cmd
}
