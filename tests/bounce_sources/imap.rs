//! The IMAP source against a real Dovecot on 127.0.0.1 (and two sockets of
//! our own: one that never speaks, one that refuses STARTTLS).

use crate::support::imap::{Dovecot, PASSWORD};
use crate::support::{Pki, shared};
use gazette::bounce::MAX_MESSAGE;
use gazette::bounce::source::{self, Done, Message, Spec};
use gazette::config::{Imap, parse_imap_url};
use gazette::error::Error;
use gazette::exit::ExitStatus;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// The mailbox at `url`, its password in a file of `dir`, trusting `ca`.
fn mailbox(url: &str, dir: &tempfile::TempDir, ca: Option<&Pki>, password: &str) -> Imap {
    let mut imap = parse_imap_url(url).unwrap();
    let file = dir.path().join("imap-password");
    std::fs::write(&file, format!("{password}\n")).unwrap();
    imap.password_file = Some(file);
    imap.ca_file = ca.map(Pki::ca);
    imap
}

/// Reads `imap`, answering each message with what `answer` says of it.
fn read(imap: &Imap, answer: impl Fn(&Message) -> Done) -> Result<Vec<Message>, Error> {
    let mut seen = Vec::new();
    source::each(&Spec::Imap(imap.clone()), &mut |m| {
        let done = answer(&m);
        seen.push(m);
        Ok(done)
    })?;
    Ok(seen)
}

fn report(n: u32) -> Vec<u8> {
    format!("Subject: report {n}\r\nMessage-ID: <r{n}@mx.example>\r\n\r\nbody {n}\r\n").into_bytes()
}

#[test]
fn imaps_hands_over_unseen_messages_and_flags_only_the_recorded_ones() {
    let _machine = shared();
    let pki = Pki::new();
    let dovecot = Dovecot::start(&pki);
    let (one, two, three) = (report(1), report(2), report(3));
    dovecot.append(&[(&one, false), (&two, true), (&three, false)]);
    let dir = tempfile::tempdir().unwrap();
    let imap = mailbox(&dovecot.url(true, "INBOX"), &dir, Some(&pki), PASSWORD);
    // Record the first report, leave the third (as --dry-run would).
    let got = read(&imap, |m| match m.raw.starts_with(b"Subject: report 1") {
        true => Done::Recorded,
        false => Done::Leave,
    })
    .unwrap();
    let raws: Vec<&[u8]> = got.iter().map(|m| &m.raw[..]).collect();
    assert_eq!(raws, [&one[..], &three[..]], "{}", dovecot.log());
    assert!(got.iter().all(|m| !m.truncated));
    assert_eq!(got[0].origin, format!("{} UID 1", imap.url()));
    assert_eq!(dovecot.flags(), [(1, true), (2, true), (3, false)]);
    // The one left is handed over again; once recorded, nothing is.
    let again = read(&imap, |_| Done::Recorded).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].raw, three);
    assert!(read(&imap, |_| Done::Recorded).unwrap().is_empty());
    assert_eq!(dovecot.flags(), [(1, true), (2, true), (3, true)]);
}

#[test]
fn starttls_on_imap_urls_reads_the_same_mailbox() {
    let _machine = shared();
    let pki = Pki::new();
    let dovecot = Dovecot::start(&pki);
    dovecot.append(&[(&report(1), false)]);
    let dir = tempfile::tempdir().unwrap();
    let imap = mailbox(&dovecot.url(false, "INBOX"), &dir, Some(&pki), PASSWORD);
    assert!(!imap.implicit_tls);
    let got = read(&imap, |_| Done::Recorded).unwrap_or_else(|e| panic!("{e}\n{}", dovecot.log()));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].raw, report(1));
    assert_eq!(dovecot.flags(), [(1, true)]);
}

#[test]
fn a_message_over_the_limit_is_fetched_only_up_to_it_and_handed_over_truncated() {
    let _machine = shared();
    let pki = Pki::new();
    let dovecot = Dovecot::start(&pki);
    let mut big = b"Subject: huge\r\n\r\n".to_vec();
    while big.len() <= MAX_MESSAGE {
        big.extend_from_slice(&[b'x'; 998]);
        big.extend_from_slice(b"\r\n");
    }
    dovecot.append(&[(&report(1), false), (&big, false), (&report(3), false)]);
    let dir = tempfile::tempdir().unwrap();
    let imap = mailbox(&dovecot.url(true, "INBOX"), &dir, Some(&pki), PASSWORD);
    let got = read(&imap, |_| Done::Recorded).unwrap();
    let cut: Vec<(bool, usize)> = got.iter().map(|m| (m.truncated, m.raw.len())).collect();
    assert_eq!(
        cut,
        [
            (false, report(1).len()),
            (true, MAX_MESSAGE),
            (false, report(3).len())
        ]
    );
    assert_eq!(got[1].raw[..], big[..MAX_MESSAGE]);
    assert_eq!(dovecot.flags(), [(1, true), (2, true), (3, true)]);
}

