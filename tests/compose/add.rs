//! `gazette add`: links collected through the week, fetched from a site on 127.0.0.1.

use super::{EXAMPLE, NOW, example};
use crate::support::Newsletter;
use crate::support::pages::{Page, Site};
use std::time::Duration;

const ARTICLE: &str = r#"<!doctype html><html><head>
<title>Ignored when og:title is there</title>
<meta property="og:title" content="Retries &amp; backoff, done right">
<meta name="description" content="How one team stopped a retry storm.
Second line.">
<link rel="canonical" href="/posts/retries">
</head><body><p>text</p></body></html>"#;

/// The example draft's bytes before and after the tools section's last line,
/// where `add --section news` must put the new item.
fn split_after_news(draft: &str) -> (&str, &str) {
    let at = draft.find("\n[[tools]]").expect("a tools section");
    let at = draft[..at].rfind('\n').unwrap();
    (&draft[..at + 1], &draft[at + 1..])
}

#[test]
fn add_appends_the_item_with_the_pages_title_and_keeps_every_other_byte() {
    let site = Site::start(vec![("/posts/retries", Page::html(ARTICLE))]);
    let nl = example();
    let before = nl.read(EXAMPLE);
    let url = site.url("/posts/retries?utm_source=rss&utm_medium=feed&ref=7");
    let out = nl.stdout(&["add", &url]);
    let canonical = site.url("/posts/retries");
    assert_eq!(out, format!("added {canonical} to {EXAMPLE} (news)\n"));

    let after = nl.read(EXAMPLE);
    let (head, tail) = split_after_news(&before);
    assert!(after.starts_with(head) && after.ends_with(tail), "{after}");
    let added = &after[head.len()..after.len() - tail.len()];
    insta::assert_snapshot!(added.replace(&site.base, "http://SITE"));

    let request = site.requests.lock().unwrap()[0].clone();
    let agent = format!("user-agent: gazette/{}", env!("CARGO_PKG_VERSION"));
    assert!(request.to_ascii_lowercase().contains(&agent), "{request}");
    // The item's text is a stand-in until the editor writes it.
    let err = nl.stderr(&["check", EXAMPLE], 0);
    assert!(
        err.contains("`Write about this link.` is the skeleton's stand-in"),
        "{err}"
    );
}

#[test]
fn every_kind_of_page_still_adds_the_item_and_says_what_it_found() {
    let mut big = String::from("<html><head><title>Big page</title></head><body>");
    big.push_str(&"<p>filler</p>".repeat(300_000)); // 3.9 MB, more than the 2 MB read
    let deep = format!(
        "<html><head><title>Deep</title></head><body>{}</body></html>",
        "<div>".repeat(200_000)
    );
    let site = Site::start(vec![
        (
            "/bare",
            Page::html("<html><body>no head at all</body></html>"),
        ),
        ("/moved", Page::redirect("/bare")),
        ("/loop", Page::redirect("/loop")),
        ("/pdf", Page::typed("application/pdf", b"%PDF-1.7".to_vec())),
        ("/big", Page::html(&big)),
        (
            "/elsewhere",
            Page::html(r#"<link rel="canonical" href="https://other.example/x"><title>T</title>"#),
        ),
        // 200,000 nested <div>s: parsing the body took minutes; only the head is read.
        ("/deep", Page::html(&deep)),
    ]);
    let nl = example();
    for (path, said, link) in [
        (
            "/bare",
            "the page gives no title or description",
            site.url("/bare"),
        ),
        (
            "/moved",
            "the page gives no title or description",
            site.url("/moved"),
        ),
        (
            "/loop",
            "not fetched: more than 5 redirects",
            site.url("/loop"),
        ),
        (
            "/pdf",
            "not an HTML page (application/pdf)",
            site.url("/pdf"),
        ),
        ("/big", "title: Big page", site.url("/big")),
        (
            "/missing",
            "not fetched: the page answered 404",
            site.url("/missing"),
        ),
        // A canonical URL on another site is not trusted.
        ("/elsewhere", "title: T", site.url("/elsewhere")),
        ("/deep", "title: Deep", site.url("/deep")),
    ] {
        let run = nl.run(&["add", "--section", "tools", &site.url(path)], &[]);
        run.assert_code(0);
        assert!(run.stderr.contains(said), "{path}: {run:#?}");
        assert_eq!(
            run.stdout,
            format!("added {link} to {EXAMPLE} (tools)\n"),
            "{path}"
        );
    }
    let draft = nl.read(EXAMPLE);
    assert_eq!(draft.matches("[[tools]]").count(), 2 + 8, "{draft}");
    nl.stderr(&["check", EXAMPLE], 0);
}

#[test]
fn a_slow_page_is_given_up_after_ten_seconds() {
    let site = Site::start(vec![(
        "/slow",
        Page::html(ARTICLE).after(Duration::from_secs(30)),
    )]);
    let nl = example();
    let run = nl.run(&["add", &site.url("/slow")], &[]);
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("not fetched: no answer within 10 seconds"),
        "{run:#?}"
    );
    assert!(run.seconds < 20.0, "{run:#?}");
}

