//! A keyed cache in memory with a time to live: single-flight loading,
//! stale-while-revalidate and generation-checked invalidation. It knows nothing of what it
//! holds; `read_model::snapshot` keeps petitions in one.
//!
//! Why not `moka` (already in the tree through activitypub_federation): its entries are
//! fresh or gone, while the pages need an expired value served during one reload (no
//! stampede on the database), a load overtaken by an invalidation dropped, and a version
//! per load for ETags and the pages rendered from it.
//!
//! Rules:
//! - A value lives at most `ttl`, then one caller reloads it while the others keep getting
//!   the previous one for at most `grace` more.
//! - `invalidate` forgets a key at once; a load that started before it is not kept.
//! - Errors are not cached; past `capacity`, entries nobody is loading are dropped.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A loaded value and the version that names this load (for ETags and derived caches).
pub struct Loaded<V> {
    pub value: Arc<V>,
    pub version: u64,
}

impl<V> Clone for Loaded<V> {
    fn clone(&self) -> Self {
        Loaded { value: self.value.clone(), version: self.version }
    }
}

struct Cached<V> {
    loaded: Loaded<V>,
    at: Instant,
    generation: u64,
}

struct Slot<V> {
    /// Bumped by `invalidate`; a value loaded under an older generation is never served.
    generation: u64,
    value: Option<Cached<V>>,
    /// Held by the one request that loads this key (single flight).
    loading: Arc<tokio::sync::Mutex<()>>,
}

/// A keyed cache with a time to live, single-flight loading, stale-while-revalidate and
/// generation-checked invalidation.
pub struct Cache<K, V> {
    slots: Mutex<HashMap<K, Slot<V>>>,
    ttl: Duration,
    grace: Duration,
    capacity: usize,
    counter: AtomicU64,
}

