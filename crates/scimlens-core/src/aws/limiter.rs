//! A token-bucket rate limiter with two priorities, for the Identity Store API's 20 requests per
//! second (shared by every caller in the account).
//!
//! One dispatcher task hands out tokens at `rate` per second (at most `burst` saved while idle),
//! always to a waiting high-priority caller first: the long sequential chains (ListUsers,
//! ListGroups pages, each waiting for the previous page's token) would otherwise queue behind a
//! crowd of membership listings and stretch the fetch far past the time the rate allows.
//!
//! It adapts to throttling: [`RateLimiter::throttled`] halts every caller until AWS's
//! `RetryAfterSeconds` has passed and cuts the rate (multiplicative decrease); each success
//! gives back a little (additive increase) up to the configured rate.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    High,
    Low,
}

#[derive(Debug)]
struct Bucket {
    max_rate: f64,
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
    paused_until: Option<Instant>,
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        let from = match self.paused_until {
            Some(p) if p > now => {
                self.last = now;
                return;
            }
            Some(p) => {
                self.paused_until = None;
                p.max(self.last)
            }
            None => self.last,
        };
        let elapsed = now.saturating_duration_since(from).as_secs_f64();
        // A tenth of a token beyond the burst absorbs the timer's lateness (a grant a
        // millisecond late would otherwise lose that millisecond every time) without ever
        // allowing more than `rate + burst` requests in any one-second window.
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst + LATE_SLACK);
        self.last = now;
    }

    /// How long until a token is available; `None` when one is.
    fn wait(&self, now: Instant) -> Option<Duration> {
        if let Some(p) = self.paused_until.filter(|p| *p > now) {
            return Some(p - now);
        }
        (self.tokens < 1.0).then(|| Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
    }
}

/// Cheap to clone; the dispatcher stops when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    high: mpsc::UnboundedSender<oneshot::Sender<()>>,
    low: mpsc::UnboundedSender<oneshot::Sender<()>>,
    bucket: Arc<Mutex<Bucket>>,
}

/// Tokens kept beyond the burst to make up for timer lateness.
const LATE_SLACK: f64 = 0.1;
/// The lowest rate throttling can push the limiter down to.
const MIN_RATE: f64 = 1.0;
/// Rate regained per successful call after a throttle.
const RECOVERY_PER_CALL: f64 = 0.25;
/// Rate kept after a throttle.
const DECREASE: f64 = 0.7;

impl RateLimiter {
    /// `rate` tokens per second, at most `burst` saved up while idle. Needs a tokio runtime.
    pub fn new(rate: f64, burst: u32) -> RateLimiter {
        assert!(
            rate > 0.0,
            "a rate limiter needs a positive rate, got {rate}"
        );
        let burst = f64::from(burst.max(1));
        let bucket = Arc::new(Mutex::new(Bucket {
            max_rate: rate,
            rate,
            burst,
            tokens: burst,
            last: Instant::now(),
            paused_until: None,
        }));
        let (high, high_rx) = mpsc::unbounded_channel();
        let (low, low_rx) = mpsc::unbounded_channel();
        tokio::spawn(dispatch(bucket.clone(), high_rx, low_rx));
        RateLimiter { high, low, bucket }
    }

    /// Waits for a token. Dropping the future gives the place up without using a token.
    pub async fn acquire(&self, priority: Priority) {
        let (tx, rx) = oneshot::channel();
        let queue = match priority {
            Priority::High => &self.high,
            Priority::Low => &self.low,
        };
        if queue.send(tx).is_ok() {
            // The dispatcher only goes away with the last limiter, which `self` is not.
            let _ = rx.await;
        }
    }

    /// AWS throttled a call: every caller waits `retry_after`, and the rate drops.
    pub fn throttled(&self, retry_after: Duration) {
        let mut b = self.bucket.lock().expect("rate limiter lock");
        let now = Instant::now();
        let until = now + retry_after;
        b.paused_until = Some(b.paused_until.map_or(until, |p| p.max(until)));
        b.tokens = 0.0;
        b.rate = (b.rate * DECREASE).max(MIN_RATE);
    }

