//! `gazette check`: errors and warnings, pinned whole.

use super::{EXAMPLE, check_errors, example};

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
fn markdown_errors_point_inside_multi_line_strings_and_are_all_reported() {
    // An escape and a line-ending backslash before the errors, in a basic
    // string; a literal string after.
    let draft = r#"issue = 42
date = 2026-12-06
intro = """
Caf\u00e9 first, \
  continued.

# A heading

Text.

  - a list
  - of two

> a quote
"""
[[news]]
text = "A good item."
links = ["https://a.example/"]
[[tools]]
text = '''
Fine.

---
'''
links = ["https://b.example/"]
"#;
    let err = check_errors(draft);
    let heads: Vec<&str> = err.lines().filter(|l| l.starts_with("gazette:")).collect();
    assert_eq!(
        heads,
        [
            "gazette: error: drafts/bad.toml:7:1: in `intro`: a heading is not supported in text",
            "gazette: error: drafts/bad.toml:11:3: in `intro`: a list is not supported in text",
            "gazette: error: drafts/bad.toml:14:1: in `intro`: a block quote is not supported in text",
            "gazette: error: drafts/bad.toml:23:1: in `text`: a horizontal rule is not supported in text",
        ],
        "{err}"
    );
    assert!(err.contains("7 | # A heading\n  | ^^^^^^^^^^^\n"), "{err}");
}

#[test]
fn error_in_the_config_exits_2() {
    let nl = example();
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
    let nl = example();
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
    let nl = example();
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
    let nl = example();
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
