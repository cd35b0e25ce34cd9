//! A token bucket of one: messages through a relay are spaced `1 / rate` apart.

use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Spaces calls to [`RateLimiter::acquire`] evenly at `rate` per second.
pub struct RateLimiter {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    pub fn new(rate: f64) -> RateLimiter {
        RateLimiter {
            interval: Duration::from_secs_f64(1.0 / rate),
            next: Mutex::new(None),
        }
    }

    /// Waits for this caller's slot.
    pub async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_calls_evenly() {
        let limiter = RateLimiter::new(50.0);
        let start = Instant::now();
        for _ in 0..51 {
            limiter.acquire().await;
        }
        // 51 slots, the first at once: 50 intervals of 20 ms.
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }
}
