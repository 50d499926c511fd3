//! How many signature emails one address may be sent. The sign form emails whatever
//! address it is given, with a name the submitter chose ("Hello {name}"), so without a cap
//! anyone could use the instance to flood a stranger's inbox. Two caps, in memory:
//! - per petition and address, once the address is known there (pending or signed): a few
//!   more emails at once (an impostor first, then the owner; a signer who asks again),
//!   then one per cooldown. The first email of an address is counted only by the daily cap;
//! - per address across every petition, a daily number.
//!
//! A submission over a cap writes nothing and sends nothing, and gets the same answer as
//! any other ("check your email"), so the caps reveal nothing about an address. The caps
//! are per process, as the per-address rate limits are, and start again on restart.
//! Addresses are kept only as keyed hashes, under a key each process draws at start.

use governor::{DefaultKeyedRateLimiter, Quota};
use std::hash::{BuildHasher, RandomState};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

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

/// The caps and what they have counted so far.
#[derive(Clone)]
pub struct RecipientLimits {
    per_petition: Option<Arc<DefaultKeyedRateLimiter<u64>>>,
    per_day: Option<Arc<DefaultKeyedRateLimiter<u64>>>,
    hasher: RandomState,
}

impl RecipientLimits {
    pub fn new(caps: RecipientCaps) -> Self {
        let per_petition = NonZeroU32::new(caps.burst).and_then(|burst| {
            let quota = Quota::with_period(caps.cooldown.max(Duration::from_millis(1)))?.allow_burst(burst);
            Some(Arc::new(DefaultKeyedRateLimiter::keyed(quota)))
        });
        let per_day = NonZeroU32::new(caps.per_day).and_then(|n| {
            let quota = Quota::with_period(Duration::from_secs(86_400) / n.get())?.allow_burst(n);
            Some(Arc::new(DefaultKeyedRateLimiter::keyed(quota)))
        });
        RecipientLimits { per_petition, per_day, hasher: RandomState::new() }
    }

    /// No cap at all (for tests that sign the same address many times).
    pub fn unlimited() -> Self {
        RecipientLimits::new(RecipientCaps { burst: 0, cooldown: Duration::ZERO, per_day: 0 })
    }

    /// Counts one more email to `canonical_email` today; false if it is over the daily cap.
    pub fn allow_today(&self, canonical_email: &str) -> bool {
        let key = self.hasher.hash_one(canonical_email);
        self.per_day.as_ref().is_none_or(|l| l.check_key(&key).is_ok())
    }

    /// Counts one more email to `canonical_email` about `petition`; false if it is over
    /// the petition's cap for that address.
    pub fn allow_for_petition(&self, petition: &str, canonical_email: &str) -> bool {
        let key = self.hasher.hash_one((petition, canonical_email));
        self.per_petition.as_ref().is_none_or(|l| l.check_key(&key).is_ok())
    }

    /// Forgets the addresses whose caps have fully recovered, so memory stays bounded.
    pub fn trim(&self) {
        for limiter in [&self.per_petition, &self.per_day].into_iter().flatten() {
            limiter.retain_recent();
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
}
