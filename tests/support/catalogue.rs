//! Back issues in Markdown for `gazette import`'s tests: the seed issue and
//! the fixtures under `tests/fixtures/catalogue/`, copied beside a newsletter.

use super::{Newsletter, repo};
use std::path::Path;

/// Where a newsletter's back issues are copied, relative to the directory
/// commands run from (so messages name them `issues/ops-101.md`).
pub const ISSUES: &str = "issues";
/// The broken ones, likewise.
pub const BROKEN: &str = "broken";
/// The seed issue, copied as `seed/devops-weekly-519.md`.
pub const SEED: &str = "seed/devops-weekly-519.md";

impl Newsletter {
    /// Copies the three good fixture issues to [`ISSUES`], `ops-102.md` with
    /// CRLF line ends, as a Windows export writes them.
    pub fn back_issues(&self) -> &'static str {
        let from = repo().join("tests/fixtures/catalogue");
        let to = self.dir().join(ISSUES);
        std::fs::create_dir_all(&to).unwrap();
        for name in ["ops-101.md", "ops-102.md", "ops-103.md"] {
            let mut text = std::fs::read_to_string(from.join(name)).unwrap();
            if name == "ops-102.md" {
                text = text.replace('\n', "\r\n");
            }
            std::fs::write(to.join(name), text).unwrap();
        }
        ISSUES
    }

    /// Copies the broken fixture issues to [`BROKEN`].
    pub fn broken_issues(&self) -> &'static str {
        copy_dir(
            &repo().join("tests/fixtures/catalogue/broken"),
            &self.dir().join(BROKEN),
        );
        BROKEN
    }

    /// Copies the seed issue to [`SEED`].
    pub fn seed_issue(&self) -> &'static str {
        copy_dir(
            &repo().join("tests/fixtures/seed"),
            &self.dir().join("seed"),
        );
        SEED
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

/// Runs of white space as one space.
pub fn squashed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The seed's paragraphs and link lines in order, read independently of
/// gazette: blocks between blank lines after the front matter, without
/// headings (a line underlined with `=`) and the subscribe footer. A link
/// line `[url](url)` stands for its URL.
pub fn seed_pieces(seed: &str) -> Vec<String> {
    let body = seed.splitn(3, "---\n").nth(2).unwrap();
    let mut out = Vec::new();
    for block in body.split("\n\n").map(str::trim).filter(|b| !b.is_empty()) {
        if block.lines().nth(1).is_some_and(|l| l.starts_with("===")) {
            continue;
        }
        if block.starts_with("If you received this email") {
            continue;
        }
        for line in block.lines() {
            if let Some(url) = line.strip_prefix('[').and_then(|l| l.split_once("](")) {
                out.push(url.0.to_string());
            }
        }
        if !block.starts_with('[') {
            out.push(squashed(block));
        }
    }
    out
}
