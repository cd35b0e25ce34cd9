//! A data directory that cannot be written: the commands that only read
//! work, `serve` serves the archive, and what would write is refused
//! plainly (503, nothing recorded), never answered as if it were done.

use crate::support::http::{FORM, Served};
use crate::support::{Newsletter, Status};

#[test]
fn a_read_only_data_directory_still_serves_the_commands_that_only_read() {
    let site = Newsletter::new("");
    site.add("ada@example.org");
    site.add("bob@example.org");
    assert_eq!(site.send(&[]).code, Some(0));
    let ada = site.unsubscribe_path("ada@example.org");
    // As a clean shutdown leaves it: every transaction in the database
    // file, no -wal or -shm file, and none can be made: SQLite must make do.
    let wal = std::fs::metadata(site.path("data/gazette.db-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "every transaction is in the database file");
    for extra in ["data/gazette.db-wal", "data/gazette.db-shm"] {
        let _ = std::fs::remove_file(site.path(extra));
    }
    let files_before = std::fs::read_dir(site.path("data")).unwrap().count();
    let wrapper = site.read_only_data();

    let run = |args: &[&str]| {
        let out = site.process_through(&wrapper, args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        String::from_utf8(out.stdout).unwrap()
    };
    let status = run(&["status"]);
    assert!(status.contains("#41"), "{status}");
    let list = run(&["subscribers", "list"]);
    assert!(
        list.contains("ada@example.org") && list.contains("bob@example.org"),
        "{list}"
    );
    assert!(run(&["subscribers", "count"]).contains("active"));

    std::fs::create_dir_all(site.dir().join("logs")).unwrap();
    let mut serve = site.process_through(&wrapper, &["serve", "--listen", "127.0.0.1:0"]);
    let server = Served::start(&mut serve, &site.dir().join("logs"));
    let index = server.get("/archive");
    assert_eq!(index.status, 200, "{}", server.log());
    assert!(index.body.contains("href=\"/archive/41\""));
    assert_eq!(server.get("/archive/41").status, 200);
    assert_eq!(server.get(&ada).status, 200);
    // An unsubscribe cannot be recorded: said so, with 503, never "done".
    let refused = server.post(&ada, FORM, "List-Unsubscribe=One-Click");
    assert_eq!(refused.status, 503, "{refused:?}");
    assert!(
        refused.body.contains("nothing has changed"),
        "{}",
        refused.body
    );
    assert!(!refused.body.contains("You are unsubscribed"));
    assert!(refused.header("retry-after").is_some());
    let signup = server.sign_up("new@example.org", "127.0.0.1");
    assert_eq!(signup.status, 503, "{signup:?}");
    let log = server.log();
    assert!(log.contains("serving it read-only"), "{log}");
    assert!(
        log.contains("gazette: error: an unsubscribe was not recorded: the store is read-only"),
        "{log}"
    );
    drop(server);

    site.writable_again();
    assert_eq!(
        std::fs::read_dir(site.path("data")).unwrap().count(),
        files_before,
        "nothing was created in data/"
    );
    assert_eq!(
        site.subscriber_status("ada@example.org"),
        Some(Status::Active)
    );
    assert_eq!(site.subscriber("new@example.org"), None);
}
