//! How many signature emails one address may be sent. The sign form emails whatever
//! address it is given, with a name the submitter chose ("Hello {name}"), so without a cap
//! anyone could use the instance to flood a stranger's inbox. Two caps, in memory:
//! - per petition and address, once the address is known there (pending or signed): a few
//!   more emails at once (an impostor first, then the owner; a signer who asks again),
//!   then one per cooldown. The first email of an address is counted only by the daily cap;
//! - per address across every petition, a daily number.
//!
//! Nearly every address is emailed once. Remembering each of them exactly for the day
//! would make memory grow with every new signer (about 27 bytes an address, 24 MiB in ten
//! minutes of the soak), so the first email of an address is remembered by a Bloom filter
//! of fixed size (`Sightings`), and only an address emailed again gets an exact count.
//! A false positive of the filter (about 1 %) only counts an honest first email as a
//! second one. Under a flood of new addresses the filters turn over sooner than daily, and
//! an address not emailed during two turns is forgotten by them, so it may get one email
//! more that day: the cap is `per_day`, plus at most one per two turns of the filter
//! (`SIGHTINGS_PER_WINDOW`: two million new addresses a turn).
//!
//! A submission over a cap writes nothing and sends nothing, and gets the same answer as
//! any other ("check your email"), so the caps reveal nothing about an address. The caps
//! are per process, as the per-address rate limits are, and start again on restart.
//! Addresses are kept only as keyed hashes, under a key each process draws at start.

use bloomfilter::Bloom;
use governor::{DefaultKeyedRateLimiter, Quota};
use std::hash::{BuildHasher, RandomState};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The caps' settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecipientCaps {
    /// Emails to an address already known to a petition (pending or signed) sent at once
    /// before the cooldown applies; 0 turns this cap off.
    pub burst: u32,
    /// Then one more per this long.
    pub cooldown: Duration,
    /// Emails to one address per day, over every petition; 0 turns this cap off.
    pub per_day: u32,
}

impl Default for RecipientCaps {
    fn default() -> Self {
        RecipientCaps { burst: 3, cooldown: Duration::from_secs(600), per_day: 20 }
    }
}

/// How many first emails each of the two Bloom filters of `Sightings` holds before the
/// older one is dropped; two filters of this size take about 4.8 MiB.
const SIGHTINGS_PER_WINDOW: usize = 2_000_000;
/// The filters' false-positive rate at that fill.
const SIGHTINGS_FALSE_POSITIVES: f64 = 0.01;
/// The filters also turn over after this long, so that an address emailed once is
/// forgotten after half a day to a day, as the daily cap would have it.
const SIGHTINGS_WINDOW: Duration = Duration::from_secs(12 * 3600);

/// The caps and what they have counted so far.
#[derive(Clone)]
pub struct RecipientLimits {
    per_petition: Option<Arc<DefaultKeyedRateLimiter<u64>>>,
    per_day: Option<Arc<DailyCap>>,
    hasher: RandomState,
}

/// The daily cap: the first email of the day to an address in `seen`, the others in
/// `repeats` (None when the cap is one a day: no second email).
struct DailyCap {
    seen: Mutex<Sightings>,
    repeats: Option<DefaultKeyedRateLimiter<u64>>,
}

impl DailyCap {
    fn new(per_day: NonZeroU32, per_window: usize) -> Self {
        let period = Duration::from_secs(86_400) / per_day.get();
        // The first email is the filter's; the exact count starts with the second.
        let repeats = NonZeroU32::new(per_day.get() - 1)
            .and_then(|burst| Some(DefaultKeyedRateLimiter::keyed(Quota::with_period(period)?.allow_burst(burst))));
        DailyCap { seen: Mutex::new(Sightings::new(per_window)), repeats }
    }

    fn allow(&self, key: u64) -> bool {
        // A poisoned lock only means another thread panicked between two bit writes: the
        // filter is still a valid filter.
        let first = self.seen.lock().unwrap_or_else(PoisonError::into_inner).first_sighting(key);
        first || self.repeats.as_ref().is_some_and(|l| l.check_key(&key).is_ok())
    }

