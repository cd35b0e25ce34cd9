//! The send engine on scripted transports and a real (temp-file) ledger: the
//! fixture and helpers here; the loop's rules in `the_loop` (the group commit,
//! the drain on SIGTERM, a resting relay's work moving to another, deferral
//! backoff, the abort on a refused login) and in `leaving` (readers who
//! unsubscribe mid-send, recipients given up on after `max_retry_age`). Time
//! is tokio's paused clock; "now" for the ledger is the fixed [`NOW`].

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
        store
            .begin_send(ISSUE, "Issue 7", "l.example", NOW, false)
            .unwrap();
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
        self.send_at(routes, dkim, stop, || NOW).await
    }

    /// The same, with the ledger's "now" from `now`.
    async fn send_at(
        &mut self,
        routes: Vec<Route>,
        dkim: bool,
        stop: &mut Stop,
        now: fn() -> i64,
    ) -> Report {
        let delivery = self.delivery();
        let plan = Plan {
            issue: ISSUE,
            factory: self.factory(dkim),
            delivery: &delivery,
            routes,
            retry_before: i64::MAX,
            now,
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

mod leaving;
mod the_loop;
