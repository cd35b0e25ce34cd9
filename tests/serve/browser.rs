//! A real browser on the unsubscribe page, and on the HTML part of an issue.

use crate::support::{NOW, Newsletter, Script, Status, repo, require};
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

/// The example issue, and the fixture's with its 300-character URL, at a
/// phone's 375px and at 600px, light and dark, with `<style>` and without it
/// (and without `word-break`, as Yahoo): nothing is wider than the screen,
/// and dark mode is applied. The screenshots stay in target/screenshots/ for a
/// person to look at.
#[test]
fn an_issue_fits_a_phone_in_light_and_dark_with_and_without_its_style() {
    let browser_dir = repo().join("tests/tools/browser");
    require("/usr/bin/chromium", "the Debian package `chromium`");
    require("/usr/bin/node", "the Debian package `nodejs`");
    require(
        browser_dir.join("node_modules/playwright-core/package.json"),
        "the npm package `playwright-core` (npm ci in tests/tools/browser)",
    );
    let shots = repo().join("target/screenshots");
    let dir = tempfile::tempdir().unwrap();
    for (name, nl, draft) in [
        (
            "example",
            Newsletter::example(),
            "drafts/2026-11-29-41.toml",
        ),
        ("hard", Newsletter::fixture(), "drafts/2026-12-04-7.toml"),
    ] {
        let html = nl.at(NOW).stdout(&["render", draft]);
        let file = dir.path().join(format!("{name}.html"));
        std::fs::write(&file, html).unwrap();
        let run = Script::run(
            Process::new("/usr/bin/node")
                .arg(browser_dir.join("email.mjs"))
                .arg(&file)
                .arg(&shots)
                .arg(name),
            Duration::from_secs(120),
        );
        let report: serde_json::Value = serde_json::from_str(run.stdout.trim())
            .unwrap_or_else(|_| panic!("email.mjs printed {run:?}"));
        assert_eq!(report["ok"], true, "{name}: {report:#}\n{}", run.stderr);
        let views = report["views"].as_array().unwrap();
        assert_eq!(views.len(), 8, "{report:#}");
        for view in views {
            assert!(
                view["scrollWidth"].as_u64() <= view["innerWidth"].as_u64(),
                "{view:#}"
            );
            let dark = view["scheme"] == "dark" && view["style"] == "style";
            let expected = if dark {
                "rgb(22, 27, 34)"
            } else {
                "rgb(255, 255, 255)"
            };
            assert_eq!(view["containerBackground"], expected, "{view:#}");
            let png = std::fs::read(view["screenshot"].as_str().unwrap()).unwrap();
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000);
        }
    }
}
