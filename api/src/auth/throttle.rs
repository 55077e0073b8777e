//! Counters of attempts per key over fixed windows: failed sign-ins per
//! account and per client address, password reset requests. In Redis when
//! the job queue is there, so that every api replica counts together;
//! in this process otherwise.
//!
//! A window starts at its key's first attempt and lasts its length; the
//! count is taken *before* the attempt is judged, so that a burst of
//! parallel guesses cannot all pass a check made before any of them is
//! counted. An attempt that turns out fine is given back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::error;
use worker::tokens::hash_token;

/// At most `max` attempts per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// One counter: what is counted (`sign-in:account`) and for whom.
#[derive(Clone, Debug)]
pub struct Counter {
    key: String,
    limit: Limit,
}

impl Counter {
    /// The subject (an address, an email) is kept only as a digest.
    pub fn new(kind: &str, subject: &str, limit: Limit) -> Self {
        Self {
            key: format!("{kind}:{}", hash_token(subject)),
            limit,
        }
    }
}

#[derive(Clone)]
enum Store {
    Redis {
        conn: redis::aio::ConnectionManager,
        prefix: String,
    },
    Memory(Arc<Mutex<HashMap<String, (u32, Instant)>>>),
}

/// Attempt counters, shared by the clones of one api process.
#[derive(Clone)]
pub struct Throttle(Store);

/// Counters kept in memory before the expired ones are swept.
const SWEEP_ABOVE: usize = 10_000;

/// Counts one attempt and returns the count and the window's remaining
/// milliseconds. A key left without expiry (it cannot happen, but a
/// counter must never outlive its window) gets one.
const TAKE: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return {n, redis.call('PTTL', KEYS[1])}
";

/// Takes one attempt back from a live counter; a counter whose window
/// has ended is not made again (it would have no expiry).
const GIVE_BACK: &str = r"
if redis.call('GET', KEYS[1]) and tonumber(redis.call('GET', KEYS[1])) > 0 then
  redis.call('DECR', KEYS[1])
end
";

impl Throttle {
    /// Counters in Redis under `prefix` (the job queue's name, so that
    /// installations and test runs sharing a Redis keep apart).
    pub fn redis(conn: redis::aio::ConnectionManager, prefix: &str) -> Self {
        Self(Store::Redis {
            conn,
            prefix: format!("{prefix}:throttle"),
        })
    }

    /// Counters in this process.
    pub fn in_process() -> Self {
        Self(Store::Memory(Arc::default()))
    }

    /// Counts an attempt against each counter. If one is over its limit,
    /// the time until its window ends (the longest, if several). When the
    /// store cannot be reached the attempt passes: the error is logged, and
    /// passwords stay as slow to guess as argon2 makes them.
    pub async fn take(&self, counters: &[Counter]) -> Option<Duration> {
        let counted = match &self.0 {
            Store::Memory(map) => Ok(take_in(map, counters, Instant::now())),
            Store::Redis { conn, prefix } => take_redis(conn.clone(), prefix, counters).await,
        };
        match counted {
            Ok(wait) => wait,
            Err(e) => {
                error!(error.message = %e, "attempt counters unreachable; attempt let through");
                None
            }
        }
    }

    /// Gives back an attempt that turned out fine.
    pub async fn give_back(&self, counters: &[Counter]) {
        match &self.0 {
            Store::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
                for c in counters {
                    if let Some((n, _)) = map.get_mut(&c.key) {
                        *n = n.saturating_sub(1);
                    }
                }
            }
            Store::Redis { conn, prefix } => {
                let script = redis::Script::new(GIVE_BACK);
                for c in counters {
                    let given_back: redis::RedisResult<()> = script
                        .key(format!("{prefix}:{}", c.key))
                        .invoke_async(&mut conn.clone())
                        .await;
                    // A count not given back only errs on the side of caution.
                    if let Err(e) = given_back {
                        error!(error.message = %e, "attempt counters unreachable");
                        return;
                    }
                }
            }
        }
    }
}

fn take_in(
    map: &Mutex<HashMap<String, (u32, Instant)>>,
    counters: &[Counter],
    now: Instant,
) -> Option<Duration> {
    // A lock poisoned by a panic elsewhere still counts: an attempt let
    // through uncounted would switch the limit off.
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() > SWEEP_ABOVE {
        map.retain(|_, (_, ends)| *ends > now);
    }
    let mut wait = None;
    for c in counters {
        let (n, ends) = map
            .entry(c.key.clone())
            .and_modify(|(n, ends)| {
                if *ends <= now {
                    (*n, *ends) = (0, now + c.limit.window);
                }
            })
            .or_insert((0, now + c.limit.window));
        *n = n.saturating_add(1);
        if *n > c.limit.max {
            wait = wait.max(Some(ends.saturating_duration_since(now)));
        }
    }
    wait
}

async fn take_redis(
    mut conn: redis::aio::ConnectionManager,
    prefix: &str,
    counters: &[Counter],
) -> redis::RedisResult<Option<Duration>> {
    let script = redis::Script::new(TAKE);
    let mut wait = None;
    for c in counters {
        let window = u64::try_from(c.limit.window.as_millis()).unwrap_or(u64::MAX);
        let (n, left_ms): (u64, i64) = script
            .key(format!("{prefix}:{}", c.key))
            .arg(window)
            .invoke_async(&mut conn)
            .await?;
        if n > u64::from(c.limit.max) {
            let left = Duration::from_millis(u64::try_from(left_ms).unwrap_or(0));
            wait = wait.max(Some(left));
        }
    }
    Ok(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(subject: &str, max: u32) -> Counter {
        let limit = Limit {
            max,
            window: Duration::from_secs(60),
        };
        Counter::new("test", subject, limit)
    }

    #[test]
    fn the_attempt_past_the_limit_waits_for_the_window_to_end() {
        let map = Mutex::default();
        let start = Instant::now();
        let a = [counter("a", 2)];

        let first = take_in(&map, &a, start);
        let second = take_in(&map, &a, start + Duration::from_secs(10));
        let third = take_in(&map, &a, start + Duration::from_secs(20));
        let after_window = take_in(&map, &a, start + Duration::from_secs(61));

        assert_eq!((first, second), (None, None));
        assert_eq!(third, Some(Duration::from_secs(40)));
        assert_eq!(after_window, None);
    }

    #[test]
    fn a_lock_poisoned_by_a_panic_still_counts_attempts() {
        let map: Mutex<HashMap<String, (u32, Instant)>> = Mutex::default();
        let now = Instant::now();
        let a = [counter("a", 1)];
        std::thread::scope(|s| {
            let poisoner = s.spawn(|| {
                let _held = map.lock();
                panic!("a panic while the counters are held");
            });
            assert!(poisoner.join().is_err());
        });
        assert!(map.is_poisoned());

        assert_eq!(take_in(&map, &a, now), None);
        assert_eq!(take_in(&map, &a, now), Some(Duration::from_secs(60)));
    }

    #[test]
    fn each_counter_keeps_its_own_count_and_the_longest_wait_wins() {
        let map = Mutex::default();
        let now = Instant::now();

        take_in(&map, &[counter("a", 1)], now);
        let other = take_in(&map, &[counter("b", 1)], now);
        let both = take_in(
            &map,
            &[counter("a", 1), counter("b", 5)],
            now + Duration::from_secs(5),
        );

        assert_eq!(other, None);
        assert_eq!(both, Some(Duration::from_secs(55)));
    }

    #[test]
    fn subjects_are_kept_as_digests() {
        let c = counter("someone@example.org", 1);

        assert!(!c.key.contains("someone"));
    }
}
