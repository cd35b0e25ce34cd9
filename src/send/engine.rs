//! The list send loop: recipients stream from the ledger in batches, messages
//! are built and sent by one task per connection, and every outcome is
//! recorded before that connection takes its next recipient.
//!
//! That last rule is the promise: results are group-committed (one
//! transaction for whatever finished meanwhile), and a connection waits for
//! its result's commit before taking more work, so after `kill -9` at most one
//! message per connection was sent without the ledger knowing. Those rows are
//! left `sending` and are sent again, with the same Message-ID, on resume.

use super::rate::RateLimiter;
use super::transport::{Envelope, Outcome, Transport};
use crate::config::Delivery;
use crate::error::{Error, Result};
use crate::message::{Factory, Recipient};
use crate::store::Store;
use crate::store::ledger::{Pending, Update};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::time::Instant;

/// How many recipients are read from the ledger at a time.
const BATCH: usize = 500;
/// How long messages in flight may take to finish after SIGINT or SIGTERM.
pub const DRAIN: Duration = Duration::from_secs(30);

/// One relay (or the outbox) with its connections and rate.
pub struct Route {
    pub transport: Arc<dyn Transport>,
    pub connections: usize,
    pub rate: Option<f64>,
}

/// What a list send did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Report {
    pub sent: u64,
    pub deferred: u64,
    pub failed: u64,
    pub skipped: u64,
    pub bytes: u64,
    pub seconds: f64,
    /// `SIGINT` or `SIGTERM`, when a signal stopped the run.
    pub interrupted: Option<&'static str>,
    /// Why the run stopped early (a refused login, no usable relay).
    pub aborted: Option<String>,
}

/// Hooks for progress display.
pub trait Progress: Send {
    fn advance(&mut self, done: u64);
}

/// The parts of a send that do not change while it runs.
pub struct Plan<'a> {
    pub issue: u32,
    pub factory: Arc<Factory>,
    pub delivery: &'a Delivery,
    pub routes: Vec<Route>,
    /// Deferred recipients become due at this Unix time or before (`i64::MAX`:
    /// all of them, as when an editor runs the send by hand).
    pub retry_before: i64,
    /// Unix time now, as the caller knows it.
    pub now: fn() -> i64,
}

struct Job {
    recipient: Pending,
    /// Tries in this run so far.
    tries: usize,
}

struct Done {
    job: Job,
    /// `None`: the run was stopping, so the recipient was not tried.
    outcome: Option<Outcome>,
    message_id: String,
    bytes: usize,
    ack: oneshot::Sender<()>,
}

struct RouteState {
    transport: Arc<dyn Transport>,
    limiter: Option<RateLimiter>,
    resting_until: Mutex<Option<Instant>>,
    broken: AtomicBool,
}

