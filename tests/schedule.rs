//! Integration tests: `gazette send --due` from cron, against Postfix's
//! smtp-sink on 127.0.0.1, with "now" fixed by GAZETTE_NOW.

use crate::support::Sink;
use assert_cmd::Command;
use std::path::Path;
use std::process::{Command as Process, Stdio};

const SECRET: &str = "a schedule-test secret that is long enough";

/// A newsletter with two drafts: #41 due at 2026-11-29 09:00 London, #42 a
/// week later, and `n` subscribers.
fn newsletter(n: usize) -> tempfile::TempDir {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::create_dir_all(dir.path().join("drafts")).unwrap();
    std::fs::copy(
        repo.join("config/gazette.toml"),
        dir.path().join("config/gazette.toml"),
    )
    .unwrap();
    let draft = std::fs::read_to_string(repo.join("drafts/2026-11-29-41.toml")).unwrap();
    std::fs::write(dir.path().join("drafts/2026-11-29-41.toml"), &draft).unwrap();
    let later = draft
        .replace("issue = 41", "issue = 42")
        .replace("date = 2026-11-29", "date = 2026-12-06")
        .replace(
            "send_at = 2026-11-29T09:00:00",
            "send_at = 2026-12-06T09:00:00",
        );
    std::fs::write(dir.path().join("drafts/2026-12-06-42.toml"), later).unwrap();
    let csv: String = (1..=n)
        .map(|i| format!("reader{i:04}@example.org\n"))
        .collect();
    std::fs::write(dir.path().join("list.csv"), csv).unwrap();
    gazette(dir.path(), "2026-11-28T00:00:00Z")
        .args(["subscribers", "import", "list.csv"])
        .assert()
        .success();
    dir
}

fn gazette(dir: &Path, now: &str) -> Command {
    let mut cmd = Command::cargo_bin("gazette").unwrap();
    cmd.current_dir(dir)
        .arg("-C")
        .arg(dir)
        .env("GAZETTE_SECRET", SECRET)
        .env("GAZETTE_NOW", now);
    cmd.env_remove("GAZETTE_TRANSPORT");
    cmd
}

fn ledger_sent(dir: &Path, issue: u32) -> u64 {
    let out = gazette(dir, "2026-11-29T10:00:00Z")
        .args(["status", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find(|s| s["issue"] == issue)
        .map_or(0, |s| s["counts"]["sent"].as_u64().unwrap())
}

#[test]
fn due_sends_once_then_stays_silent_and_leaves_later_drafts() {
    let dir = newsletter(5);
    let sink = Sink::start(dir.path());
    let url = sink.url();

    // Before send_at: nothing due, nothing printed.
    let before = gazette(dir.path(), "2026-11-29T08:59:59Z")
        .args(["send", "--due", "--transport", &url])
        .output()
        .unwrap();
    assert_eq!(before.status.code(), Some(0));
    assert!(
        before.stdout.is_empty() && before.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&before.stderr)
    );
    assert!(sink.recipients().is_empty());

    // At send_at (09:00 in London, which is 09:00 UTC in winter): sent.
    let first = gazette(dir.path(), "2026-11-29T09:00:00Z")
        .args(["send", "--due", "--transport", &url])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("issue #41: sent 5, deferred 0, failed 0"),
        "{stderr}"
    );
    assert!(first.stdout.is_empty());
    let expected: Vec<String> = (1..=5)
        .map(|i| format!("reader{i:04}@example.org"))
        .collect();
    assert_eq!(sink.recipients(), expected);

    // Again: nothing to do, nothing printed, nothing sent.
    let second = gazette(dir.path(), "2026-11-29T09:05:00Z")
        .args(["send", "--due", "--transport", &url])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(0));
    assert!(
        second.stdout.is_empty() && second.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(sink.recipients().len(), 5);

    // Issue #42 is untouched until its own time.
    assert_eq!(ledger_sent(dir.path(), 42), 0);
    let schedule = gazette(dir.path(), "2026-11-29T09:05:00Z")
        .arg("schedule")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&schedule.stdout);
    assert!(
        text.contains("#41    2026-11-29 09:00 GMT") && text.contains("sent"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("#42") && l.contains("scheduled")),
        "{text}"
    );
}

