//! Integration tests: `gazette import`, the back catalogue. Markdown issues
//! (the seed, fixtures with the usual variations, broken ones) become drafts
//! that `check` passes, and published issues the rest of gazette knows.

mod published;

use crate::support::Newsletter;
use crate::support::catalogue::{seed_pieces, squashed};

/// The example newsletter, with a heading of issue 103 mapped to a section.
fn newsletter() -> Newsletter {
    Newsletter::new("[import]\nsections = { \"Elsewhere\" = \"news\" }\n")
}

#[test]
fn the_seed_issue_becomes_a_draft_that_check_passes() {
    let n = newsletter();
    let seed = n.seed_issue();
    let err = n.stderr(&["import", seed], 0);
    assert!(
        err.contains("gazette: seed/devops-weekly-519.md: imported issue #519 as drafts/2020-12-06-519.toml\n"),
        "{err}"
    );
    let toml = n.read("drafts/2020-12-06-519.toml");
    insta::assert_snapshot!(toml);
    n.gazette()
        .args(["check", "drafts/2020-12-06-519.toml", "--deny-warnings"])
        .assert()
        .success();

    // Every paragraph and link of the seed, in the seed's order, in the text part.
    let text = squashed(&n.stdout(&["render", "drafts/2020-12-06-519.toml", "--format", "text"]));
    let mut at = 0;
    for piece in seed_pieces(&std::fs::read_to_string(n.dir().join(seed)).unwrap()) {
        let found = text[at..].find(&piece);
        assert!(
            found.is_some(),
            "{piece:?} missing after byte {at} of\n{text}"
        );
        at += found.unwrap() + piece.len();
    }
    let sponsor = text
        .find("Sponsored by StackHawk")
        .expect("the sponsor block");
    let news = text.find("News ====").expect("the news section");
    let pitch = text.find("Check out how we have built").unwrap();
    assert!(sponsor < pitch && pitch < news, "{text}");
    assert!(!text.contains("If you received this email"), "{text}");
    assert!(
        err.contains("left out the closing paragraph \"If you received this email"),
        "{err}"
    );
}

#[test]
fn issues_with_the_usual_variations_import_as_written() {
    let n = newsletter();
    let issues = n.back_issues();
    let err = n.stderr(&["import", issues], 0);
    assert!(
        err.ends_with("gazette: 3 files: imported 3, unchanged 0, not imported 0\n"),
        "{err}"
    );
    // The footer all three share is left out, and said once.
    assert_eq!(
        err.matches("left out the closing paragraph").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("\"You are reading Ops Weekly. Forwarded this? Subscribe at [ht…\" (3 files)"),
        "{err}"
    );
    let drafts = [
        "drafts/2021-01-03-101.toml",
        "drafts/2021-01-10-102.toml",
        "drafts/2021-01-17-103.toml",
    ];
    let all: Vec<String> = drafts
        .iter()
        .map(|d| format!("## {d}\n{}", n.read(d)))
        .collect();
    insta::assert_snapshot!(all.join("\n"));
    let mut check = vec!["check", "--deny-warnings"];
    check.extend(drafts);
    n.gazette().args(check).assert().success();

    let first = n.read(drafts[0]);
    // Three links, a bare one with its utm_* parameters as written.
    assert!(first.contains(
        "\"https://independent.example.net/kinesis?utm_source=opsweekly&utm_medium=email&id=7\""
    ));
    // Escapes undone where nothing needs them, inline Markdown kept.
    assert!(first.contains("about issue #100, and to Zoë"), "{first}");
    assert!(
        first.contains("`snake\\_case`") && first.contains("2 * 3 matrix"),
        "{first}"
    );
    assert!(
        first.contains("[exponential backoff](https://backoff.example.dev/)"),
        "{first}"
    );
    assert!(!first.contains("[sponsor]"), "{first}");
    // CRLF line ends leave no carriage return behind.
    assert!(!n.read(drafts[1]).contains('\r'));
}

#[test]
fn broken_files_are_located_errors_and_the_others_import() {
    let n = newsletter();
    let broken = n.broken_issues();
    let good = n.back_issues();
    let run = n.run(&["import", broken, good], &[]);
    run.assert_code(2);
    insta::assert_snapshot!(run.stderr);
    for imported in ["drafts/2021-01-03-101.toml", "drafts/2021-01-17-103.toml"] {
        assert!(n.path(imported).exists(), "{imported}");
    }
    let drafts = std::fs::read_dir(n.path("drafts")).unwrap().count();
    assert_eq!(drafts, 4, "the example's draft and the three good issues");
}

#[test]
fn importing_again_changes_nothing_and_never_overwrites_another_draft() {
    let n = newsletter();
    let issues = n.back_issues();
    n.stderr(&["import", issues], 0);
    let draft = "drafts/2021-01-03-101.toml";
    let written = n.read(draft);

    let err = n.stderr(&["import", "issues/ops-101.md"], 0);
    assert_eq!(
        err,
        "gazette: issues/ops-101.md: unchanged (issue #101, drafts/2021-01-03-101.toml)\n\
         gazette: 1 file: imported 0, unchanged 1, not imported 0\n"
    );

    // The editor changed the draft: import refuses, naming both files.
    let edited = written.replace("Happy new year!", "Happy new year, all!");
    n.write(draft, &edited);
    let err = n.stderr(&["import", "issues/ops-101.md"], 2);
    assert!(
        err.contains("gazette: error: drafts/2021-01-03-101.toml is a different draft of issue #101, so issues/ops-101.md was not imported (`gazette import --force` replaces the draft)\n"),
        "{err}"
    );
    assert_eq!(n.read(draft), edited);

    let err = n.stderr(&["import", "issues/ops-101.md", "--force"], 0);
    assert!(
        err.contains("imported issue #101 as drafts/2021-01-03-101.toml, replacing it"),
        "{err}"
    );
    assert_eq!(n.read(draft), written);
}

#[test]
fn a_dry_run_writes_nothing_and_json_says_what_happened() {
    let n = newsletter();
    let issues = n.back_issues();
    let run = n.run(&["import", issues, "--dry-run"], &[]);
    run.assert_code(0);
    assert!(run.stdout.starts_with("# drafts/2021-01-03-101.toml\n# Imported by `gazette import` from ops-101.md.\nissue = 101\n"), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("issues/ops-102.md: would import issue #102 as drafts/2021-01-10-102.toml"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .ends_with("would import 3, unchanged 0, not imported 0; nothing was written\n"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_dir(n.path("drafts")).unwrap().count(), 1);
    assert!(!n.db_path().exists(), "a dry run creates no store");

    let broken = n.broken_issues();
    let run = n.run(&["import", issues, "broken/no-link.md", "--json"], &[]);
    let _ = broken;
    run.assert_code(2);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let files = v["files"].as_array().unwrap();
    let status: Vec<(&str, &str)> = files
        .iter()
        .map(|f| (f["file"].as_str().unwrap(), f["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        status,
        [
            ("broken/no-link.md", "failed"),
            ("issues/ops-101.md", "imported"),
            ("issues/ops-102.md", "imported"),
            ("issues/ops-103.md", "imported"),
        ]
    );
    let error = &files[0]["errors"][0];
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(10), Some(1))
    );
    assert_eq!(error["message"], "an item without a link");
    assert_eq!(files[1]["draft"], "drafts/2021-01-03-101.toml");
    assert_eq!(v["left_out"][0]["files"], 3);
}
