//! The corpus (`tests/fixtures/bounces/`): every file read, its kind, status
//! and recipient as `expected.tsv` says; the details of each format in
//! `dsn`, `notices` and `auto`, the limits in `limits`.

mod auto;
mod classify;
mod dsn;
mod limits;
mod notices;

use super::read;
use crate::bounce::{Kind, Recipient, Report};

pub(super) const VERP: &str = "bounces+12-7-k3j5m2n4p6q8r0st@news.example.org";
pub(super) const RCPT: &str = "reader@example.net";
pub(super) const MESSAGE_ID: &str = "gz.weekly.0123456789abcdef01234567@news.example.org";

macro_rules! corpus {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bounces/", $name
        )))),*]
    };
}

/// Every corpus file, as stored (placeholders unsubstituted).
pub(super) const CORPUS: &[(&str, &[u8])] = corpus![
    "arf-generic-headers.eml",
    "arf-microsoft-jmrp-classic.eml",
    "arf-microsoft-jmrp.eml",
    "arf-not-spam.eml",
    "arf-yahoo-cfl.eml",
    "auto-reply-550-in-prose.eml",
    "auto-reply-french.eml",
    "auto-reply-german.eml",
    "auto-reply-outlook.eml",
    "auto-reply-precedence.eml",
    "auto-reply-rfc3834.eml",
    "auto-reply-undeliverable-subject.eml",
    "auto-reply-x-autoreply.eml",
    "auto-reply-x-autorespond.eml",
    "binary-garbage.eml",
    "dsn-smtputf8.eml",
    "dsn-truncated.eml",
    "dsn-two-recipients.eml",
    "empty.eml",
    "exim-delayed.eml",
    "exim-user-unknown.eml",
    "gmail-blocked.eml",
    "gmail-mailbox-full.eml",
    "gmail-user-unknown.eml",
    "mdn-read-receipt.eml",
    "microsoft-ndr.eml",
    "microsoft-plain.eml",
    "postfix-delayed.eml",
    "postfix-failed-4xx.eml",
    "postfix-quota.eml",
    "postfix-relayed.eml",
    "postfix-user-unknown.eml",
    "qmail-no-mailbox.eml",
    "ses-fields-in-text.eml",
    "ses-user-unknown.eml",
    "yahoo-user-unknown.eml",
];

const EXPECTED: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/bounces/expected.tsv"
));

/// `bytes` with the placeholders replaced by the fixed test values.
pub(super) fn substitute(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for (from, to) in [
        ("${VERP}", VERP),
        ("${RCPT}", RCPT),
        ("${MESSAGE_ID}", MESSAGE_ID),
    ] {
        out = replace(&out, from.as_bytes(), to.as_bytes());
    }
    out
}

fn replace(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut rest = hay;
    while let Some(at) = memchr::memmem::find(rest, from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// One corpus file, substituted.
pub(super) fn fixture(name: &str) -> Vec<u8> {
    let (_, bytes) = CORPUS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("{name} is not in CORPUS"));
    substitute(bytes)
}

/// One corpus file, read.
pub(super) fn report(name: &str) -> Report {
    read(&fixture(name))
}

fn kind_named(name: &str) -> Kind {
    [
        Kind::Hard,
        Kind::Soft,
        Kind::Complaint,
        Kind::Delayed,
        Kind::AutoReply,
        Kind::Unclassified,
    ]
    .into_iter()
    .find(|k| k.name() == name)
    .unwrap_or_else(|| panic!("no kind is called {name}"))
}

#[test]
fn every_file_reads_as_expected_tsv_says() {
    let rows: Vec<Vec<&str>> = EXPECTED
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    let names: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    let corpus: Vec<&str> = CORPUS.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, corpus, "expected.tsv and CORPUS list the same files");
    let mut wrong = Vec::new();
    for row in rows {
        let [file, kind, status, recipient] = row[..] else {
            panic!("expected.tsv row {row:?} has not four columns");
        };
        let report = report(file);
        let first = report.recipients.first();
        let got = (
            report.kind.name(),
            first.and_then(|r| r.status.as_deref()).unwrap_or("-"),
            first.and_then(|r| r.address.as_deref()).unwrap_or("-"),
        );
        let want = recipient.replace("${RCPT}", RCPT);
        if got != (kind_named(kind).name(), status, want.as_str()) {
            wrong.push(format!(
                "{file}: got {got:?}, want {kind} {status} {want}: {report:#?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_corpus_lists_every_file_in_the_folder() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bounces");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .expect("the fixtures folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".eml"))
        .collect();
    on_disk.sort();
    let corpus: Vec<&str> = CORPUS.iter().map(|(n, _)| *n).collect();
    assert_eq!(on_disk, corpus);
}

#[test]
fn every_report_is_addressed_to_the_verp_address_or_the_fbl() {
    for (name, _) in CORPUS {
        let report = report(name);
        let skip = ["binary-garbage.eml", "empty.eml"].contains(name);
        let fbl =
            name.starts_with("arf-") && !name.contains("generic") && !name.contains("not-spam");
        if skip {
            assert!(
                report.delivered_to.is_empty(),
                "{name}: {:?}",
                report.delivered_to
            );
        } else if fbl {
            assert!(
                report
                    .delivered_to
                    .iter()
                    .all(|a| a == "fbl@news.example.org"),
                "{name}"
            );
        } else {
            assert!(
                report.delivered_to.iter().any(|a| a == VERP),
                "{name}: {:?}",
                report.delivered_to
            );
        }
    }
}

/// What the README promises the matcher: the returned Message-ID and
/// envelope sender of every report that returns the message.
#[test]
fn every_returned_message_gives_its_message_id_and_return_path() {
    let without = [
        "binary-garbage.eml",
        "dsn-truncated.eml",
        "empty.eml",
        "exim-delayed.eml",
    ];
    for (name, _) in CORPUS {
        let report = report(name);
        if without.contains(name) || name.starts_with("auto-reply-") {
            assert!(report.original_message_ids.is_empty(), "{name}");
            assert_eq!(report.original_return_path, None, "{name}");
        } else {
            assert_eq!(report.original_message_ids, [MESSAGE_ID], "{name}");
            assert_eq!(report.original_return_path.as_deref(), Some(VERP), "{name}");
        }
    }
}

pub(super) fn only(report: &Report) -> &Recipient {
    assert_eq!(report.recipients.len(), 1, "{report:#?}");
    &report.recipients[0]
}

pub(super) fn with(name: &str, from: &str, to: &str) -> Report {
    edited(name, &[(from, to)])
}

/// One corpus file read with each edit's first `from` replaced by its `to`,
/// in turn.
pub(super) fn edited(name: &str, edits: &[(&str, &str)]) -> Report {
    let mut raw = String::from_utf8(fixture(name)).expect("an ASCII or UTF-8 fixture");
    for (from, to) in edits {
        assert!(raw.contains(from), "{name} holds {from:?}");
        raw = raw.replacen(from, to, 1);
    }
    read(raw.as_bytes())
}

pub(super) fn ids(report: &Report) -> Vec<&str> {
    report
        .original_message_ids
        .iter()
        .map(String::as_str)
        .collect()
}
