//! Integration tests: compose. Drafts are parsed, checked, rendered and
//! previewed by the real `gazette` binary, run with `-C` on a copy of a
//! newsletter directory: the bundled example (`config/`, `drafts/`) or the
//! fixture with awkward content (`tests/fixtures/newsletter/`).
//!
//! Rendered parts and diagnostics are pinned whole with insta; structural
//! properties (line widths, whole URLs, escaping) are asserted as well.

use assert_cmd::Command;
use gazette::config::Config;
use gazette::diag::Source;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;
use unicode_width::UnicodeWidthStr;

/// "Now" for every command, a Thursday.
const NOW: &str = "2026-11-26T10:00:00Z";
const EXAMPLE: &str = "drafts/2026-11-29-41.toml";
const HARD: &str = "drafts/2026-12-04-7.toml";

/// A newsletter directory copied into a temporary directory.
struct Newsletter {
    tmp: tempfile::TempDir,
}

impl Newsletter {
    /// The bundled example: the repository's `config/` and `drafts/`.
    fn example() -> Newsletter {
        Newsletter::copy_of(Path::new(env!("CARGO_MANIFEST_DIR")))
    }

    /// The fixture whose draft holds the hard content.
    fn fixture() -> Newsletter {
        Newsletter::copy_of(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/newsletter"),
        )
    }

    fn copy_of(from: &Path) -> Newsletter {
        let nl = Newsletter {
            tmp: tempfile::tempdir().unwrap(),
        };
        for dir in ["config", "drafts"] {
            std::fs::create_dir_all(nl.root().join(dir)).unwrap();
            for entry in std::fs::read_dir(from.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "toml") {
                    std::fs::copy(&path, nl.root().join(dir).join(path.file_name().unwrap()))
                        .unwrap();
                }
            }
        }
        nl
    }

    /// The newsletter directory. Commands run from its parent, so that a
    /// relative draft path can only be found through `-C`.
    fn root(&self) -> PathBuf {
        self.tmp.path().join("newsletter")
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.root().join(rel), text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root().join(rel)).unwrap()
    }

    /// `gazette -C <root> ARGS...` at a fixed "now".
    fn gazette(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gazette"));
        cmd.current_dir(self.tmp.path())
            .env("GAZETTE_NOW", NOW)
            .arg("-C")
            .arg(self.root())
            .args(args);
        cmd
    }

    /// Runs a command that must succeed and returns its stdout.
    fn stdout(&self, args: &[&str]) -> String {
        let out = self.gazette(args).assert().success().get_output().clone();
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a command that must exit with `code` and returns its stderr.
    fn stderr(&self, args: &[&str], code: i32) -> String {
        let out = self.gazette(args).assert().code(code).get_output().clone();
        String::from_utf8(out.stderr).unwrap()
    }

    /// Every URL of a draft, through the library.
    fn links(&self, rel: &str) -> Vec<String> {
        let config = Config::load(&self.root()).unwrap();
        let source = Source::new(rel, self.read(rel));
        let (draft, _) = gazette::draft::parse(&source, &config).unwrap();
        draft.links().iter().map(|l| l.url.clone()).collect()
    }
}

