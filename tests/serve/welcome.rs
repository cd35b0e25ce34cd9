//! The welcome mail: sent once a sign-up is confirmed, with the new reader's
//! own unsubscribe link, and with `send_latest` the latest issue, in its ledger.

use super::BEHIND_PROXY;
use crate::support::http::FORM;
use crate::support::mail::{confirm_path, parse_email};
use crate::support::{
    BASE_URL, Newsletter, SUBJECT, SmtpServer, Status, unfolded_header, wait_for,
};
use std::path::PathBuf;
use std::time::Duration;

const WELCOME: &str = "[welcome]\ntext = \"\"\"\nThanks for *subscribing*. An issue comes every Sunday.\n\"\"\"\nsend_latest = true\n";

/// The messages smtp-sink has received whole, as (file, text).
fn received(sink: &SmtpServer) -> Vec<(PathBuf, String)> {
    let mut found: Vec<(PathBuf, String)> = std::fs::read_dir(sink.dumps())
        .unwrap()
        .flatten()
        .filter_map(|e| Some((e.path(), std::fs::read_to_string(e.path()).ok()?)))
        .filter(|(_, t)| t.contains("X-Rcpt-Args:") && t.trim_end().ends_with("--"))
        .collect();
    found.sort();
    found
}

fn wait_for_messages(sink: &SmtpServer, n: usize) -> Vec<(PathBuf, String)> {
    wait_for(
        &format!("{n} messages at smtp-sink"),
        Duration::from_secs(30),
        || received(sink).len() >= n,
    );
    std::thread::sleep(Duration::from_millis(300));
    received(sink)
}

#[test]
fn a_confirmed_reader_is_welcomed_with_their_own_link_and_sent_the_latest_issue() {
    let sink = SmtpServer::sink(&[]);
    let site = Newsletter::new(&format!(
        "transport = \"smtp\"\n{BEHIND_PROXY}\n{WELCOME}\n[[smtp]]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n",
        sink.port
    ));
    site.add("ada@example.org");
    site.send(&[]).assert_code(0);
    wait_for_messages(&sink, 1);
    let server = site.serve();

    let answer = server.post(
        "/subscribe",
        FORM,
        "email=new%40example.org&name=New+Reader",
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    let messages = wait_for_messages(&sink, 2);
    let (file, _) = (messages.iter())
        .find(|(_, t)| t.contains("/confirm/"))
        .expect("the confirmation");
    let path = confirm_path(&parse_email(file).text);
    assert_eq!(
        received(&sink).len(),
        2,
        "nothing but the confirmation before confirming"
    );

    assert_eq!(server.post(&path, FORM, "").status, 200);
    let messages = wait_for_messages(&sink, 4);
    // A second click confirms nothing new and sends nothing more.
    assert_eq!(server.post(&path, FORM, "").status, 200);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(received(&sink).len(), 4);

    let (file, text) = (messages.iter())
        .find(|(_, t)| t.contains("Subject: Welcome to Platform Notes"))
        .expect("the welcome mail");
    let welcome = parse_email(file);
    assert_eq!(welcome.to, "New Reader <new@example.org>");
    assert!(
        welcome
            .text
            .contains("Thanks for _subscribing_. An issue comes every Sunday."),
        "{}",
        welcome.text
    );
    assert!(
        unfolded_header(text, "Feedback-ID")
            .unwrap()
            .starts_with("welcome:"),
        "{text}"
    );
    let list_unsubscribe = unfolded_header(text, "List-Unsubscribe").unwrap();
    let url = (list_unsubscribe.split(['<', '>']))
        .find(|u| u.starts_with("https://"))
        .unwrap();
    assert!(
        welcome.text.contains(url) && welcome.html.contains(url),
        "the body links it too"
    );

    // The latest issue, as the list send made it, and in its ledger.
    let issue = (messages.iter())
        .find(|(_, t)| {
            t.contains(&format!("Subject: {SUBJECT}"))
                && t.contains("\"New Reader\" <new@example.org>")
        })
        .expect("issue 41 for the new reader");
    assert!(issue.1.contains("Message-ID: <gz.41."), "{}", issue.1);
    let row = site
        .ledger()
        .into_iter()
        .find(|d| d.email == "new@example.org")
        .expect("a ledger row");
    assert_eq!(row.state, "sent", "{row:?}");

    // Their own link unsubscribes them, with one click.
    let done = server.post(
        url.strip_prefix(BASE_URL).unwrap(),
        FORM,
        "List-Unsubscribe=One-Click",
    );
    assert_eq!(done.status, 200, "{done:?}");
    assert_eq!(
        site.subscriber_status("new@example.org"),
        Some(Status::Unsubscribed)
    );
    let log = server.log();
    assert!(
        log.contains("gazette: sent the welcome to subscriber 2: 250"),
        "{log}"
    );
    assert!(
        log.contains("gazette: sent issue #41 to subscriber 2: 250"),
        "{log}"
    );
}

#[test]
fn a_welcome_text_outside_the_markdown_subset_is_located_by_check_and_stops_serve() {
    let site = Newsletter::new("[welcome]\ntext = \"\"\"\nFine.\n\n# A heading\n\"\"\"\n");
    let err = site.stderr(&["check"], 2);
    assert!(err.contains("config/gazette.toml:"), "{err}");
    assert!(err.contains("heading"), "{err}");
    let run = site.run(&["serve", "--listen", "127.0.0.1:0"], &[]);
    run.assert_code(2);
    assert!(run.stderr.contains("heading"), "{run:#?}");
}