    fn trim(&self) {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner).turn_over_if_old();
        if let Some(l) = &self.repeats {
            l.retain_recent();
        }
    }

    #[cfg(test)]
    fn exact_counts(&self) -> usize {
        self.repeats.as_ref().map_or(0, |l| l.len())
    }
}

/// The addresses emailed once lately: two Bloom filters, the current one and the one
/// before it. When the current one holds its share (or is old), the older one is cleared
/// and becomes the current one. Both are allocated and written at start, so their memory
/// is taken once.
struct Sightings {
    current: Bloom<u64>,
    previous: Bloom<u64>,
    in_current: usize,
    per_window: usize,
    since: Instant,
}

impl Sightings {
    fn new(per_window: usize) -> Self {
        let per_window = per_window.max(1);
        let filter = || {
            let mut seed = [0u8; 32];
            rand::fill(&mut seed);
            let bytes = Bloom::<u64>::compute_bitmap_size(per_window, SIGHTINGS_FALSE_POSITIVES);
            let mut filter = Bloom::new_with_seed(bytes, per_window, &seed)
                .unwrap_or_else(|_| unreachable!("the sizes are positive constants"));
            // Writes every page now rather than as the filter fills.
            filter.clear();
            filter
        };
        Sightings { current: filter(), previous: filter(), in_current: 0, per_window, since: Instant::now() }
    }

    /// True if `key` was not seen lately; it is seen from now on.
    fn first_sighting(&mut self, key: u64) -> bool {
        if self.current.check_and_set(&key) {
            return false;
        }
        if self.previous.check(&key) {
            // Seen in the last window: now in the current one too, so that an address
            // emailed now and then stays known.
            return false;
        }
        self.in_current += 1;
        if self.in_current >= self.per_window {
            self.turn_over();
        }
        true
    }

    fn turn_over_if_old(&mut self) {
        if self.since.elapsed() >= SIGHTINGS_WINDOW {
            self.turn_over();
        }
    }

    fn turn_over(&mut self) {
        std::mem::swap(&mut self.current, &mut self.previous);
        self.current.clear();
        self.in_current = 0;
        self.since = Instant::now();
    }
}

impl RecipientLimits {
    pub fn new(caps: RecipientCaps) -> Self {
        let per_petition = NonZeroU32::new(caps.burst).and_then(|burst| {
            let quota = Quota::with_period(caps.cooldown.max(Duration::from_millis(1)))?.allow_burst(burst);
            Some(Arc::new(DefaultKeyedRateLimiter::keyed(quota)))
        });
        let per_day = NonZeroU32::new(caps.per_day).map(|n| Arc::new(DailyCap::new(n, SIGHTINGS_PER_WINDOW)));
        RecipientLimits { per_petition, per_day, hasher: RandomState::new() }
    }

    /// No cap at all (for tests that sign the same address many times).
    pub fn unlimited() -> Self {
        RecipientLimits::new(RecipientCaps { burst: 0, cooldown: Duration::ZERO, per_day: 0 })
    }

    /// Counts one more email to `canonical_email` today; false if it is over the daily cap.
    pub fn allow_today(&self, canonical_email: &str) -> bool {
        let key = self.hasher.hash_one(canonical_email);
        self.per_day.as_ref().is_none_or(|cap| cap.allow(key))
    }

    /// Counts one more email to `canonical_email` about `petition`; false if it is over
    /// the petition's cap for that address.
    pub fn allow_for_petition(&self, petition: &str, canonical_email: &str) -> bool {
        let key = self.hasher.hash_one((petition, canonical_email));
        self.per_petition.as_ref().is_none_or(|l| l.check_key(&key).is_ok())
    }

    /// Forgets the addresses whose caps have fully recovered, so memory stays bounded.
    pub fn trim(&self) {
        if let Some(limiter) = &self.per_petition {
            limiter.retain_recent();
        }
        if let Some(cap) = &self.per_day {
            cap.trim();
        }
    }
}

