//! `gazette import` of a back catalogue: 1,000 generated issues in the seed's
//! shape (front matter, two intro paragraphs, a sponsor in every other issue,
//! eight items, escapes, emphasis, the subscribe footer), read, written as
//! drafts and recorded in a fresh store, through the library and as a whole
//! `gazette import` process. The goal: under 10 seconds.
//!
//! Run with `cargo bench --bench catalogue`. Without `--bench` (as under
//! `cargo test --benches`) it runs once on 50 issues, as a smoke test.

use criterion::{BatchSize, Criterion};
use gazette::Newsletter;
use gazette::catalogue::batch::{self, Options};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const CONFIG: &str = r#"
name = "Bench Weekly"
from = "Bench Weekly <editor@bench.example>"
base_url = "https://bench.example"
postal_address = "1 Example Street"
"#;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let issues = if full { 1_000 } else { 50 };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let markdown = dir.path().join("issues");
    std::fs::create_dir_all(&markdown).unwrap();
    for i in 1..=issues {
        std::fs::write(markdown.join(format!("issue-{i:04}.md")), issue(i)).unwrap();
    }
    let files = batch::expand(&[markdown]).unwrap();

    // Once, timed as a whole, against the goal.
    let start = Instant::now();
    let imported = import(&fresh(dir.path(), "once"), &files);
    let took = start.elapsed();
    assert_eq!(imported, issues as usize, "every issue imports");
    println!("import {issues} issues: {:.2} s", took.as_secs_f64());
    // The same through the real `gazette import`, a whole process.
    let root = fresh(dir.path(), "process").root;
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_gazette"))
        .arg("-C")
        .arg(&root)
        .arg("import")
        .arg(dir.path().join("issues"))
        .env("GAZETTE_NOW", "2026-12-06T09:00:00Z")
        .output()
        .expect("gazette runs");
    let process = start.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "import {issues} issues, gazette process: {:.2} s",
        process.as_secs_f64()
    );
    if full {
        assert!(took < Duration::from_secs(10), "the goal is under 10 s");
        assert!(process < Duration::from_secs(10), "the goal is under 10 s");
    }

    let mut c = Criterion::default().configure_from_args().sample_size(10);
    let mut run = 0;
    c.bench_function(&format!("import {issues} issues"), |b| {
        b.iter_batched(
            || {
                run += 1;
                fresh(dir.path(), &format!("run-{run}"))
            },
            |n| import(&n, &files),
            BatchSize::PerIteration,
        )
    });
    c.final_summary();
}

/// Imports `files`, returning how many became drafts.
fn import(n: &Newsletter, files: &[PathBuf]) -> usize {
    let done = batch::import(n, files, Options::default(), 1_800_000_000).unwrap();
    done.files.iter().filter(|f| !f.outcome.failed()).count()
}

/// A new newsletter directory under `dir`.
fn fresh(dir: &Path, name: &str) -> Newsletter {
    let root = dir.join(name);
    std::fs::create_dir_all(root.join("config")).unwrap();
    std::fs::write(root.join("config/gazette.toml"), CONFIG).unwrap();
    Newsletter::open(&root).unwrap()
}

/// Issue `i`, dated a week after issue `i - 1`.
fn issue(i: u32) -> String {
    let date = jiff::civil::date(2001, 1, 7)
        .checked_add(jiff::Span::new().days(7 * i64::from(i - 1)))
        .unwrap();
    let mut s = format!(
        "---\ntitle: BENCH WEEKLY ISSUE \\#{i} - {date}\ndate: {date}T12:00:00+00:00\n---\n\n\
         Welcome to issue {i}. This week: *caches*, **outages** and `systemd` timers, with \
         notes from readers about issue \\#{}.\n\nA second paragraph of intro, to be read slowly.\n\n",
        i.saturating_sub(1)
    );
    if i.is_multiple_of(2) {
        let _ = write!(
            s,
            "Lanternfish sponsors Bench Weekly\n=================================\n\n\
             Lanternfish traces every request. **Try it free.**\n\n\
             [https://lanternfish.example/{i}](https://lanternfish.example/{i})\n\n"
        );
    }
    for (section, items) in [("News", 5), ("Tools", 3)] {
        let _ = write!(s, "{section}\n{}\n\n", "=".repeat(section.len()));
        for j in 0..items {
            let _ = write!(
                s,
                "Item {j} of issue {i}: a post on scaling \\_things\\_ with a 2 \\* 3 grid, \
                 and a [related read](https://related.example.org/{i}/{j}).\n\n\
                 [https://blog.example.com/{i}/{section}/{j}](https://blog.example.com/{i}/{section}/{j})\n"
            );
            if j == 0 {
                let _ = writeln!(s, "<https://mirror.example.net/{i}/{j}?utm_source=bench>");
            }
            s.push('\n');
        }
    }
    s.push_str(
        "If you received this email directly then you're already signed up, thanks! \
                Subscribe at [https://bench.example](https://bench.example)\n",
    );
    s
}
