//! One connection's work in a list send: take a recipient, build its message
//! once the reader is found still subscribed (signing the next one on the
//! blocking pool meanwhile), wait out the relay's rest and rate, send, and hand
//! the result back, waiting for it to be committed before sending anything
//! more. After a stop it gives work back.

use super::plan::Plan;
use super::rate::RateLimiter;
use super::transport::{Envelope, Outcome, Transport};
use crate::config::Delivery;
use crate::error::Error;
use crate::message::{Factory, Recipient};
use crate::store::Status;
use crate::store::ledger::Pending;
use crate::store::roll::Roll;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// A recipient handed to a connection.
#[derive(Debug)]
pub struct Job {
    pub recipient: Pending,
    /// Tries in this run so far.
    pub tries: usize,
}

/// Whether a connection tried a job, and what became of it.
#[derive(Debug)]
pub enum Attempt {
    /// The run was stopping, so the recipient was not tried.
    NotMade,
    /// The reader was no longer subscribed (their status, or `forgotten`)
    /// when the message was to be built: nothing was built or sent.
    Left(&'static str),
    Made(Outcome),
    /// Taken ahead while the previous message was sent, then the relay had
    /// to rest: not tried, for another connection to take now.
    Returned,
}

/// A connection's result for one job.
pub struct Finished {
    pub job: Job,
    pub outcome: Attempt,
    pub message_id: String,
    pub bytes: usize,
}

/// A result on its way to the send loop, with the word to carry on.
pub struct Done {
    pub finished: Finished,
    /// Sent by the loop once the result is committed.
    pub ack: oneshot::Sender<()>,
}

/// One relay (or the outbox) as its connections share it.
pub struct RouteState {
    pub transport: Arc<dyn Transport>,
    pub limiter: Option<RateLimiter>,
    pub resting_until: Mutex<Option<Instant>>,
    pub broken: AtomicBool,
}

impl RouteState {
    pub fn new(transport: Arc<dyn Transport>, rate: Option<f64>) -> RouteState {
        RouteState {
            transport,
            limiter: rate.map(RateLimiter::new),
            resting_until: Mutex::new(None),
            broken: AtomicBool::new(false),
        }
    }

    /// Neither resting nor broken.
    pub fn is_available(&self, now: Instant) -> bool {
        !self.is_broken()
            && self
                .resting_until
                .try_lock()
                .map_or(true, |until| until.is_none_or(|u| u <= now))
    }