impl Default for RecipientLimits {
    fn default() -> Self {
        RecipientLimits::new(RecipientCaps::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_at_once_then_one_per_cooldown() {
        let limits = RecipientLimits::new(RecipientCaps { burst: 2, cooldown: Duration::from_secs(3600), per_day: 0 });
        assert!(limits.allow_for_petition("p1", "a@example.org"));
        assert!(limits.allow_for_petition("p1", "a@example.org"));
        assert!(!limits.allow_for_petition("p1", "a@example.org"), "the third within the cooldown");
        assert!(limits.allow_for_petition("p2", "a@example.org"), "another petition has its own cap");
        assert!(limits.allow_for_petition("p1", "b@example.org"), "another address has its own cap");
        assert!(limits.allow_today("a@example.org"), "no daily cap");
    }

    #[test]
    fn a_daily_cap_over_every_petition() {
        let limits = RecipientLimits::new(RecipientCaps { burst: 0, cooldown: Duration::ZERO, per_day: 3 });
        for _ in 0..3 {
            assert!(limits.allow_today("a@example.org"));
        }
        assert!(!limits.allow_today("a@example.org"));
        assert!(limits.allow_today("b@example.org"));
        assert!(limits.allow_for_petition("p1", "a@example.org"), "no per-petition cap");
    }

    #[test]
    fn one_a_day_means_no_second_email() {
        let limits = RecipientLimits::new(RecipientCaps { burst: 0, cooldown: Duration::ZERO, per_day: 1 });
        assert!(limits.allow_today("a@example.org"));
        assert!(!limits.allow_today("a@example.org"));
        assert!(limits.allow_today("b@example.org"));
    }

    #[test]
    fn addresses_emailed_once_take_no_exact_count() {
        // The soak's case: a stream of new addresses, each emailed once. Before the filter,
        // each one took an entry of the exact limiter for over an hour.
        let cap = DailyCap::new(NonZeroU32::new(20).unwrap(), 200_000);
        let hasher = RandomState::new();
        let mut refused = 0;
        for i in 0..100_000 {
            refused += usize::from(!cap.allow(hasher.hash_one(format!("signer{i}@example.org"))));
        }
        assert_eq!(refused, 0, "a first email is never refused");
        // The filter's false positives (about 1 %) go to the exact count, nothing else.
        let exact = cap.exact_counts();
        assert!(exact < 2_000, "{exact} exact counts for 100,000 addresses emailed once");
    }

    #[test]
    fn the_cap_holds_across_a_turn_of_the_filter() {
        let cap = DailyCap::new(NonZeroU32::new(3).unwrap(), 1_000);
        let hasher = RandomState::new();
        // Several victims: each may be one of the filter's false positives (about 1 %)
        // after the turns, which keeps it refused; the leak is counted over all of them.
        let victims: Vec<u64> = (0..20).map(|i| hasher.hash_one(format!("victim{i}@example.org"))).collect();
        let flood = |from: usize, n: usize| {
            for i in from..from + n {
                cap.allow(hasher.hash_one(format!("flood{i}@example.org")));
            }
        };
        for &victim in &victims {
            assert!(cap.allow(victim) && cap.allow(victim) && cap.allow(victim));
            assert!(!cap.allow(victim), "the fourth email of the day");
        }
        // A flood of new addresses turns the filter over once: the victims are still known.
        flood(0, 1_500);
        for &victim in &victims {
            assert!(!cap.allow(victim), "still over the cap after the filter turned over");
        }
        // Twice more without a try at the victims: they fell out of both filters, so one
        // email more goes through (the documented leak), and no second one.
        flood(1_500, 2_500);
        let leaked = victims.iter().filter(|&&victim| cap.allow(victim)).count();
        assert!(leaked >= 15, "one more after two turns without a try: {leaked} of 20");
        for &victim in &victims {
            assert!(!cap.allow(victim), "then the exact count refuses again");
        }
        // An address emailed once before the first turn is still remembered after it.
        let once = hasher.hash_one("once@example.org");
        let cap = DailyCap::new(NonZeroU32::new(2).unwrap(), 1_000);
        assert!(cap.allow(once));
        for i in 0..1_500 {
            cap.allow(hasher.hash_one(format!("flood{i}@example.org")));
        }
        assert!(cap.allow(once), "the second email");
        assert!(!cap.allow(once), "the third: the first was remembered through the turn");
    }
}
