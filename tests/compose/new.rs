//! `gazette new` and the help.

use super::{EXAMPLE, example, fixture};

#[test]
fn new_writes_the_next_draft() {
    let nl = example();
    let out = nl.stdout(&["new"]);
    assert_eq!(out, "drafts/2026-12-06-42.toml\n");
    let skeleton = nl.read("drafts/2026-12-06-42.toml");
    insta::assert_snapshot!(skeleton);
    // The skeleton has no error; its stand-ins (texts and example.com links)
    // are warnings until the editor replaces them.
    let err = nl.stderr(&["check", "drafts/2026-12-06-42.toml"], 0);
    assert!(
        err.ends_with("checked 1 draft: 0 errors, 8 warnings\n"),
        "{err}"
    );
    assert!(!err.contains("error:"), "{err}");
    assert_eq!(err.matches("stand-in").count(), 8, "{err}");
    nl.stderr(
        &["check", "--deny-warnings", "drafts/2026-12-06-42.toml"],
        1,
    );
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
    let nl = fixture();
    assert_eq!(nl.stdout(&["new"]), "drafts/2026-12-11-8.toml\n");
    let nl = fixture();
    let out = nl
        .gazette()
        .arg("new")
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
    let nl = example();
    std::fs::remove_file(nl.root().join(EXAMPLE)).unwrap();
    assert_eq!(nl.stdout(&["new"]), "drafts/2026-11-29-1.toml\n");
}

#[test]
fn new_takes_issue_and_date() {
    let nl = example();
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
    let nl = example();
    for cmd in ["new", "check", "render", "preview"] {
        let out = nl.stdout(&[cmd, "--help"]);
        assert!(out.contains(&format!("Usage: gazette {cmd}")), "{out}");
    }
    let out = nl.stdout(&["--help"]);
    for cmd in ["new", "check", "render", "preview"] {
        assert!(out.contains(&format!("  {cmd} ")), "{out}");
    }
    // A bad command line is bad input too.
    nl.gazette()
        .args(["render", EXAMPLE, "--format", "pdf"])
        .assert()
        .code(2);
}
