//! The list send loop: recipients stream from the ledger in batches, one
//! worker per connection sends them, and [`settle`] (in `settle.rs`) turns
//! each result into a ledger update and what happens next. The loop owns the
//! promise: results are group-committed (one transaction for whatever finished meanwhile) before
//! their connection takes more work, so after `kill -9` at most one message per
//! connection was sent unrecorded; those rows stay `sending`, resent on resume.

pub use super::plan::{Plan, Progress, Report, Route};
use super::retry::{RetryPolicy, Waiting};
pub use super::settle::{Next, Situation, settle};
pub use super::signal::Stop;
use super::worker::{self, Done, Job, RouteState};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::ledger::Update;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// How many recipients are read from the ledger at a time.
const BATCH: usize = 500;
/// How long messages in flight may take to finish after SIGINT or SIGTERM.
pub const DRAIN: Duration = Duration::from_secs(30);

/// Sends `plan.issue` to everyone in its ledger still to receive it.
pub async fn run(
    store: &mut Store,
    plan: Plan<'_>,
    progress: &mut dyn Progress,
    stop: &mut Stop,
) -> Result<Report> {
    let started = Instant::now();
    let connections: usize = plan.routes.iter().map(|r| r.connections).sum();
    // Each connection holds up to two recipients, only one of them ever on the
    // wire: the next is taken while one is sent, so that its envelope goes
    // with this message's end of data (pipelining), and with DKIM its message
    // is signed meanwhile.
    let capacity = connections * 2;
    let (job_tx, job_rx) = mpsc::channel::<Job>(capacity);
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
    let stop_flag = Arc::new(AtomicBool::new(false));
    let routes: Vec<Arc<RouteState>> = (plan.routes.iter())
        .map(|r| Arc::new(RouteState::new(r.transport.clone(), r.rate)))
        .collect();
    // Each message is built only once its reader is found still subscribed.
    let roll = Arc::new(store.roll()?);
    let workers = worker::spawn_all(&plan, &routes, &roll, job_rx, done_tx, &stop_flag);
    let mut state = SendState::new(store, &plan, routes, capacity, job_tx);

    loop {
        state.hand_out().await?;
        state.write_marks_if_idle()?;
        if state.is_over() {
            break;
        }
        let next_retry = state.retries.next_due();
        let retry_wanted = state.stopping.is_none() && state.in_flight < capacity;
        tokio::select! {
            done = done_rx.recv() => {
                let Some(first) = done else { break };
                let mut batch = vec![first];
                while let Ok(more) = done_rx.try_recv() {
                    batch.push(more);
                }
                let acks = state.settle_batch(batch)?;
                // Refill the queue before the connections carry on, so that
                // each finds its next recipient waiting to be taken ahead.
                state.hand_out().await?;
                for ack in acks {
                    let _ = ack.send(());
                }
                progress.advance(state.report.done());
            }
            _ = sleep_until_opt(next_retry), if next_retry.is_some() && retry_wanted => {}
            signal = stop.wait(), if state.stopping.is_none() => {
                state.report.interrupted = Some(signal);
                state.stopping = Some(Instant::now() + DRAIN);
            }
            _ = sleep_until_opt(state.stopping), if state.stopping.is_some() => break,
        }
        if state.stopping.is_some() {
            // Take no new recipients: close the queue so idle connections end,
            // and have those that take one give it back untried.
            stop_flag.store(true, Ordering::SeqCst);
            state.jobs = None;
        }
    }
    let mut report = state.close()?;
    for w in &workers {
        w.abort();
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The loop's state while a send runs.
struct SendState<'s> {
    store: &'s mut Store,
    issue: u32,
    now: fn() -> i64,
    retry_before: i64,
    retry: RetryPolicy,
    routes: Vec<Arc<RouteState>>,
    /// How many recipients the connections may hold at once.
    capacity: usize,
    /// The connections' queue; `None` once the run stops.
    jobs: Option<mpsc::Sender<Job>>,
    /// Recipients read from the ledger or given back, to hand out next.
    queue: VecDeque<Job>,
    retries: Waiting<Job>,
    /// The last subscriber id read from the ledger.
    after: i64,
    /// The ledger has no more recipients after `after`.
    exhausted: bool,
    /// Recipients handed out whose results have not come back.
    in_flight: usize,
    /// When the drain ends, once the run is stopping.
    stopping: Option<Instant>,
    /// Updates not yet written.
    updates: Vec<Update>,
    report: Report,
    /// Set when no relay could take mail: the reply to defer the untried with.
    suspend: Option<(Option<u16>, String)>,
    relay_rest: Duration,
}

impl<'s> SendState<'s> {
    fn new(
        store: &'s mut Store,
        plan: &Plan<'_>,
        routes: Vec<Arc<RouteState>>,
        capacity: usize,
        jobs: mpsc::Sender<Job>,
    ) -> SendState<'s> {
        SendState {
            store,
            issue: plan.issue,
            now: plan.now,
            retry_before: plan.retry_before,
            retry: RetryPolicy::new(&plan.delivery.retry_delays)
                .giving_up_after(plan.delivery.max_retry_age),
            routes,
            capacity,
            jobs: Some(jobs),
            queue: VecDeque::new(),
            retries: Waiting::default(),
            after: 0,
            exhausted: false,
            in_flight: 0,
            stopping: None,
            updates: Vec::new(),
            report: Report::default(),
            suspend: None,
            relay_rest: plan.delivery.relay_rest,
        }
    }

    /// Hands out work while the connections have room.
    async fn hand_out(&mut self) -> Result<()> {
        while self.stopping.is_none() && self.in_flight < self.capacity {
            if let Some(job) = self.retries.take_due(Instant::now()) {
                self.queue.push_back(job);
            }
            if self.queue.is_empty() && !self.exhausted {
                self.read_batch()?;
                continue;
            }
            let Some(job) = self.queue.pop_front() else {
                break;
            };
            let subscriber_id = job.recipient.subscriber_id;
            self.updates.push(Update::Sending { subscriber_id });
            let Some(tx) = &self.jobs else { break };
            if tx.send(job).await.is_err() {
                return Err(Error::Failed("every connection stopped".into()));
            }
            self.in_flight += 1;
        }
        Ok(())
    }

    /// Reads the next batch of recipients; those no longer subscribed are skipped.
    fn read_batch(&mut self) -> Result<()> {
        let batch = (self.store).pending_batch(self.issue, self.after, BATCH, self.retry_before)?;
        self.exhausted = batch.len() < BATCH;
        for candidate in batch {
            let active = candidate.is_active();
            let recipient = candidate.recipient;
            self.after = recipient.subscriber_id;
            if active {
                self.queue.push_back(Job {
                    recipient,
                    tries: 0,
                });
            } else {
                let subscriber_id = recipient.subscriber_id;
                let reason = candidate.status.as_str();
                self.updates.push(Update::Skipped {
                    subscriber_id,
                    reason,
                });
                self.report.skipped += 1;
            }
        }
        Ok(())
    }

    /// The `sending` marks just made ride along with the next group of
    /// results (one transaction, one lock); only when nothing is in flight to
    /// bring results are they written now.
    fn write_marks_if_idle(&mut self) -> Result<()> {
        if !self.updates.is_empty() && self.in_flight == 0 {
            self.write((self.now)())?;
        }
        Ok(())
    }

    fn write(&mut self, now: i64) -> Result<()> {
        self.store.record(self.issue, &self.updates, now)?;
        self.updates.clear();
        Ok(())
    }

    /// Nothing in flight or queued, and the run is stopping or has no one left.
    fn is_over(&self) -> bool {
        let idle = self.in_flight == 0 && self.queue.is_empty();
        idle && (self.stopping.is_some() || (self.exhausted && self.retries.is_empty()))
    }

    /// Settles a group of results and commits them in one transaction; the
    /// word for their connections to carry on, to be sent only now.
    fn settle_batch(&mut self, batch: Vec<Done>) -> Result<Vec<oneshot::Sender<()>>> {
        self.in_flight -= batch.len();
        let now = (self.now)();
        let mut acks = Vec::with_capacity(batch.len());
        for Done { finished, ack } in batch {
            let situation = Situation {
                now,
                at: Instant::now(),
                stopping: self.stopping.is_some(),
                routes: &self.routes,
                retry: &self.retry,
            };
            let (update, next) = settle(finished, &situation);
            self.updates.extend(update);
            self.follow(next);
            acks.push(ack);
        }
        self.write(now)?;
        Ok(acks)
    }

    /// Does what [`settle`] decided.
    fn follow(&mut self, next: Next) {
        match next {
            Next::Sent(bytes) => {
                self.report.sent += 1;
                self.report.bytes += bytes as u64;
            }
            Next::Failed => self.report.failed += 1,
            Next::Skipped => self.report.skipped += 1,
            Next::CountDeferred => self.report.deferred += 1,
            Next::RetryAt(due, job) => self.retries.push(due, job),
            Next::RequeueNow(job) => self.queue.push_front(job),
            Next::Released => {}
            Next::Abort(why) => {
                self.report.aborted.get_or_insert(why);
                self.stopping.get_or_insert(Instant::now() + DRAIN);
            }
            Next::Suspend(code, why) => {
                if self.report.suspended.is_none() {
                    self.report.suspended = Some(why.clone());
                    self.suspend = Some((code, why));
                }
                self.stopping.get_or_insert(Instant::now() + DRAIN);
            }
        }
    }

    /// Ends the run: writes what is left and returns the report.
    fn close(mut self) -> Result<Report> {
        self.jobs = None;
        if !self.updates.is_empty() {
            self.write((self.now)())?;
        }
        // Recipients queued or waiting for a retry were not tried: they stay as
        // the ledger has them (pending, or deferred with their next attempt).
        self.report.deferred += self.retries.len() as u64;
        if let Some((code, why)) = self.suspend.take() {
            // Everyone not tried is deferred at once, until the relays have
            // rested, and counted with the rest left for a later run.
            let now = (self.now)();
            let next = now.saturating_add(self.relay_rest.as_secs() as i64);
            (self.store).defer_untried(self.issue, code, &why, next, now)?;
            // Those deferred past max_retry_age are given up on: with no relay
            // able to take mail, waiting for their turn would keep them for ever.
            if let Some(before) = self.retry.give_up_before(now) {
                let note = self.retry.give_up_note();
                let given_up = (self.store).give_up_deferred(self.issue, before, &note, now)?;
                self.report.failed += given_up;
            }
            self.report.deferred = self.store.state_counts(self.issue)?.remaining();
        }
        Ok(self.report)
    }
}
