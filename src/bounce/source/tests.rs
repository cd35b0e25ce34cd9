//! The Maildir and mbox sources on temporary directories, through `each`.

use super::*;
use std::path::Path;

/// Every message `each` hands over, answering `done` to each.
fn read_all(spec: &Spec, done: Done) -> Vec<Message> {
    let mut seen = Vec::new();
    each(spec, &mut |m| {
        seen.push(m);
        Ok(done)
    })
    .unwrap();
    seen
}

fn maildir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
    }
    dir
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn one_message_is_cut_at_the_limit_and_says_so() {
    let small = read_one(&mut &b"Subject: x\r\n\r\nhi\r\n"[..], "here").unwrap();
    assert!(!small.truncated);
    assert_eq!(small.raw, b"Subject: x\r\n\r\nhi\r\n");
    let big = vec![b'a'; MAX_MESSAGE + 10];
    let m = read_one(&mut &big[..], "here").unwrap();
    assert!(m.truncated);
    assert_eq!(m.raw.len(), MAX_MESSAGE);
}

#[test]
fn a_maildir_is_read_in_name_order_and_recorded_ones_move_to_cur_seen() {
    let dir = maildir();
    let new = dir.path().join("new");
    std::fs::write(new.join("200.b.host"), "Subject: b\r\n\r\nb\r\n").unwrap();
    std::fs::write(new.join("100.a.host"), "Subject: a\r\n\r\na\r\n").unwrap();
    std::fs::write(new.join("300.c.host:2,F"), "Subject: c\r\n\r\nc\r\n").unwrap();
    std::fs::write(new.join(".hidden"), "not a message").unwrap();
    std::fs::write(dir.path().join("cur/050.old.host:2,S"), "processed").unwrap();
    let spec = Spec::Maildir(dir.path().to_path_buf());
    let got = read_all(&spec, Done::Recorded);
    let subjects: Vec<&[u8]> = got.iter().map(|m| &m.raw[..12]).collect();
    assert_eq!(
        subjects,
        [&b"Subject: a\r\n"[..], b"Subject: b\r\n", b"Subject: c\r\n"]
    );
    assert!(got.iter().all(|m| !m.truncated));
    assert_eq!(got[0].origin, new.join("100.a.host").display().to_string());
    assert_eq!(names(&new), [".hidden"]);
    assert_eq!(
        names(&dir.path().join("cur")),
        [
            "050.old.host:2,S",
            "100.a.host:2,S",
            "200.b.host:2,S",
            "300.c.host:2,FS"
        ]
    );
    // Nothing left in new/: a second run reads nothing.
    assert!(read_all(&spec, Done::Recorded).is_empty());
}

#[test]
fn a_maildir_message_left_stays_in_new() {
    let dir = maildir();
    std::fs::write(dir.path().join("new/1.x.host"), "Subject: x\n\nx\n").unwrap();
    let spec = Spec::Maildir(dir.path().to_path_buf());
    assert_eq!(read_all(&spec, Done::Leave).len(), 1);
    assert_eq!(names(&dir.path().join("new")), ["1.x.host"]);
    assert!(names(&dir.path().join("cur")).is_empty());
    assert_eq!(read_all(&spec, Done::Leave).len(), 1);
}

#[test]
fn an_oversize_maildir_message_is_cut_and_flagged() {
    let dir = maildir();
    let big = vec![b'a'; MAX_MESSAGE + 1];
    std::fs::write(dir.path().join("new/1.big.host"), &big).unwrap();
    let got = read_all(&Spec::Maildir(dir.path().to_path_buf()), Done::Recorded);
    assert_eq!(got.len(), 1);
    assert!(got[0].truncated);
    assert_eq!(got[0].raw.len(), MAX_MESSAGE);
    assert_eq!(names(&dir.path().join("cur")), ["1.big.host:2,S"]);
}

#[test]
fn a_maildir_message_that_vanishes_mid_run_is_skipped() {
    let dir = maildir();
    let new = dir.path().join("new");
    for n in ["1.a.host", "2.b.host", "3.c.host"] {
        std::fs::write(new.join(n), format!("Subject: {n}\n\n")).unwrap();
    }
    let spec = Spec::Maildir(dir.path().to_path_buf());
    let mut seen = Vec::new();
    each(&spec, &mut |m| {
        // Another reader takes the second message while we read the first,
        // and the third while we hold the second... which never comes.
        if seen.is_empty() {
            std::fs::rename(new.join("2.b.host"), dir.path().join("cur/2.b.host:2,S")).unwrap();
        }
        seen.push(m.origin);
        std::fs::remove_file(new.join("3.c.host")).ok();
        Ok(Done::Recorded)
    })
    .unwrap();
    assert_eq!(seen, [new.join("1.a.host").display().to_string()]);
    assert_eq!(
        names(&dir.path().join("cur")),
        ["1.a.host:2,S", "2.b.host:2,S"]
    );
}