/// The HTML with a line break between tags, so that a snapshot reads (and
/// diffs) line by line; the HTML has none there itself, so nothing is lost.
fn html_lines(html: &str) -> String {
    assert!(
        !html.contains(">\n<"),
        "the HTML breaks a line between tags"
    );
    html.replace("><", ">\n<")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What STANDARDS.md asks of the HTML part, beyond the snapshot.
fn assert_html_part(html: &str, lang: &str, links: &[String]) {
    assert!(html.starts_with("<!DOCTYPE html>"), "no doctype");
    assert!(html.contains(&format!("<html lang=\"{lang}\" dir=\"ltr\">")));
    let charset = html.find("<meta charset=\"utf-8\">").expect("meta charset");
    assert!(
        charset < 1024,
        "meta charset must be in the first 1024 bytes"
    );
    for meta in [
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<meta name=\"color-scheme\" content=\"light dark\">",
        "<meta name=\"supported-color-schemes\" content=\"light dark\">",
    ] {
        assert!(html.contains(meta), "missing {meta}");
    }
    assert!(html.contains("<title>"));
    // The preheader comes first in the body, hidden.
    let body = &html[html.find("<body").unwrap()..];
    let first = &body[body.find('>').unwrap() + 1..];
    assert!(first.starts_with("<div class=\"preheader\" style=\"display:none;"));
    assert!(first[..first.find("</div>").unwrap()].contains("mso-hide:all"));
    // CSS is inlined: the one <style> left holds only @media rules.
    assert_eq!(html.matches("<style").count(), 1);
    let style = &html[html.find("<style>").unwrap() + 7..html.find("</style>").unwrap()];
    assert!(style.trim_start().starts_with("@media"), "{style}");
    assert!(style.contains("prefers-color-scheme: dark"));
    assert!(html.contains("role=\"presentation\" width=\"600\""));
    // Nothing from the draft runs.
    let lower = html.to_lowercase();
    for banned in ["<script", "javascript:", "<iframe", "<form"] {
        assert!(!lower.contains(banned), "the HTML holds {banned}");
    }
    assert!(!html.contains(gazette::render::UNSUBSCRIBE_MARK));
    for url in links {
        assert!(html.contains(&format!("href=\"{}\"", escape(url))), "{url}");
    }
}

/// What STANDARDS.md asks of the text part, beyond the snapshot.
fn assert_text_part(text: &str, links: &[String]) {
    assert!(text.ends_with('\n') && !text.ends_with("\n\n"));
    assert!(!text.contains('\r') && !text.contains('\t'));
    let lines: Vec<&str> = text.lines().collect();
    for line in &lines {
        assert_eq!(line.trim_end(), *line, "trailing space: {line:?}");
        let url_alone = line.starts_with("https://") && !line.contains(' ');
        assert!(
            line.width() <= 72 || url_alone,
            "over 72 columns ({}): {line:?}",
            line.width()
        );
    }
    // The title is underlined.
    assert_eq!(lines[1], "=".repeat(lines[0].width()));
    for url in links {
        assert!(lines.contains(&url.as_str()), "not whole on a line: {url}");
    }
    assert!(lines.iter().any(|l| l.starts_with("Sponsored by ")));
    assert!(!text.contains(gazette::render::UNSUBSCRIBE_MARK));
}

#[test]
fn example_issue_renders_html() {
    let nl = Newsletter::example();
    let html = nl.stdout(&["render", EXAMPLE]);
    assert_html_part(&html, "en", &nl.links(EXAMPLE));
    insta::assert_snapshot!(html_lines(&html));
}

#[test]
fn example_issue_renders_text() {
    let nl = Newsletter::example();
    let text = nl.stdout(&["render", EXAMPLE, "--format", "text"]);
    assert_text_part(&text, &nl.links(EXAMPLE));
    insta::assert_snapshot!(text);
}

#[test]
fn hard_issue_renders_html() {
    let nl = Newsletter::fixture();
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
    let nl = Newsletter::fixture();
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
    let nl = Newsletter::example();
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
    let nl = Newsletter::fixture();
    for format in ["html", "text"] {
        let expected = nl.stdout(&["render", HARD, "--format", format]);
        let file = nl.tmp.path().join(format!("issue.{format}"));
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
    let nl = Newsletter::example();
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

/// `gazette check` on one bad draft beside the example: exit 2 and the full stderr.
fn check_errors(draft: &str) -> String {
    let nl = Newsletter::example();
    nl.write("drafts/bad.toml", draft);
    nl.stderr(&["check", "drafts/bad.toml"], 2)
}

const GOOD_ITEM: &str = "[[news]]\ntext = \"A good item.\"\nlinks = [\"https://a.example/\"]\n";

#[test]
fn error_unknown_key_suggests_the_known_one() {
    let err = check_errors(&format!(
        "issue = 42\ndate = 2026-12-06\nintor = \"Hello.\"\n\n{GOOD_ITEM}\n[[tools]]\ntxt = \"A tool.\"\nlinkz = [\"https://b.example/\"]\n"
    ));
    insta::assert_snapshot!(err);
}

#[test]
fn error_wrong_types() {
    let err = check_errors(&format!(
        "issue = \"42\"\ndate = \"2026-12-06\"\nintro = \"Hello.\"\n{GOOD_ITEM}[[tools]]\ntext = \"A tool.\"\nlinks = \"https://b.example/\"\n\n[[tools]]\ntext = \"Another.\"\nlinks = [42]\n"
    ));
    insta::assert_snapshot!(err);
}

#[test]
fn error_missing_required_keys() {
    let err = check_errors(
        "issue = 42\ndate = 2026-12-06\n\n[sponsor]\nname = \"Lanternfish\"\ntext = \"Traces.\"\n\n[[news]]\nlinks = [\"https://a.example/\"]\n",
    );
    insta::assert_snapshot!(err);
}

#[test]
fn error_javascript_links() {
    let err = check_errors(&format!(
        "issue = 42\ndate = 2026-12-06\nintro = \"\"\"\nWelcome.\n\nClick [here](javascript:alert(1)).\n\"\"\"\n{GOOD_ITEM}[[tools]]\ntext = \"A tool.\"\nlinks = [\"https://b.example/\", \"javascript:alert(document.cookie)\"]\n"
    ));
    insta::assert_snapshot!(err);
}

#[test]
fn error_item_without_links() {
    let err = check_errors(&format!(
        "issue = 42\ndate = 2026-12-06\nintro = \"Hello.\"\n{GOOD_ITEM}\n[[news]]\ntitle = \"No links\"\ntext = \"An item that forgot its link.\"\n\n[[tools]]\ntext = \"An empty list.\"\nlinks = []\n"
    ));
    insta::assert_snapshot!(err);
}

#[test]
fn error_line_break_in_subject() {
    let err = check_errors(&format!(
        "issue = 42\ndate = 2026-12-06\nsubject = \"Platform Notes\\nBcc: everyone@example.org\"\npreheader = \"\"\"\nTwo\nlines\"\"\"\nintro = \"Hello.\"\n{GOOD_ITEM}"
    ));
    insta::assert_snapshot!(err);
}

#[test]
fn error_toml_syntax() {
    let err = check_errors("issue = 42\ndate = 2026-12-06\nintro = \"Hello.\n[[news]]\n");
    insta::assert_snapshot!(err);
}

#[test]
fn error_unknown_section_lists_the_sections() {
    let err = check_errors(&format!(
        "issue = 42\ndate = 2026-12-06\nintro = \"Hello.\"\ntitle = \"Not a draft key\"\n{GOOD_ITEM}\n[[toolz]]\ntext = \"Close to `tools`.\"\nlinks = [\"https://b.example/\"]\n\n[[gadgets]]\ntext = \"Not a section.\"\nlinks = [\"https://c.example/\"]\n"
    ));
    insta::assert_snapshot!(err);
}

#[test]
fn error_markdown_outside_the_subset() {
    let err = check_errors(&format!(
        "issue = 42\ndate = 2026-12-06\nintro = \"\"\"\n# A heading\n\"\"\"\n{GOOD_ITEM}[[tools]]\n\ttext = \"- a list\"\n\tlinks = [\"https://b.example/\"]\n"
    ));
    insta::assert_snapshot!(err);
}

#[test]
fn error_in_the_config_exits_2() {
    let nl = Newsletter::example();
    let config = nl.read("config/gazette.toml");
    nl.write(
        "config/gazette.toml",
        &config.replace("publish_day = \"sunday\"", "publish_day = \"sundae\""),
    );
    let err = nl.stderr(&["check"], 2);
    insta::assert_snapshot!(err, @r#"
    gazette: error: config/gazette.toml:25:15: `sundae` is not a day of the week
       |
    25 | publish_day = "sundae"
       |               ^^^^^^^^
       = hint: use a day name such as `sunday`
    gazette: error: config/gazette.toml has 1 error(s)
    "#);
}

#[test]
fn check_passes_a_clean_draft() {
    let nl = Newsletter::example();
    let err = nl.stderr(&["check"], 0);
    assert_eq!(err, "checked 1 draft: 0 errors, 0 warnings\n");
    let err = nl.stderr(&["check", "--deny-warnings", EXAMPLE], 0);
    assert_eq!(err, "checked 1 draft: 0 errors, 0 warnings\n");
    let err = nl.stderr(&["check", "drafts/missing.toml"], 2);
    assert!(err.starts_with("gazette: error: no draft at "), "{err}");
}

/// Issue 42 repeats a link of its own, features one of issue 41's (written
/// differently) and leaves `tools` out.
const ISSUE_42: &str = r#"issue = 42
date = 2026-12-06
subject = "Platform Notes #42"
intro = "Back to [the handover piece](HTTPS://Blog.Example.ORG/2026/11/on-call-handovers?utm_source=feed&utm_medium=email) from last week."

[[news]]
text = "A new one."
links = ["https://news.example/one"]

[[news]]
text = "The same one, again."
links = ["https://news.example/one/", "https://news.example/two"]
"#;

#[test]
fn check_warns_about_repeated_links_and_empty_sections() {
    let nl = Newsletter::example();
    nl.write("drafts/2026-12-06-42.toml", ISSUE_42);
    let err = nl.stderr(&["check"], 0);
    insta::assert_snapshot!(err);
    let denied = nl.stderr(&["check", "--deny-warnings"], 1);
    assert_eq!(denied, err);
    // Issue 41 is not warned about links that only a later issue repeats.
    let err = nl.stderr(&["check", "--deny-warnings", EXAMPLE], 0);
    assert_eq!(err, "checked 1 draft: 0 errors, 0 warnings\n");
}

#[test]
fn check_warns_about_a_long_subject_and_a_heavy_issue() {
    let nl = Newsletter::example();
    let mut draft = format!(
        "issue = 42\ndate = 2026-12-06\nsubject = \"{}\"\nintro = \"Hello.\"\n",
        "A subject that goes on and on ".repeat(3).trim_end()
    );
    for i in 0..200 {
        draft.push_str(&format!(
            "\n[[news]]\ntext = \"{}\"\nlinks = [\"https://news.example/{i}\"]\n",
            "Words about a link, at length. ".repeat(12)
        ));
    }
    nl.write("drafts/2026-12-06-42.toml", &draft);
    let err = nl.stderr(
        &["check", "--deny-warnings", "drafts/2026-12-06-42.toml"],
        1,
    );
    assert!(
        err.contains("warning: drafts/2026-12-06-42.toml:3:11: the subject is 89 characters long"),
        "{err}"
    );
    assert!(
        err.contains("Gmail clips messages over about 102 KB"),
        "{err}"
    );
    assert!(
        err.contains("hint: move some items to the next issue"),
        "{err}"
    );
    // The third: `tools` is empty.
    assert!(
        err.ends_with("checked 1 draft: 0 errors, 3 warnings\n"),
        "{err}"
    );
}

#[test]
fn new_writes_the_next_draft() {
    let nl = Newsletter::example();
    let out = nl.stdout(&["new"]);
    assert_eq!(out, "drafts/2026-12-06-42.toml\n");
    let skeleton = nl.read("drafts/2026-12-06-42.toml");
    insta::assert_snapshot!(skeleton);
    // The skeleton checks clean, even under --deny-warnings (its example
    // links differ, so none is "linked twice").
    let err = nl.stderr(
        &["check", "--deny-warnings", "drafts/2026-12-06-42.toml"],
        0,
    );
    assert!(
        err.ends_with("checked 1 draft: 0 errors, 0 warnings\n"),
        "{err}"
    );
    assert!(!err.contains("error:"), "{err}");
    // And it renders.
    nl.stdout(&["render", "drafts/2026-12-06-42.toml", "--format", "text"]);

    // Never overwrites.
    nl.write("drafts/2026-12-06-42.toml", "edited");
    let err = nl.stderr(&["new"], 2);
    assert_eq!(
        err,
        "gazette: error: drafts/2026-12-06-42.toml exists already; gazette never overwrites a draft\n"
    );
    assert_eq!(nl.read("drafts/2026-12-06-42.toml"), "edited");
}

#[test]
fn new_dates_after_today_in_the_newsletters_zone() {
    // Friday 2026-12-11 00:30 in Paris, still Thursday in UTC: the fixture
    // publishes on Fridays, so the next is the 18th, not the 11th.
    let nl = Newsletter::fixture();
    assert_eq!(nl.stdout(&["new"]), "drafts/2026-12-11-8.toml\n");
    let nl = Newsletter::fixture();
    let out = nl
        .gazette(&["new"])
        .env("GAZETTE_NOW", "2026-12-10T23:30:00Z")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "drafts/2026-12-18-8.toml\n"
    );

    // With no drafts: issue 1 on the first publish day after today.
    let nl = Newsletter::example();
    std::fs::remove_file(nl.root().join(EXAMPLE)).unwrap();
    assert_eq!(nl.stdout(&["new"]), "drafts/2026-11-29-1.toml\n");
}

#[test]
fn new_takes_issue_and_date() {
    let nl = Newsletter::example();
    let out = nl.stdout(&["new", "--issue", "50", "--date", "2027-01-03"]);
    assert_eq!(out, "drafts/2027-01-03-50.toml\n");
    assert!(
        nl.read("drafts/2027-01-03-50.toml")
            .contains("\nissue = 50\ndate = 2027-01-03\n")
    );
    let err = nl.stderr(&["new", "--date", "2027-02-30"], 2);
    assert!(
        err.starts_with("gazette: error: --date `2027-02-30` is not a date"),
        "{err}"
    );
    let err = nl.stderr(&["new", "--issue", "0"], 2);
    assert_eq!(err, "gazette: error: --issue must be 1 or more\n");
}

#[test]
fn every_command_has_help() {
    let nl = Newsletter::example();
    for cmd in ["new", "check", "render", "preview"] {
        let out = nl.stdout(&[cmd, "--help"]);
        assert!(out.contains(&format!("Usage: gazette {cmd}")), "{out}");
    }
    let out = nl.stdout(&["--help"]);
    for cmd in ["new", "check", "render", "preview"] {
        assert!(out.contains(&format!("  {cmd} ")), "{out}");
    }
    // A bad command line is bad input too.
    nl.gazette(&["render", EXAMPLE, "--format", "pdf"])
        .assert()
        .code(2);
}

/// A running `gazette preview`, killed when dropped.
struct Preview {
    child: std::process::Child,
    url: String,
    /// Kept open so that the server never writes into a closed pipe.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Preview {
    fn start(nl: &Newsletter, draft: &str) -> Preview {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gazette"))
            .current_dir(nl.tmp.path())
            .env("GAZETTE_NOW", NOW)
            .arg("-C")
            .arg(nl.root())
            .args(["preview", draft, "--port", "0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        Preview {
            child,
            url: line.trim_end().to_string(),
            _stdout: stdout,
        }
    }

    /// GETs `path` over plain HTTP/1.1; returns the status line and body.
    fn get(&self, path: &str) -> (String, String) {
        let host = self
            .url
            .strip_prefix("http://")
            .and_then(|r| r.strip_suffix('/'))
            .unwrap_or_else(|| panic!("the first line is not a URL: {:?}", self.url));
        let mut stream = TcpStream::connect(host).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let response = String::from_utf8(response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(
            !head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "{head}"
        );
        (head.lines().next().unwrap().to_string(), body.to_string())
    }
}

impl Drop for Preview {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn preview_serves_the_issue_and_notices_saves() {
    let nl = Newsletter::example();
    let preview = Preview::start(&nl, EXAMPLE);
    assert!(
        preview.url.starts_with("http://127.0.0.1:"),
        "{}",
        preview.url
    );

    let (status, page) = preview.get("/");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(page.contains("<b>Platform Notes #41 - 29th November 2026</b>"));
    assert!(page.contains("<iframe src=\"/html\" width=\"640\""));
    assert!(page.contains("<iframe src=\"/html\" width=\"375\""));
    assert!(page.contains("KB of Gmail's ~102 KB clip limit"));
    assert!(page.contains("0 finding(s)"));
    let text = nl.stdout(&["render", EXAMPLE, "--format", "text"]);
    assert!(page.contains(&gazette::render::escape_html(&text)));
    assert!(page.contains("fetch('/version')"));

    let (status, html) = preview.get("/html");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(html, nl.stdout(&["render", EXAMPLE]));

    let (_, v1) = preview.get("/version");
    assert_eq!(preview.get("/version").1, v1);
    let draft = nl.read(EXAMPLE);
    let tools = draft.find("[[tools]]").unwrap();
    let edited = draft[..tools].replace("Welcome to issue 41.", "Welcome to issue 41, edited.");
    nl.write(EXAMPLE, &edited);
    let (_, v2) = preview.get("/version");
    assert_ne!(v2, v1, "/version did not change after the draft was saved");

    let (_, page) = preview.get("/");
    assert!(page.contains("Welcome to issue 41, edited."));
    assert!(page.contains("section `tools` (Tools) has no items"));
    assert!(page.contains("1 finding(s)"));
    let (_, html) = preview.get("/html");
    assert!(html.contains("Welcome to issue 41, edited."));

    // A draft with errors shows them instead.
    nl.write(EXAMPLE, &edited.replace("[[news]]", "[[newz]]"));
    let (status, page) = preview.get("/");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(page.contains("unknown key `newz` in the draft"), "{page}");
    assert!(page.contains("hint: did you mean `news`?"));
}
