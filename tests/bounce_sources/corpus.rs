//! The corpus (`tests/fixtures/bounces/`, each file made about one reader
//! of issue 41) through `gazette bounces` from an IMAP mailbox on a real
//! Dovecot, and from an mbox written with mboxrd quoting: each report's
//! classification as `expected.tsv` says, each reader's state after, and
//! each source marking done only what was recorded.

use crate::support::bounces::{Case, corpus, summary};
use crate::support::imap::{Dovecot, PASSWORD};
use crate::support::{Newsletter, Pki, Status, shared};

/// What a kind leaves its reader as, after one report.
fn state_after(kind: &str) -> Status {
    match kind {
        "hard" => Status::Bounced,
        "complaint" => Status::Complained,
        _ => Status::Active,
    }
}

/// Each `--json` line's kind against its case (`case_of` its origin), and
/// each reader's state.
fn assert_classified(n: &Newsletter, cases: &[Case], json: &str, case_of: impl Fn(&str) -> usize) {
    let lines: Vec<serde_json::Value> = (json.lines())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), cases.len(), "{json}");
    let mut seen = vec![false; cases.len()];
    for line in &lines {
        let i = case_of(line["origin"].as_str().unwrap());
        assert!(!seen[i], "{i} twice: {json}");
        seen[i] = true;
        let Case { file, kind, .. } = &cases[i];
        assert_eq!(line["kind"].as_str(), Some(kind.as_str()), "{file}: {line}");
    }
    for Case {
        file, kind, seen, ..
    } in cases
    {
        assert_eq!(
            n.subscriber_status(&seen.rcpt),
            Some(state_after(kind)),
            "{file} ({kind}): {json}"
        );
    }
}

#[test]
fn every_report_through_imap_is_classified_and_flagged_seen_once_recorded() {
    let _machine = shared();
    let pki = Pki::new();
    let dovecot = Dovecot::start(&pki);
    let url = dovecot.url(true, "INBOX");
    let (n, cases) = corpus(&format!(
        "imap = {url:?}\npassword_file = \"config/imap-password\"\nca_file = {:?}\n",
        pki.ca().display().to_string()
    ));
    n.write("config/imap-password", &format!("{PASSWORD}\n"));
    let raws: Vec<&[u8]> = cases.iter().map(|c| &c.raw[..]).collect();
    let uids = dovecot.deliver(&raws);
    assert_eq!(uids.len(), cases.len());
    // A dry run reads everything and leaves every message unseen.
    let dry = n.run(&["bounces", "--dry-run", "--json"], &[]);
    dry.assert_code(0);
    assert_eq!(dry.stdout.lines().count(), cases.len(), "{dry:?}");
    assert!(dovecot.flags().iter().all(|(_, seen)| !seen));
    let run = n.run(&["bounces", "--json"], &[]);
    run.assert_code(0);
    assert_classified(&n, &cases, &run.stdout, |origin| {
        let uid: u32 = origin.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(origin.starts_with(&format!("{url} UID ")), "{origin}");
        uids.iter().position(|u| *u == uid).unwrap()
    });
    assert!(
        dovecot.flags().iter().all(|(_, seen)| *seen),
        "{:?}",
        dovecot.flags()
    );
    // Everything seen: the next run reads nothing.
    let again = n.run(&["bounces"], &[]);
    again.assert_code(0);
    assert!(
        summary(&again.stderr).starts_with("gazette: bounces: read 0 reports"),
        "{again:?}"
    );
}

#[test]
fn every_report_through_an_mbox_written_with_mboxrd_quoting() {
    let (n, mut cases) = corpus("");
    // A line that reads as a separator unquoted: "From " right after the
    // blank line that ends a hard bounce's header.
    let hard = cases.iter_mut().find(|c| c.kind == "hard").unwrap();
    let crlf = hard.raw.windows(4).any(|w| w == b"\r\n\r\n");
    let (end, line): (&[u8], &[u8]) = match crlf {
        true => (
            b"\r\n\r\n",
            b"From the postmaster: this address is gone.\r\n",
        ),
        false => (b"\n\n", b"From the postmaster: this address is gone.\n"),
    };
    let at = hard.raw.windows(end.len()).position(|w| w == end).unwrap() + end.len();
    hard.raw.splice(at..at, line.iter().copied());
    let mut mbox = Vec::new();
    for Case { raw, .. } in &cases {
        mbox.extend_from_slice(b"From MAILER-DAEMON Sun Nov 29 09:05:00 2026\n");
        // A line "From " (or ">From ") gains a '>', as mboxrd writes it.
        for line in raw.split_inclusive(|&b| b == b'\n') {
            let quotes = line.iter().take_while(|&&b| b == b'>').count();
            if line[quotes..].starts_with(b"From ") {
                mbox.push(b'>');
            }
            mbox.extend_from_slice(line);
        }
        if !raw.ends_with(b"\n") {
            mbox.push(b'\n');
        }
        mbox.push(b'\n');
    }
    let path = n.write("bounces.mbox", "");
    std::fs::write(&path, &mbox).unwrap();
    let run = n.run(&["bounces", "--json", "bounces.mbox"], &[]);
    run.assert_code(0);
    assert_classified(&n, &cases, &run.stdout, |origin| {
        let number: usize = origin.rsplit(' ').next().unwrap().parse().unwrap();
        number - 1
    });
    assert_eq!(std::fs::read(&path).unwrap(), mbox, "the mbox was changed");
}
