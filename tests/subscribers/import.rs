//! Importing and exporting CSV files.

use super::{fixture, list, newsletter};
use std::path::Path;

#[test]
fn a_bare_column_without_a_header() {
    let nl = newsletter();
    let (code, stderr) = nl.import(&fixture("bare.csv"), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.ends_with(": 3 added, 0 updated, 0 skipped, 0 invalid\n"),
        "{stderr}"
    );
    assert_eq!(
        list(&nl),
        "1\tada@example.com\tactive\t\n\
         2\tgrace@example.org\tactive\t\n\
         3\tlinus@example.net\tactive\t\n"
    );
}

#[test]
fn a_bare_column_with_a_header_merges_duplicates() {
    let nl = newsletter();
    let (code, stderr) = nl.import(&fixture("bare_header.csv"), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.ends_with(": 2 added, 0 updated, 1 skipped, 0 invalid\n"),
        "{stderr}"
    );
    assert_eq!(
        list(&nl),
        "1\tada@example.com\tactive\t\n2\tgrace@example.org\tactive\t\n"
    );
}

#[test]
fn names_in_quoted_fields_in_any_column_order() {
    let nl = newsletter();
    let (code, stderr) = nl.import(&fixture("email_name.csv"), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        list(&nl),
        "1\tada@example.com\tactive\tLovelace, Ada\n\
         2\tgrace@example.org\tactive\tGrace \"Amazing\" Hopper\n\
         3\tlinus@example.net\tactive\tLinus Torvalds\n"
    );
}

#[test]
fn a_listmonk_export_maps_its_statuses() {
    let nl = newsletter();
    let (code, stderr) = nl.import(&fixture("listmonk.csv"), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        list(&nl),
        "1\tada@example.com\tactive\tAda Lovelace\n\
         2\tgrace@example.org\tunsubscribed\tGrace Hopper\n\
         3\tlinus@example.net\tunsubscribed\tLinus\n"
    );
    let export = nl.stdout(&["subscribers", "export"]);
    assert!(
        export.contains(
            "1,ada@example.com,Ada Lovelace,active,2021-04-04T12:41:55.431046Z,\
             2026-12-06T09:00:00Z,,import:listmonk.csv,2026-12-06T09:00:00Z,import,,,\
             \"{\"\"city\"\": \"\"London\"\"}\"\n"
        ),
        "{export}"
    );
}

#[test]
fn a_mailchimp_export_keeps_its_consent_record() {
    let nl = newsletter();
    let (code, stderr) = nl.import(&fixture("mailchimp.csv"), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        nl.stdout(&["subscribers", "export"]),
        "id,email,name,status,created,confirmed,unsubscribed,source,\
         consent_at,consent_how,consent_text,consent_ip,attributes\n\
         1,ada@example.com,Ada Lovelace,active,2019-02-01T10:00:00Z,2019-02-01T10:05:00Z,,\
         import:mailchimp.csv,2019-02-01T10:00:00Z,import,,192.0.2.10,\n\
         2,grace@example.org,Grace,active,2026-12-06T09:00:00Z,2020-03-04T05:06:07Z,,\
         import:mailchimp.csv,2026-12-06T09:00:00Z,import,,198.51.100.7,\n"
    );
}

#[test]
fn each_bad_row_is_reported_and_skipped() {
    // Each at the line and column of the cell at fault.
    let nl = newsletter();
    let file = fixture("bad_rows.csv");
    let (code, stderr) = nl.import(&file, &[]);
    assert_eq!(code, 1, "{stderr}");
    let shown = file.display();
    let expected = format!(
        "gazette: warning: {shown}:3:1: the address is empty\n\
         gazette: warning: {shown}:4:1: `not-an-address` has no `@`\n\
         gazette: warning: {shown}:5:20: the row is not valid UTF-8\n\
         gazette: warning: {shown}:6:23: unknown status `vanished`\n\
         gazette: warning: {shown}:7:30: `created` is not a timestamp: `last tuesday`\n\
         gazette: warning: {shown}:8:29: `id` is not a positive whole number: `twelve`\n\
         gazette: warning: {shown}:9:30: `source` must be `cli`, `form` or `import:FILE`, not `website`\n\
         imported {shown}: 2 added, 0 updated, 0 skipped, 7 invalid\n"
    );
    assert_eq!(stderr, expected);
    assert_eq!(
        list(&nl),
        "1\tgood@example.com\tactive\tGood\n2\tfine@example.com\tpending\tFine\n"
    );
}

#[test]
fn a_file_that_cannot_be_used_exits_2() {
    let nl = newsletter();
    let (code, stderr) = nl.import(Path::new("missing.csv"), &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("gazette: error: cannot read "),
        "{stderr}"
    );

    let file = nl.write("names.csv", "uuid,name\n1,Ada\n");
    let (code, stderr) = nl.import(&file, &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains(": no email column"), "{stderr}");
    assert_eq!(list(&nl), "");
}

