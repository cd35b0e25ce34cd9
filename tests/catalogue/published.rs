//! Imported issues as the rest of gazette sees them: published at their date,
//! never sent, in the archive and feed, and in `check`'s memory of links.

use super::newsletter;
use crate::support::checks::parse_feed;
use crate::support::{DRAFT, Newsletter};

/// The example newsletter with the three back issues imported and issue 41 sent.
fn imported() -> Newsletter {
    let n = newsletter();
    let issues = n.back_issues();
    n.stderr(&["import", issues], 0);
    n.add("ada@example.org");
    n.gazette()
        .args(["send", DRAFT, "--yes"])
        .assert()
        .success();
    n
}

#[test]
fn an_imported_issue_is_never_sent_and_status_says_imported() {
    let n = imported();
    let err = n.stderr(&["send", "drafts/2021-01-03-101.toml", "--yes"], 2);
    assert_eq!(
        err,
        "gazette: error: issue #101 was imported (from issues/ops-101.md) as published \
         before gazette: there is nothing to send\n"
    );
    n.stderr(&["send", "drafts/2021-01-03-101.toml", "--dry-run"], 2);
    let outbox = n.outbox().len();
    // send --due, even for an imported draft given a send_at that has come.
    let draft = n.read("drafts/2021-01-10-102.toml");
    n.write(
        "drafts/2021-01-10-102.toml",
        &draft.replace(
            "date = 2021-01-10\n",
            "date = 2021-01-10\nsend_at = 2026-11-29T08:00:00Z\n",
        ),
    );
    let run = n.run(&["send", "--due", "--verbose"], &[]);
    run.assert_code(0);
    assert_eq!(n.outbox().len(), outbox, "{run:#?}");
    assert!(
        run.stderr.contains("gazette: issue #102 (drafts/2021-01-10-102.toml) was imported as published before gazette; it is never sent\n"),
        "{run:#?}"
    );

    let status = n.stdout(&["status"]);
    assert!(
        status.contains("issue #101: imported from issues/ops-101.md; published 2021-01-03 09:30 GMT, not sent by gazette\n"),
        "{status}"
    );
    assert!(status.starts_with("issue #103: imported"), "{status}");
    let json: serde_json::Value = serde_json::from_str(&n.stdout(&["status", "--json"])).unwrap();
    let states: Vec<(u64, &str)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["issue"].as_u64().unwrap(), s["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            (103, "imported"),
            (102, "imported"),
            (101, "imported"),
            (41, "complete")
        ]
    );
    let schedule = n.stdout(&["schedule"]);
    assert!(
        schedule.contains("sent   drafts/2021-01-03-101.toml"),
        "{schedule}"
    );
}

#[test]
fn check_warns_about_links_featured_in_imported_issues() {
    let n = newsletter();
    let issues = n.back_issues();
    n.stderr(&["import", issues], 0);
    n.write(
        "drafts/2021-01-24-104.toml",
        "issue = 104\ndate = 2021-01-24\nintro = \"Hello.\"\n\n[[news]]\ntext = \"Again.\"\n\
         links = [\"https://independent.example.net/kinesis?id=7&utm_source=x\"]\n",
    );
    let err = n.stderr(&["check", "drafts/2021-01-24-104.toml"], 0);
    assert!(
        err.contains("warning: drafts/2021-01-24-104.toml:7:10: `https://independent.example.net/kinesis?id=7&utm_source=x` was already linked in issue #101"),
        "{err}"
    );
}

#[test]
fn the_archive_and_the_feed_list_imported_issues_by_date() {
    let n = imported();
    // Issue 41 (2026) is newer than issue 103 (2021), whatever the numbers.
    let order = [
        "/archive/41\"",
        "/archive/103\"",
        "/archive/102\"",
        "/archive/101\"",
    ];
    let served = n.serve();
    let index = served.get("/archive");
    assert_eq!(index.status, 200);
    assert_in_order(&index.body, &order);
    assert!(
        index.body.contains("Issue #101 · 3rd January 2021"),
        "{}",
        index.body
    );
    let page = served.get("/archive/102");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Lanternfish traces every request"));
    let feed = parse_feed(&served.get("/feed.xml").body);
    let published: Vec<&str> = feed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["updated"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        &published[1..],
        [
            "2021-01-17T00:00:00+00:00",
            "2021-01-10T00:00:00+00:00",
            "2021-01-03T09:30:00+00:00"
        ]
    );
    drop(served);

    n.gazette()
        .args(["archive", "--out", "site"])
        .assert()
        .success();
    let written = std::fs::read_to_string(n.dir().join("site/archive/index.html")).unwrap();
    assert_in_order(&written, &order);
    assert!(n.dir().join("site/archive/101/index.html").exists());
}

fn assert_in_order(body: &str, needles: &[&str]) {
    let at: Vec<usize> = needles
        .iter()
        .map(|s| {
            body.find(s)
                .unwrap_or_else(|| panic!("{s} missing in {body}"))
        })
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "{needles:?} at {at:?} in {body}"
    );
}

#[test]
fn an_issue_gazette_sent_is_never_imported_over() {
    let n = imported();
    let before = n.read(DRAFT);
    std::fs::write(
        n.dir().join("issues/old-41.md"),
        "---\ntitle: Issue #41\ndate: 2026-11-29\n---\n\nAn old copy.\n",
    )
    .unwrap();
    let err = n.stderr(&["import", "issues/old-41.md", "--force"], 2);
    assert!(
        err.contains("gazette: error: issue #41 was sent by gazette (the store has its send), so issues/old-41.md was not imported\n"),
        "{err}"
    );
    assert_eq!(n.read(DRAFT), before);
    let status = n.stdout(&["status", DRAFT]);
    assert!(
        status.starts_with("issue #41: complete: sent 1"),
        "{status}"
    );
}
