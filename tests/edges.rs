//! Integration tests: the edges a person finds: a pipe closed early, exit
//! statuses the README promises, a second draft of one issue, and a broken
//! draft that is not due while another is; a byte-order mark.

use crate::support::{DRAFT, Newsletter, SmtpServer, python3};
use std::process::{Command as Process, Stdio};

/// Runs `args` with its standard output closed before it writes.
fn with_closed_stdout(n: &Newsletter, args: &[&str]) -> (Option<i32>, String) {
    let mut child = n
        .process()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_pipe_closed_early_ends_a_command_quietly() {
    let n = Newsletter::example();
    n.subscribe(50);
    let sink = SmtpServer::sink(&[]);
    n.send(&["--transport", &sink.url()]).assert_code(0);
    for args in [
        &["status"][..],
        &["schedule"],
        &["subscribers", "list"],
        &["subscribers", "count"],
        &["subscribers", "export"],
    ] {
        let (code, stderr) = with_closed_stdout(&n, args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn exit_statuses_follow_the_readme_table() {
    let n = Newsletter::example();
    n.subscribe(3);
    // An unknown draft is bad input, for every command that takes one.
    for args in [
        &["status", "drafts/nope.toml"][..],
        &["send", "drafts/nope.toml", "--yes"],
        &["send", "drafts/nope.toml", "--dry-run"],
        &["render", "drafts/nope.toml"],
        &["check", "drafts/nope.toml"],
    ] {
        let run = n.run(args, &[]);
        assert_eq!(run.code, Some(2), "{args:?}: {run:?}");
        assert!(
            run.stderr.contains("no draft at"),
            "{args:?}: {}",
            run.stderr
        );
    }
    // Another send holding the lock: try again later (75), nothing sent.
    std::fs::create_dir_all(n.root().join("data")).unwrap();
    let lock = n.root().join("data/send.lock");
    let mut holder = Process::new(python3())
        .args([
            "-c",
            "import fcntl,sys,time\nf=open(sys.argv[1],'a')\nfcntl.flock(f,fcntl.LOCK_EX)\nprint('held',flush=True)\ntime.sleep(30)",
        ])
        .arg(&lock)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "held");
    let sink = SmtpServer::sink(&[]);
    let run = n.send(&["--transport", &sink.url()]);
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(run.code, Some(75), "{run:?}");
    assert!(
        run.stderr.contains("another gazette send is running"),
        "{}",
        run.stderr
    );
    assert_eq!(sink.received().len(), 0);
}

#[test]
fn a_second_draft_of_an_issue_is_refused_by_new_check_and_send() {
    let n = Newsletter::example();
    n.subscribe(2);
    let second = n.root().join("drafts/2026-12-06-41.toml");
    std::fs::copy(n.root().join(DRAFT), &second).unwrap();
    let check = n.run(&["check"], &[]);
    assert_eq!(check.code, Some(2), "{check:?}");
    assert!(
        check
            .stderr
            .contains("drafts/2026-12-06-41.toml is issue #41 too")
            && check
                .stderr
                .contains("drafts/2026-11-29-41.toml is issue #41 too"),
        "{}",
        check.stderr
    );
    let send = n.run(&["send", "drafts/2026-12-06-41.toml", "--yes"], &[]);
    assert_eq!(send.code, Some(2), "{send:?}");
    assert!(
        send.stderr.contains("are both issue #41"),
        "{}",
        send.stderr
    );
    std::fs::remove_file(&second).unwrap();
    let new = n.run(&["new", "--issue", "41"], &[]);
    assert_eq!(new.code, Some(2), "{new:?}");
    assert!(
        new.stderr
            .contains("drafts/2026-11-29-41.toml is issue #41 already"),
        "{}",
        new.stderr
    );
}

#[test]
fn a_broken_draft_that_is_not_due_does_not_stop_send_due() {
    let sink = SmtpServer::sink(&[]);
    let n = Newsletter::new(&format!(
        "[[smtp]]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n",
        sink.port
    ));
    let emails = n.subscribe(20);
    // Not UTF-8 and with CR CR LF line ends: each used to stop the whole run.
    std::fs::write(
        n.root().join("drafts/2026-12-06-42.toml"),
        b"issue = 42\r\r\ndate = 2026-12-06\nintro = \"caf\xe9\"\n",
    )
    .unwrap();
    let run = n.run(&["send", "--due"], &[]);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    // It has no send_at, so it is never due: cron leaves it alone (it used to
    // report it every run, mailing the editor every five minutes while they
    // wrote). `check` and `schedule` are where its errors show.
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(!run.stderr.contains("2026-12-06-42"), "{}", run.stderr);
    let mut got: Vec<String> = sink
        .received()
        .iter()
        .map(|r| r.rcpt().to_string())
        .collect();
    got.sort();
    let mut want = emails.clone();
    want.sort();
    assert_eq!(got, want, "issue 41, due, went to everyone");
    let schedule = n.run(&["schedule"], &[]);
    assert_eq!(schedule.code, Some(0), "{schedule:?}");
    assert!(
        schedule.stdout.contains("has errors"),
        "{}",
        schedule.stdout
    );
}

#[test]
fn help_never_shows_the_transport_from_the_environment() {
    let n = Newsletter::example();
    let run = n.run(
        &["send", "--help"],
        &[(
            "GAZETTE_TRANSPORT",
            "smtps://editor@mail.secret-host.example",
        )],
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("GAZETTE_TRANSPORT"), "{}", run.stdout);
    assert!(!run.stdout.contains("secret-host"), "{}", run.stdout);
}

#[test]
fn a_secret_file_that_never_ends_is_refused() {
    let n = Newsletter::example();
    n.configure("secret_file = \"/dev/zero\"");
    let run = n.run(
        &["render", DRAFT, "--format", "eml", "--to", "a@example.org"],
        &[("GAZETTE_SECRET", "")],
    );
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr.contains("larger than 1024 KiB"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_dry_run_finds_a_missing_password_file() {
    let n = Newsletter::new(
        "[[smtp]]\nhost = \"smtp.example.net\"\nusername = \"editor\"\npassword_file = \"data/smtp-password\"\n",
    );
    n.subscribe(2);
    let run = n.run(&["send", DRAFT, "--dry-run"], &[]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr.contains("cannot read the password_file"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_byte_order_mark_shifts_no_column() {
    let n = Newsletter::example();
    n.write(
        DRAFT,
        "\u{feff}issue = 0\ndate = 2026-11-29\nintro = \"Hi.\"\n",
    );
    let err = n.stderr(&["check", DRAFT], 2);
    assert!(
        err.contains("drafts/2026-11-29-41.toml:1:9: `issue` must be"),
        "{err}"
    );
    assert!(err.contains("1 | issue = 0\n  |         ^\n"), "{err}");
    n.write(DRAFT, "\u{feff}issue = 41x\n");
    let err = n.stderr(&["check", DRAFT], 2);
    assert!(
        err.contains("drafts/2026-11-29-41.toml:1:9: invalid TOML"),
        "{err}"
    );
    // The config is read the same way.
    let config = n.read("config/gazette.toml");
    n.write(
        "config/gazette.toml",
        &format!("\u{feff}list_id = 5\n{config}"),
    );
    let err = n.stderr(&["check"], 2);
    assert!(
        err.contains("config/gazette.toml:1:11: `list_id` must be a string"),
        "{err}"
    );
}