#[test]
fn too_late_is_said_once_and_not_sent() {
    let dir = newsletter(2);
    let sink = Sink::start(dir.path());
    let url = sink.url();
    // #41 and #42 are both more than 24 hours late at this time.
    let late = gazette(dir.path(), "2026-12-08T09:00:00Z")
        .args(["send", "--due", "--transport", &url])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&late.stderr);
    assert_eq!(late.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.matches("will not be sent automatically").count(),
        2,
        "{stderr}"
    );
    let again = gazette(dir.path(), "2026-12-08T09:05:00Z")
        .args(["send", "--due", "--transport", &url])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(
        again.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(sink.recipients().is_empty());
}

#[test]
fn a_due_draft_with_errors_is_not_sent_and_the_others_are() {
    let dir = newsletter(2);
    let sink = Sink::start(dir.path());
    let broken = std::fs::read_to_string(dir.path().join("drafts/2026-12-06-42.toml"))
        .unwrap()
        .replace("links = [", "linkz = [");
    std::fs::write(dir.path().join("drafts/2026-12-06-42.toml"), broken).unwrap();
    let out = gazette(dir.path(), "2026-12-06T09:30:00Z")
        .args(["send", "--due", "--transport", &sink.url()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unknown key `linkz`") && stderr.contains("has errors and was not sent"),
        "{stderr}"
    );
    // #41 is over a week late and was never started: reported, not sent.
    assert!(
        stderr.contains("issue #41") && stderr.contains("will not be sent automatically"),
        "{stderr}"
    );
    assert!(sink.recipients().is_empty());
    // A broken draft whose send_at is still ahead is nobody's business yet.
    let quiet = gazette(dir.path(), "2026-12-01T09:30:00Z")
        .args(["send", "--due", "--transport", &sink.url()])
        .output()
        .unwrap();
    assert_eq!(
        quiet.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
}

#[test]
fn two_runs_started_together_send_each_message_once() {
    let dir = newsletter(300);
    let sink = Sink::start(dir.path());
    let url = sink.url();
    let spawn = || {
        let mut cmd = Process::new(assert_cmd::cargo::cargo_bin("gazette"));
        cmd.arg("-C")
            .arg(dir.path())
            .args(["send", "--due", "--rate", "200", "--transport", &url]);
        cmd.env("GAZETTE_SECRET", SECRET)
            .env("GAZETTE_NOW", "2026-11-29T09:00:00Z");
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    assert_eq!(
        b.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&b.stderr)
    );
    // One of them sent; the other found the lock held and said nothing.
    let quiet = [&a, &b].iter().filter(|o| o.stderr.is_empty()).count();
    assert_eq!(quiet, 1, "exactly one run stays silent");
    let mut got = sink.recipients();
    assert_eq!(got.len(), 300);
    got.dedup();
    assert_eq!(got.len(), 300, "each subscriber once");
    assert_eq!(ledger_sent(dir.path(), 41), 300);
}

#[test]
fn deferred_recipients_wait_for_their_backoff_in_cron_runs() {
    let dir = newsletter(3);
    // One retry within the run, a second later; then the next attempt is due a
    // second after that (the last delay).
    let config_path = dir.path().join("config/gazette.toml");
    let config = std::fs::read_to_string(&config_path)
        .unwrap()
        .replace("transport = \"outbox\"", "retry_delays = [1]");
    std::fs::write(&config_path, config).unwrap();
    let soft = Sink::start_with(dir.path(), &["-r", "RCPT"]);
    let first = gazette(dir.path(), "2026-11-29T09:00:00Z")
        .args(["send", "--due", "--transport", &soft.url()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(75), "{stderr}");
    assert!(stderr.contains("sent 0, deferred 3"), "{stderr}");
    drop(soft);

    let sink = Sink::start(dir.path());
    // Same instant: the backoff has not passed; nothing is due, nothing said.
    let waiting = gazette(dir.path(), "2026-11-29T09:00:00Z")
        .args(["send", "--due", "--transport", &sink.url()])
        .output()
        .unwrap();
    assert_eq!(
        waiting.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&waiting.stderr)
    );
    assert!(
        waiting.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&waiting.stderr)
    );
    assert!(sink.recipients().is_empty());
    // Later: retried and sent.
    let later = gazette(dir.path(), "2026-11-29T09:05:00Z")
        .args(["send", "--due", "--transport", &sink.url()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&later.stderr);
    assert_eq!(later.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("sent 3, deferred 0"), "{stderr}");
    assert_eq!(sink.recipients().len(), 3);
}
