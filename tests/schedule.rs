//! Integration tests: `gazette send --due` from cron, against Postfix's
//! smtp-sink on 127.0.0.1, with "now" fixed by GAZETTE_NOW.

use crate::support::{Newsletter, SmtpServer};
use std::process::Stdio;

/// A newsletter with two drafts: #41 due at 2026-11-29 09:00 London, #42 a
/// week later, and `n` subscribers (`reader0001@example.org` and on).
fn newsletter(n: usize) -> Newsletter {
    let newsletter = Newsletter::example().at("2026-11-28T00:00:00Z");
    newsletter.add_draft(42, "2026-12-06", Some("2026-12-06T09:00:00"));
    let emails: Vec<String> = (1..=n)
        .map(|i| format!("reader{i:04}@example.org"))
        .collect();
    newsletter.subscribe_all(&emails);
    newsletter
}

/// The number sent of issue `issue`, as `gazette status` says.
fn ledger_sent(n: &Newsletter, issue: u32) -> u64 {
    let out = n
        .gazette()
        .env("GAZETTE_NOW", "2026-11-29T10:00:00Z")
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
    let n = newsletter(5);
    let sink = SmtpServer::sink(&[]);
    let url = sink.url();

    // Before send_at: nothing due, nothing printed.
    let before = n
        .gazette()
        .env("GAZETTE_NOW", "2026-11-29T08:59:59Z")
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
    let first = n
        .gazette()
        .env("GAZETTE_NOW", "2026-11-29T09:00:00Z")
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
    let second = n
        .gazette()
        .env("GAZETTE_NOW", "2026-11-29T09:05:00Z")
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
    assert_eq!(ledger_sent(&n, 42), 0);
    let schedule = n
        .gazette()
        .env("GAZETTE_NOW", "2026-11-29T09:05:00Z")
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
    let n = newsletter(2);
    let sink = SmtpServer::sink(&[]);
    let url = sink.url();
    // #41 and #42 are both more than 24 hours late at this time.
    let late = n
        .gazette()
        .env("GAZETTE_NOW", "2026-12-08T09:00:00Z")
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
    let again = n
        .gazette()
        .env("GAZETTE_NOW", "2026-12-08T09:05:00Z")
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
    let n = newsletter(2);
    let sink = SmtpServer::sink(&[]);
    let broken = n
        .read("drafts/2026-12-06-42.toml")
        .replace("links = [", "linkz = [");
    n.write("drafts/2026-12-06-42.toml", &broken);
    let out = n
        .gazette()
        .env("GAZETTE_NOW", "2026-12-06T09:30:00Z")
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
    let quiet = n
        .gazette()
        .env("GAZETTE_NOW", "2026-12-01T09:30:00Z")
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
    let n = newsletter(300);
    let sink = SmtpServer::sink(&[]);
    let url = sink.url();
    let spawn = || {
        n.process()
            .args(["send", "--due", "--rate", "200", "--transport", &url])
            .env("GAZETTE_NOW", "2026-11-29T09:00:00Z")
            .stdout(Stdio::piped())
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
    assert_eq!(ledger_sent(&n, 41), 300);
}

#[test]
fn deferred_recipients_wait_for_their_backoff_in_cron_runs() {
    let n = newsletter(3);
    // One retry within the run, a second later; then the next attempt is due a
    // second after that (the last delay).
    let config = n
        .read("config/gazette.toml")
        .replace("transport = \"outbox\"", "retry_delays = [1]");
    n.write("config/gazette.toml", &config);
    let soft = SmtpServer::sink(&["-r", "RCPT"]);
    let first = n
        .gazette()
        .env("GAZETTE_NOW", "2026-11-29T09:00:00Z")
        .args(["send", "--due", "--transport", &soft.url()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(75), "{stderr}");
    assert!(stderr.contains("sent 0, deferred 3"), "{stderr}");
    drop(soft);

    let sink = SmtpServer::sink(&[]);
    // Same instant: the backoff has not passed; nothing is due, nothing said.
    let waiting = n
        .gazette()
        .env("GAZETTE_NOW", "2026-11-29T09:00:00Z")
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
    let later = n
        .gazette()
        .env("GAZETTE_NOW", "2026-11-29T09:05:00Z")
        .args(["send", "--due", "--transport", &sink.url()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&later.stderr);
    assert_eq!(later.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("sent 3, deferred 0"), "{stderr}");
    assert_eq!(sink.recipients().len(), 3);
}

#[test]
fn a_draft_being_written_is_left_alone_whatever_its_errors_until_it_is_due() {
    let n = newsletter(1);
    n.stdout(&["send", "drafts/2026-11-29-41.toml", "--yes"]);
    let run_due = |now: &str| {
        let out = n
            .gazette()
            .env("GAZETTE_NOW", now)
            .args(["send", "--due"])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // A TOML syntax error elsewhere in a draft whose send_at is ahead: silent.
    let draft = n.read("drafts/2026-12-06-42.toml");
    n.write(
        "drafts/2026-12-06-42.toml",
        &draft.replace("[[news]]", "[[news]"),
    );
    assert_eq!(run_due("2026-12-01T09:30:00Z"), (Some(0), String::new()));
    // Once it is due, it is reported (and not sent).
    let (code, stderr) = run_due("2026-12-06T09:30:00Z");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("has errors and was not sent"), "{stderr}");
    // A draft with no send_at yet and an error: never due, so never reported by cron.
    let unscheduled: String = (draft.lines())
        .filter(|l| !l.starts_with("send_at"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace("links = [", "linkz = [");
    n.write("drafts/2026-12-06-42.toml", &unscheduled);
    assert_eq!(run_due("2026-12-06T09:30:00Z"), (Some(0), String::new()));
}

#[test]
fn a_send_at_that_cannot_be_read_may_be_due_and_is_said() {
    let n = newsletter(1);
    n.stdout(&["send", "drafts/2026-11-29-41.toml", "--yes"]);
    let draft = n.read("drafts/2026-12-06-42.toml");
    let at = draft.find("send_at = ").unwrap();
    let end = at + draft[at..].find('\n').unwrap();
    n.write(
        "drafts/2026-12-06-42.toml",
        &format!("{}send_at = 2026-12-0609:00{}", &draft[..at], &draft[end..]),
    );
    let out = n
        .gazette()
        .env("GAZETTE_NOW", "2026-12-01T09:30:00Z")
        .args(["send", "--due"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("has errors and was not sent"), "{stderr}");
}

#[test]
fn due_with_no_one_to_send_to_is_silent_and_verbose_says_why() {
    let n = Newsletter::example().at("2026-11-29T09:30:00Z");
    let quiet = n.run(&["send", "--due"], &[]);
    assert_eq!(
        (quiet.code, quiet.stderr.as_str()),
        (Some(0), ""),
        "{quiet:?}"
    );
    let said = n.run(&["send", "--due", "--verbose"], &[]);
    assert_eq!(said.code, Some(0), "{said:?}");
    assert!(
        said.stderr
            .contains("issue #41 is due, but there are no active subscribers"),
        "{said:?}"
    );
}
