//! The in-memory state that protects logins: the commitments a node has acknowledged, the
//! tokens it has answered, and rate limits. All of it is bounded.

use std::{
    collections::{HashMap, VecDeque},
    hash::Hash,
    time::{Duration, Instant},
};

/// A set of keys, each remembered until its own deadline, holding at most `capacity` live
/// entries. Used for the replay guards: a key inserted once is refused until it expires.
pub struct ExpiringSet<K> {
    deadlines: HashMap<K, Instant>,
    order: VecDeque<(Instant, K)>,
    capacity: usize,
}

/// Why [`ExpiringSet::insert`] refused a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsertError {
    /// The key is already remembered.
    Seen,
    /// The set is full of live entries.
    Full,
}

impl<K: Clone + Eq + Hash> ExpiringSet<K> {
    /// An empty set holding at most `capacity` live keys.
    pub fn new(capacity: usize) -> Self {
        Self {
            deadlines: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    /// Remembers `key` until `deadline`, unless it is remembered already or the set is full.
    pub fn insert(&mut self, key: K, deadline: Instant, now: Instant) -> Result<(), InsertError> {
        self.expire(now);
        if self.deadlines.contains_key(&key) {
            return Err(InsertError::Seen);
        }
        if self.deadlines.len() >= self.capacity {
            return Err(InsertError::Full);
        }
        self.deadlines.insert(key.clone(), deadline);
        // Deadlines are not inserted in order; keep the queue sorted so `expire` stays cheap.
        let at = self.order.partition_point(|(d, _)| *d <= deadline);
        self.order.insert(at, (deadline, key));
        Ok(())
    }

    /// Whether `key` is remembered at `now`.
    pub fn contains(&mut self, key: &K, now: Instant) -> bool {
        self.expire(now);
        self.deadlines.contains_key(key)
    }

    fn expire(&mut self, now: Instant) {
        while self.order.front().is_some_and(|(d, _)| *d <= now) {
            if let Some((_, key)) = self.order.pop_front() {
                self.deadlines.remove(&key);
            }
        }
    }

    /// The number of live keys (after expiring).
    #[cfg(test)]
    pub fn len(&mut self, now: Instant) -> usize {
        self.expire(now);
        self.deadlines.len()
    }
}

/// A token bucket per key: `rate` requests per second on average, bursts up to `burst`.
pub struct RateLimiter<K> {
    buckets: HashMap<K, (f64, Instant)>,
    rate: f64,
    burst: f64,
}

impl<K: Clone + Eq + Hash> RateLimiter<K> {
    /// A limiter of `rate` per second with bursts of `burst`; a rate of 0 disables it.
    pub fn new(rate: u32, burst: u32) -> Self {
        Self {
            buckets: HashMap::new(),
            rate: f64::from(rate),
            burst: f64::from(burst.max(1)),
        }
    }

    /// Takes one request for `key` at `now`; `false` if over the limit.
    pub fn allow(&mut self, key: &K, now: Instant) -> bool {
        if self.rate == 0.0 {
            return true;
        }
        if self.buckets.len() > 100_000 {
            // Forget keys whose buckets are full again: they carry no state.
            let (rate, burst) = (self.rate, self.burst);
            self.buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = self.buckets.entry(key.clone()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// How long a node remembers a commitment it acknowledged (and refuses it again).
pub const COMMITMENT_TTL: Duration = Duration::from_secs(600);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_refused_until_it_expires() {
        let start = Instant::now();
        let mut set = ExpiringSet::new(10);
        let later = start + Duration::from_secs(10);
        assert_eq!(set.insert("a", later, start), Ok(()));
        assert_eq!(set.insert("a", later, start), Err(InsertError::Seen));
        assert!(set.contains(&"a", start + Duration::from_secs(9)));
        assert!(!set.contains(&"a", later));
        assert_eq!(
            set.insert("a", later + Duration::from_secs(1), later),
            Ok(())
        );
    }

    #[test]
    fn a_full_set_refuses_new_keys_until_some_expire() {
        let start = Instant::now();
        let mut set = ExpiringSet::new(2);
        let short = start + Duration::from_secs(1);
        let long = start + Duration::from_secs(100);
        assert_eq!(set.insert(1, long, start), Ok(()));
        assert_eq!(set.insert(2, short, start), Ok(()));
        assert_eq!(set.insert(3, long, start), Err(InsertError::Full));
        assert_eq!(set.len(start), 2);
        // Expiry follows deadlines, not insertion order.
        assert_eq!(set.insert(3, long, short), Ok(()));
        assert!(set.contains(&1, short));
        assert!(!set.contains(&2, short));
    }

    #[test]
    fn the_rate_limiter_allows_bursts_then_the_rate() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(2, 3);
        assert!((0..3).all(|_| limiter.allow(&"v", start)));
        assert!(!limiter.allow(&"v", start));
        assert!(limiter.allow(&"other", start), "keys are independent");
        assert!(limiter.allow(&"v", start + Duration::from_millis(500)));
        assert!(!limiter.allow(&"v", start + Duration::from_millis(500)));

        let mut off = RateLimiter::new(0, 0);
        assert!((0..1000).all(|_| off.allow(&"v", start)));
    }
}