#[test]
fn a_directory_that_is_not_a_maildir_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("new")).unwrap();
    let spec = Spec::Maildir(dir.path().to_path_buf());
    let err = each(&spec, &mut |_| Ok(Done::Recorded)).unwrap_err();
    assert!(
        err.to_string().contains(&dir.path().display().to_string()),
        "{err}"
    );
    assert!(err.to_string().contains("not a Maildir"), "{err}");
    assert_eq!(err.status(), crate::exit::ExitStatus::Usage);
}

#[test]
fn an_error_from_take_stops_the_reading_and_moves_nothing() {
    let dir = maildir();
    std::fs::write(dir.path().join("new/1.a.host"), "x").unwrap();
    std::fs::write(dir.path().join("new/2.b.host"), "y").unwrap();
    let spec = Spec::Maildir(dir.path().to_path_buf());
    let mut calls = 0;
    let err = each(&spec, &mut |_| {
        calls += 1;
        Err(Error::Failed("the store is gone".into()))
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "the store is gone");
    assert_eq!(calls, 1);
    assert_eq!(names(&dir.path().join("new")), ["1.a.host", "2.b.host"]);
}

fn mbox(text: &[u8]) -> (tempfile::TempDir, Spec) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bounces");
    std::fs::write(&path, text).unwrap();
    (dir, Spec::Mbox(path))
}

fn raws(spec: &Spec) -> Vec<String> {
    read_all(spec, Done::Recorded)
        .into_iter()
        .map(|m| String::from_utf8(m.raw).unwrap())
        .collect()
}

#[test]
fn an_mbox_is_split_on_from_lines_after_a_blank_line_and_never_written() {
    let text = "From MAILER-DAEMON Mon Nov 30 09:00:00 2026\n\
                Subject: one\n\nbody one\nFrom here, not a separator\n\n\
                From MAILER-DAEMON Mon Nov 30 09:01:00 2026\n\
                Subject: two\n\nbody two\n\n";
    let (dir, spec) = mbox(text.as_bytes());
    let got = read_all(&spec, Done::Recorded);
    let raw: Vec<String> = got
        .iter()
        .map(|m| String::from_utf8(m.raw.clone()).unwrap())
        .collect();
    assert_eq!(
        raw,
        [
            "Subject: one\n\nbody one\nFrom here, not a separator\n",
            "Subject: two\n\nbody two\n"
        ]
    );
    let bounces = dir.path().join("bounces");
    assert_eq!(
        got[1].origin,
        format!("mbox {}, message 2", bounces.display())
    );
    assert_eq!(std::fs::read_to_string(&bounces).unwrap(), text);
}

#[test]
fn mboxrd_quoting_is_undone_one_level() {
    let text = "From a@b Mon Nov 30 09:00:00 2026\n\
                Subject: q\n\n>From the start\n>>From deeper\n> From not quoted\n";
    let (_dir, spec) = mbox(text.as_bytes());
    assert_eq!(
        raws(&spec),
        ["Subject: q\n\nFrom the start\n>From deeper\n> From not quoted\n"]
    );
}

#[test]
fn a_crlf_mbox_keeps_its_line_ends() {
    let text = "From a@b Mon Nov 30 09:00:00 2026\r\nSubject: one\r\n\r\nx\r\n\r\n\
                From a@b Mon Nov 30 09:00:01 2026\r\nSubject: two\r\n\r\n>From y\r\n";
    let (_dir, spec) = mbox(text.as_bytes());
    assert_eq!(
        raws(&spec),
        [
            "Subject: one\r\n\r\nx\r\n",
            "Subject: two\r\n\r\nFrom y\r\n"
        ]
    );
}

#[test]
fn an_empty_mbox_holds_no_message_and_a_last_line_needs_no_newline() {
    let (_dir, spec) = mbox(b"");
    assert!(raws(&spec).is_empty());
    let (_dir, spec) = mbox(b"From a@b Mon Nov 30 09:00:00 2026\nSubject: x\n\nno newline");
    assert_eq!(raws(&spec), ["Subject: x\n\nno newline"]);
}

