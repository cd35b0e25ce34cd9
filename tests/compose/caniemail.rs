//! The HTML part of each root's first message against caniemail's data (the doiuse
//! check in tests/tools/doiuse), for the clients most readers use.

use crate::support::messages::{generate_messages, roots};
use crate::support::{require, tool};
use std::process::Command as Process;

#[test]
fn html_uses_no_feature_unsupported_in_major_clients() {
    require("/usr/bin/node", "the Debian package `nodejs`");
    let modules = tool("doiuse/node_modules");
    assert!(
        modules.exists(),
        "{} is missing: run ./test.sh (npm ci in tests/tools/doiuse)",
        modules.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let mut used = std::collections::BTreeSet::new();
    for root in roots() {
        let (_, messages) = generate_messages(&root, dir.path());
        let (file, _, _, html) = &messages[0];
        let html_file = file.with_extension("html");
        std::fs::write(&html_file, html).unwrap();
        let mut cmd = Process::new("/usr/bin/node");
        cmd.arg(tool("doiuse/check.mjs")).arg(&html_file);
        for client in DOIUSE_CLIENTS {
            cmd.args(["--client", client]);
        }
        for allowed in DOIUSE_ALLOWED {
            cmd.args(["--allow", allowed]);
        }
        let output = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}: {stdout}{}",
            html_file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        let mut yahoo = Vec::new();
        for feature in report["unsupported"].as_array().unwrap() {
            let name = feature["feature"].as_str().unwrap().to_string();
            let clients = feature["clients"].as_array().unwrap();
            if clients
                .iter()
                .any(|c| c.as_str().unwrap().starts_with("yahoo."))
            {
                yahoo.push(name.clone());
            }
            used.insert(name);
        }
        // Before issue 15 Yahoo had five: these three, `overflow` and `word-break`.
        assert_eq!(
            yahoo,
            [
                "<body> element",
                "@media (prefers-color-scheme)",
                "color-scheme meta tag"
            ],
            "{}",
            html_file.display()
        );
    }
    // Every allowance is needed by one of the HTML parts, or it goes.
    for allowed in DOIUSE_ALLOWED {
        assert!(used.contains(*allowed), "{allowed} is allowed but unused");
    }
}

/// The clients checked: Gmail, Apple Mail, Outlook.com, Outlook for Windows
/// and Yahoo, each on every platform caniemail tests.
const DOIUSE_CLIENTS: &[&str] = &[
    "gmail.*",
    "apple-mail.*",
    "outlook.outlook-com",
    "outlook.windows",
    "yahoo.*",
];

/// Features the caniemail data flags that we use knowingly, each an
/// enhancement whose fallback is harmless:
/// - the hidden preheader's `display:none` (unsupported only in Gmail's mobile
///   webmail, where the preheader shows as a first line);
/// - the one `<style>` element left after inlining, which holds only the
///   `@media` rules for narrow screens and dark mode, written with class
///   selectors and, for links, headings and code, type selectors; where
///   `<style>`, `@media` or `prefers-color-scheme` are unsupported (Gmail's
///   mobile webmail drops the whole `<style>`, Outlook for Windows `@media`),
///   the inlined styles give the light, fluid layout;
/// - the `color-scheme` meta tag, which clients that ignore it simply ignore;
/// - `<body>`, which Yahoo's apps replace with their own: the full-width
///   wrapper table repeats the body's background.
///
/// Issue #2 and ../shared/STANDARDS.md ask for exactly these: CSS inlined with
/// the `@media` rules kept, and the `color-scheme` meta tags.
const DOIUSE_ALLOWED: &[&str] = &[
    "display:none",
    "<style> element",
    "@media",
    "@media (prefers-color-scheme)",
    "Class selector",
    "Type selector",
    "color-scheme meta tag",
    "<body> element",
];
