//! No input panics, overflows the stack or takes more than linear time:
//! deep nesting, a 16 MB line, 100,000 header fields, and every corpus file
//! cut at many offsets.

use super::{CORPUS, VERP, fixture, substitute};
use crate::bounce::read::mime::{MAX_CONTAINERS, MAX_DELIMITERS, MAX_FIELD_LINES};
use crate::bounce::read::{MAX_RECIPIENTS, read};
use crate::bounce::{Kind, MAX_DIAGNOSTIC, MAX_MESSAGE};
use std::time::{Duration, Instant};

/// Reads `raw` on a thread with a small stack (as test threads and tokio's
/// workers have), returning the report and how long it took.
fn timed(raw: Vec<u8>) -> (crate::bounce::Report, Duration) {
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || {
            let start = Instant::now();
            let report = read(&raw);
            drop(raw);
            (report, start.elapsed())
        })
        .expect("a thread")
        .join()
        .expect("read did not panic")
}

const HEAD: &str = "From: MAILER-DAEMON@mx.example.net\nTo: bounces@news.example.org\nSubject: nested\nMIME-Version: 1.0\n";

#[test]
fn messages_nested_ten_thousand_deep() {
    let mut rfc822 = String::from(HEAD);
    for _ in 0..10_000 {
        rfc822.push_str("Content-Type: message/rfc822\n\n");
    }
    rfc822.push_str("Subject: the bottom\n\nbody\n");
    let mut multipart = String::from(HEAD);
    for n in 0..10_000 {
        multipart.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{n}\"\n\n--b{n}\n"
        ));
    }
    multipart.push_str("Content-Type: text/plain\n\nbody\n");
    for n in (0..10_000).rev() {
        multipart.push_str(&format!("--b{n}--\n"));
    }
    for raw in [rfc822, multipart] {
        let (report, took) = timed(raw.into_bytes());
        assert_eq!(report.kind, Kind::Unclassified);
        assert!(took < Duration::from_secs(10), "{took:?}");
    }
}

/// Up to the limit, nesting is read (and dropped) within a small stack.
#[test]
fn messages_nested_to_the_limit_are_read() {
    let dsn = String::from_utf8(fixture("postfix-user-unknown.eml")).unwrap();
    let at = dsn
        .find("Content-Type: message/rfc822\nContent-Transfer-Encoding: 8bit\n\n")
        .unwrap();
    let nested = "Content-Type: message/rfc822\n\n".repeat(MAX_CONTAINERS - 10);
    let raw = format!("{}{nested}{}", &dsn[..at], &dsn[at..]);
    let (report, _) = timed(raw.into_bytes());
    assert_eq!(report.kind, Kind::Hard);
}

#[test]
fn a_sixteen_megabyte_line_anywhere() {
    let line = "x".repeat(MAX_MESSAGE);
    let dsn = String::from_utf8(fixture("postfix-user-unknown.eml")).unwrap();
    let cases = [
        dsn.replacen("User unknown in virtual mailbox table", &line, 1),
        dsn.replacen(
            "Subject: Undelivered",
            &format!("X-Long: {line}\nSubject: Undelivered"),
            1,
        ),
        String::from_utf8(fixture("exim-user-unknown.eml"))
            .unwrap()
            .replacen("This week: how bounces come back", &line, 1),
        format!("{HEAD}\n{line}"),
        line.clone(),
    ];
    for (n, raw) in cases.into_iter().enumerate() {
        let (report, took) = timed(raw.into_bytes());
        assert!(took < Duration::from_secs(20), "case {n}: {took:?}");
        for r in &report.recipients {
            let d = r.diagnostic.as_deref().unwrap_or("");
            assert!(d.chars().count() <= MAX_DIAGNOSTIC, "case {n}");
        }
        if n < 3 {
            assert_eq!(report.kind, Kind::Hard, "case {n}");
        }
    }
}

#[test]
fn a_hundred_thousand_header_fields() {
    let mut raw = format!("To: {VERP}\n");
    for n in 0..100_000 {
        raw.push_str(&format!("X-Filler-{n}: value {n}\n"));
    }
    raw.push_str("Subject: Out of office\n\nAway.\n");
    let (report, took) = timed(raw.into_bytes());
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert_eq!(
        report.kind,
        Kind::AutoReply,
        "the subject after them is read"
    );
    assert_eq!(report.delivered_to, [VERP]);
    // 100,000 one-byte fields keep memory bounded: at most MAX_FIELDS are kept.
    let tiny = "a:\n".repeat(MAX_MESSAGE / 3);
    let (report, took) = timed(tiny.into_bytes());
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert_eq!(report.kind, Kind::Unclassified);
}

/// Past MAX_FIELD_LINES header-like lines a message is not handed to
/// mail-parser, which keeps every field (sixteen megabytes of `a:` lines took
/// 700 MB before this limit, 30 MB after).
#[test]
fn too_many_field_lines_are_not_parsed() {
    let dsn = String::from_utf8(fixture("postfix-user-unknown.eml")).unwrap();
    let at = dsn.find("From: The Weekly Gazette").unwrap();
    let with = |n: usize| format!("{}{}{}", &dsn[..at], "X-Filler: 1\n".repeat(n), &dsn[at..]);
    assert_eq!(
        read(with(MAX_FIELD_LINES - 100).as_bytes()).kind,
        Kind::Hard
    );
    let report = read(with(MAX_FIELD_LINES + 1).as_bytes());
    assert_eq!(report.kind, Kind::Unclassified);
    assert_eq!(
        report.delivered_to,
        [VERP],
        "the report's own fields are kept"
    );
}

