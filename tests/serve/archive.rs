//! The archive and its feed, served and written out.

use crate::support::checks::parse_feed;
use crate::support::{BASE_URL, DRAFT, LIST_ID, Newsletter};

#[test]
fn the_archive_and_the_feed_list_only_sent_issues() {
    let site = Newsletter::new("");
    site.add_draft(42, "2026-12-06", None);
    site.add_draft(43, "2026-12-13", None);
    site.add("ada@example.org");
    site.gazette()
        .args(["send", DRAFT, "--yes"])
        .assert()
        .success();
    // Issue 43's send has begun but not finished: it is published too.
    let subject_43 = "Platform Notes #43 - 13th December 2026";
    site.store()
        .begin_send(43, subject_43, LIST_ID, 1_796_000_000, false)
        .unwrap();
    let server = site.serve();

    let index = server.get("/archive");
    assert_eq!(index.status, 200);
    let (at_43, at_41) = (
        index
            .body
            .find("href=\"/archive/43\"")
            .expect("issue 43 listed"),
        index
            .body
            .find("href=\"/archive/41\"")
            .expect("issue 41 listed"),
    );
    assert!(at_43 < at_41, "newest first");
    assert!(!index.body.contains("/archive/42"), "{}", index.body);
    assert_eq!(server.get("/archive/").body, index.body);

    let page = server.get("/archive/41");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("On-call handovers"));
    assert!(page.body.contains("href=\"/subscribe\""));
    for personal in [
        "gazette:unsubscribe-url",
        "/unsubscribe/",
        "You are receiving",
    ] {
        assert!(!page.body.contains(personal), "{personal}");
    }
    for missing in ["/archive/42", "/archive/999", "/archive/abc"] {
        assert_eq!(server.get(missing).status, 404, "{missing}");
    }

    let feed = server.get("/feed.xml");
    assert_eq!(feed.status, 200);
    assert_eq!(
        feed.header("content-type"),
        Some("application/atom+xml; charset=utf-8")
    );
    let parsed = parse_feed(&feed.body);
    assert_eq!(parsed["tag"], "{http://www.w3.org/2005/Atom}feed");
    assert_eq!(parsed["id"], format!("{BASE_URL}/feed.xml"));
    assert_eq!(parsed["title"], "Platform Notes");
    assert_eq!(parsed["self"][0], format!("{BASE_URL}/feed.xml"));
    let entries = parsed["entries"].as_array().unwrap();
    let ids: Vec<&str> = entries.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            format!("{BASE_URL}/archive/43"),
            format!("{BASE_URL}/archive/41")
        ]
    );
    assert_eq!(entries[0]["title"], subject_43);
    assert_eq!(
        entries[1]["title"],
        "Platform Notes #41 - 29th November 2026"
    );
    assert_eq!(entries[0]["link"], format!("{BASE_URL}/archive/43"));
    assert_eq!(parsed["updated"], entries[0]["updated"]);

    // The static archive: the same bytes at the paths they are served from.
    let out = site.root().join("public");
    site.gazette()
        .args(["archive", "--out"])
        .arg(&out)
        .assert()
        .success();
    let read = |rel: &str| std::fs::read_to_string(out.join(rel)).unwrap();
    assert_eq!(read("archive/index.html"), index.body);
    assert_eq!(read("archive/41/index.html"), page.body);
    assert_eq!(
        read("archive/43/index.html"),
        server.get("/archive/43").body
    );
    assert_eq!(read("feed.xml"), feed.body);
    assert!(!out.join("archive/42").exists());
}

#[test]
fn a_bad_serve_table_is_pointed_at() {
    let site = Newsletter::new("[serve]\ntrusted_proxy_header = \"X Forwarded For\"\n");
    let out = site
        .gazette()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("config/gazette.toml:"), "{stderr}");
    assert!(
        stderr.contains("`X Forwarded For` is not an HTTP header name"),
        "{stderr}"
    );
}

#[test]
fn healthz_answers_ok_for_the_proxy_and_is_never_cached() {
    let site = Newsletter::new("");
    let server = site.serve();
    let health = server.get("/healthz");
    assert_eq!(health.status, 200, "{health:?}");
    assert_eq!(health.body, "ok\n");
    assert_eq!(health.header("Cache-Control"), Some("no-store"));
    assert!(
        server.log().contains("GET /healthz 200"),
        "{}",
        server.log()
    );
}
