//! The one retry policy for deferred messages, from the config's
//! `retry_delays`: how long to wait before each new try within a run, when a
//! recipient left deferred is next due, and which waiting tries are due now.
//! The list send and serve's confirmation mails both follow it.

use std::time::Duration;
use tokio::time::Instant;

/// The waits between tries of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    delays: Vec<Duration>,
}

impl RetryPolicy {
    pub fn new(delays: &[Duration]) -> RetryPolicy {
        RetryPolicy {
            delays: delays.to_vec(),
        }
    }

    /// The wait before trying again after the `tries`-th deferral (1 for the
    /// first), or `None` once the delays have run out for this run.
    pub fn delay_after(&self, tries: usize) -> Option<Duration> {
        tries
            .checked_sub(1)
            .and_then(|i| self.delays.get(i))
            .copied()
    }

    /// When (Unix seconds) a recipient deferred for the `tries`-th time is due
    /// again for a later run: `now` plus that try's delay, or the last delay
    /// once they have run out.
    pub fn next_attempt(&self, tries: usize, now: i64) -> i64 {
        let wait = self
            .delay_after(tries)
            .or(self.delays.last().copied())
            .unwrap_or_default();
        now + wait.as_secs() as i64
    }

    /// The wait before each try of a single message: none before the first,
    /// then each delay in turn.
    pub fn waits(&self) -> impl Iterator<Item = Duration> + '_ {
        std::iter::once(Duration::ZERO).chain(self.delays.iter().copied())
    }
}

/// Items waiting for a retry, each with the instant it is due.
#[derive(Debug)]
pub struct Waiting<T> {
    items: Vec<(Instant, T)>,
}

impl<T> Default for Waiting<T> {
    fn default() -> Self {
        Waiting { items: Vec::new() }
    }
}

impl<T> Waiting<T> {
    pub fn push(&mut self, due: Instant, item: T) {
        self.items.push((due, item));
    }

    /// One item due at or before `now`, if any.
    pub fn take_due(&mut self, now: Instant) -> Option<T> {
        let i = self.items.iter().position(|(due, _)| *due <= now)?;
        Some(self.items.swap_remove(i).1)
    }

    /// The instant the next item is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.items.iter().map(|(due, _)| *due).min()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::new(&[5, 30, 120].map(Duration::from_secs))
    }

    #[test]
    fn delays_run_out_and_the_last_one_sets_the_next_attempt() {
        let p = policy();
        assert_eq!(p.delay_after(1), Some(Duration::from_secs(5)));
        assert_eq!(p.delay_after(3), Some(Duration::from_secs(120)));
        assert_eq!(p.delay_after(4), None);
        assert_eq!(p.next_attempt(2, 1000), 1030);
        assert_eq!(p.next_attempt(4, 1000), 1120);
        assert_eq!(RetryPolicy::new(&[]).next_attempt(1, 1000), 1000);
        let waits: Vec<u64> = p.waits().map(|d| d.as_secs()).collect();
        assert_eq!(waits, [0, 5, 30, 120]);
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_items_come_due_in_time() {
        let now = Instant::now();
        let mut w = Waiting::default();
        w.push(now + Duration::from_secs(30), "b");
        w.push(now + Duration::from_secs(5), "a");
        assert_eq!(w.next_due(), Some(now + Duration::from_secs(5)));
        assert_eq!(w.take_due(now), None);
        assert_eq!(w.take_due(now + Duration::from_secs(5)), Some("a"));
        assert_eq!(w.len(), 1);
    }
}
