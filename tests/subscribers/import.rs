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
             2026-12-06T09:00:00Z,,import:listmonk.csv,2026-12-06T09:00:00Z,import,,\n"
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
         consent_at,consent_how,consent_text,consent_ip\n\
         1,ada@example.com,Ada Lovelace,active,2019-02-01T10:00:00Z,2019-02-01T10:05:00Z,,\
         import:mailchimp.csv,2019-02-01T10:00:00Z,import,,192.0.2.10\n\
         2,grace@example.org,Grace,active,2026-12-06T09:00:00Z,2020-03-04T05:06:07Z,,\
         import:mailchimp.csv,2026-12-06T09:00:00Z,import,,198.51.100.7\n"
    );
}

#[test]
fn each_bad_row_is_reported_and_skipped() {
    let nl = newsletter();
    let file = fixture("bad_rows.csv");
    let (code, stderr) = nl.import(&file, &[]);
    assert_eq!(code, 1, "{stderr}");
    let shown = file.display();
    let expected = format!(
        "gazette: warning: {shown}:3: the address is empty\n\
         gazette: warning: {shown}:4: `not-an-address` has no `@`\n\
         gazette: warning: {shown}:5: the row is not valid UTF-8\n\
         gazette: warning: {shown}:6: unknown status `vanished`\n\
         gazette: warning: {shown}:7: `created` is not a timestamp: `last tuesday`\n\
         gazette: warning: {shown}:8: `id` is not a positive whole number: `twelve`\n\
         gazette: warning: {shown}:9: `source` must be `cli`, `form` or `import:FILE`, not `website`\n\
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