    pub fn is_broken(&self) -> bool {
        self.broken.load(Ordering::Relaxed)
    }
}

/// Starts one worker per connection of each route.
pub fn spawn_all(
    plan: &Plan<'_>,
    routes: &[Arc<RouteState>],
    roll: &Arc<Roll>,
    jobs: mpsc::Receiver<Job>,
    done: mpsc::UnboundedSender<Done>,
    stopping: &Arc<AtomicBool>,
) -> Vec<JoinHandle<()>> {
    let jobs = Arc::new(Mutex::new(jobs));
    let mut workers = Vec::new();
    for (route, spec) in routes.iter().zip(&plan.routes) {
        for lane in 0..spec.connections {
            let worker = Worker {
                lane,
                route: route.clone(),
                jobs: jobs.clone(),
                done: done.clone(),
                factory: plan.factory.clone(),
                roll: roll.clone(),
                delivery: plan.delivery.clone(),
                stopping: stopping.clone(),
            };
            workers.push(tokio::spawn(worker.run()));
        }
    }
    workers
}

/// Resolves once `flag` is set (checked every 50 ms), so that a connection
/// waiting out a relay's rest or its rate slot notices a stop at once rather
/// than after the wait, which holds up the drain for up to DRAIN.
async fn stopped(flag: &AtomicBool) {
    while !flag.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A message built: its Message-ID, or why there is none.
enum Built {
    Message(String),
    /// The reader left the list first (their status, or `forgotten`).
    Left(&'static str),
    Failed(Error),
}

/// A message being built and signed on the blocking pool.
type Building = tokio::task::JoinHandle<(Built, Vec<u8>)>;

/// The next recipient, taken while this one is sent: its message being
/// signed (when signing), and its envelope told to the relay.
type Ahead = (Job, Option<Building>);

/// Builds `recipient`'s message into `out`, if they are still subscribed:
/// their status is read at this moment, so that an unsubscribe recorded
/// before it (by any process) is honoured.
fn build(
    factory: &Factory,
    roll: &Roll,
    recipient: &Recipient<'_>,
    id: i64,
    out: &mut Vec<u8>,
) -> Built {
    match roll.status(id) {
        Ok(Some(Status::Active)) => {}
        Ok(Some(status)) => return Built::Left(status.as_str()),
        Ok(None) => return Built::Left("forgotten"),
        Err(e) => return Built::Failed(e),
    }
    match factory.build(recipient, out) {
        Ok(message_id) => Built::Message(message_id),
        Err(e) => Built::Failed(e),
    }
}

/// One connection's task.
pub struct Worker {
    /// Which of its route's connections this task sends on.
    pub lane: usize,
    pub route: Arc<RouteState>,
    pub jobs: Arc<Mutex<mpsc::Receiver<Job>>>,
    pub done: mpsc::UnboundedSender<Done>,
    pub factory: Arc<Factory>,
    /// Subscribers' status now, read before each message is built.
    pub roll: Arc<Roll>,
    pub delivery: Delivery,
    /// Set by the loop when the run stops: take nothing more.
    pub stopping: Arc<AtomicBool>,
}

impl Worker {
    pub async fn run(self) {
        let mut buf = Vec::with_capacity(64 * 1024);
        // The next recipient, its message being signed while this one is sent.
        let mut ahead: Option<Ahead> = None;
        loop {
            // The next recipient was taken ahead; if this relay can take no
            // more now, another connection takes them.
            if !self.route.is_available(Instant::now())
                && let Some((job, _)) = ahead.take()
                && !self.return_ahead(job).await
            {
                return;
            }
            if self.route.is_broken() {
                return;
            }
            self.rest().await;
            let (job, building) = match ahead.take() {
                Some(ahead) => ahead,
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
            // Unless the rate makes the next message wait (an envelope sent
            // ahead would hold the relay's transaction open meanwhile).
            if self.route.limiter.is_none() || building.is_some() {
                ahead = self.look_ahead();
            }
            let next = (ahead.as_ref()).filter(|_| self.route.limiter.is_none());
            let next = next.map(|(job, _)| self.envelope(job));
            let finished = self.deliver(job, building, next.as_ref(), &mut buf).await;
            // The promise: nothing more until this result is committed.
            if !self.hand_back(finished).await {
                return;
            }
        }
    }

    /// Waits while the relay rests; a stop cuts the rest short (the queue is
    /// then given back).
    async fn rest(&self) {
        let rest = *self.route.resting_until.lock().await;
        if let Some(until) = rest {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => {}
                _ = stopped(&self.stopping) => {}
            }
        }
    }

    /// Takes the next recipient, if one is waiting, and starts signing its
    /// message (when signing; else it is built, its reader's status read,
    /// when its turn comes). Never waits for the queue here: a connection
    /// blocked on it holds it, and waiting would hold up the recipient in
    /// hand too.
    fn look_ahead(&self) -> Option<Ahead> {
        let next = self
            .jobs
            .try_lock()
            .ok()
            .and_then(|mut q| q.try_recv().ok())?;
        let building = self.factory.signs().then(|| self.start_build(&next));
        Some((next, building))
    }

    /// The envelope of `job`'s message.
    fn envelope(&self, job: &Job) -> Envelope {
        let p = &job.recipient;
        Envelope {
            from: self
                .factory
                .envelope_sender(&self.delivery, p.subscriber_id),
            to: p.email.clone(),
        }
    }

    /// Starts building and signing `job`'s message off the I/O thread, so that
    /// signatures are made on every core.
    fn start_build(&self, job: &Job) -> Building {
        let (factory, roll) = (self.factory.clone(), self.roll.clone());
        let (id, email, name) = (
            job.recipient.subscriber_id,
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
            (build(&factory, &roll, &r, id, &mut out), out)
        })
    }

    /// Builds (or collects the built) message of `job` and sends it.
    /// `next` is the envelope this connection sends next, if known.
    async fn deliver(
        &self,
        job: Job,
        building: Option<Building>,
        next: Option<&Envelope>,
        buf: &mut Vec<u8>,
    ) -> Finished {
        let p = &job.recipient;
        let id = p.subscriber_id;
        let built = match building {
            Some(building) => {
                let (result, owned) = building.await.unwrap_or_else(|e| {
                    let failed = Error::Failed(format!("signing failed: {e}"));
                    (Built::Failed(failed), Vec::new())
                });
                *buf = owned;
                result
            }
            None => {
                let recipient = Recipient {
                    id: Some(id),
                    email: &p.email,
                    name: p.name.as_deref(),
                };
                build(&self.factory, &self.roll, &recipient, p.subscriber_id, buf)
            }
        };
        let (outcome, message_id) = match built {
            Built::Left(reason) => {
                return Finished {
                    job,
                    outcome: Attempt::Left(reason),
                    message_id: String::new(),
                    bytes: 0,
                };
            }
            Built::Message(message_id) => {
                let envelope = self.envelope(&job);
                let transport = &self.route.transport;
                let sending = transport.send_on(self.lane, &envelope, buf, next);
                (sending.await, message_id)
            }
            Built::Failed(e) => {
                let reply = e.to_string();
                let deferred = Outcome::Deferred {
                    code: None,
                    reply,
                    relay_trouble: false,
                };
                (deferred, String::new())
            }
        };
        self.note_trouble(&outcome).await;
        Finished {
            job,
            outcome: Attempt::Made(outcome),
            message_id,
            bytes: buf.len(),
        }
    }

    /// Rests the relay after relay trouble; marks it broken when it cannot be used.
    async fn note_trouble(&self, outcome: &Outcome) {
        match outcome {
            Outcome::Deferred {
                relay_trouble: true,
                ..
            } => {
                let until = Instant::now() + self.delivery.relay_rest;
                *self.route.resting_until.lock().await = Some(until);
            }
            Outcome::RelayBroken { .. } => self.route.broken.store(true, Ordering::Relaxed),
            _ => {}
        }
    }

    /// Hands back a recipient taken ahead, for another connection to take
    /// now; false when the send loop is gone.
    async fn return_ahead(&self, job: Job) -> bool {
        let finished = Finished {
            job,
            outcome: Attempt::Returned,
            message_id: String::new(),
            bytes: 0,
        };
        self.hand_back(finished).await
    }

    /// Hands a recipient back untried; false when the send loop is gone.
    async fn give_back(&self, job: Job) -> bool {
        let finished = Finished {
            job,
            outcome: Attempt::NotMade,
            message_id: String::new(),
            bytes: 0,
        };
        self.hand_back(finished).await
    }

    /// Sends a result to the loop and waits until it is committed; false when
    /// the send loop is gone.
    async fn hand_back(&self, finished: Finished) -> bool {
        let (ack, acked) = oneshot::channel();
        self.done.send(Done { finished, ack }).is_ok() && acked.await.is_ok()
    }
}
