//! `--json`: one convention for every command (see the README's "JSON output").
//! A result is one document on stdout; a list that may be long (`subscribers
//! list`) is JSON lines; instants are RFC 3339 in UTC; a dry run has the shape
//! of the real run.

use crate::support::{DRAFT, Newsletter};
use serde_json::Value;

fn document(nl: &Newsletter, args: &[&str]) -> Value {
    let run = nl.run(args, &[]);
    assert!(matches!(run.code, Some(0..=2)), "{args:?}: {run:#?}");
    serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", run.stdout))
}

/// An instant as every --json writes it.
fn assert_rfc3339(value: &Value, what: &str) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value}"));
    let parsed: jiff::Timestamp = text
        .parse()
        .unwrap_or_else(|e| panic!("{what} `{text}`: {e}"));
    assert_eq!(parsed.to_string(), text, "{what} in UTC with Z");
}

#[test]
fn every_json_output_follows_one_convention() {
    let nl = Newsletter::example();
    nl.add("ada@example.org");
    nl.add_draft(42, "2026-12-06", Some("2026-12-06T09:00:00"));

    // A dry run and the real run have the same keys.
    let dry = document(&nl, &["send", DRAFT, "--dry-run", "--json"]);
    let real = document(&nl, &["send", DRAFT, "--yes", "--json"]);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&dry), keys(&real));
    assert_eq!(
        (dry["dry_run"].clone(), real["dry_run"].clone()),
        (true.into(), false.into())
    );
    assert_eq!(
        (dry["messages"].clone(), real["messages"].clone()),
        (1.into(), 1.into())
    );

    let status = document(&nl, &["status", "--json"]);
    let issue = &status[0];
    assert_rfc3339(&issue["started"], "status started");
    assert_rfc3339(&issue["completed"], "status completed");
    assert_rfc3339(&issue["counts"]["last_attempt"], "status last_attempt");

    let schedule = document(&nl, &["schedule", "--json"]);
    let rows = schedule.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["issue"], 42);
    assert_rfc3339(&rows[1]["send_at"], "schedule send_at");
    assert_eq!(rows[1]["state"], "scheduled");

    let count = document(&nl, &["subscribers", "count", "--json"]);
    assert_eq!(
        (count["active"].clone(), count["total"].clone()),
        (1.into(), 1.into())
    );

    let line = nl.stdout(&["subscribers", "list", "--json"]);
    let rows: Vec<Value> = line
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "JSON lines, one subscriber each");
    assert_rfc3339(&rows[0]["created"], "subscriber created");

    nl.write(
        "drafts/2026-12-06-42.toml",
        &nl.read("drafts/2026-12-06-42.toml")
            .replacen("intro", "intr", 1),
    );
    let check = document(&nl, &["check", "--json"]);
    assert_eq!(check["drafts"], 2);
    let finding = &check["findings"][0];
    assert_eq!(finding["file"], "drafts/2026-12-06-42.toml");
    assert_eq!(finding["severity"], "error");
    assert!(
        finding["line"].as_u64().unwrap() > 0 && finding["column"].as_u64().unwrap() > 0,
        "{finding}"
    );
}