    /// A call succeeded: regain some of the rate lost to throttling.
    pub fn succeeded(&self) {
        let mut b = self.bucket.lock().expect("rate limiter lock");
        if b.rate < b.max_rate {
            b.rate = (b.rate + RECOVERY_PER_CALL).min(b.max_rate);
        }
    }

    /// The rate in force now (requests per second).
    #[cfg(test)]
    pub fn rate(&self) -> f64 {
        self.bucket.lock().expect("rate limiter lock").rate
    }
}

async fn dispatch(
    bucket: Arc<Mutex<Bucket>>,
    mut high: mpsc::UnboundedReceiver<oneshot::Sender<()>>,
    mut low: mpsc::UnboundedReceiver<oneshot::Sender<()>>,
) {
    loop {
        // First a token, then a caller: a high-priority caller arriving while we wait for the
        // token is served before low-priority ones that came earlier.
        loop {
            let wait = {
                let mut b = bucket.lock().expect("rate limiter lock");
                let now = Instant::now();
                b.refill(now);
                b.wait(now)
            };
            match wait {
                Some(d) => tokio::time::sleep(d).await,
                None => break,
            }
        }
        let waiter = match high.try_recv() {
            Ok(w) => w,
            Err(_) => tokio::select! {
                biased;
                w = high.recv() => match w { Some(w) => w, None => return },
                w = low.recv() => match w { Some(w) => w, None => return },
            },
        };
        // A throttle may have paused everyone while we waited for a caller: serve it after.
        let mut waiter = Some(waiter);
        loop {
            let wait = {
                let mut b = bucket.lock().expect("rate limiter lock");
                let now = Instant::now();
                b.refill(now);
                let wait = b.wait(now);
                if wait.is_none() && waiter.take().is_some_and(|w| w.send(()).is_ok()) {
                    b.tokens -= 1.0;
                }
                wait
            };
            match wait {
                Some(d) => tokio::time::sleep(d).await,
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_are_spaced_at_the_rate() {
        let limiter = RateLimiter::new(50.0, 1);
        let start = std::time::Instant::now();
        for _ in 0..26 {
            limiter.acquire(Priority::Low).await;
        }
        let took = start.elapsed().as_secs_f64();
        // 25 intervals of 20 ms after the first, immediate, token.
        assert!(
            (0.45..0.75).contains(&took),
            "26 tokens at 50/s took {took:.3}s"
        );
    }

    #[tokio::test]
    async fn high_priority_callers_go_first() {
        let limiter = RateLimiter::new(20.0, 1);
        limiter.acquire(Priority::Low).await; // use the saved token
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..4 {
            let (l, o) = (limiter.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                l.acquire(Priority::Low).await;
                o.lock().unwrap().push(format!("low{i}"));
            }));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        let (l, o) = (limiter.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            l.acquire(Priority::High).await;
            o.lock().unwrap().push("high".to_string());
        }));
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            order.lock().unwrap()[0],
            "high",
            "{:?}",
            order.lock().unwrap()
        );
    }

    #[tokio::test]
    async fn a_throttle_pauses_everyone_and_lowers_the_rate() {
        let limiter = RateLimiter::new(100.0, 1);
        limiter.acquire(Priority::High).await;
        limiter.throttled(Duration::from_millis(300));
        assert!(limiter.rate() < 100.0);
        let start = std::time::Instant::now();
        limiter.acquire(Priority::High).await;
        assert!(
            start.elapsed() >= Duration::from_millis(290),
            "waited {:?}",
            start.elapsed()
        );
        for _ in 0..200 {
            limiter.succeeded();
        }
        assert_eq!(limiter.rate(), 100.0);
    }
}