#[test]
fn links_featured_before_or_already_in_the_draft_are_said_at_once() {
    let nl = Newsletter::example().at(NOW);
    nl.add("ada@example.org");
    nl.send(&[]).assert_code(0);
    // Issue 41 is sent: add writes issue 42 and adds to it.
    let run = nl.run(
        &[
            "add",
            "--no-fetch",
            "--text",
            "Again, *because*.",
            "https://github.com/example/logfold",
        ],
        &[],
    );
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("wrote drafts/2026-12-06-42.toml, the next draft"),
        "{run:#?}"
    );
    assert!(
        run.stderr
            .contains("https://github.com/example/logfold was already linked in issue #41"),
        "{run:#?}"
    );
    let draft = nl.read("drafts/2026-12-06-42.toml");
    assert!(
        draft.contains(
            "text = \"Again, *because*.\"\nlinks = [\"https://github.com/example/logfold\"]\n"
        ),
        "{draft}"
    );

    let run = nl.run(
        &[
            "add",
            "--no-fetch",
            "https://github.com/example/logfold/?utm_campaign=x",
        ],
        &[],
    );
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("is in drafts/2026-12-06-42.toml already; not added again"),
        "{run:#?}"
    );
    assert_eq!(nl.read("drafts/2026-12-06-42.toml"), draft);
}

#[test]
fn a_bad_link_or_section_changes_nothing() {
    let nl = example();
    let before = nl.read(EXAMPLE);
    let err = nl.stderr(
        &[
            "add",
            "--no-fetch",
            "https://ok.example/",
            "javascript:alert(1)",
        ],
        2,
    );
    assert!(
        err.contains("`javascript:alert(1)`: must be an absolute http(s) URL"),
        "{err}"
    );
    let err = nl.stderr(&["add", "--section", "events", "https://ok.example/"], 2);
    assert!(
        err.contains(
            "--section `events` is not a configured section; the sections are `news`, `tools`"
        ),
        "{err}"
    );
    assert_eq!(nl.read(EXAMPLE), before);
}

const SAVED: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Saved</title>
<item><title>Second saved</title><link>https://b.example/2?utm_source=pocket</link><description>&lt;p&gt;A &lt;b&gt;good&lt;/b&gt; read.&lt;/p&gt;</description></item>
<item><title>First saved</title><link>https://b.example/1</link></item>
</channel></rss>"#;

#[test]
fn collect_adds_each_saved_link_once_however_often_it_runs() {
    let site = Site::start(vec![(
        "/saved.rss",
        Page::typed("application/rss+xml", SAVED.as_bytes().to_vec()),
    )]);
    let nl = Newsletter::new(&format!(
        "[collect]\nfeeds = [\"{}\"]\nsection = \"tools\"\n",
        site.url("/saved.rss")
    ))
    .at(NOW)
    .without_secret();
    let run = nl.run(&["collect"], &[]);
    run.assert_code(0);
    assert_eq!(
        run.stdout,
        format!(
            "added https://b.example/1 to {EXAMPLE} (tools)\nadded https://b.example/2 to {EXAMPLE} (tools)\n"
        )
    );
    assert!(
        run.stderr
            .contains("collected 2 new links from 1 feed (0 seen before)"),
        "{run:#?}"
    );
    let draft = nl.read(EXAMPLE);
    assert!(draft.contains("# title: Second saved\n# description: A good read.\n[[tools]]\ntext = \"Write about this link.\"\nlinks = [\"https://b.example/2\"]\n"), "{draft}");

    // Again, after the editor deleted one of the items: nothing new.
    let first = "\n# title: First saved\n[[tools]]\ntext = \"Write about this link.\"\nlinks = [\"https://b.example/1\"]\n";
    assert!(draft.contains(first), "{draft}");
    let draft = draft.replace(first, "");
    nl.write(EXAMPLE, &draft);
    let run = nl.run(&["collect"], &[]);
    run.assert_code(0);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains("collected 0 new links from 1 feed (2 seen before)"),
        "{run:#?}"
    );
    assert_eq!(nl.read(EXAMPLE), draft);

    // A feed that cannot be read is tried again by the next run: exit 75.
    nl.configure(&format!(
        "[collect]\nfeeds = [\"{}\", \"{}\"]\n",
        site.url("/gone.rss"),
        site.url("/saved.rss")
    ));
    let run = nl.run(&["collect"], &[]);
    run.assert_code(75);
    assert!(
        run.stderr.contains(&format!(
            "cannot fetch the feed {}: the page answered 404",
            site.url("/gone.rss")
        )),
        "{run:#?}"
    );

    nl.configure("");
    let err = nl.stderr(&["collect"], 2);
    assert!(err.contains("no feeds to collect from"), "{err}");
}
