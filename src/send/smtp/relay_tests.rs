//! A relay against scripted servers on 127.0.0.1: which connection each
//! message went on, how many times its data arrived, and the outcomes.

use super::*;
use crate::config::TlsMode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// One turn of a connection: wait until what arrived since the last turn
/// ends with `until`, then write `reply` (nothing: just go on).
struct Turn {
    until: &'static str,
    reply: &'static str,
}

fn turn(until: &'static str, reply: &'static str) -> Turn {
    Turn { until, reply }
}

const ENVELOPE_OK: &str = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n";

/// EHLO's turn, offering PIPELINING, then one message accepted.
fn hello_and_one_message(queued: &'static str) -> Vec<Turn> {
    vec![
        turn("\r\n", "250-test\r\n250 PIPELINING\r\n"),
        turn("DATA\r\n", ENVELOPE_OK),
        turn("\r\n.\r\n", queued),
    ]
}

/// A server playing one script a connection, in turn, closing each after its
/// last turn: the connections accepted so far, and what arrived on each.
async fn scripted(
    scripts: Vec<Vec<Turn>>,
) -> (u16, Arc<AtomicUsize>, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::unbounded_channel();
    let count = accepted.clone();
    tokio::spawn(async move {
        for script in scripts {
            let (mut s, _) = listener.accept().await.unwrap();
            count.fetch_add(1, Ordering::SeqCst);
            s.write_all(b"220 test ESMTP\r\n").await.unwrap();
            let (mut all, mut buf) = (Vec::new(), [0u8; 65536]);
            'turns: for t in script {
                let mut seen = Vec::new();
                while !seen.ends_with(t.until.as_bytes()) {
                    let n = s.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        all.extend_from_slice(&seen);
                        break 'turns;
                    }
                    seen.extend_from_slice(&buf[..n]);
                }
                all.extend_from_slice(&seen);
                s.write_all(t.reply.as_bytes()).await.unwrap();
            }
            drop(s);
            let _ = tx.send(String::from_utf8_lossy(&all).into_owned());
        }
    });
    (port, accepted, rx)
}

fn relay(port: u16) -> SmtpRelay {
    let mut relay = Relay::new("127.0.0.1", port, TlsMode::None);
    relay.connections = 1;
    relay.connect_timeout = Duration::from_secs(5);
    relay.command_timeout = Duration::from_secs(5);
    relay.data_timeout = Duration::from_secs(5);
    SmtpRelay::new(&relay).unwrap()
}

fn to(who: &str) -> Envelope {
    Envelope {
        from: "list@example.org".into(),
        to: format!("{who}@example.com"),
    }
}

#[tokio::test]
async fn a_drop_after_the_end_of_data_is_deferred_and_never_sent_again_at_once() {
    let mut first = hello_and_one_message("250 2.0.0 queued as A\r\n");
    // The second message's data is read to its `.`, then the connection
    // closes: the server may have queued it, its 250 lost.
    first.push(turn("DATA\r\n", ENVELOPE_OK));
    first.push(turn("\r\n.\r\n", ""));
    let again = hello_and_one_message("250 2.0.0 queued as B again\r\n");
    let (port, accepted, mut transcripts) = scripted(vec![first, again]).await;
    let relay = relay(port);
    let sent = relay.send(&to("a"), b"Subject: A\r\n\r\nA").await;
    assert!(matches!(sent, Outcome::Sent { .. }), "{sent:?}");
    let dropped = relay.send(&to("b"), b"Subject: B\r\n\r\nB").await;
    let Outcome::Deferred {
        code: None,
        reply,
        relay_trouble: false,
    } = &dropped
    else {
        panic!("{dropped:?}")
    };
    assert!(reply.contains("may have been delivered"), "{reply}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "a second connection");
    let transcript = transcripts.recv().await.unwrap();
    assert_eq!(transcript.matches("Subject: B").count(), 1, "{transcript}");
}

#[tokio::test]
async fn a_421_on_an_idle_reused_connection_sends_on_a_fresh_one() {
    // The first connection says 421 and closes after its message, as a
    // server does when a connection sits idle too long.
    let first = hello_and_one_message("250 2.0.0 queued as A\r\n421 4.4.2 timeout\r\n");
    let second = hello_and_one_message("250 2.0.0 queued as B\r\n");
    let (port, accepted, mut transcripts) = scripted(vec![first, second]).await;
    let relay = relay(port);
    let sent = relay.send(&to("a"), b"Subject: A\r\n\r\nA").await;
    assert!(matches!(sent, Outcome::Sent { .. }), "{sent:?}");
    // The server has closed the first connection before the next message.
    let idle = transcripts.recv().await.unwrap();
    assert!(!idle.contains("Subject: B"), "{idle}");
    let sent = relay.send(&to("b"), b"Subject: B\r\n\r\nB").await;
    assert_eq!(
        sent,
        Outcome::Sent {
            reply: "250 2.0.0 queued as B".into()
        }
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    drop(relay);
    let fresh = transcripts.recv().await.unwrap();
    assert!(fresh.contains("Subject: B"), "{fresh}");
}

#[tokio::test]
async fn a_421_on_a_fresh_connection_is_the_relays_trouble_and_not_retried() {
    let refusing = vec![
        turn("\r\n", "250-test\r\n250 PIPELINING\r\n"),
        turn("DATA\r\n", "421 4.3.2 Shutting down\r\n"),
    ];
    let spare = hello_and_one_message("250 2.0.0 queued\r\n");
    let (port, accepted, _transcripts) = scripted(vec![refusing, spare]).await;
    let relay = relay(port);
    let sent = relay.send(&to("a"), b"Subject: A\r\n\r\nA").await;
    assert!(
        matches!(
            sent,
            Outcome::Deferred {
                code: Some(421),
                relay_trouble: true,
                ..
            }
        ),
        "{sent:?}"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}
