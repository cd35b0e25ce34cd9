//! Returned messages as receivers write them, for `gazette bounces` tests: a
//! Postfix-style DSN with the returned headers, an ARF complaint with the
//! whole returned message, a delayed notice, an auto-reply; and the
//! deliveries a sink saw, whose envelope senders they are sent back to.

use super::smtp::SmtpServer;
use super::{Newsletter, repo};

/// One delivery as the relay saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub rcpt: String,
    /// MAIL FROM: the VERP address.
    pub mail_from: String,
    pub message_id: String,
}

/// Every delivery `sink` received, by recipient.
pub fn seen(sink: &SmtpServer) -> Vec<Seen> {
    let mut out: Vec<Seen> = (sink.received().iter())
        .map(|r| Seen {
            rcpt: r.rcpt().to_string(),
            mail_from: super::angle(r.one("X-Mail-Args")).to_string(),
            message_id: r.message_id().to_string(),
        })
        .collect();
    out.sort_by(|a, b| a.rcpt.cmp(&b.rcpt));
    out
}

/// A DSN (RFC 3464) as Postfix sends it: to the envelope sender `to`, about
/// `rcpt`, with `status` and the receiver's `diagnostic`, and the returned
/// message's headers (its `Message-ID` and `Return-Path`).
pub fn dsn(
    id: &str,
    to: &str,
    rcpt: &str,
    status: &str,
    diagnostic: &str,
    original_id: &str,
) -> Vec<u8> {
    format!(
        "Return-Path: <>\r\nDelivered-To: {to}\r\nFrom: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n\
         To: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <{id}@mx.example.net>\r\n\
         Date: Sun, 29 Nov 2026 09:05:00 +0000 (UTC)\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"B0UND\"\r\n\r\n\
         --B0UND\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n\
         This is the mail system at host mx.example.net.\r\n\r\nI'm sorry to have to inform you that your message could not\r\n\
         be delivered to one or more recipients.\r\n\r\n<{rcpt}>: host mx.example.org said: {diagnostic}\r\n\r\n\
         --B0UND\r\nContent-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; mx.example.net\r\nArrival-Date: Sun, 29 Nov 2026 09:00:01 +0000 (UTC)\r\n\r\n\
         Final-Recipient: rfc822; {rcpt}\r\nOriginal-Recipient: rfc822;{rcpt}\r\nAction: failed\r\nStatus: {status}\r\n\
         Remote-MTA: dns; mx.example.org\r\nDiagnostic-Code: smtp; {diagnostic}\r\n\r\n\
         --B0UND\r\nContent-Type: text/rfc822-headers\r\n\r\n\
         Return-Path: <{to}>\r\nFrom: Platform Notes <editor@platformnotes.example>\r\nTo: {rcpt}\r\n\
         Subject: Platform Notes #41 - 29th November 2026\r\nMessage-ID: <{original_id}>\r\n\r\n--B0UND--\r\n"
    )
    .into_bytes()
}

/// An ARF complaint (RFC 5965), `Feedback-Type: abuse`, sent to the plain
/// `to` by a feedback loop, holding the whole returned message.
pub fn arf(id: &str, to: &str, return_path: &str, rcpt: &str, original_id: &str) -> Vec<u8> {
    format!(
        "From: Feedback Loop <fbl@fbl.example.com>\r\nTo: {to}\r\nSubject: Complaint about message from 192.0.2.1\r\n\
         Message-ID: <{id}@fbl.example.com>\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=feedback-report;\r\n\tboundary=\"ARF\"\r\n\r\n\
         --ARF\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThis is an email abuse report.\r\n\r\n\
         --ARF\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: FBL/1.0\r\n\
         Version: 1\r\nOriginal-Mail-From: <{return_path}>\r\nOriginal-Rcpt-To: <{rcpt}>\r\n\
         Arrival-Date: Sun, 29 Nov 2026 09:00:02 +0000\r\nSource-IP: 192.0.2.1\r\n\r\n\
         --ARF\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n\
         Return-Path: <{return_path}>\r\nFrom: Platform Notes <editor@platformnotes.example>\r\nTo: {rcpt}\r\n\
         Subject: Platform Notes #41 - 29th November 2026\r\nMessage-ID: <{original_id}>\r\n\
         Date: Sun, 29 Nov 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n\
         The issue's text.\r\n\r\n--ARF--\r\n"
    )
    .into_bytes()
}

