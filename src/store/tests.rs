//! The store against a real SQLite database: opening, the subscriber queries,
//! and imports meeting what is already there.

use super::import::{ImportOptions, parse};
use super::subscribers::{Added, Removed};
use super::*;
use jiff::Timestamp;

fn now() -> Timestamp {
    "2026-12-06T09:00:00Z".parse().unwrap()
}

fn options(resubscribe: bool) -> ImportOptions {
    ImportOptions {
        source: Source::Import("list.csv".into()),
        resubscribe,
        dry_run: false,
    }
}

fn import(store: &mut Store, text: &str, resubscribe: bool) -> Summary {
    let parsed = parse(text.as_bytes()).unwrap();
    store.import(&parsed, &options(resubscribe), now()).unwrap()
}

fn status_of(store: &Store, email: &str) -> Option<Status> {
    store.get_by_email(email).unwrap().map(|s| s.status)
}

#[test]
fn creates_a_private_wal_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/gazette.db");
    let store = Store::open(&path).unwrap();
    let mode: String = store
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: bool = store
        .conn()
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert!(fk);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gazette.db");
    let store = Store::open(&path).unwrap();
    store
        .conn()
        .pragma_update(None, "user_version", 1000)
        .unwrap();
    drop(store);
    let err = Store::open(&path).err().unwrap().to_string();
    assert!(err.contains("schema version 1000"), "{err}");
    assert!(err.contains("newer gazette"), "{err}");
}

#[test]
fn add_remove_and_forget() {
    let mut store = Store::open_in_memory().unwrap();
    let Added::New(ada) = store
        .add("Ada@Example.com", Some("Ada"), "cli", false, now())
        .unwrap()
    else {
        panic!("not added");
    };
    assert_eq!((ada.id, ada.status), (1, Status::Active));
    assert_eq!(ada.consent.how.as_deref(), Some("cli"));
    assert_eq!(ada.confirmed, Some(now()));
    assert!(matches!(
        store.add("ADA@example.com", None, "cli", false, now()).unwrap(),
        Added::Already(s) if s.name.as_deref() == Some("Ada")
    ));

    assert!(matches!(
        store.unsubscribe("ada@example.com", now()).unwrap(),
        Removed::Unsubscribed(s) if s.unsubscribed == Some(now())
    ));
    assert!(matches!(
        store.unsubscribe("ada@example.com", now()).unwrap(),
        Removed::AlreadyLeft(_)
    ));
    assert!(matches!(
        store
            .add("ada@example.com", None, "cli", false, now())
            .unwrap(),
        Added::HasLeft(_)
    ));
    assert!(matches!(
        store.add("ada@example.com", None, "cli", true, now()).unwrap(),
        Added::Activated(s) if s.unsubscribed.is_none()
    ));

    assert!(store.forget("ada@EXAMPLE.com", now()).unwrap());
    assert_eq!(store.get_by_email("ada@example.com").unwrap(), None);
    assert!(store.is_suppressed("ADA@example.com").unwrap());
    assert_eq!(
        store
            .add("ada@example.com", None, "cli", true, now())
            .unwrap(),
        Added::Suppressed
    );
    // The forgotten id is never handed out again.
    let Added::New(bob) = store
        .add("bob@example.com", None, "cli", false, now())
        .unwrap()
    else {
        panic!("not added");
    };
    assert_eq!(bob.id, 2);
    assert_eq!(
        store.unsubscribe("zed@example.com", now()).unwrap(),
        Removed::NotFound
    );
}

#[test]
fn set_status_stamps_leaving_and_joining() {
    let mut store = Store::open_in_memory().unwrap();
    let later: Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
    store
        .add("a@example.com", None, "cli", false, now())
        .unwrap();
    assert!(store.set_status(1, Status::Bounced, now()).unwrap());
    assert!(store.set_status(1, Status::Complained, later).unwrap());
    let s = store.get(1).unwrap().unwrap();
    assert_eq!(
        (s.status, s.unsubscribed),
        (Status::Complained, Some(now()))
    );
    assert!(store.set_status(1, Status::Active, later).unwrap());
    let s = store.get(1).unwrap().unwrap();
    assert_eq!((s.status, s.unsubscribed), (Status::Active, None));
    assert!(!store.set_status(99, Status::Active, later).unwrap());
}

