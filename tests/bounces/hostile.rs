//! Sources that are not what they seem: an endless standard input, a device
//! or a FIFO named as an mbox, a FIFO in a Maildir's new/. None may hang
//! `gazette bounces` (cron would pile up copies of it) or stop it reading the
//! real reports beside them.

use crate::support::Running;
use crate::support::bounces::{Seen, dsn, outbox_seen, summary};
use crate::support::{Newsletter, Status};
use std::process::Stdio;
use std::time::Duration;

fn sent(bounces: &str) -> (Newsletter, Vec<Seen>) {
    let n = Newsletter::new(&format!("[bounces]\n{bounces}"));
    n.subscribe(2);
    n.send(&[]).assert_code(0);
    let seen = outbox_seen(&n);
    assert_eq!(seen.len(), 2);
    (n, seen)
}

fn mkfifo(path: &std::path::Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// `gazette bounces ARGS` with `stdin` (else nothing) on standard input:
/// it fails the test unless gazette ends within 30 seconds.
fn bounces(n: &Newsletter, args: &[&str], stdin: Option<&str>) -> (Option<i32>, String) {
    let input = match stdin {
        Some(path) => Stdio::from(std::fs::File::open(path).unwrap()),
        None => Stdio::null(),
    };
    let child = n
        .process()
        .arg("bounces")
        .args(args)
        .stdin(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let run = Running::new(child).finish(Duration::from_secs(30));
    (run.code, run.stderr)
}

#[test]
fn an_endless_standard_input_is_one_unclassified_message_not_a_hang() {
    let (n, _) = sent("");
    let (code, stderr) = bounces(&n, &["-"], Some("/dev/zero"));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(summary(&stderr).contains("read 1 report"), "{stderr}");
    assert!(summary(&stderr).contains("1 unclassified"), "{stderr}");
}

#[test]
fn a_device_or_a_fifo_named_as_an_mbox_is_refused_by_name() {
    let (n, _) = sent("");
    let fifo = n.path("data/returns.fifo");
    mkfifo(&fifo);
    for source in ["/dev/zero", fifo.to_str().unwrap()] {
        let (code, stderr) = bounces(&n, &[source], None);
        assert_eq!(code, Some(2), "{source}: {stderr}");
        assert!(stderr.contains(source), "{source}: {stderr}");
        assert!(stderr.contains("not a regular file"), "{source}: {stderr}");
    }
}

#[test]
fn a_fifo_in_a_maildir_is_passed_over_and_the_reports_beside_it_are_read() {
    let (n, seen) = sent("maildir = [\"data/bounces\"]\n");
    for d in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(n.path(&format!("data/bounces/{d}"))).unwrap();
    }
    mkfifo(&n.path("data/bounces/new/1.fifo.host"));
    let s = &seen[0];
    let report = dsn(
        "h1",
        &s.mail_from,
        &s.rcpt,
        "5.1.1",
        "550 5.1.1 user unknown",
        &s.message_id,
    );
    std::fs::write(n.path("data/bounces/new/2.report.host"), report).unwrap();
    let (code, stderr) = bounces(&n, &[], None);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(summary(&stderr).contains("read 1 report"), "{stderr}");
    assert_eq!(n.subscriber_status(&s.rcpt), Some(Status::Bounced));
    assert!(
        n.path("data/bounces/new/1.fifo.host").exists(),
        "the FIFO is left where it was"
    );
}
