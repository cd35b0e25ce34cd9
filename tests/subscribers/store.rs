//! What the store keeps: those who left, forgotten addresses, failures and
//! concurrent writers.

use super::{fixture, list, newsletter};
use crate::support::migrations;
use std::path::Path;

#[test]
fn those_who_left_are_never_made_active_again() {
    let nl = newsletter();
    nl.import(&fixture("bare.csv"), &[]);
    nl.stdout(&["subscribers", "remove", "ada@example.com"]);
    let (code, stderr) = nl.import(&fixture("bare.csv"), &[]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains(
            "gazette: note: kept 1 address that unsubscribed, bounced or complained as they were; \
             --resubscribe makes them active again\n"
        ),
        "{stderr}"
    );
    assert!(stderr.ends_with(": 0 added, 0 updated, 3 skipped, 0 invalid\n"));
    assert!(list(&nl).starts_with("1\tada@example.com\tunsubscribed\t\n"));
    nl.subscribers(&["add", "ada@example.com"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "ada@example.com is unsubscribed since 2026-12-06T09:00:00Z; \
             add --resubscribe if they asked to subscribe again",
        ));

    let (code, stderr) = nl.import(&fixture("bare.csv"), &["--resubscribe"]);
    assert_eq!(code, 0);
    assert!(stderr.ends_with(": 0 added, 1 updated, 2 skipped, 0 invalid\n"));
    assert!(list(&nl).starts_with("1\tada@example.com\tactive\t\n"));
}