#[test]
fn an_oversize_mbox_message_is_cut_and_the_next_one_still_read() {
    let mut text = b"From a@b Mon Nov 30 09:00:00 2026\nSubject: big\n\n".to_vec();
    // One long line, then many short ones, past the limit.
    text.extend(vec![b'x'; MAX_MESSAGE / 2]);
    text.push(b'\n');
    for _ in 0..(MAX_MESSAGE / 64) {
        text.extend([b'y'; 63]);
        text.push(b'\n');
    }
    text.extend(b"\nFrom a@b Mon Nov 30 09:00:01 2026\nSubject: small\n\nok\n");
    let (_dir, spec) = mbox(&text);
    let got = read_all(&spec, Done::Recorded);
    assert_eq!(got.len(), 2);
    assert!(got[0].truncated);
    assert_eq!(got[0].raw.len(), MAX_MESSAGE);
    assert!(got[0].raw.starts_with(b"Subject: big\n\nxxx"));
    assert!(!got[1].truncated);
    assert_eq!(got[1].raw, b"Subject: small\n\nok\n");
}

#[test]
fn a_file_that_is_not_an_mbox_or_is_missing_is_an_error_naming_it() {
    let (dir, spec) = mbox(b"Subject: an .eml file\n\nhello\n");
    let err = each(&spec, &mut |_| Ok(Done::Recorded)).unwrap_err();
    let path = dir.path().join("bounces").display().to_string();
    assert!(err.to_string().contains(&path), "{err}");
    assert!(err.to_string().contains("not an mbox"), "{err}");
    assert_eq!(err.status(), crate::exit::ExitStatus::Usage);
    let gone = Spec::Mbox(dir.path().join("missing"));
    let err = each(&gone, &mut |_| Ok(Done::Recorded)).unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
    assert_eq!(err.status(), crate::exit::ExitStatus::Usage);
}

#[test]
fn a_source_argument_is_told_apart_by_what_it_names() {
    let dir = maildir();
    assert_eq!(Spec::from_arg("-").unwrap(), Spec::Stdin);
    let d = dir.path().display().to_string();
    assert_eq!(
        Spec::from_arg(&d).unwrap(),
        Spec::Maildir(dir.path().to_path_buf())
    );
    let file = dir.path().join("mbox");
    std::fs::write(&file, "").unwrap();
    assert_eq!(
        Spec::from_arg(file.to_str().unwrap()).unwrap(),
        Spec::Mbox(file)
    );
    match Spec::from_arg("imaps://bounces@mail.example.org/Reports").unwrap() {
        Spec::Imap(i) => assert_eq!(i.url(), "imaps://bounces@mail.example.org:993/Reports"),
        other => panic!("{other:?}"),
    }
    let err = Spec::from_arg("imaps://u:secret@h").unwrap_err();
    assert!(!err.to_string().contains("secret"), "{err}");
    assert_eq!(err.status(), crate::exit::ExitStatus::Usage);
    let err = Spec::from_arg(&format!("{d}/nowhere")).unwrap_err();
    assert!(err.to_string().contains("nowhere"), "{err}");
    assert_eq!(err.status(), crate::exit::ExitStatus::Usage);
}

#[test]
fn a_huge_maildir_file_is_read_only_up_to_the_limit() {
    // 64 GiB, sparse: reading it all would take minutes.
    let dir = maildir();
    let file = std::fs::File::create(dir.path().join("new/1.huge.host")).unwrap();
    file.set_len(64 << 30).unwrap();
    drop(file);
    let start = std::time::Instant::now();
    let got = read_all(&Spec::Maildir(dir.path().to_path_buf()), Done::Leave);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(got[0].truncated);
    assert_eq!(got[0].raw.len(), MAX_MESSAGE);
}

/// A name already in cur/ (a copy restored from a backup, another reader's
/// work) must not stop every later message, run after run: that message is
/// left in new/, and the others are read and moved.
#[test]
fn a_message_whose_name_is_taken_in_cur_is_left_and_the_rest_still_read() {
    let dir = maildir();
    for name in ["1.a.host", "2.b.host"] {
        std::fs::write(
            dir.path().join("new").join(name),
            b"Subject: x\r\n\r\nx\r\n",
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("cur/1.a.host:2,S"), b"an older copy").unwrap();
    let seen = read_all(&Spec::Maildir(dir.path().to_path_buf()), Done::Recorded);
    assert_eq!(seen.len(), 2);
    assert_eq!(names(&dir.path().join("new")), ["1.a.host"]);
    assert_eq!(
        names(&dir.path().join("cur")),
        ["1.a.host:2,S", "2.b.host:2,S"]
    );
    assert_eq!(
        std::fs::read(dir.path().join("cur/1.a.host:2,S")).unwrap(),
        b"an older copy",
        "nothing is overwritten"
    );
}