/// Past MAX_DELIMITERS lines that start with `--` a message is not handed to
/// mail-parser either: sixteen megabytes of empty parts took 612 MB and 4 s.
#[test]
fn too_many_parts_are_not_parsed() {
    let dsn = String::from_utf8(fixture("postfix-user-unknown.eml")).unwrap();
    let close = "--4Ykq2S6Bq1z1x.1764579606/mx.example.net--";
    let at = dsn.find(close).unwrap();
    let empty = "--4Ykq2S6Bq1z1x.1764579606/mx.example.net\n\n";
    let with = |n: usize| format!("{}{}{}", &dsn[..at], empty.repeat(n), &dsn[at..]);
    assert_eq!(read(with(MAX_DELIMITERS - 10).as_bytes()).kind, Kind::Hard);
    assert_eq!(
        read(with(MAX_DELIMITERS + 1).as_bytes()).kind,
        Kind::Unclassified
    );
    let mut raw = String::from(HEAD);
    raw.push_str("Content-Type: multipart/mixed; boundary=b\n\n");
    raw.push_str(&"--b\n\n".repeat(MAX_MESSAGE / 5));
    let (report, took) = timed(raw.into_bytes());
    assert_eq!(report.kind, Kind::Unclassified);
    assert!(took < Duration::from_secs(5), "{took:?}");
}

/// Reading grows linearly: four times the input takes well under sixteen
/// times as long (a quadratic reader would take sixteen).
#[test]
fn reading_time_is_linear_in_the_input() {
    let make = |n: usize| {
        let mut raw = String::from(HEAD);
        raw.push_str("Content-Type: text/plain\n\n");
        for i in 0..n {
            raw.push_str(&format!(
                "<user{i}@example.net>:\n550 5.1.1 no such user here 10.0.0.{i}\n"
            ));
        }
        raw.into_bytes()
    };
    let best = |n| (0..3).map(|_| timed(make(n)).1).min().unwrap();
    let (small, large) = (best(20_000), best(80_000));
    assert!(large < small * 10, "{small:?} then {large:?}");
}

#[test]
fn every_corpus_file_cut_anywhere_reads_without_panic() {
    for (name, bytes) in CORPUS {
        let raw = substitute(bytes);
        let step = (raw.len() / 97).max(1);
        for cut in (0..raw.len())
            .step_by(step)
            .chain([raw.len().saturating_sub(1)])
        {
            let report = read(&raw[..cut]);
            if report.kind == Kind::Complaint {
                assert!(name.starts_with("arf-"), "{name} at {cut}");
            }
        }
        // And with every other line ending a bare CR, and truncated UTF-8.
        let cr: Vec<u8> = raw
            .iter()
            .map(|&b| if b == b'\n' { b'\r' } else { b })
            .collect();
        read(&cr);
        read(&[&raw[..], &[0xe2, 0x82]].concat());
    }
}

#[test]
fn at_most_max_recipients_are_kept() {
    let dsn = String::from_utf8(fixture("postfix-user-unknown.eml")).unwrap();
    let block = "Final-Recipient: rfc822; r@example.net\nAction: failed\nStatus: 5.1.1\n\n";
    let at = dsn.find("Final-Recipient").unwrap();
    let many = format!(
        "{}{}{}",
        &dsn[..at],
        block.repeat(MAX_RECIPIENTS + 50),
        &dsn[at..]
    );
    let report = read(many.as_bytes());
    assert_eq!(
        (report.recipients.len(), report.kind),
        (MAX_RECIPIENTS, Kind::Hard)
    );
    let exim = String::from_utf8(fixture("exim-user-unknown.eml")).unwrap();
    let list: Vec<String> = (0..MAX_RECIPIENTS + 50)
        .map(|n| format!("r{n}@example.net"))
        .collect();
    let at = exim.find("\n\n").unwrap();
    let many = format!(
        "{}\nX-Failed-Recipients: {}{}",
        &exim[..at],
        list.join(", "),
        &exim[at..]
    );
    assert_eq!(read(many.as_bytes()).recipients.len(), MAX_RECIPIENTS);
}

/// Every corpus file with bytes changed at random (a fixed seed): flipped,
/// dropped, or MIME punctuation put in, never a panic.
#[test]
fn every_corpus_file_mangled_reads_without_panic() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |below: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % below.max(1) as u64) as usize
    };
    let bits: [&[u8]; 8] = [
        b"\n--",
        b"\r\n\r\n",
        b":",
        b"<",
        b";",
        b"\n ",
        b"=?",
        b"\xff\xfe",
    ];
    for (_, bytes) in CORPUS {
        let raw = substitute(bytes);
        for _ in 0..200 {
            let mut m = raw.clone();
            for _ in 0..1 + next(8) {
                let at = next(m.len());
                match next(3) {
                    0 if !m.is_empty() => m[at] ^= 1 << next(8),
                    1 if !m.is_empty() => {
                        m.remove(at);
                    }
                    _ => {
                        let bit = bits[next(bits.len())];
                        m.splice(at..at, bit.iter().copied());
                    }
                }
            }
            read(&m);
        }
    }
}
