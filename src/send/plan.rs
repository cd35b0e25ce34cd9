//! What a list send is given and what it gives back: the routes, the plan
//! (issue, factory, delivery settings, the clock), the progress hook and the
//! report. Plain types, so that the engine and its callers share no more.

use super::signal::Signal;
use super::transport::Transport;
use crate::config::Delivery;
use crate::message::Factory;
use std::sync::Arc;

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
    /// The signal that stopped the run, if one did (`SIGINT` or `SIGTERM` in JSON).
    pub interrupted: Option<Signal>,
    /// Why the run stopped early (a refused login, no usable relay).
    pub aborted: Option<String>,
    /// Why the run stopped with everyone left deferred (every relay resting:
    /// refused connections, 421s, a relay that never greets).
    pub suspended: Option<String>,
}

impl Report {
    /// Recipients dealt with so far.
    pub fn done(&self) -> u64 {
        self.sent + self.failed + self.deferred + self.skipped
    }
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
