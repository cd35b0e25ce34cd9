//! Transcript tests: a scripted server gives its replies; these are the bytes
//! written, in which groups (what arrived before the server said anything),
//! and these the outcomes.

use super::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

const WAIT: Timeouts = Timeouts {
    command: Duration::from_secs(5),
    data: Duration::from_secs(5),
};

/// One turn of the server: wait until what arrived since its last reply ends
/// with `until`, then write the reply in these pieces, one write each.
struct Turn {
    until: &'static str,
    pieces: Vec<&'static str>,
}

fn turn(until: &'static str, reply: &'static str) -> Turn {
    Turn {
        until,
        pieces: vec![reply],
    }
}

/// Plays `turns`, then closes; returns what arrived before each reply.
async fn server(mut s: DuplexStream, turns: Vec<Turn>) -> Vec<String> {
    let mut groups = Vec::new();
    let mut buf = [0u8; 65536];
    for t in turns {
        let mut seen = Vec::new();
        while !seen.ends_with(t.until.as_bytes()) {
            let n = s.read(&mut buf).await.unwrap();
            if n == 0 {
                groups.push(String::from_utf8_lossy(&seen).into_owned());
                return groups;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        groups.push(String::from_utf8_lossy(&seen).into_owned());
        for piece in t.pieces {
            s.write_all(piece.as_bytes()).await.unwrap();
            s.flush().await.unwrap();
            tokio::task::yield_now().await;
        }
    }
    groups
}

fn envelope(to: &str) -> Commands {
    Commands {
        mail: "MAIL FROM:<list@example.org>\r\n".into(),
        rcpt: format!("RCPT TO:<{to}>\r\n"),
    }
}

fn start(
    pipelining: bool,
    turns: Vec<Turn>,
) -> (Session<DuplexStream>, tokio::task::JoinHandle<Vec<String>>) {
    let (client, srv) = tokio::io::duplex(1 << 20);
    (
        Session::new(client, pipelining),
        tokio::spawn(server(srv, turns)),
    )
}

const ENV_A: &str = "MAIL FROM:<list@example.org>\r\nRCPT TO:<a@example.com>\r\nDATA\r\n";
const ENV_B: &str = "MAIL FROM:<list@example.org>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n";

#[tokio::test]
async fn pipelined_the_next_envelope_goes_with_the_end_of_data() {
    let (mut session, server) = start(
        true,
        vec![
            turn("DATA\r\n", "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n"),
            turn(
                "DATA\r\n",
                "250 2.0.0 queued as A\r\n250 Ok\r\n250 Ok\r\n354 go\r\n",
            ),
            turn("\r\n.\r\n", "250 2.0.0 queued as B\r\n"),
        ],
    );
    let (a, b) = (envelope("a@example.com"), envelope("b@example.com"));
    let first = session
        .send(&a, b"Subject: 1\r\n\r\none", Some(&b), WAIT)
        .await;
    assert_eq!(first.unwrap().text(), "2.0.0 queued as A");
    assert!(session.holds_ahead());
    let second = session.send(&b, b"Subject: 2\r\n\r\ntwo", None, WAIT).await;
    assert_eq!(second.unwrap().text(), "2.0.0 queued as B");
    assert!(session.usable() && !session.holds_ahead());
    drop(session);
    let groups = server.await.unwrap();
    assert_eq!(
        groups,
        vec![
            ENV_A.to_string(),
            format!("Subject: 1\r\n\r\none\r\n.\r\n{ENV_B}"),
            "Subject: 2\r\n\r\ntwo\r\n.\r\n".to_string(),
        ]
    );
}

#[tokio::test]
async fn without_pipelining_each_command_waits_for_its_reply() {
    let (mut session, server) = start(
        false,
        vec![
            turn("\r\n", "250 Ok\r\n"),
            turn("\r\n", "250 Ok\r\n"),
            turn("\r\n", "354 go\r\n"),
            turn("\r\n.\r\n", "250 queued\r\n"),
        ],
    );
    let (a, b) = (envelope("a@example.com"), envelope("b@example.com"));
    let sent = session
        .send(&a, b"Subject: 1\r\n\r\none", Some(&b), WAIT)
        .await;
    assert_eq!(sent.unwrap().code, 250);
    // Nothing was sent ahead: the next envelope is the server's next command.
    assert!(!session.holds_ahead());
    drop(session);
    let groups = server.await.unwrap();
    assert_eq!(
        groups,
        [
            "MAIL FROM:<list@example.org>\r\n",
            "RCPT TO:<a@example.com>\r\n",
            "DATA\r\n",
            "Subject: 1\r\n\r\none\r\n.\r\n",
        ]
    );
}

#[tokio::test]
async fn replies_split_across_reads_and_multi_line_replies_are_read_whole() {
    let (mut session, server) = start(
        true,
        vec![
            Turn {
                until: "DATA\r\n",
                pieces: vec![
                    "25",
                    "0 Ok\r\n250-Ok,\r\n250",
                    "-go on\r\n250 done\r\n3",
                    "54 go\r\n",
                ],
            },
            Turn {
                until: "\r\n.\r\n",
                pieces: vec!["250-2.0.0 queued\r\n", "250 2.0.0 as A\r\n"],
            },
        ],
    );
    let reply = session
        .send(&envelope("a@example.com"), b"x", None, WAIT)
        .await
        .unwrap();
    assert_eq!(reply.lines, ["2.0.0 queued", "2.0.0 as A"]);
    drop(session);
    assert_eq!(server.await.unwrap(), [ENV_A, "x\r\n.\r\n"]);
}

#[tokio::test]
async fn a_connection_dropped_mid_group_is_dropped_at_the_command_it_answered() {
    let (mut session, server) = start(true, vec![turn("DATA\r\n", "250 Ok\r\n")]);
    let sent = session
        .send(&envelope("a@example.com"), b"x", None, WAIT)
        .await;
    assert!(
        matches!(sent, Err(Failure::Dropped(Step::Rcpt, _))),
        "{sent:?}"
    );
    assert!(!session.usable());
    server.await.unwrap();
}

#[tokio::test]
async fn a_refused_recipient_is_that_recipients_and_the_connection_carries_on() {
    let (mut session, server) = start(
        true,
        vec![
            turn(
                "DATA\r\n",
                "250 Ok\r\n550 5.1.1 <a@example.com>: User unknown\r\n554 5.5.1 No valid recipients\r\n",
            ),
            turn("DATA\r\n", "250 reset\r\n250 Ok\r\n250 Ok\r\n354 go\r\n"),
            turn("\r\n.\r\n", "250 queued\r\n"),
        ],
    );
    let refused = session
        .send(&envelope("a@example.com"), b"x", None, WAIT)
        .await;
    let Err(Failure::Refused(Step::Rcpt, reply)) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(
        (reply.code, reply.text()),
        (550, "5.1.1 <a@example.com>: User unknown".into())
    );
    assert!(session.usable());
    let sent = session
        .send(&envelope("b@example.com"), b"y", None, WAIT)
        .await;
    assert_eq!(sent.unwrap().text(), "queued");
    drop(session);
    let groups = server.await.unwrap();
    assert_eq!(groups[1], format!("RSET\r\n{ENV_B}"));
}

#[tokio::test]
async fn a_421_mid_group_is_the_outcome_not_the_disconnect_after_it() {
    let (mut session, server) = start(
        true,
        vec![turn("DATA\r\n", "250 Ok\r\n421 4.3.2 Shutting down\r\n")],
    );
    let sent = session
        .send(&envelope("a@example.com"), b"x", None, WAIT)
        .await;
    let Err(Failure::Refused(Step::Rcpt, reply)) = sent else {
        panic!("{sent:?}")
    };
    assert_eq!(reply.code, 421);
    assert!(!session.usable());
    server.await.unwrap();
}

#[tokio::test]
async fn a_refused_sender_is_the_mail_commands() {
    let (mut session, server) = start(
        true,
        vec![turn(
            "DATA\r\n",
            "553 5.1.8 Sender refused\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need RCPT\r\n",
        )],
    );
    let sent = session
        .send(&envelope("a@example.com"), b"x", None, WAIT)
        .await;
    let Err(Failure::Refused(Step::Mail, reply)) = sent else {
        panic!("{sent:?}")
    };
    assert_eq!(reply.code, 553);
    drop(session);
    server.await.unwrap();
}

#[tokio::test]
async fn a_354_after_a_refusal_leaves_the_connection_unusable() {
    let (mut session, server) = start(
        true,
        vec![turn(
            "DATA\r\n",
            "250 Ok\r\n550 5.1.1 unknown\r\n354 go\r\n",
        )],
    );
    let sent = session
        .send(&envelope("a@example.com"), b"x", None, WAIT)
        .await;
    assert!(
        matches!(sent, Err(Failure::Refused(Step::Rcpt, _))),
        "{sent:?}"
    );
    assert!(!session.usable());
    drop(session);
    server.await.unwrap();
}

#[tokio::test]
async fn another_message_than_the_envelope_sent_ahead_finds_the_session_stale() {
    let (mut session, server) = start(
        true,
        vec![
            turn("DATA\r\n", "250 Ok\r\n250 Ok\r\n354 go\r\n"),
            turn("DATA\r\n", "250 queued\r\n250 Ok\r\n250 Ok\r\n354 go\r\n"),
        ],
    );
    let (a, b) = (envelope("a@example.com"), envelope("b@example.com"));
    session.send(&a, b"x", Some(&b), WAIT).await.unwrap();
    let other = session
        .send(&envelope("c@example.com"), b"y", None, WAIT)
        .await;
    assert_eq!(other, Err(Failure::Stale));
    drop(session);
    // Nothing of the other message was written.
    let groups = server.await.unwrap();
    assert_eq!(groups.len(), 2);
    assert!(!groups.concat().contains("c@example.com"));
}

#[tokio::test]
async fn a_refused_message_leaves_the_next_envelope_standing() {
    let (mut session, server) = start(
        true,
        vec![
            turn("DATA\r\n", "250 Ok\r\n250 Ok\r\n354 go\r\n"),
            turn(
                "DATA\r\n",
                "554 5.7.1 spam\r\n250 Ok\r\n250 Ok\r\n354 go\r\n",
            ),
            turn("\r\n.\r\n", "250 queued\r\n"),
        ],
    );
    let (a, b) = (envelope("a@example.com"), envelope("b@example.com"));
    let refused = session.send(&a, b"x", Some(&b), WAIT).await;
    assert!(matches!(refused, Err(Failure::Refused(Step::EndOfData, _))));
    assert!(session.usable());
    session.send(&b, b"y", None, WAIT).await.unwrap();
    drop(session);
    assert_eq!(server.await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_reply_that_is_not_smtp_is_a_dropped_connection() {
    let (mut session, server) = start(true, vec![turn("DATA\r\n", "HTTP/1.1 400 Bad\r\n")]);
    let sent = session
        .send(&envelope("a@example.com"), b"x", None, WAIT)
        .await;
    assert!(
        matches!(sent, Err(Failure::Dropped(Step::Mail, _))),
        "{sent:?}"
    );
    drop(session);
    server.await.unwrap();
}

#[tokio::test]
async fn only_a_close_or_421_before_the_end_of_data_says_nothing_was_delivered() {
    let (mut session, server) = start(
        true,
        vec![
            turn("DATA\r\n", "250 Ok\r\n250 Ok\r\n354 go\r\n"),
            turn("\r\n.\r\n", "250 queued\r\n421 4.4.2 timeout\r\n"),
        ],
    );
    session
        .send(&envelope("a@example.com"), b"x", None, WAIT)
        .await
        .unwrap();
    let idle = session
        .send(&envelope("b@example.com"), b"y", None, WAIT)
        .await;
    let failure = idle.unwrap_err();
    assert!(matches!(&failure, Failure::Refused(Step::Mail, r) if r.code == 421));
    assert!(session.closed_before_data(&failure));
    server.await.unwrap();

    // Read to the `.`, then closed: perhaps queued, its reply lost.
    let ok = turn("DATA\r\n", "250 Ok\r\n250 Ok\r\n354 go\r\n");
    let (mut session, server) = start(true, vec![ok, turn("\r\n.\r\n", "")]);
    let lost = session
        .send(&envelope("a@example.com"), b"x", None, WAIT)
        .await;
    let failure = lost.unwrap_err();
    assert!(
        matches!(failure, Failure::Dropped(Step::EndOfData, _)),
        "{failure:?}"
    );
    assert!(!session.closed_before_data(&failure));
    server.await.unwrap();
}

/// lettre's own transparency, byte by byte (its ClientCodec), to compare with.
fn lettre_stuffed(message: &[u8]) -> Vec<u8> {
    let (mut out, mut line_start, mut after_cr) = (Vec::new(), true, false);
    for &b in message {
        out.push(b);
        if b == b'.' && line_start {
            out.push(b'.');
        }
        line_start = b == b'\n' && after_cr;
        after_cr = b == b'\r';
    }
    out
}

#[test]
fn stuffs_dots_at_line_starts_as_lettre_does() {
    let mut out = Vec::new();
    stuff(b".a\r\n..b\r\nc.\r\n.\r\n", &mut out);
    assert_eq!(out, b"..a\r\n...b\r\nc.\r\n..\r\n");
    for case in [
        &b""[..],
        b".",
        b"\r\n.",
        b"a\n.b\r.c\r\r\n.d",
        b"\n\r\n\r\n..\r\n",
        b"x\r\n.\r\n.\r\n",
        b"no dots\r\nat all\r\n",
    ] {
        let mut out = Vec::new();
        stuff(case, &mut out);
        assert_eq!(
            out,
            lettre_stuffed(case),
            "{:?}",
            String::from_utf8_lossy(case)
        );
    }
}