/// A plain-text notice as Exim sends it, to the plain envelope sender,
/// naming the failed `rcpt` in `X-Failed-Recipients` and quoting the reply.
pub fn exim_notice(id: &str, rcpt: &str) -> Vec<u8> {
    format!(
        "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\r\nTo: bounces@platformnotes.example\r\n\
         Subject: Mail delivery failed: returning message to sender\r\nMessage-ID: <{id}@mx.example.net>\r\n\
         X-Failed-Recipients: {rcpt}\r\nAuto-Submitted: auto-replied\r\n\r\n\
         This message was created automatically by mail delivery software.\r\n\r\n\
         A message that you sent could not be delivered to one or more of its\r\n\
         recipients. This is a permanent error. The following address(es) failed:\r\n\r\n\
         \x20 {rcpt}\r\n    host mx.elsewhere.example [192.0.2.9]\r\n\
         \x20   SMTP error from remote mail server after RCPT TO:<{rcpt}>:\r\n\
         \x20   550 5.1.1 No such user here\r\n"
    )
    .into_bytes()
}

/// An out-of-office reply to `to` (not a report).
pub fn auto_reply(id: &str, to: &str) -> Vec<u8> {
    format!(
        "From: Reader <reader1@example.org>\r\nTo: {to}\r\nSubject: Out of office: Platform Notes #41\r\n\
         Message-ID: <{id}@example.org>\r\nAuto-Submitted: auto-replied\r\nX-Autoreply: yes\r\n\r\n\
         I am away until Monday.\r\n"
    )
    .into_bytes()
}

/// `gazette bounces ARGS... -` with `message` on standard input.
pub fn pipe(n: &Newsletter, message: &[u8], args: &[&str]) -> super::process::Run {
    let mut cmd = n.gazette();
    cmd.arg("bounces")
        .args(args)
        .arg("-")
        .write_stdin(message.to_vec());
    let out = cmd.output().unwrap();
    super::process::Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        seconds: 0.0,
    }
}

/// Every message in the newsletter's outbox, by recipient: the outbox writes
/// the envelope as `Return-Path` and `Delivered-To`.
pub fn outbox_seen(n: &Newsletter) -> Vec<Seen> {
    let field = |text: &str, name: &str| {
        super::unfolded_header(text, name)
            .map_or_else(String::new, |v| super::angle(&v).to_string())
    };
    let mut out: Vec<Seen> = (n.outbox().iter())
        .map(|text| Seen {
            rcpt: field(text, "Delivered-To"),
            mail_from: field(text, "Return-Path"),
            message_id: field(text, "Message-ID"),
        })
        .collect();
    out.sort_by(|a, b| a.rcpt.cmp(&b.rcpt));
    out
}

/// The summary line `gazette bounces` ends with.
pub fn summary(stderr: &str) -> &str {
    stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("gazette: bounces: "))
        .unwrap_or_else(|| panic!("no summary in {stderr}"))
}

/// How many reports the store holds.
pub fn reports(n: &Newsletter) -> i64 {
    n.db()
        .query_row("SELECT count(*) FROM reports", [], |r| r.get(0))
        .unwrap()
}

/// `expected.tsv`: file name and kind, in file order.
pub fn expected() -> Vec<(String, String)> {
    let tsv = std::fs::read_to_string(repo().join("tests/fixtures/bounces/expected.tsv")).unwrap();
    tsv.lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols[0].to_string(), cols[1].to_string())
        })
        .collect()
}

/// One corpus file made about one reader.
pub struct Case {
    pub file: String,
    /// What `expected.tsv` says it is (`Kind::name()`).
    pub kind: String,
    pub seen: Seen,
    pub raw: Vec<u8>,
}

/// Issue 41 sent through the outbox to one reader per corpus file, with
/// `bounces` in the `[bounces]` table; each file made about its reader.
pub fn corpus(bounces: &str) -> (Newsletter, Vec<Case>) {
    let n = Newsletter::new(&format!("[bounces]\n{bounces}"));
    let files = expected();
    let emails: Vec<String> = (0..files.len())
        .map(|i| format!("reader{i:02}@example.org"))
        .collect();
    n.subscribe_all(&emails);
    n.send(&[]).assert_code(0);
    let seen = outbox_seen(&n);
    assert_eq!(seen.len(), files.len());
    let cases = files
        .into_iter()
        .zip(seen)
        .map(|((file, kind), s)| {
            let raw = std::fs::read(repo().join("tests/fixtures/bounces").join(&file)).unwrap();
            let raw = substitute(&raw, &s);
            Case {
                file,
                kind,
                seen: s,
                raw,
            }
        })
        .collect();
    (n, cases)
}

/// The placeholders replaced, byte for byte (some files are not UTF-8).
pub fn substitute(raw: &[u8], s: &Seen) -> Vec<u8> {
    let mut out = raw.to_vec();
    for (from, to) in [
        ("${VERP}", &s.mail_from),
        ("${RCPT}", &s.rcpt),
        ("${MESSAGE_ID}", &s.message_id),
    ] {
        let (from, to) = (from.as_bytes(), to.as_bytes());
        let mut next = Vec::with_capacity(out.len());
        let mut i = 0;
        while i < out.len() {
            if out[i..].starts_with(from) {
                next.extend_from_slice(to);
                i += from.len();
            } else {
                next.push(out[i]);
                i += 1;
            }
        }
        out = next;
    }
    out
}
