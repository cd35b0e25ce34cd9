//! The corpus of returned messages (`tests/fixtures/bounces/`, described in
//! its README), each made about one reader of issue 41 by substituting their
//! VERP address, address and Message-ID, fed through each source: every
//! classification as `expected.tsv` says, and every reader's state after.

use crate::support::bounces::{Case, corpus, pipe, summary};
use crate::support::{Newsletter, Status};

/// What each kind leaves its reader as, after one report.
fn state_after(kind: &str) -> Status {
    match kind {
        "hard" => Status::Bounced,
        "complaint" => Status::Complained,
        _ => Status::Active,
    }
}

/// Checks each `--json` line's kind against its file's, and each reader.
fn assert_all(
    n: &Newsletter,
    cases: &[Case],
    json: &str,
    mut origin_of: impl FnMut(&str) -> usize,
) {
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), cases.len(), "{json}");
    for line in &lines {
        let i = origin_of(line["origin"].as_str().unwrap());
        let Case {
            file,
            kind,
            seen: s,
            ..
        } = &cases[i];
        assert_eq!(line["kind"].as_str(), Some(kind.as_str()), "{file}: {line}");
        if matches!(kind.as_str(), "hard" | "soft" | "complaint") {
            assert_ne!(line["matched"], "none", "{file}: {line}");
            assert_eq!(
                line["subscriber_id"].as_i64(),
                n.subscriber_ids().get(&s.rcpt).copied(),
                "{file}: {line}"
            );
        }
    }
    for Case {
        file,
        kind,
        seen: s,
        ..
    } in cases
    {
        assert_eq!(
            n.subscriber_status(&s.rcpt),
            Some(state_after(kind)),
            "{file} ({kind})"
        );
    }
}

#[test]
fn every_report_through_a_maildir() {
    let (n, cases) = corpus("maildir = [\"data/bounces\"]\n");
    for d in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(n.path(&format!("data/bounces/{d}"))).unwrap();
    }
    for (i, Case { raw, .. }) in cases.iter().enumerate() {
        std::fs::write(n.path(&format!("data/bounces/new/{i:02}.M1.host")), raw).unwrap();
    }
    let run = n.run(&["bounces", "--json"], &[]);
    run.assert_code(0);
    assert_all(&n, &cases, &run.stdout, |origin| {
        let name = origin.rsplit('/').next().unwrap();
        name[..2].parse().unwrap()
    });
    assert!(
        summary(&run.stderr)
            .starts_with(&format!("gazette: bounces: read {} reports", cases.len())),
        "{run:?}"
    );
}

#[test]
fn every_report_through_an_mbox() {
    let (n, cases) = corpus("mbox = [\"data/bounces.mbox\"]\n");
    let mut mbox = Vec::new();
    for Case { raw, .. } in &cases {
        mbox.extend_from_slice(b"From MAILER-DAEMON Sun Nov 29 09:05:00 2026\n");
        mbox.extend_from_slice(raw);
        if !raw.ends_with(b"\n") {
            mbox.push(b'\n');
        }
        mbox.push(b'\n');
    }
    std::fs::write(n.path("data/bounces.mbox"), &mbox).unwrap();
    let run = n.run(&["bounces", "--json"], &[]);
    run.assert_code(0);
    // `mbox PATH, message N`, counting from 1.
    assert_all(&n, &cases, &run.stdout, |origin| {
        let number: usize = origin.rsplit(' ').next().unwrap().parse().unwrap();
        number - 1
    });
}

#[test]
fn every_report_through_standard_input() {
    let (n, cases) = corpus("");
    let mut json = String::new();
    for Case { raw, .. } in &cases {
        let run = pipe(&n, raw, &["--json"]);
        run.assert_code(0);
        json.push_str(&run.stdout);
    }
    let mut i = 0;
    assert_all(&n, &cases, &json, |_| {
        i += 1;
        i - 1
    });
}
