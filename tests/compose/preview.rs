//! `gazette preview`.

use super::{EXAMPLE, example};
use crate::support::render;

#[test]
fn preview_serves_the_issue_and_notices_saves() {
    let nl = example();
    let preview = nl.preview(EXAMPLE);
    // GETs `path`: the status line and the body, sent whole (never chunked).
    let get = |path: &str| {
        let r = preview.get(path);
        assert!(
            !r.header("transfer-encoding")
                .is_some_and(|v| v.to_ascii_lowercase().contains("chunked")),
            "{r:?}"
        );
        (format!("{} {}", r.version, r.status), r.body)
    };
    assert!(
        preview.url.starts_with("http://127.0.0.1:"),
        "{}",
        preview.url
    );

    let (status, page) = get("/");
    assert_eq!(status, "HTTP/1.1 200");
    assert!(page.contains("<b>Platform Notes #41 - 29th November 2026</b>"));
    assert!(page.contains("<iframe src=\"/html\" width=\"640\""));
    assert!(page.contains("<iframe src=\"/html\" width=\"375\""));
    assert!(page.contains("KB of Gmail's ~102 KB clip limit"));
    assert!(page.contains("0 finding(s)"));
    let text = nl.stdout(&["render", EXAMPLE, "--format", "text"]);
    assert!(page.contains(&render::escape_html(&text)));
    assert!(page.contains("fetch('/version')"));

    let (status, html) = get("/html");
    assert_eq!(status, "HTTP/1.1 200");
    assert_eq!(html, nl.stdout(&["render", EXAMPLE]));

    let (_, v1) = get("/version");
    assert_eq!(get("/version").1, v1);
    let draft = nl.read(EXAMPLE);
    let tools = draft.find("[[tools]]").unwrap();
    let edited = draft[..tools].replace("Welcome to issue 41.", "Welcome to issue 41, edited.");
    nl.write(EXAMPLE, &edited);
    let (_, v2) = get("/version");
    assert_ne!(v2, v1, "/version did not change after the draft was saved");

    let (_, page) = get("/");
    assert!(page.contains("Welcome to issue 41, edited."));
    assert!(page.contains("section `tools` (Tools) has no items"));
    assert!(page.contains("1 finding(s)"));
    let (_, html) = get("/html");
    assert!(html.contains("Welcome to issue 41, edited."));

    // A draft with errors shows them instead.
    nl.write(EXAMPLE, &edited.replace("[[news]]", "[[newz]]"));
    let (status, page) = get("/");
    assert_eq!(status, "HTTP/1.1 200");
    assert!(page.contains("unknown key `newz` in the draft"), "{page}");
    assert!(page.contains("hint: did you mean `news`?"));
}