#[test]
fn a_refused_login_is_a_usage_error_naming_the_url_and_never_the_password() {
    let _machine = shared();
    let pki = Pki::new();
    let dovecot = Dovecot::start(&pki);
    dovecot.append(&[(&report(1), false)]);
    let dir = tempfile::tempdir().unwrap();
    let wrong = "not-the-password-41";
    let imap = mailbox(&dovecot.url(true, "INBOX"), &dir, Some(&pki), wrong);
    let err = read(&imap, |_| Done::Recorded).unwrap_err();
    let said = err.to_string();
    assert_eq!(err.status(), ExitStatus::Usage, "{said}");
    assert!(said.contains(&imap.url()), "{said}");
    assert!(said.contains("refused the login"), "{said}");
    assert!(!said.contains(wrong) && !said.contains(PASSWORD), "{said}");
    assert_eq!(dovecot.flags(), [(1, false)]);
}

#[test]
fn a_missing_mailbox_is_a_usage_error_naming_it() {
    let _machine = shared();
    let pki = Pki::new();
    let dovecot = Dovecot::start(&pki);
    let dir = tempfile::tempdir().unwrap();
    let imap = mailbox(&dovecot.url(true, "Bounces"), &dir, Some(&pki), PASSWORD);
    let err = read(&imap, |_| Done::Recorded).unwrap_err();
    assert_eq!(err.status(), ExitStatus::Usage, "{err}");
    assert!(err.to_string().contains("mailbox Bounces"), "{err}");
}

#[test]
fn a_certificate_from_another_ca_is_refused_in_plain_words() {
    let _machine = shared();
    let (pki, other) = (Pki::new(), Pki::new());
    let dovecot = Dovecot::start(&pki);
    dovecot.append(&[(&report(1), false)]);
    let dir = tempfile::tempdir().unwrap();
    for implicit in [true, false] {
        let imap = mailbox(
            &dovecot.url(implicit, "INBOX"),
            &dir,
            Some(&other),
            PASSWORD,
        );
        let err = read(&imap, |_| Done::Recorded).unwrap_err();
        let said = err.to_string();
        assert_eq!(err.status(), ExitStatus::Usage, "{said}");
        assert!(said.contains("not signed by the CA in ca_file"), "{said}");
        assert!(said.contains(&other.ca().display().to_string()), "{said}");
        // Without ca_file, the platform's roots do not know the tests' CA.
        let mut platform = imap.clone();
        platform.ca_file = None;
        let err = read(&platform, |_| Done::Recorded).unwrap_err();
        assert!(err.to_string().contains("set ca_file"), "{err}");
    }
    assert_eq!(dovecot.flags(), [(1, false)]);
}

#[test]
fn a_server_that_never_speaks_times_out_as_try_again_later() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        // Accept and say nothing, twice (imaps, then imap).
        let a = listener.accept().unwrap();
        let b = listener.accept().unwrap();
        std::thread::sleep(Duration::from_secs(3));
        drop((a, b));
    });
    let dir = tempfile::tempdir().unwrap();
    for scheme in ["imaps", "imap"] {
        let url = format!("{scheme}://u@127.0.0.1:{port}/INBOX");
        let imap = mailbox(&url, &dir, None, "pw");
        let start = Instant::now();
        let err = source::imap::read(&imap, Duration::from_millis(500), &mut |_| {
            Ok(Done::Recorded)
        })
        .unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(err.status(), ExitStatus::Deferred, "{err}");
        assert!(err.to_string().contains("no answer within"), "{err}");
    }
    held.join().unwrap();
    // Nobody listening at all: the same, at once.
    let closed = crate::support::free_port();
    let imap = mailbox(&format!("imaps://u@127.0.0.1:{closed}/"), &dir, None, "pw");
    let err = read(&imap, |_| Done::Recorded).unwrap_err();
    assert_eq!(err.status(), ExitStatus::Deferred, "{err}");
    assert!(err.to_string().contains("cannot connect"), "{err}");
}

#[test]
fn a_server_that_refuses_starttls_never_hears_the_login() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"* OK [CAPABILITY IMAP4rev1] plain only\r\n")
            .unwrap();
        let mut heard = Vec::new();
        let mut buf = [0; 512];
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            heard.extend_from_slice(&buf[..n]);
            if let Some(tag) = heard.strip_suffix(b" STARTTLS\r\n") {
                let tag = tag.to_vec();
                s.write_all(&[&tag[..], b" BAD no TLS here\r\n"].concat())
                    .unwrap();
            }
        }
        String::from_utf8_lossy(&heard).into_owned()
    });
    let dir = tempfile::tempdir().unwrap();
    let imap = mailbox(&format!("imap://u@127.0.0.1:{port}/"), &dir, None, "pw");
    let err = read(&imap, |_| Done::Recorded).unwrap_err();
    assert_eq!(err.status(), ExitStatus::Usage, "{err}");
    assert!(err.to_string().contains("refused STARTTLS"), "{err}");
    let heard = server.join().unwrap();
    assert!(!heard.to_uppercase().contains("LOGIN"), "{heard}");
    assert!(!heard.contains("pw"), "{heard}");
}
