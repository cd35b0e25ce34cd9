//! `gazette bounces` over each kind of source: how a source that cannot be
//! read ends the command.

use crate::support::{Newsletter, free_port};

#[test]
fn an_unreachable_imap_server_exits_75_to_be_tried_again() {
    let n = Newsletter::new("[bounces]\n");
    let url = format!("imaps://bounces@127.0.0.1:{}/INBOX", free_port());
    let run = n.run(
        &["bounces", &url],
        &[("GAZETTE_IMAP_PASSWORD", "a secret 41")],
    );
    run.assert_code(75);
    assert!(run.stderr.contains(&url), "{}", run.stderr);
    assert!(run.stderr.contains("cannot connect"), "{}", run.stderr);
    assert!(!run.stderr.contains("a secret 41"), "{}", run.stderr);
}

#[test]
fn a_source_that_is_not_there_or_not_a_maildir_exits_2_naming_it() {
    let n = Newsletter::new("[bounces]\n");
    let run = n.run(&["bounces", "nowhere/at-all"], &[]);
    run.assert_code(2);
    assert!(run.stderr.contains("nowhere/at-all"), "{}", run.stderr);
    std::fs::create_dir_all(n.path("half/new")).unwrap();
    let run = n.run(&["bounces", "half"], &[]);
    run.assert_code(2);
    assert!(run.stderr.contains("not a Maildir"), "{}", run.stderr);
}

#[test]
fn a_password_in_an_imap_url_is_never_repeated() {
    let n = Newsletter::new("[bounces]\n");
    let run = n.run(&["bounces", "imaps://bounces:hunter2-41@127.0.0.1/"], &[]);
    run.assert_code(2);
    assert!(run.stderr.contains("password"), "{}", run.stderr);
    assert!(!run.stderr.contains("hunter2-41"), "{}", run.stderr);
}
