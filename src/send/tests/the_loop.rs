//! The loop's rules: the group commit, the drain on SIGTERM, a resting
//! relay's work moving to another, deferral backoff, the abort on a refused login.

use super::*;
/// Before a connection sends recipient N+1, recipient N is `sent` in the
/// database as a second process would read it; with DKIM, so that the next
/// message is already built and waiting while N's result is committed.
#[tokio::test]
async fn a_result_is_committed_before_its_connection_sends_again() {
    let mut f = Fixture::new(6);
    let path = f.path.clone();
    let violations = Arc::new(Mutex::new(Vec::new()));
    let called = Arc::new(Mutex::new(Vec::<String>::new()));
    let (v, c) = (violations.clone(), called.clone());
    let stub = Arc::new(Stub::new("one").on_call(move |e| {
        let other = Store::open(&path).unwrap();
        for row in rows(&other) {
            let before = c.lock().unwrap().contains(&row.email);
            if before && row.state != DeliveryState::Sent {
                let when = format!("sending to {}, {} is {}", e.to, row.email, row.state);
                v.lock().unwrap().push(when);
            }
        }
        c.lock().unwrap().push(e.to.clone());
    }));
    let report = f
        .send(vec![route(&stub, 1)], true, &mut Stop::never())
        .await;
    assert_eq!(report.sent, 6);
    assert_eq!(stub.recipients().len(), 6);
    assert!(stub.received()[0].1.starts_with(b"DKIM-Signature:"));
    assert_eq!(violations.lock().unwrap().as_slice(), [] as [String; 0]);
}

/// SIGTERM while a message is on the wire: it finishes and is recorded, the
/// one signed ahead is given back untried, nothing new is taken, and the rest
/// stay pending.
#[tokio::test(start_paused = true)]
async fn sigterm_drains_in_flight_messages_and_leaves_the_rest_pending() {
    let mut f = Fixture::new(10);
    let (tx, rx) = mpsc::unbounded_channel();
    let stub = Stub::new("slow").taking(Duration::from_secs(1));
    let stub = Arc::new(stub.on_call(move |e| {
        if e.to == "r2@example.org" {
            tx.send(Signal::Term).unwrap();
        }
    }));
    let report = f
        .send(vec![route(&stub, 1)], true, &mut Stop::from_channel(rx))
        .await;
    assert_eq!(report.interrupted, Some(Signal::Term));
    assert_eq!(report.aborted, None);
    assert_eq!(
        stub.recipients(),
        ["r0@example.org", "r1@example.org", "r2@example.org"]
    );
    assert_eq!(report.sent, 3);
    let rows = f.rows();
    for row in &rows[..3] {
        assert_eq!(
            (row.state, row.attempts),
            (DeliveryState::Sent, 1),
            "{row:?}"
        );
    }
    // r3 was handed out (and signed ahead) before the stop, then released.
    for row in &rows[3..] {
        assert_eq!(
            (row.state, row.attempts),
            (DeliveryState::Pending, 0),
            "{row:?}"
        );
    }
}

/// A relay that answers 421 rests; the recipient it deferred goes to the
/// other relay at once, with no attempt counted and no retry delay.
#[tokio::test(start_paused = true)]
async fn a_resting_relays_recipients_go_to_another_relay_at_once() {
    let mut f = Fixture::new(4);
    let resting = Arc::new(Stub::new("resting").answering([deferral(421)]));
    let healthy = Arc::new(Stub::new("healthy"));
    let start = Instant::now();
    let routes = vec![route(&resting, 1), route(&healthy, 1)];
    let report = f.send(routes, false, &mut Stop::never()).await;
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!((report.sent, report.deferred), (4, 0));
    let deferred = resting.recipients();
    assert_eq!(deferred.len(), 1, "the resting relay was tried again");
    assert!(healthy.recipients().contains(&deferred[0]));
    for row in f.rows() {
        assert_eq!(
            (row.state, row.attempts),
            (DeliveryState::Sent, 1),
            "{row:?}"
        );
    }
}

/// A 4xx is retried within the run after 5 s, then 30 s, and is sent.
#[tokio::test(start_paused = true)]
async fn a_deferral_is_retried_after_the_retry_delays() {
    let mut f = Fixture::new(1);
    let (stub, calls) = clocked(Stub::new("busy").answering([deferral(450), deferral(451)]));
    let stub = Arc::new(stub);
    let start = Instant::now();
    let report = f
        .send(vec![route(&stub, 1)], false, &mut Stop::never())
        .await;
    let at: Vec<u64> = (calls.lock().unwrap().iter())
        .map(|(_, t)| (*t - start).as_secs())
        .collect();
    assert_eq!(at, [0, 5, 35]);
    assert_eq!((report.sent, report.deferred), (1, 0));
    let row = &f.rows()[0];
    assert_eq!((row.state, row.attempts), (DeliveryState::Sent, 3));
}

