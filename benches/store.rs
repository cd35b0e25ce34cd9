//! The store's two speed promises, measured: importing 100,000 rows takes under
//! 3 s, and `count` on 1,000,000 subscribers answers in under 100 ms. Each is
//! timed through the library and through the real `gazette` process.
//!
//! Run with `cargo bench --bench store`. Without `--bench` (as under
//! `cargo test --all-targets`) it runs once on small numbers, as a smoke test.

use gazette::store::import::{self, ImportOptions};
use gazette::store::{Source, Store};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const CONFIG: &str = r#"
name = "Bench"
from = "Bench <editor@bench.example>"
base_url = "https://bench.example"
postal_address = "1 Example Street"
"#;

fn main() {
    // `cargo bench` passes --bench; `cargo test` does not.
    let full = std::env::args().any(|a| a == "--bench");
    let (import_rows, count_rows, runs) = if full {
        (100_000, 1_000_000, 20)
    } else {
        (1_000, 10_000, 2)
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path();
    std::fs::create_dir_all(root.join("config")).unwrap();
    std::fs::write(root.join("config/gazette.toml"), CONFIG).unwrap();
    let now = "2026-12-06T09:00:00Z".parse().unwrap();

    let csv = root.join("people.csv");
    std::fs::write(&csv, people(import_rows)).unwrap();

    // The library: parse and merge into a new store.
    let start = Instant::now();
    let bytes = std::fs::read(&csv).unwrap();
    let parsed = import::parse(&bytes).unwrap();
    let parse_time = start.elapsed();
    let mut store = Store::open(&root.join("lib.db")).unwrap();
    let options = ImportOptions {
        source: Source::Import("people.csv".into()),
        resubscribe: false,
        dry_run: false,
    };
    let summary = store.import(&parsed, &options, now).unwrap();
    assert_eq!(summary.added, import_rows as u64);
    let total = start.elapsed();
    println!(
        "import {import_rows} rows, library:           {} (parse {})",
        ms(total),
        ms(parse_time)
    );
    // Again: every row meets itself in the store.
    let start = Instant::now();
    let summary = store.import(&parsed, &options, now).unwrap();
    assert_eq!(summary.skipped, import_rows as u64);
    println!(
        "re-import {import_rows} rows, library:        {}",
        ms(start.elapsed())
    );
    drop(store);

    // The process, from reading the file to the summary.
    let start = Instant::now();
    gazette(root, &["subscribers", "import", "people.csv"]);
    let took = start.elapsed();
    println!("import {import_rows} rows, gazette process:   {}", ms(took));
    if full {
        report("import of 100,000 rows", took, Duration::from_secs(3));
    }

    // A million subscribers, written straight into the process's store.
    let mut store = Store::open(&root.join("data/gazette.db")).unwrap();
    fill(&mut store, count_rows);
    let mut lib = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let counts = store.counts().unwrap();
        lib.push(start.elapsed());
        assert_eq!(counts.total(), count_rows as u64);
    }
    drop(store);
    let mut process = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        gazette(root, &["subscribers", "count"]);
        process.push(start.elapsed());
    }
    println!(
        "count {count_rows} subscribers, library:   median {}, max {}",
        ms(median(&mut lib)),
        ms(*lib.iter().max().unwrap())
    );
    println!(
        "count {count_rows} subscribers, process:   median {}, max {}",
        ms(median(&mut process)),
        ms(*process.iter().max().unwrap())
    );
    if full {
        report(
            "count of 1,000,000 (process, median)",
            median(&mut process),
            Duration::from_millis(100),
        );
    }
}

/// `email,name` rows with a header, one in fifty with an upper-case domain.
fn people(n: usize) -> String {
    let mut s = String::with_capacity(n * 40);
    s.push_str("email,name\n");
    for i in 0..n {
        let domain = if i % 50 == 0 {
            "Example.COM"
        } else {
            "example.com"
        };
        s.push_str(&format!("reader{i}@{domain},Reader {i}\n"));
    }
    s
}

/// Adds `n` subscribers in one statement, most of them active.
fn fill(store: &mut Store, n: i64) {
    let start = Instant::now();
    let tx = store.write().unwrap();
    tx.execute("DELETE FROM subscribers", []).unwrap();
    tx.execute(
        "WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < ?1)
         INSERT INTO subscribers (email, email_key, name, status, created, source)
         SELECT 'r' || n || '@example.org', 'r' || n || '@example.org', NULL,
                CASE WHEN n % 20 = 0 THEN 'unsubscribed' WHEN n % 97 = 0 THEN 'bounced'
                     ELSE 'active' END,
                '2026-01-01T00:00:00Z', 'cli'
         FROM i",
        [n],
    )
    .unwrap();
    tx.commit().unwrap();
    println!("(filled {n} subscribers in {})", ms(start.elapsed()));
}

fn gazette(root: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_gazette"))
        .arg("-C")
        .arg(root)
        .args(args)
        .env("GAZETTE_NOW", "2026-12-06T09:00:00Z")
        .output()
        .expect("gazette runs");
    assert!(
        out.status.success(),
        "gazette {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn report(what: &str, took: Duration, budget: Duration) {
    let verdict = if took <= budget { "within" } else { "OVER" };
    println!("{what}: {} ({verdict} the {} budget)", ms(took), ms(budget));
}
