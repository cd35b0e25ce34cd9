//! The send engine on scripted transports and a real (temp-file) ledger: the
//! group commit, the drain on SIGTERM, a resting relay's work moving to
//! another, deferral backoff and the abort on a refused login. Time is tokio's
//! paused clock; "now" for the ledger is the fixed [`NOW`].

use super::engine::{self, Plan, Progress, Report, Route};
use super::signal::{Signal, Stop};
use super::transport::{Outcome, Stub};
use crate::config::Delivery;
use crate::config::{Config, DkimKey};
use crate::diag::Source;
use crate::message::dkim::{Algorithm, generate};
use crate::message::token::Secret;
use crate::message::{Factory, Kind, Signer};
use crate::render::Rendered;
use crate::store::Store;
use crate::store::ledger::DeliveryState;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

const NOW: i64 = 1_800_000_000;
const ISSUE: u32 = 7;

/// A newsletter with `n` subscribers (`r0@example.org`…) and issue 7 begun.
struct Fixture {
    dir: tempfile::TempDir,
    path: PathBuf,
    store: Store,
    config: Config,
}

/// One ledger row.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    email: String,
    state: DeliveryState,
    attempts: u32,
    next_attempt: Option<i64>,
}

impl Fixture {
    fn new(n: usize) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gazette.db");
        let mut store = Store::open(&path).unwrap();
        let at = jiff::Timestamp::from_second(NOW).unwrap();
        for i in 0..n {
            (store.add(&format!("r{i}@example.org"), None, "cli", false, at)).unwrap();
        }
        store.begin_send(ISSUE, "Issue 7", NOW, false).unwrap();
        let text = "name = \"Notes\"\nfrom = \"Notes <editor@notes.example>\"\n\
                    base_url = \"https://notes.example\"\npostal_address = \"1 Quay St\"\n";
        let config = Config::parse(Path::new("/n"), &Source::new("c", text)).unwrap();
        Fixture {
            dir,
            path,
            store,
            config,
        }
    }

    /// The factory, with an Ed25519 DKIM key when `dkim` (so that each
    /// connection signs its next message ahead).
    fn factory(&self, dkim: bool) -> Arc<Factory> {
        let rendered = Rendered {
            subject: "Issue 7".into(),
            html: "<p>Hello</p>".into(),
            text: "Hello".into(),
        };
        let mut signers = Vec::new();
        if dkim {
            let (pem, _) = generate(Algorithm::Ed25519).unwrap();
            let key_file = self.dir.path().join("ed1.pem");
            std::fs::write(&key_file, pem).unwrap();
            let key = DkimKey {
                selector: "ed1".into(),
                domain: "notes.example".into(),
                key_file,
            };
            signers.push(Signer::load(&key).unwrap());
        }
        let secret = Secret::new(b"0123456789abcdef0123456789abcdef", "test").unwrap();
        let factory = Factory::new(
            &self.config,
            &rendered,
            ISSUE,
            NOW,
            Kind::List,
            secret,
            signers,
        );
        Arc::new(factory)
    }

    /// Delivery settings: retries after 5 s, 30 s and 2 min; relays rest 60 s.
    fn delivery(&self) -> Delivery {
        let mut delivery = self.config.delivery.clone();
        delivery.retry_delays = [5, 30, 120].map(Duration::from_secs).to_vec();
        delivery.relay_rest = Duration::from_secs(60);
        delivery
    }

    async fn send(&mut self, routes: Vec<Route>, dkim: bool, stop: &mut Stop) -> Report {
        let delivery = self.delivery();
        let plan = Plan {
            issue: ISSUE,
            factory: self.factory(dkim),
            delivery: &delivery,
            routes,
            retry_before: i64::MAX,
            now: || NOW,
        };
        (engine::run(&mut self.store, plan, &mut Quiet, stop).await).unwrap()
    }

    fn rows(&self) -> Vec<Row> {
        rows(&self.store)
    }
}

fn rows(store: &Store) -> Vec<Row> {
    let mut stmt = (store.conn())
        .prepare(
            "SELECT s.email, d.state, d.attempts, d.next_attempt FROM deliveries d
             JOIN subscribers s ON s.id = d.subscriber_id ORDER BY d.subscriber_id",
        )
        .unwrap();
    let rows = stmt.query_map([], |r| {
        Ok(Row {
            email: r.get(0)?,
            state: r.get(1)?,
            attempts: r.get(2)?,
            next_attempt: r.get(3)?,
        })
    });
    rows.unwrap().map(Result::unwrap).collect()
}

fn states(rows: &[Row]) -> Vec<(&str, DeliveryState)> {
    rows.iter().map(|r| (r.email.as_str(), r.state)).collect()
}

struct Quiet;

impl Progress for Quiet {
    fn advance(&mut self, _: u64) {}
}

fn route(stub: &Arc<Stub>, connections: usize) -> Route {
    Route {
        transport: stub.clone(),
        connections,
        rate: None,
    }
}

/// Each call's recipient and tokio instant.
type Calls = Arc<Mutex<Vec<(String, Instant)>>>;

/// Records the tokio instant of each call, by recipient.
fn clocked(stub: Stub) -> (Stub, Calls) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    let stub = stub.on_call(move |e| seen.lock().unwrap().push((e.to.clone(), Instant::now())));
    (stub, calls)
}

fn deferral(code: u16) -> Outcome {
    Outcome::Deferred {
        code: Some(code),
        reply: format!("{code} 4.3.0 try later"),
        relay_trouble: code == 421,
    }
}

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

/// Readers who unsubscribe while the send runs (another process writes it)
/// get no message built after that, although the batch holding them was read
/// before: each is `skipped` in the ledger, its reason the subscriber's
/// status, counted as skipped. With and without DKIM (which builds the next
/// message ahead).
#[tokio::test]
async fn a_reader_who_unsubscribes_during_the_send_is_skipped_not_sent() {
    for dkim in [false, true] {
        let mut f = Fixture::new(8);
        let path = f.path.clone();
        let stub = Arc::new(Stub::new("one").on_call(move |e| {
            if e.to == "r1@example.org" {
                let mut other = Store::open(&path).unwrap();
                let at = jiff::Timestamp::from_second(NOW).unwrap();
                for leaving in ["r3@example.org", "r6@example.org"] {
                    other.unsubscribe(leaving, at).unwrap();
                }
            }
        }));
        let report = f
            .send(vec![route(&stub, 1)], dkim, &mut Stop::never())
            .await;
        let called = stub.recipients();
        assert!(
            !called
                .iter()
                .any(|r| r == "r3@example.org" || r == "r6@example.org"),
            "dkim {dkim}: {called:?}"
        );
        assert_eq!((report.sent, report.skipped), (6, 2), "dkim {dkim}");
        let mut stmt = (f.store.conn())
            .prepare(
                "SELECT state, attempts, last_reply FROM deliveries WHERE subscriber_id IN (4, 7)",
            )
            .unwrap();
        let rows: Vec<(DeliveryState, u32, Option<String>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let skipped = (DeliveryState::Skipped, 0, Some("unsubscribed".to_string()));
        assert_eq!(rows, [skipped.clone(), skipped], "dkim {dkim}");
    }
}