/// Sends `plan.issue` to everyone in its ledger still to receive it.
pub async fn run(
    store: &mut Store,
    plan: Plan<'_>,
    progress: &mut dyn Progress,
    stop: &mut Stop,
) -> Result<Report> {
    let started = Instant::now();
    let connections: usize = plan.routes.iter().map(|r| r.connections).sum();
    // With DKIM, each connection signs its next message while it sends one, so
    // it holds up to two recipients (only one of them is ever on the wire).
    let capacity = connections * if plan.factory.signs() { 2 } else { 1 };
    let (job_tx, job_rx) = mpsc::channel::<Job>(capacity);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
    let routes: Vec<Arc<RouteState>> = plan
        .routes
        .iter()
        .map(|r| {
            Arc::new(RouteState {
                transport: r.transport.clone(),
                limiter: r.rate.map(RateLimiter::new),
                resting_until: Mutex::new(None),
                broken: AtomicBool::new(false),
            })
        })
        .collect();
    let stop_flag = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for (route, spec) in routes.iter().zip(&plan.routes) {
        for _ in 0..spec.connections {
            let ctx = Worker {
                route: route.clone(),
                jobs: job_rx.clone(),
                done: done_tx.clone(),
                factory: plan.factory.clone(),
                delivery: plan.delivery.clone(),
                rest: plan.delivery.relay_rest,
                stopping: stop_flag.clone(),
            };
            workers.push(tokio::spawn(ctx.run()));
        }
    }
    drop(done_tx);

    let mut report = Report::default();
    let mut queue: VecDeque<Job> = VecDeque::new();
    let mut retries: Vec<(Instant, Job)> = Vec::new();
    let mut after = 0i64;
    let mut exhausted = false;
    let mut in_flight = 0usize;
    let mut stopping: Option<Instant> = None;
    let mut pending_updates: Vec<Update> = Vec::new();
    let mut job_tx = Some(job_tx);

    loop {
        // Hand out work while there is room.
        while stopping.is_none() && in_flight < capacity {
            let now = Instant::now();
            if let Some(i) = retries.iter().position(|(due, _)| *due <= now) {
                queue.push_back(retries.swap_remove(i).1);
            }
            if queue.is_empty() && !exhausted {
                let batch = store.pending_batch(plan.issue, after, BATCH, plan.retry_before)?;
                exhausted = batch.len() < BATCH;
                for (recipient, active) in batch {
                    after = recipient.subscriber_id;
                    if active {
                        queue.push_back(Job {
                            recipient,
                            tries: 0,
                        });
                    } else {
                        pending_updates.push(Update::Skipped {
                            subscriber_id: recipient.subscriber_id,
                        });
                        report.skipped += 1;
                    }
                }
                continue;
            }
            let Some(job) = queue.pop_front() else { break };
            pending_updates.push(Update::Sending {
                subscriber_id: job.recipient.subscriber_id,
            });
            let Some(tx) = &job_tx else { break };
            if tx.send(job).await.is_err() {
                return Err(Error::Failed("every connection stopped".into()));
            }
            in_flight += 1;
        }
        // The `sending` marks just made ride along with the next group of
        // results (one transaction, one lock); only when nothing is in flight
        // to bring results are they written now.
        if !pending_updates.is_empty() && in_flight == 0 {
            store.record(plan.issue, &pending_updates, (plan.now)())?;
            pending_updates.clear();
        }
        let idle = in_flight == 0 && queue.is_empty();
        if idle && (stopping.is_some() || (exhausted && retries.is_empty())) {
            break;
        }
        let next_retry = retries.iter().map(|(due, _)| *due).min();
        tokio::select! {
            done = done_rx.recv() => {
                let Some(first) = done else { break };
                let mut batch = vec![first];
                while let Ok(more) = done_rx.try_recv() {
                    batch.push(more);
                }
                in_flight -= batch.len();
                let now = (plan.now)();
                let mut acks = Vec::with_capacity(batch.len());
                for done in batch {
                    let id = done.job.recipient.subscriber_id;
                    let message_id = done.message_id;
                    let Some(outcome) = done.outcome else {
                        pending_updates.push(Update::Release { subscriber_id: id });
                        acks.push(done.ack);
                        continue;
                    };
                    match outcome {
                        Outcome::Sent { reply } => {
                            report.sent += 1;
                            report.bytes += done.bytes as u64;
                            pending_updates.push(Update::Sent { subscriber_id: id, code: reply_code(&reply), reply, message_id });
                        }
                        Outcome::Failed { code, reply, bounce } => {
                            report.failed += 1;
                            pending_updates.push(Update::Failed { subscriber_id: id, code, reply, message_id, bounce });
                        }
                        Outcome::Deferred { relay_trouble: true, .. } if stopping.is_none() && any_available(&routes) => {
                            // The relay is resting; another takes this recipient now,
                            // without counting an attempt.
                            queue.push_front(done.job);
                        }
                        Outcome::Deferred { code, reply, .. } => {
                            let tries = done.job.tries + 1;
                            let delay = plan.delivery.retry_delays.get(tries - 1).copied();
                            let wait = delay.or(plan.delivery.retry_delays.last().copied()).unwrap_or_default();
                            let next_attempt = now + wait.as_secs() as i64;
                            pending_updates.push(Update::Deferred { subscriber_id: id, code, reply, message_id, next_attempt });
                            match delay {
                                Some(d) if stopping.is_none() => retries.push((Instant::now() + d, Job { recipient: done.job.recipient, tries })),
                                _ => report.deferred += 1,
                            }
                        }
                        Outcome::AuthFailed { reply } => {
                            pending_updates.push(Update::Release { subscriber_id: id });
                            report.aborted.get_or_insert(format!("the relay refused the login: {reply}"));
                            stopping.get_or_insert(Instant::now() + DRAIN);
                        }
                        Outcome::RelayBroken { reply } => {
                            if routes.iter().all(|r| r.broken.load(Ordering::Relaxed)) {
                                pending_updates.push(Update::Release { subscriber_id: id });
                                report.aborted.get_or_insert(format!("no relay can be used: {reply}"));
                                stopping.get_or_insert(Instant::now() + DRAIN);
                            } else {
                                queue.push_front(done.job);
                            }
                        }
                    }
                    acks.push(done.ack);
                }
                store.record(plan.issue, &pending_updates, now)?;
                pending_updates.clear();
                for ack in acks {
                    let _ = ack.send(());
                }
                progress.advance(report.sent + report.failed + report.deferred + report.skipped);
            }
            _ = sleep_until_opt(next_retry), if next_retry.is_some() && stopping.is_none() && in_flight < capacity => {}
            signal = stop.wait(), if stopping.is_none() => {
                report.interrupted = Some(signal);
                stopping = Some(Instant::now() + DRAIN);
            }
            _ = sleep_until_opt(stopping), if stopping.is_some() => break,
        }
        if stopping.is_some() {
            // Take no new recipients: close the queue so idle connections end,
            // and have those that take one give it back untried.
            stop_flag.store(true, Ordering::SeqCst);
            job_tx = None;
        }
    }
    drop(job_tx);
    if !pending_updates.is_empty() {
        store.record(plan.issue, &pending_updates, (plan.now)())?;
    }
    // Recipients queued or waiting for a retry were not tried: they stay as the
    // ledger has them (pending, or deferred with their next attempt).
    report.deferred += retries.len() as u64;
    for w in &workers {
        w.abort();
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Whether some route is neither resting nor broken.
fn any_available(routes: &[Arc<RouteState>]) -> bool {
    let now = Instant::now();
    routes.iter().any(|r| {
        !r.broken.load(Ordering::Relaxed)
            && r.resting_until
                .try_lock()
                .map_or(true, |until| until.is_none_or(|u| u <= now))
    })
}

fn reply_code(reply: &str) -> Option<u16> {
    reply.get(..3).and_then(|c| c.parse().ok())
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Resolves once `flag` is set (checked every 50 ms), so that a connection
/// waiting out a relay's rest or its rate slot notices a stop at once rather
/// than after the wait, which holds up the drain for up to DRAIN.
async fn stopped(flag: &AtomicBool) {
    while !flag.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct Worker {
    route: Arc<RouteState>,
    jobs: Arc<Mutex<mpsc::Receiver<Job>>>,
    done: mpsc::UnboundedSender<Done>,
    factory: Arc<Factory>,
    delivery: Delivery,
    rest: Duration,
    stopping: Arc<AtomicBool>,
}

/// A message being built and signed on the blocking pool.
type Building = tokio::task::JoinHandle<(Result<String>, Vec<u8>)>;

impl Worker {
    /// Starts building and signing `job`'s message off the I/O thread, so that
    /// signatures are made on every core.
    fn start_build(&self, job: &Job) -> Building {
        let factory = self.factory.clone();
        let (id, email, name) = (
            job.recipient.subscriber_id as u64,
            job.recipient.email.clone(),
            job.recipient.name.clone(),
        );
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::with_capacity(32 * 1024);
            let r = Recipient {
                id: Some(id),
                email: &email,
                name: name.as_deref(),
            };
            (factory.build(&r, &mut out), out)
        })
    }

    /// Hands a recipient back untried; false when the send loop is gone.
    async fn give_back(&self, job: Job) -> bool {
        let (ack, acked) = oneshot::channel();
        let done = Done {
            job,
            outcome: None,
            message_id: String::new(),
            bytes: 0,
            ack,
        };
        self.done.send(done).is_ok() && acked.await.is_ok()
    }

    async fn run(self) {
        let mut buf = Vec::with_capacity(64 * 1024);
        // The next recipient, its message being signed while this one is sent.
        let mut ahead: Option<(Job, Building)> = None;
        loop {
            if self.route.broken.load(Ordering::Relaxed) {
                if let Some((job, _)) = ahead.take() {
                    self.give_back(job).await;
                }
                return;
            }
            let rest = *self.route.resting_until.lock().await;
            if let Some(until) = rest {
                // A stop cuts the rest short: the queue is then given back.
                tokio::select! {
                    _ = tokio::time::sleep_until(until) => {}
                    _ = stopped(&self.stopping) => {}
                }
            }
            let (job, building) = match ahead.take() {
                Some((job, building)) => (job, Some(building)),
                None => {
                    let job = { self.jobs.lock().await.recv().await };
                    let Some(job) = job else { return };
                    let building = self.factory.signs().then(|| self.start_build(&job));
                    (job, building)
                }
            };
            if let Some(limiter) = &self.route.limiter {
                tokio::select! {
                    _ = limiter.acquire() => {}
                    _ = stopped(&self.stopping) => {}
                }
            }
            if self.stopping.load(Ordering::SeqCst) {
                // Taken from the queue after the stop: give it back untried.
                if !self.give_back(job).await {
                    return;
                }
                continue;
            }
            if building.is_some() {
                // Never wait for the queue here: a connection blocked on it
                // holds it, and waiting would hold up this recipient too.
                let next = self
                    .jobs
                    .try_lock()
                    .ok()
                    .and_then(|mut q| q.try_recv().ok());
                ahead = next.map(|next| {
                    let building = self.start_build(&next);
                    (next, building)
                });
            }
            let p = &job.recipient;
            let id = p.subscriber_id as u64;
            let built = match building {
                Some(building) => {
                    let (result, owned) = building.await.unwrap_or_else(|e| {
                        (
                            Err(Error::Failed(format!("signing failed: {e}"))),
                            Vec::new(),
                        )
                    });
                    buf = owned;
                    result
                }
                None => {
                    let recipient = Recipient {
                        id: Some(id),
                        email: &p.email,
                        name: p.name.as_deref(),
                    };
                    self.factory.build(&recipient, &mut buf)
                }
            };
            let (outcome, message_id) = match built {
                Ok(message_id) => {
                    let envelope = Envelope {
                        from: self.delivery.envelope_sender(Some(id)),
                        to: p.email.clone(),
                    };
                    (self.route.transport.send(&envelope, &buf).await, message_id)
                }
                Err(e) => (
                    Outcome::Deferred {
                        code: None,
                        reply: e.to_string(),
                        relay_trouble: false,
                    },
                    String::new(),
                ),
            };
            match &outcome {
                Outcome::Deferred {
                    relay_trouble: true,
                    ..
                } => {
                    *self.route.resting_until.lock().await = Some(Instant::now() + self.rest);
                }
                Outcome::RelayBroken { .. } => self.route.broken.store(true, Ordering::Relaxed),
                _ => {}
            }
            let (ack, acked) = oneshot::channel();
            let bytes = buf.len();
            if self
                .done
                .send(Done {
                    job,
                    outcome: Some(outcome),
                    message_id,
                    bytes,
                    ack,
                })
                .is_err()
            {
                return;
            }
            // The promise: nothing more until this result is committed.
            if acked.await.is_err() {
                return;
            }
        }
    }
}

/// SIGINT and SIGTERM, turned into a future the send loop can wait on.
pub struct Stop {
    int: Option<tokio::signal::unix::Signal>,
    term: Option<tokio::signal::unix::Signal>,
}

impl Stop {
    /// Listens for SIGINT and SIGTERM from now on.
    pub fn listen() -> Result<Stop> {
        use tokio::signal::unix::{SignalKind, signal};
        let int = signal(SignalKind::interrupt()).map_err(Error::io("cannot listen for SIGINT"))?;
        let term =
            signal(SignalKind::terminate()).map_err(Error::io("cannot listen for SIGTERM"))?;
        Ok(Stop {
            int: Some(int),
            term: Some(term),
        })
    }

    /// A `Stop` that never fires, for tests.
    pub fn never() -> Stop {
        Stop {
            int: None,
            term: None,
        }
    }

    async fn wait(&mut self) -> &'static str {
        let int = async {
            match &mut self.int {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        let term = async {
            match &mut self.term {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = int => "SIGINT",
            _ = term => "SIGTERM",
        }
    }
}
