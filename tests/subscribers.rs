//! Integration tests: subscribers. `gazette subscribers` is run with `-C` on a
//! temporary newsletter directory holding a minimal config, so every test has
//! its own store at `data/gazette.db`. The CSV shapes import accepts are
//! files under `tests/fixtures/`.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// "Now" for every command.
const NOW: &str = "2026-12-06T09:00:00Z";
const CONFIG: &str = r#"name = "The Ops Digest"
from = "The Ops Digest <editor@opsdigest.example>"
base_url = "https://opsdigest.example"
postal_address = "1 Example Street, Springfield"
"#;

/// A newsletter directory with a minimal config and no store yet.
struct Newsletter {
    tmp: tempfile::TempDir,
}

impl Newsletter {
    fn new() -> Newsletter {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("config")).unwrap();
        std::fs::write(tmp.path().join("config/gazette.toml"), CONFIG).unwrap();
        Newsletter { tmp }
    }

    fn root(&self) -> &Path {
        self.tmp.path()
    }

    fn db(&self) -> PathBuf {
        self.root().join("data/gazette.db")
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.root().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `gazette -C <root> subscribers ARGS...` at a fixed "now".
    fn subscribers(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("gazette").unwrap();
        cmd.env("GAZETTE_NOW", NOW)
            .arg("-C")
            .arg(self.root())
            .arg("subscribers")
            .args(args);
        cmd
    }

    /// Runs a command that must succeed; returns its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.subscribers(args).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    }

    /// Imports a fixture; returns the exit code and standard error.
    fn import(&self, file: &Path, extra: &[&str]) -> (i32, String) {
        let mut args = vec!["import", file.to_str().unwrap()];
        args.extend(extra);
        let out = self.subscribers(&args).output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        (out.status.code().unwrap(), stderr)
    }

    fn list(&self) -> String {
        self.ok(&["list"])
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn a_bare_column_without_a_header() {
    let nl = Newsletter::new();
    let (code, stderr) = nl.import(&fixture("bare.csv"), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.ends_with(": 3 added, 0 updated, 0 skipped, 0 invalid\n"),
        "{stderr}"
    );
    assert_eq!(
        nl.list(),
        "1\tada@example.com\tactive\t\n\
         2\tgrace@example.org\tactive\t\n\
         3\tlinus@example.net\tactive\t\n"
    );
}

#[test]
fn a_bare_column_with_a_header_merges_duplicates() {
    let nl = Newsletter::new();
    let (code, stderr) = nl.import(&fixture("bare_header.csv"), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.ends_with(": 2 added, 0 updated, 1 skipped, 0 invalid\n"),
        "{stderr}"
    );
    assert_eq!(
        nl.list(),
        "1\tada@example.com\tactive\t\n2\tgrace@example.org\tactive\t\n"
    );
}

#[test]
fn names_in_quoted_fields_in_any_column_order() {
    let nl = Newsletter::new();
    let (code, stderr) = nl.import(&fixture("email_name.csv"), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        nl.list(),
        "1\tada@example.com\tactive\tLovelace, Ada\n\
         2\tgrace@example.org\tactive\tGrace \"Amazing\" Hopper\n\
         3\tlinus@example.net\tactive\tLinus Torvalds\n"
    );
}

#[test]
fn a_listmonk_export_maps_its_statuses() {
    let nl = Newsletter::new();
    let (code, stderr) = nl.import(&fixture("listmonk.csv"), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        nl.list(),
        "1\tada@example.com\tactive\tAda Lovelace\n\
         2\tgrace@example.org\tunsubscribed\tGrace Hopper\n\
         3\tlinus@example.net\tunsubscribed\tLinus\n"
    );
    let export = nl.ok(&["export"]);
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
    let nl = Newsletter::new();
    let (code, stderr) = nl.import(&fixture("mailchimp.csv"), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        nl.ok(&["export"]),
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
    let nl = Newsletter::new();
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
        nl.list(),
        "1\tgood@example.com\tactive\tGood\n2\tfine@example.com\tpending\tFine\n"
    );
}

#[test]
fn a_file_that_cannot_be_used_exits_2() {
    let nl = Newsletter::new();
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
    assert_eq!(nl.list(), "");
}

#[test]
fn export_then_import_gives_the_same_state() {
    let nl = Newsletter::new();
    nl.import(&fixture("mailchimp.csv"), &[]);
    nl.import(&fixture("listmonk.csv"), &[]);
    nl.import(&fixture("bad_rows.csv"), &[]);
    nl.ok(&["add", "Mina@Example.org", "--name", "Mina Okafor"]);
    nl.ok(&["remove", "good@example.com"]);
    nl.ok(&["forget", "ada@example.com"]);
    let out = nl.root().join("export.csv");
    nl.ok(&["export", "-o", out.to_str().unwrap()]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let first = std::fs::read_to_string(&out).unwrap();
    assert_eq!(first.lines().count(), 6, "{first}");

    let other = Newsletter::new();
    let (code, stderr) = other.import(&out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.ends_with(": 5 added, 0 updated, 0 skipped, 0 invalid\n"),
        "{stderr}"
    );
    assert_eq!(other.ok(&["export"]), first);
    // Into the store it came from, it changes nothing.
    let (_, stderr) = nl.import(&out, &[]);
    assert!(
        stderr.ends_with(": 0 added, 0 updated, 5 skipped, 0 invalid\n"),
        "{stderr}"
    );
}

#[test]
fn those_who_left_are_never_made_active_again() {
    let nl = Newsletter::new();
    nl.import(&fixture("bare.csv"), &[]);
    nl.ok(&["remove", "ada@example.com"]);
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
    assert!(
        nl.list()
            .starts_with("1\tada@example.com\tunsubscribed\t\n")
    );
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
    assert!(nl.list().starts_with("1\tada@example.com\tactive\t\n"));
}

#[test]
fn forget_erases_the_row_and_suppresses_the_address() {
    let nl = Newsletter::new();
    nl.import(&fixture("bare.csv"), &[]);
    assert_eq!(
        nl.ok(&["forget", "ADA@example.com"]),
        "forgot ADA@example.com: its row is erased and its hash is on the suppression list\n"
    );
    let db = rusqlite::Connection::open(nl.db()).unwrap();
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
    assert!(!nl.list().contains("ada@"));
    nl.subscribers(&["add", "Ada@Example.com"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("on the suppression list"));
    assert!(nl.ok(&["count"]).ends_with("suppressed   1\n"));
}

#[test]
fn a_failed_import_leaves_the_store_as_it_was() {
    let nl = Newsletter::new();
    nl.ok(&["add", "keep@example.com", "--name", "Keep"]);
    let before = nl.ok(&["export"]);
    // A trigger makes the store fail on the last row of the file.
    let db = rusqlite::Connection::open(nl.db()).unwrap();
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
    assert_eq!(nl.ok(&["export"]), before);
}

#[test]
fn a_dry_run_writes_nothing() {
    let nl = Newsletter::new();
    let (code, stderr) = nl.import(&fixture("bare.csv"), &["--dry-run"]);
    assert_eq!(code, 0);
    assert!(
        stderr.ends_with(", nothing written: 3 added, 0 updated, 0 skipped, 0 invalid\n"),
        "{stderr}"
    );
    assert_eq!(nl.list(), "");
}

#[test]
fn two_imports_at_once_both_land() {
    let nl = Newsletter::new();
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
        std::process::Command::new(assert_cmd::cargo::cargo_bin("gazette"))
            .env("GAZETTE_NOW", NOW)
            .arg("-C")
            .arg(nl.root())
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
    assert!(nl.ok(&["count"]).starts_with("active       5500\n"));
    let db = rusqlite::Connection::open(nl.db()).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn a_second_writer_waits_for_the_first() {
    let nl = Newsletter::new();
    nl.ok(&["count"]);
    let mut db = rusqlite::Connection::open(nl.db()).unwrap();
    let tx = db
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("gazette"))
        .env("GAZETTE_NOW", NOW)
        .arg("-C")
        .arg(nl.root())
        .args(["subscribers", "add", "ada@example.com"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "gazette did not wait");
    tx.commit().unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(nl.list(), "1\tada@example.com\tactive\t\n");
}

#[test]
fn add_remove_list_and_count() {
    let nl = Newsletter::new();
    assert_eq!(
        nl.ok(&["add", " Ada@Example.COM ", "--name", "Ada"]),
        "added Ada@example.com (id 1)\n"
    );
    assert_eq!(
        nl.ok(&["add", "ada@example.com"]),
        "Ada@example.com is active already (id 1)\n"
    );
    nl.ok(&["add", "bob@example.org"]);
    assert_eq!(
        nl.ok(&["remove", "BOB@example.org"]),
        "unsubscribed bob@example.org (id 2)\n"
    );
    nl.subscribers(&["remove", "zed@example.org"])
        .assert()
        .code(1)
        .stderr("gazette: error: no subscriber zed@example.org\n");
    nl.subscribers(&["add", "not-an-address"]).assert().code(2);

    assert_eq!(
        nl.ok(&["list", "--status", "unsubscribed"]),
        "2\tbob@example.org\tunsubscribed\t\n"
    );
    assert_eq!(
        nl.ok(&["list", "--status", "active", "--json"]),
        "{\"confirmed\":\"2026-12-06T09:00:00Z\",\"consent\":{\"at\":\"2026-12-06T09:00:00Z\",\
         \"how\":\"cli\",\"ip\":null,\"text\":null},\"created\":\"2026-12-06T09:00:00Z\",\
         \"email\":\"Ada@example.com\",\"id\":1,\"name\":\"Ada\",\"source\":\"cli\",\
         \"status\":\"active\",\"unsubscribed\":null}\n"
    );
    assert_eq!(
        nl.ok(&["count"]),
        "active       1\npending      0\nunsubscribed 1\nbounced      0\n\
         complained   0\ntotal        2\nsuppressed   0\n"
    );
}

#[test]
fn a_store_from_a_newer_gazette_is_refused() {
    let nl = Newsletter::new();
    nl.ok(&["count"]);
    let db = rusqlite::Connection::open(nl.db()).unwrap();
    db.pragma_update(None, "user_version", 99).unwrap();
    drop(db);
    nl.subscribers(&["count"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(format!(
            "has schema version 99 but this gazette knows only up to {}",
            gazette::store::migrations::latest()
        )));
}