#[test]
fn forget_erases_the_row_and_suppresses_the_address() {
    let nl = newsletter();
    nl.import(&fixture("bare.csv"), &[]);
    assert_eq!(
        nl.stdout(&["subscribers", "forget", "ADA@example.com"]),
        "forgot ADA@example.com: its row is erased and its hash is on the suppression list\n"
    );
    let db = nl.db();
    let rows: i64 = db
        .query_row(
            "SELECT count(*) FROM subscribers WHERE email_key LIKE 'ada@%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows, 0);
    let hash: String = db
        .query_row("SELECT hash FROM suppressed", [], |r| r.get(0))
        .unwrap();
    // printf 'ada@example.com' | sha256sum
    assert_eq!(
        hash,
        "b5fc85e55755f9e0d030a10ab4429b6b2944855f9a0d60077fe832becbc41d72"
    );

    let (code, stderr) = nl.import(&fixture("bare_header.csv"), &["--resubscribe"]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains("skipped 1 address on the suppression list"),
        "{stderr}"
    );
    assert!(!list(&nl).contains("ada@"));
    nl.subscribers(&["add", "Ada@Example.com"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("on the suppression list"));
    assert!(
        nl.stdout(&["subscribers", "count"])
            .ends_with("suppressed   1\n")
    );
}

#[test]
fn a_failed_import_leaves_the_store_as_it_was() {
    let nl = newsletter();
    nl.stdout(&["subscribers", "add", "keep@example.com", "--name", "Keep"]);
    let before = nl.stdout(&["subscribers", "export"]);
    // A trigger makes the store fail on the last row of the file.
    let db = nl.db();
    db.execute_batch(
        "CREATE TRIGGER boom BEFORE INSERT ON subscribers
         WHEN NEW.email = 'linus@example.net' BEGIN SELECT RAISE(ABORT, 'boom'); END;",
    )
    .unwrap();
    drop(db);
    let file = nl.write(
        "more.csv",
        "email,name\nkeep@example.com,Renamed\nada@example.com,Ada\nlinus@example.net,Linus\n",
    );
    let (code, stderr) = nl.import(&file, &[]);
    assert_eq!(code, 1);
    assert!(stderr.starts_with("gazette: error: database "), "{stderr}");
    assert!(stderr.contains("boom"), "{stderr}");
    assert_eq!(nl.stdout(&["subscribers", "export"]), before);
}

#[test]
fn a_dry_run_writes_nothing() {
    let nl = newsletter();
    let (code, stderr) = nl.import(&fixture("bare.csv"), &["--dry-run"]);
    assert_eq!(code, 0);
    assert!(
        stderr.ends_with(", nothing written: 3 added, 0 updated, 0 skipped, 0 invalid\n"),
        "{stderr}"
    );
    assert_eq!(list(&nl), "");
}

#[test]
fn two_imports_at_once_both_land() {
    let nl = newsletter();
    let rows = |from: usize, to: usize| {
        let mut s = String::from("email,name\n");
        for i in from..to {
            s.push_str(&format!("reader{i}@example.com,Reader {i}\n"));
        }
        s
    };
    let a = nl.write("a.csv", &rows(0, 3000));
    let b = nl.write("b.csv", &rows(2500, 5500));
    let spawn = |file: &Path| {
        nl.process()
            .args(["subscribers", "import"])
            .arg(file)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(&a), spawn(&b));
    let mut added = 0;
    for child in [first, second] {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(out.status.success(), "{stderr}");
        let summary = stderr.rsplit_once(": ").unwrap().1;
        added += summary.split(' ').next().unwrap().parse::<u32>().unwrap();
    }
    assert_eq!(added, 5500);
    assert!(
        nl.stdout(&["subscribers", "count"])
            .starts_with("active       5500\n")
    );
    let db = nl.db();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn a_second_writer_waits_for_the_first() {
    let nl = newsletter();
    // The store, made as a writing command would (`count` only reads, and creates none).
    drop(nl.store());
    let mut db = nl.db();
    let tx = db
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let mut child = nl
        .process()
        .args(["subscribers", "add", "ada@example.com"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "gazette did not wait");
    tx.commit().unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(list(&nl), "1\tada@example.com\tactive\t\n");
}

#[test]
fn add_remove_list_and_count() {
    let nl = newsletter();
    assert_eq!(
        nl.stdout(&["subscribers", "add", " Ada@Example.COM ", "--name", "Ada"]),
        "added Ada@example.com (id 1)\n"
    );
    assert_eq!(
        nl.stdout(&["subscribers", "add", "ada@example.com"]),
        "Ada@example.com is active already (id 1)\n"
    );
    nl.stdout(&["subscribers", "add", "bob@example.org"]);
    assert_eq!(
        nl.stdout(&["subscribers", "remove", "BOB@example.org"]),
        "unsubscribed bob@example.org (id 2)\n"
    );
    nl.subscribers(&["remove", "zed@example.org"])
        .assert()
        .code(1)
        .stderr("gazette: error: no subscriber zed@example.org\n");
    nl.subscribers(&["add", "not-an-address"]).assert().code(2);

    assert_eq!(
        nl.stdout(&["subscribers", "list", "--status", "unsubscribed"]),
        "2\tbob@example.org\tunsubscribed\t\n"
    );
    assert_eq!(
        nl.stdout(&["subscribers", "list", "--status", "active", "--json"]),
        "{\"confirmed\":\"2026-12-06T09:00:00Z\",\"consent\":{\"at\":\"2026-12-06T09:00:00Z\",\
         \"how\":\"cli\",\"ip\":null,\"text\":null},\"created\":\"2026-12-06T09:00:00Z\",\
         \"email\":\"Ada@example.com\",\"id\":1,\"name\":\"Ada\",\"source\":\"cli\",\
         \"status\":\"active\",\"unsubscribed\":null}\n"
    );
    assert_eq!(
        nl.stdout(&["subscribers", "count"]),
        "active       1\npending      0\nunsubscribed 1\nbounced      0\n\
         complained   0\ntotal        2\nsuppressed   0\n"
    );
}

#[test]
fn a_store_from_a_newer_gazette_is_refused() {
    let nl = newsletter();
    // The store, made as a writing command would (`count` only reads, and creates none).
    drop(nl.store());
    let db = nl.db();
    db.pragma_update(None, "user_version", 99).unwrap();
    drop(db);
    nl.subscribers(&["count"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(format!(
            "has schema version 99 but this gazette knows only up to {}",
            migrations::latest()
        )));
}
