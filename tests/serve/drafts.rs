//! `serve` stays up whatever `drafts/` holds: a bad draft is left out of the
//! archive with an error in the log naming its file, and everything else,
//! one-click unsubscribe first, goes on working.

use crate::support::http::FORM;
use crate::support::{DRAFT, LIST_ID, Newsletter, Status};

/// The example draft as issue `issue`, its intro replaced by `intro`.
fn with_intro(site: &Newsletter, issue: u32, intro: &str) -> Vec<u8> {
    let text = site
        .read(DRAFT)
        .replace("issue = 41", &format!("issue = {issue}"));
    let at = text.find("intro = \"\"\"").expect("an intro");
    let end = at + text[at + 11..].find("\"\"\"").unwrap() + 14;
    format!(
        "{}intro = \"\"\"\n{intro}\n\"\"\"{}",
        &text[..at],
        &text[end..]
    )
    .into_bytes()
}

#[test]
fn a_bad_draft_is_left_out_of_the_archive_and_serve_stays_up() {
    let site = Newsletter::new("");
    site.add("ada@example.org");
    site.add("bob@example.org");
    let sent = site.send(&[]);
    assert_eq!(sent.code, Some(0), "{sent:?}");
    let ada = site.unsubscribe_path("ada@example.org");
    let bob = site.unsubscribe_path("bob@example.org");

    // Never sent: 10,000 nested emphasis levels, one invalid UTF-8 byte, 5 MB.
    let deep = format!("{}deep{}", "*".repeat(10_000), "*".repeat(10_000));
    let mut invalid = with_intro(&site, 51, "Caf\u{e9} au lait.");
    let at = invalid
        .windows(2)
        .position(|w| w == "\u{e9}".as_bytes())
        .unwrap();
    invalid.splice(at..at + 2, [0xe9]);
    let huge = "A sentence that repeats. ".repeat(200_000);
    let bad = [
        ("drafts/2026-12-06-50.toml", with_intro(&site, 50, &deep)),
        ("drafts/2026-12-13-51.toml", invalid),
        ("drafts/2026-12-20-52.toml", with_intro(&site, 52, &huge)),
    ];
    for (rel, bytes) in &bad {
        std::fs::write(site.path(rel), bytes).unwrap();
    }
    // And one whose send began, so the archive lists it, then broke.
    site.add_draft(43, "2026-12-27", None);
    site.store()
        .begin_send(43, "Platform Notes #43", LIST_ID, 1_796_000_000, false)
        .unwrap();
    let broken_43 = with_intro(&site, 43, &deep);
    std::fs::write(site.path("drafts/2026-12-27-43.toml"), &broken_43).unwrap();

    let server = site.serve();
    for round in 0..2 {
        let index = server.get("/archive");
        assert_eq!(index.status, 200, "round {round}: {}", server.log());
        assert!(
            index.body.contains("href=\"/archive/41\""),
            "{}",
            index.body
        );
        // Listed, since its send began, but with no page.
        assert!(index.body.contains("Issue #43"), "{}", index.body);
        assert!(!index.body.contains("href=\"/archive/43\""));
        assert_eq!(server.get("/archive/41").status, 200);
        assert_eq!(server.get("/archive/43").status, 404);
        assert_eq!(server.get("/archive/50").status, 404);
        let feed = server.get("/feed.xml");
        assert_eq!(feed.status, 200);
        assert!(feed.body.contains("/archive/41"));
    }
    // Unsubscribing still works, for readers of every issue.
    assert_eq!(
        server.post(&ada, FORM, "List-Unsubscribe=One-Click").status,
        200
    );
    assert_eq!(
        site.subscriber_status("ada@example.org"),
        Some(Status::Unsubscribed)
    );

    // Each bad file is named once in the log, with what is wrong.
    let log = server.log();
    for (rel, what) in [
        ("drafts/2026-12-06-50.toml", "nested more than"),
        ("drafts/2026-12-13-51.toml", "UTF-8"),
        ("drafts/2026-12-20-52.toml", "larger than"),
        ("drafts/2026-12-27-43.toml", "nested more than"),
    ] {
        let lines: Vec<&str> = log.lines().filter(|l| l.contains(rel)).collect();
        assert_eq!(lines.len(), 1, "{rel}: {log}");
        assert!(lines[0].starts_with("gazette: error: "), "{log}");
        assert!(lines[0].contains(what), "{rel}: {log}");
        assert!(lines[0].contains("left out of the archive"), "{log}");
    }
    // Fixed, the draft is read again and served.
    site.add_draft(43, "2026-12-27", None);
    assert_eq!(server.get("/archive/43").status, 200);
    assert_eq!(
        server.post(&bob, FORM, "List-Unsubscribe=One-Click").status,
        200
    );
    assert_eq!(
        site.subscriber_status("bob@example.org"),
        Some(Status::Unsubscribed)
    );
}