/// Once the delays run out the recipient stays deferred, due again after the
/// last delay.
#[tokio::test(start_paused = true)]
async fn a_deferral_stays_deferred_once_the_delays_run_out() {
    let mut f = Fixture::new(1);
    let (stub, calls) = clocked(Stub::new("busy").answering(vec![deferral(450); 5]));
    let stub = Arc::new(stub);
    let start = Instant::now();
    let report = f
        .send(vec![route(&stub, 1)], false, &mut Stop::never())
        .await;
    let at: Vec<u64> = (calls.lock().unwrap().iter())
        .map(|(_, t)| (*t - start).as_secs())
        .collect();
    assert_eq!(at, [0, 5, 35, 155]);
    assert_eq!((report.sent, report.deferred), (0, 1));
    let row = &f.rows()[0];
    assert_eq!((row.state, row.attempts), (DeliveryState::Deferred, 4));
    assert_eq!(row.next_attempt, Some(NOW + 120));
}

/// A refused login stops the run: no one is marked failed, the report says why.
#[tokio::test(start_paused = true)]
async fn a_refused_login_aborts_the_run_and_fails_no_one() {
    let mut f = Fixture::new(5);
    let refused = Outcome::AuthFailed {
        reply: "535 5.7.8 authentication failed".into(),
    };
    let stub = Arc::new(Stub::new("strict").answering([refused]));
    let report = f
        .send(vec![route(&stub, 1)], false, &mut Stop::never())
        .await;
    let why = report.aborted.as_deref().unwrap_or_default();
    assert!(why.contains("refused the login: 535"), "{report:?}");
    assert_eq!((report.sent, report.failed, report.deferred), (0, 0, 0));
    assert_eq!(report.interrupted, None);
    assert_eq!(stub.recipients(), ["r0@example.org"]);
    let rows = f.rows();
    let expected: Vec<_> = (0..5)
        .map(|i| (format!("r{i}@example.org"), DeliveryState::Pending))
        .collect();
    let got: Vec<_> = (states(&rows).into_iter())
        .map(|(e, s)| (e.to_string(), s))
        .collect();
    assert_eq!(got, expected);
}

/// With `verp`, each list message's envelope sender is its own signed VERP
/// address (issue 12), which `bounce::verp` recognises as that delivery.
#[tokio::test]
async fn with_verp_each_envelope_sender_names_its_delivery_signed() {
    use crate::bounce::verp::{Verdict, check};
    let mut f = Fixture::new(3);
    f.config.delivery.verp = true;
    let stub = Arc::new(Stub::new("one"));
    let report = f
        .send(vec![route(&stub, 1)], false, &mut Stop::never())
        .await;
    assert_eq!(report.sent, 3);
    let secret = Secret::new(b"0123456789abcdef0123456789abcdef", "test").unwrap();
    let from = f.config.delivery.envelope_from.clone();
    let mut named: Vec<_> = (stub.received().iter())
        .map(|(e, _)| check(&secret, &from, &e.from))
        .collect();
    named.sort_by_key(|v| format!("{v:?}"));
    let expected: Vec<_> = (1..=3)
        .map(|subscriber| Verdict::Genuine {
            issue: ISSUE,
            subscriber,
        })
        .collect();
    assert_eq!(named, expected);
}

/// Test sends and welcome mails keep the plain `envelope_from`, VERP or not:
/// only an issue's list message names a delivery.
#[test]
fn test_sends_and_welcome_mails_keep_the_plain_envelope_sender() {
    let mut f = Fixture::new(0);
    f.config.delivery.verp = true;
    let rendered = Rendered {
        subject: "Issue 7".into(),
        html: "<p>Hello</p>".into(),
        text: "Hello".into(),
    };
    let secret = || Secret::new(b"0123456789abcdef0123456789abcdef", "test").unwrap();
    let test = Factory::new(
        &f.config,
        &rendered,
        ISSUE,
        NOW,
        Kind::Test,
        secret(),
        vec![],
    );
    let welcome = Factory::welcome(&f.config, &rendered, NOW, secret());
    let delivery = &f.config.delivery;
    assert_eq!(test.envelope_sender(delivery, 1), delivery.envelope_from);
    assert_eq!(welcome.envelope_sender(delivery, 1), delivery.envelope_from);
    assert_ne!(
        f.factory(false).envelope_sender(delivery, 1),
        delivery.envelope_from
    );
}