#[test]
fn active_subscribers_come_in_batches_by_id() {
    let mut store = Store::open_in_memory().unwrap();
    let mut text = String::from("email,status\n");
    for i in 1..=25 {
        let status = if i % 5 == 0 { "unsubscribed" } else { "active" };
        text.push_str(&format!("r{i}@example.org,{status}\n"));
    }
    import(&mut store, &text, false);
    let (mut after, mut seen) = (0, Vec::new());
    loop {
        let batch = store.active_after(after, 7).unwrap();
        let Some(last) = batch.last() else { break };
        after = last.id;
        seen.extend(batch.iter().map(|s| s.id));
        assert!(batch.iter().all(|s| s.status == Status::Active));
    }
    let expected: Vec<i64> = (1..=25).filter(|i| i % 5 != 0).collect();
    assert_eq!(seen, expected);

    let counts = store.counts().unwrap();
    assert_eq!(counts.get(Status::Active), 20);
    assert_eq!(counts.get(Status::Unsubscribed), 5);
    assert_eq!((counts.total(), counts.suppressed), (25, 0));
}

#[test]
fn imports_never_reactivate_those_who_left() {
    let mut store = Store::open_in_memory().unwrap();
    let text = "email,status\nu@x.org,unsubscribed\nb@x.org,bounced\nc@x.org,complained\n\
        p@x.org,pending\na@x.org,active\n";
    assert_eq!(import(&mut store, text, false).added, 5);
    store.forget("f@x.org", now()).unwrap();

    let again = "email\nu@x.org\nb@x.org\nc@x.org\np@x.org\na@x.org\nf@x.org\n";
    let summary = import(&mut store, again, false);
    assert_eq!((summary.added, summary.updated, summary.skipped), (0, 1, 5));
    assert_eq!((summary.kept_left, summary.suppressed), (3, 1));
    assert_eq!(status_of(&store, "u@x.org"), Some(Status::Unsubscribed));
    assert_eq!(status_of(&store, "c@x.org"), Some(Status::Complained));
    assert_eq!(status_of(&store, "p@x.org"), Some(Status::Active));

    let summary = import(&mut store, again, true);
    assert_eq!((summary.updated, summary.suppressed), (3, 1));
    for email in ["u@x.org", "b@x.org", "c@x.org"] {
        assert_eq!(status_of(&store, email), Some(Status::Active));
    }
    assert_eq!(status_of(&store, "f@x.org"), None);
}

#[test]
fn a_failed_import_changes_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, "email,name\nkeep@x.org,Keep\n", false);
    store
        .conn()
        .execute_batch(
            "CREATE TRIGGER boom BEFORE INSERT ON subscribers
             WHEN NEW.email = 'boom@x.org' BEGIN SELECT RAISE(ABORT, 'boom'); END;",
        )
        .unwrap();
    let parsed = parse(b"email,name\nkeep@x.org,Changed\nnew@x.org,\nboom@x.org,\n").unwrap();
    let err = store.import(&parsed, &options(false), now()).unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
    assert_eq!(store.counts().unwrap().total(), 1);
    let keep = store.get_by_email("keep@x.org").unwrap().unwrap();
    assert_eq!(keep.name.as_deref(), Some("Keep"));
}

#[test]
fn a_dry_run_changes_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let parsed = parse(b"a@x.org\nb@x.org\n").unwrap();
    let dry = ImportOptions {
        dry_run: true,
        ..options(false)
    };
    assert_eq!(store.import(&parsed, &dry, now()).unwrap().added, 2);
    assert_eq!(store.counts().unwrap().total(), 0);
}

#[test]
fn ids_are_restored_only_into_a_store_never_used() {
    let text = "id,email\n40,a@x.org\n7,b@x.org\n";
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, text, false);
    assert_eq!(store.get_by_email("b@x.org").unwrap().unwrap().id, 7);
    // New subscribers continue after the highest id restored.
    let Added::New(c) = store.add("c@x.org", None, "cli", false, now()).unwrap() else {
        panic!("not added");
    };
    assert_eq!(c.id, 41);

    let mut used = Store::open_in_memory().unwrap();
    used.add("z@x.org", None, "cli", false, now()).unwrap();
    used.forget("z@x.org", now()).unwrap();
    import(&mut used, text, false);
    assert_eq!(used.get_by_email("a@x.org").unwrap().unwrap().id, 2);
}