#[test]
fn export_then_import_gives_the_same_state() {
    let nl = newsletter();
    nl.import(&fixture("mailchimp.csv"), &[]);
    nl.import(&fixture("listmonk.csv"), &[]);
    nl.import(&fixture("bad_rows.csv"), &[]);
    nl.stdout(&[
        "subscribers",
        "add",
        "Mina@Example.org",
        "--name",
        "Mina Okafor",
    ]);
    nl.stdout(&["subscribers", "remove", "good@example.com"]);
    nl.stdout(&["subscribers", "forget", "ada@example.com"]);
    let out = nl.root().join("export.csv");
    nl.stdout(&["subscribers", "export", "-o", out.to_str().unwrap()]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let first = std::fs::read_to_string(&out).unwrap();
    assert_eq!(first.lines().count(), 6, "{first}");

    let other = newsletter();
    let (code, stderr) = other.import(&out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.ends_with(": 5 added, 0 updated, 0 skipped, 0 invalid\n"),
        "{stderr}"
    );
    assert_eq!(other.stdout(&["subscribers", "export"]), first);
    // Into the store it came from, it changes nothing.
    let (_, stderr) = nl.import(&out, &[]);
    assert!(
        stderr.ends_with(": 0 added, 0 updated, 5 skipped, 0 invalid\n"),
        "{stderr}"
    );
}

/// Writes `text` as a CSV file in the newsletter and imports it.
fn import_text(
    nl: &crate::support::Newsletter,
    name: &str,
    text: &str,
    extra: &[&str],
) -> (i32, String) {
    let path = nl.write(name, text);
    nl.import(&path, extra)
}

#[test]
fn a_semicolon_separated_file_is_read_as_such() {
    let nl = newsletter();
    let (code, stderr) = import_text(
        &nl,
        "semi.csv",
        "email;name\nada@example.org;Ada\ncarl@example.org;Carl\n",
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("semi.csv: read as semicolon-separated"),
        "{stderr}"
    );
    assert!(!stderr.contains("invalid domain"), "{stderr}");
    assert_eq!(
        list(&nl),
        "1\tada@example.org\tactive\tAda\n2\tcarl@example.org\tactive\tCarl\n"
    );
}

#[test]
fn listmonk_blocklisted_stays_suppressed_whatever_resubscribe_says() {
    let nl = newsletter();
    let (code, stderr) = nl.import(&fixture("listmonk.csv"), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("listmonk.csv:3: grace@example.org: blocklisted: on the suppression list"),
        "{stderr}"
    );
    let (code, stderr) = import_text(
        &nl,
        "again.csv",
        "email\ngrace@example.org\n",
        &["--resubscribe"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("again.csv:2: grace@example.org: skipped: on the suppression list"),
        "{stderr}"
    );
    assert!(
        list(&nl).contains("grace@example.org\tunsubscribed"),
        "{}",
        list(&nl)
    );
    let out = nl
        .subscribers(&["add", "grace@example.org", "--resubscribe"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(list(&nl).contains("grace@example.org\tunsubscribed"));
}

#[test]
fn each_merged_or_skipped_row_is_named() {
    let nl = newsletter();
    let (code, stderr) = nl.import(&fixture("bare_header.csv"), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr
            .contains("bare_header.csv:4: ADA@example.com: merged into line 2 (the same address)"),
        "{stderr}"
    );
    import_text(
        &nl,
        "left.csv",
        "email,status\nbob@example.org,unsubscribed\n",
        &[],
    );
    let (code, stderr) = import_text(&nl, "back.csv", "email\nbob@example.org\n", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "back.csv:2: bob@example.org: skipped: it is unsubscribed; --resubscribe makes it active again"
        ),
        "{stderr}"
    );
}

#[test]
fn addresses_with_a_non_ascii_local_part_are_warned_about() {
    let nl = newsletter();
    let (code, stderr) = import_text(
        &nl,
        "intl.csv",
        "email\nbjörn@example.org\nada@bücher.example\n",
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "intl.csv:2: björn@example.org: the part before the @ is not ASCII: \
             it can only be sent through a relay that supports SMTPUTF8 (RFC 6531)"
        ),
        "{stderr}"
    );
    // An internationalised domain alone is fine: it is sent as its A-label.
    assert!(!stderr.contains("intl.csv:3"), "{stderr}");
    assert!(list(&nl).contains("björn@example.org"));
}

#[test]
fn listmonk_attributes_are_kept_and_exported_again() {
    let nl = newsletter();
    let (code, stderr) = nl.import(&fixture("listmonk.csv"), &[]);
    assert_eq!(code, 0, "{stderr}");
    let export = nl.stdout(&["subscribers", "export"]);
    let mut lines = export.lines();
    assert!(
        lines.next().unwrap().ends_with(",consent_ip,attributes"),
        "{export}"
    );
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with(",\"{\"\"city\"\": \"\"London\"\"}\""),
        "{export}"
    );
    // An empty object is no attributes.
    assert!(lines.next().unwrap().ends_with(",,"), "{export}");
    // Exported and imported into a new list: the same again.
    let copy = newsletter();
    let file = copy.write("export.csv", &export);
    let (code, stderr) = copy.import(&file, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(copy.stdout(&["subscribers", "export"]), export);
    let json = nl.stdout(&["subscribers", "list", "--json"]);
    assert!(json.contains(r#""attributes":{"city":"London"}"#), "{json}");
}
