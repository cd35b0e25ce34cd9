//! Rendering the HTML and text parts.

use super::{EXAMPLE, HARD, example, fixture};
use crate::support::checks::{
    assert_html_part, assert_text_part, escape, html_lines, link_texts, strip_tags,
};

#[test]
fn example_issue_renders_html() {
    let nl = example();
    let html = nl.stdout(&["render", EXAMPLE]);
    assert_html_part(&html, "en", &nl.links(EXAMPLE));
    insta::assert_snapshot!(html_lines(&html));
}

#[test]
fn example_issue_renders_text() {
    let nl = example();
    let text = nl.stdout(&["render", EXAMPLE, "--format", "text"]);
    assert_text_part(&text, &nl.links(EXAMPLE));
    insta::assert_snapshot!(text);
}

#[test]
fn hard_issue_renders_html() {
    let nl = fixture();
    let html = nl.stdout(&["render", HARD, "--format", "html"]);
    let links = nl.links(HARD);
    assert_eq!(links.len(), 9);
    assert!(links.iter().any(|l| l.len() == 300));
    assert_html_part(&html, "fr", &links);
    // Text from the draft is escaped, never markup.
    assert!(html.contains("&lt;script&gt;alert(\"hi\")&lt;/script&gt;"));
    assert!(html.contains("Fish &amp; Chips, AT&amp;T, 1 &lt; 2 &gt; 0."));
    assert!(html.contains(
        "<title>Café Ops №7: naïve caches, 🚀 launches &amp; &lt;script&gt; tags</title>"
    ));
    insta::assert_snapshot!(html_lines(&html));
}

#[test]
fn hard_issue_renders_text() {
    let nl = fixture();
    let text = nl.stdout(&["render", HARD, "--format", "text"]);
    assert_text_part(&text, &nl.links(HARD));
    // An item's links follow it, one per line, in the draft's order.
    assert!(text.contains(
        "three angles.\nhttps://blog.example.fr/2026/12/caches-naifs\nhttps://research.example.edu/papers/stale-reads.pdf\nhttps://github.com/example/cache-repro\n\n"
    ));
    insta::assert_snapshot!(text);
}

#[test]
fn text_wraps_headings_and_keeps_urls_whole() {
    let nl = example();
    let long = format!("https://long.example/{}x", "a-b-c-".repeat(20));
    nl.write(
        "drafts/2026-12-06-42.toml",
        &format!(
            r#"issue = 42
date = 2026-12-06
intro = "Self-hosted, well-known, run-of-the-mill: <{long}> and on-call hand-over write-ups, written out long enough to wrap twice over."

[sponsor]
name = "The Extraordinarily Long-Named Observability, Tracing and Incident Response Company Ltd"
text = "Hi."
url = "https://sponsor.example/"

[[news]]
text = "Words.  \nAfter a hard break."
links = ["{long}"]
"#
        ),
    );
    let text = nl.stdout(&["render", "drafts/2026-12-06-42.toml", "--format", "text"]);
    assert_text_part(&text, &nl.links("drafts/2026-12-06-42.toml"));
    // A wrapped heading is underlined as wide as its widest line.
    let first = "Sponsored by The Extraordinarily Long-Named Observability, Tracing and";
    let heading = format!(
        "\n{first}\nIncident Response Company Ltd\n{}\n\n",
        "-".repeat(first.len())
    );
    assert!(text.contains(&heading), "{text}");
    // Lines break at spaces only, never after a hyphen.
    for line in text.lines() {
        assert!(
            !line.ends_with('-') || line.chars().all(|c| c == '-'),
            "{line:?}"
        );
    }
    assert!(text.contains("\nWords.\nAfter a hard break.\n"));
}

#[test]
fn render_writes_to_a_file() {
    let nl = fixture();
    for format in ["html", "text"] {
        let expected = nl.stdout(&["render", HARD, "--format", format]);
        let file = nl.dir().join(format!("issue.{format}"));
        let out = nl.stdout(&[
            "render",
            HARD,
            "--format",
            format,
            "-o",
            file.to_str().unwrap(),
        ]);
        assert_eq!(out, "");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), expected);
    }
}