impl<K: Hash + Eq + Clone, V> Cache<K, V> {
    pub fn new(ttl: Duration, grace: Duration, capacity: usize) -> Self {
        Cache { slots: Mutex::new(HashMap::new()), ttl, grace, capacity, counter: AtomicU64::new(0) }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, Slot<V>>> {
        // A panic while holding this lock cannot leave the map inconsistent (every update
        // is a single assignment), so a poisoned lock is still usable.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn new_slot(&self) -> Slot<V> {
        Slot { generation: self.next(), value: None, loading: Arc::new(tokio::sync::Mutex::new(())) }
    }

    /// The value of `key`: from memory if fresh; else loaded by `load`, by one caller at a
    /// time (the others wait for it, or get the expired value during the grace period).
    /// Errors are not cached.
    pub async fn get<Q, E, Fut>(&self, key: &Q, load: impl FnOnce() -> Fut) -> Result<Loaded<V>, E>
    where
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
        K: Borrow<Q>,
        Fut: Future<Output = Result<V, E>>,
    {
        let (loading, stale) = {
            let mut slots = self.lock();
            let slot = match slots.get(key) {
                Some(slot) => slot,
                None => slots.entry(key.to_owned()).or_insert_with(|| self.new_slot()),
            };
            let mut stale = None;
            if let Some(c) = slot.value.as_ref().filter(|c| c.generation == slot.generation) {
                let age = c.at.elapsed();
                if age < self.ttl {
                    return Ok(c.loaded.clone());
                }
                if age < self.ttl + self.grace {
                    stale = Some(c.loaded.clone());
                }
            }
            (slot.loading.clone(), stale)
        };
        let _guard = match stale {
            Some(stale) => match loading.try_lock_owned() {
                Ok(guard) => guard,
                Err(_) => return Ok(stale), // someone is reloading it
            },
            None => loading.lock_owned().await,
        };
        let generation = {
            let mut slots = self.lock();
            let slot = slots.entry(key.to_owned()).or_insert_with(|| self.new_slot());
            if let Some(c) = slot.value.as_ref().filter(|c| c.generation == slot.generation) {
                if c.at.elapsed() < self.ttl {
                    return Ok(c.loaded.clone()); // loaded while we waited
                }
            }
            slot.generation
        };
        let result = load().await;
        let mut slots = self.lock();
        match result {
            Ok(value) => {
                let loaded = Loaded { value: Arc::new(value), version: self.next() };
                // Kept only if nothing invalidated the key meanwhile.
                if let Some(slot) = slots.get_mut(key).filter(|s| s.generation == generation) {
                    slot.value = Some(Cached { loaded: loaded.clone(), at: Instant::now(), generation });
                }
                if slots.len() > self.capacity {
                    self.evict(&mut slots);
                }
                Ok(loaded)
            }
            Err(e) => {
                if slots.get(key).is_some_and(|s| s.value.is_none() && Arc::strong_count(&s.loading) <= 2) {
                    slots.remove(key);
                }
                Err(e)
            }
        }
    }

    /// Forgets `key`: the next request loads it again, and a load in flight is not kept.
    pub fn invalidate<Q>(&self, key: &Q)
    where
        Q: Hash + Eq + ?Sized,
        K: Borrow<Q>,
    {
        let generation = self.next();
        if let Some(slot) = self.lock().get_mut(key) {
            slot.generation = generation;
            slot.value = None;
        }
    }

    pub fn invalidate_all(&self) {
        let mut slots = self.lock();
        for slot in slots.values_mut() {
            slot.generation = self.next();
            slot.value = None;
        }
    }

    /// Drops expired entries nobody is loading; if that is not enough, every entry nobody
    /// is loading.
    fn evict(&self, slots: &mut HashMap<K, Slot<V>>) {
        let horizon = self.ttl + self.grace;
        let idle = |s: &Slot<V>| Arc::strong_count(&s.loading) == 1;
        slots.retain(|_, s| !idle(s) || s.value.as_ref().is_some_and(|c| c.at.elapsed() < horizon));
        if slots.len() > self.capacity {
            slots.retain(|_, s| !idle(s));
        }
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn counting_loader(calls: &Arc<AtomicUsize>, value: &'static str) -> impl Future<Output = Result<String, ()>> {
        let calls = calls.clone();
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(value.to_owned())
        }
    }

    #[tokio::test]
    async fn serves_from_memory_until_it_expires() {
        let calls = Arc::new(AtomicUsize::new(0));
        let cache: Cache<String, String> = Cache::new(Duration::from_secs(3600), Duration::ZERO, 10);
        for _ in 0..5 {
            let v = cache.get("a", || counting_loader(&calls, "one")).await.unwrap();
            assert_eq!(*v.value, "one");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "loaded once, then served from memory");

        let expired: Cache<String, String> = Cache::new(Duration::ZERO, Duration::ZERO, 10);
        expired.get("a", || counting_loader(&calls, "one")).await.unwrap();
        let v = expired.get("a", || counting_loader(&calls, "two")).await.unwrap();
        assert_eq!(*v.value, "two", "an expired value is reloaded");
    }

    #[tokio::test]
    async fn invalidation_reloads_at_once() {
        let calls = Arc::new(AtomicUsize::new(0));
        let cache: Cache<String, String> = Cache::new(Duration::from_secs(3600), Duration::from_secs(3600), 10);
        let first = cache.get("a", || counting_loader(&calls, "before")).await.unwrap();
        cache.get("b", || counting_loader(&calls, "other")).await.unwrap();
        cache.invalidate("a");
        let second = cache.get("a", || counting_loader(&calls, "after")).await.unwrap();
        assert_eq!(*second.value, "after", "never the invalidated value, even within the grace period");
        assert_ne!(first.version, second.version);
        assert_eq!(*cache.get("b", || counting_loader(&calls, "x")).await.unwrap().value, "other", "other keys kept");
        cache.invalidate_all();
        assert_eq!(*cache.get("b", || counting_loader(&calls, "new")).await.unwrap().value, "new");
    }

    #[tokio::test]
    async fn a_load_overtaken_by_an_invalidation_is_not_kept() {
        let cache: Arc<Cache<String, String>> = Arc::new(Cache::new(Duration::from_secs(3600), Duration::ZERO, 10));
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
        let c = cache.clone();
        let slow = tokio::spawn(async move {
            c.get("a", || async move {
                let _ = started_tx.send(());
                let _ = release_rx.await;
                Ok::<_, ()>("read before the edit".to_owned())
            })
            .await
        });
        started_rx.await.unwrap();
        cache.invalidate("a"); // the edit commits while the old read is in flight
        release_tx.send(()).unwrap();
        assert_eq!(*slow.await.unwrap().unwrap().value, "read before the edit");
        let calls = Arc::new(AtomicUsize::new(0));
        let v = cache.get("a", || counting_loader(&calls, "read after the edit")).await.unwrap();
        assert_eq!(*v.value, "read after the edit");
    }

    #[tokio::test]
    async fn one_load_for_many_concurrent_readers() {
        let cache: Arc<Cache<String, String>> = Arc::new(Cache::new(Duration::from_secs(3600), Duration::ZERO, 10));
        let calls = Arc::new(AtomicUsize::new(0));
        let (release_tx, release_rx) = tokio::sync::watch::channel(false);
        let mut readers = Vec::new();
        for _ in 0..20 {
            let (cache, calls, mut release) = (cache.clone(), calls.clone(), release_rx.clone());
            readers.push(tokio::spawn(async move {
                cache
                    .get("a", || async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        let _ = release.wait_for(|go| *go).await;
                        Ok::<_, ()>("v".to_owned())
                    })
                    .await
                    .unwrap()
            }));
        }
        tokio::task::yield_now().await;
        release_tx.send(true).unwrap();
        for r in readers {
            assert_eq!(*r.await.unwrap().value, "v");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "single flight");
    }

    #[tokio::test]
    async fn expired_values_are_served_while_one_request_reloads() {
        let cache: Arc<Cache<String, String>> = Arc::new(Cache::new(Duration::ZERO, Duration::from_secs(3600), 10));
        cache.get("a", || async { Ok::<_, ()>("old".to_owned()) }).await.unwrap();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
        let c = cache.clone();
        let reloader = tokio::spawn(async move {
            c.get("a", || async move {
                let _ = started_tx.send(());
                let _ = release_rx.await;
                Ok::<_, ()>("new".to_owned())
            })
            .await
        });
        started_rx.await.unwrap();
        let during = cache.get("a", || async { Ok::<_, ()>("unexpected second load".to_owned()) }).await.unwrap();
        assert_eq!(*during.value, "old");
        release_tx.send(()).unwrap();
        assert_eq!(*reloader.await.unwrap().unwrap().value, "new");
    }

    #[tokio::test]
    async fn errors_are_not_cached_and_memory_is_bounded() {
        let cache: Cache<String, String> = Cache::new(Duration::from_secs(3600), Duration::ZERO, 3);
        assert!(cache.get("missing", || async { Err::<String, _>("not found") }).await.is_err());
        assert!(cache.is_empty(), "a failed load leaves nothing behind");
        let v = cache.get("missing", || async { Ok::<_, &str>("now it exists".to_owned()) }).await.unwrap();
        assert_eq!(*v.value, "now it exists");
        for i in 0..10 {
            let key = format!("k{i}");
            cache.get(&key, || async { Ok::<_, ()>("v".to_owned()) }).await.unwrap();
            cache.invalidate(&key);
        }
        assert!(cache.len() <= 4, "{} entries kept", cache.len());
    }
}
