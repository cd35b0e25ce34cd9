//! The one retry policy for deferred messages, from the config's
//! `retry_delays`: how long to wait before each new try within a run, when a
//! recipient left deferred is next due, and which waiting tries are due now.
//! The list send and serve's confirmation mails both follow it.

use std::time::Duration;
use tokio::time::Instant;

/// The waits between tries of one message, and how long to keep trying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    delays: Vec<Duration>,
    max_age: Option<Duration>,
}

impl RetryPolicy {
    pub fn new(delays: &[Duration]) -> RetryPolicy {
        RetryPolicy {
            delays: delays.to_vec(),
            max_age: None,
        }
    }

    /// The same, giving up on a recipient still deferred `max_age` after
    /// their first attempt (`max_retry_age`).
    pub fn giving_up_after(mut self, max_age: Duration) -> RetryPolicy {
        self.max_age = Some(max_age);
        self
    }

    /// Whether a recipient first tried at `first_attempt` (Unix seconds;
    /// `None` for a first try now) is given up on if deferred at `now`.
    pub fn gives_up(&self, first_attempt: Option<i64>, now: i64) -> bool {
        let Some(max_age) = self.max_age else {
            return false;
        };
        let age = now.saturating_sub(first_attempt.unwrap_or(now));
        age > 0 && age as u64 >= max_age.as_secs()
    }

    /// The first-attempt time at or before which a deferred recipient is
    /// given up on at `now`, if the policy gives up at all.
    pub fn give_up_before(&self, now: i64) -> Option<i64> {
        let max_age = self.max_age?;
        Some(now.saturating_sub(max_age.as_secs() as i64))
    }

    /// What follows the last reply of a recipient given up on.
    pub fn give_up_note(&self) -> String {
        let age = self.max_age.unwrap_or_default().as_secs();
        let age = match age {
            a if a >= 86_400 && a % 86_400 == 0 => plural(a / 86_400, "day"),
            a if a >= 3_600 && a % 3_600 == 0 => plural(a / 3_600, "hour"),
            a => plural(a, "second"),
        };
        format!("; given up: deferred for {age} (max_retry_age)")
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

fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
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

    #[test]
    fn deferred_recipients_are_given_up_on_after_max_age() {
        let p = policy().giving_up_after(Duration::from_secs(5 * 86_400));
        let day = 86_400;
        assert!(!p.gives_up(None, 1000), "a first try");
        assert!(!p.gives_up(Some(1000), 1000 + 5 * day - 1));
        assert!(p.gives_up(Some(1000), 1000 + 5 * day));
        assert_eq!(p.give_up_before(10 * day), Some(5 * day));
        assert_eq!(
            p.give_up_note(),
            "; given up: deferred for 5 days (max_retry_age)"
        );
        assert!(!policy().gives_up(Some(0), i64::MAX), "no max age");
        let hour = policy().giving_up_after(Duration::from_secs(3_600));
        assert!(hour.give_up_note().contains("for 1 hour ("));
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
