//! A real browser on the unsubscribe page.

use crate::support::{Newsletter, Script, Status, repo, require};
use std::process::Command as Process;
use std::time::Duration;

#[test]
fn a_browser_unsubscribes_with_the_pages_button() {
    let browser_dir = repo().join("tests/tools/browser");
    require("/usr/bin/chromium", "the Debian package `chromium`");
    require("/usr/bin/node", "the Debian package `nodejs`");
    require(
        browser_dir.join("node_modules/playwright-core/package.json"),
        "the npm package `playwright-core` (npm ci in tests/tools/browser)",
    );
    let site = Newsletter::new("");
    site.add("ada@example.org");
    site.add("bob@example.org");
    let ada = site.unsubscribe_path("ada@example.org");
    let server = site.serve();
    let shots = repo().join("target/browser");
    for n in [1, 2] {
        let _ = std::fs::remove_file(shots.join(format!("unsubscribe-{n}.png")));
    }

    let url = format!("http://{}{ada}", server.addr);
    let run = Script::run(
        Process::new("/usr/bin/node")
            .arg(browser_dir.join("unsubscribe.mjs"))
            .arg(&url)
            .arg(&shots),
        Duration::from_secs(90),
    );
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|_| panic!("unsubscribe.mjs printed {run:?}"));
    assert_eq!(report["ok"], true, "{report:#}\n{}", run.stderr);
    assert_eq!(report["pages"][1]["heading"], "You are unsubscribed");

    assert_eq!(
        site.subscriber_status("ada@example.org"),
        Some(Status::Unsubscribed)
    );
    assert_eq!(
        site.subscriber_status("bob@example.org"),
        Some(Status::Active)
    );
    for n in [1, 2] {
        let png = std::fs::read(shots.join(format!("unsubscribe-{n}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000);
    }
}