#[test]
fn render_refuses_a_draft_with_errors() {
    let nl = example();
    nl.write("drafts/bad.toml", "issue = 42\ndate = 2026-12-06\n");
    let err = nl.stderr(&["render", "drafts/bad.toml"], 2);
    insta::assert_snapshot!(err, @r"
    gazette: error: drafts/bad.toml:1:1: missing required key `intro` (a string) in the draft
      |
    1 | issue = 42
      | ^
    gazette: error: drafts/bad.toml has 1 error(s)
    ");
    let err = nl.stderr(&["render", "drafts/missing.toml"], 2);
    assert!(err.starts_with("gazette: error: no draft at "), "{err}");
}

#[test]
fn the_outro_closes_the_issue_in_both_parts_and_the_archive() {
    let nl = crate::support::Newsletter::example().at(super::NOW);
    let draft = nl.read(EXAMPLE).replacen(
        "\n[sponsor]",
        "\noutro = \"\"\"\nThat's all for this week. *Reply* with [your links](https://platformnotes.example/tips).\n\"\"\"\n\n[sponsor]",
        1,
    );
    nl.write(EXAMPLE, &draft);
    let text = nl.stdout(&["render", EXAMPLE, "--format", "text"]);
    let (last_item, outro, footer) = (
        text.find("https://cred-rotator.example.dev/docs/").expect("the last item link"),
        text.find("That's all for this week. _Reply_ with your links.\nhttps://platformnotes.example/tips\n")
            .unwrap_or_else(|| panic!("{text}")),
        text.find("\n---\n").unwrap(),
    );
    assert!(last_item < outro && outro < footer, "{text}");
    assert_text_part(&text, &nl.links(EXAMPLE));

    let html = nl.stdout(&["render", EXAMPLE]);
    let outro = html
        .find("That&#39;s all for this week.")
        .or_else(|| html.find("That's all for this week."))
        .unwrap();
    let last_section = html.rfind("<h2").unwrap();
    assert!(
        last_section < outro && outro < html.find("class=\"footer").unwrap(),
        "{html}"
    );
    assert_html_part(&html, "en", &nl.links(EXAMPLE));

    nl.add("ada@example.org");
    nl.send(&[]).assert_code(0);
    let out = nl.dir().join("site");
    nl.stdout(&["archive", "--out", out.to_str().unwrap()]);
    let page = std::fs::read_to_string(out.join("archive/41/index.html")).unwrap();
    assert!(page.contains("all for this week."), "{page}");
}

#[test]
fn short_link_text_shows_host_and_path_and_keeps_the_whole_url_in_the_href() {
    let nl = fixture();
    let config = nl.read("config/gazette.toml");
    nl.write(
        "config/gazette.toml",
        &config.replacen("language = ", "link_text = \"short\"\nlanguage = ", 1),
    );
    let html = nl.stdout(&["render", HARD]);
    let links = nl.links(HARD);
    assert_html_part(&html, "fr", &links);
    let long = links.iter().find(|l| l.len() == 300).unwrap();
    let at = html.find(&format!("href=\"{}\"", escape(long))).unwrap();
    let text = strip_tags(link_texts(&html[at - 3..])[0]).replace('\u{200b}', "");
    assert_eq!(text, "tracking.example.com/click/v2/redirect…");
    // A short URL is shown whole but for its scheme.
    let at = html
        .find("href=\"https://github.com/example/cache-repro\"")
        .unwrap();
    let text = strip_tags(link_texts(&html[at - 3..])[0]).replace('\u{200b}', "");
    assert_eq!(text, "github.com/example/cache-repro");
}

#[test]
fn link_text_is_url_or_short() {
    let nl = example();
    let config = nl.read("config/gazette.toml");
    nl.write(
        "config/gazette.toml",
        &format!("link_text = \"tiny\"\n{config}"),
    );
    let err = nl.stderr(&["render", EXAMPLE], 2);
    assert!(
        err.starts_with("gazette: error: config/gazette.toml:1:13: `link_text` `tiny` is neither `url` nor `short`"),
        "{err}"
    );
}

#[test]
fn a_right_to_left_issue_renders_right_to_left() {
    let nl = example();
    let config = nl.read("config/gazette.toml");
    nl.write(
        "config/gazette.toml",
        &format!(
            "language = \"he\"\n{}",
            config.replace("language = \"en\"\n", "")
        ),
    );
    nl.write(
        "drafts/2026-12-06-42.toml",
        r#"issue = 42
date = 2026-12-06
intro = "שלום וברוכים הבאים לגיליון 42: על תורנויות, על [תבניות](https://example.org/templates) ועל כלים קטנים."

[[news]]
title = "תורנות"
text = "איך צוותים מעבירים את התורנות בלי לאבד הקשר."
links = ["https://blog.example.org/2026/12/toranut"]
"#,
    );
    let html = nl.stdout(&["render", "drafts/2026-12-06-42.toml"]);
    assert_html_part(&html, "he", &nl.links("drafts/2026-12-06-42.toml"));
    assert!(html.contains("איך צוותים מעבירים את התורנות"));
}
