//! Per-address limits on signing and logging in, and the client address they key on; the
//! per-account limit on failed logins, which holds whatever addresses a guesser uses; and
//! the inbox's limits, per address, per remote server and on requests processed at once.

use crate::config::{Config, IpNetwork};
use crate::state::AppState;
use actix_web::http::header::HeaderMap;
use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The client address of a request: the socket peer, unless `trust_forwarded_for` is on
/// and the peer is one of our trusted proxies. Then `X-Forwarded-For` is read from the
/// right (each proxy appends the address it saw), skipping our own proxies, and the first
/// other entry is the client: everything left of it was written by the client and proves
/// nothing. `Forwarded` is never read: our proxies do not set it, so whatever it holds
/// came from the client.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trust_forwarded_for: bool, proxies: &[IpNetwork]) -> IpAddr {
    let peer = peer.to_canonical();
    let trusted = |ip: IpAddr| proxies.iter().any(|net| net.contains(ip));
    if !trust_forwarded_for || !trusted(peer) {
        return peer;
    }
    // Several headers are one list, in the order received (RFC 9110, 5.3).
    let mut entries = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(value) = value.to_str() else { return peer };
        entries.extend(value.split(',').map(str::trim));
    }
    for entry in entries.into_iter().rev() {
        // Something our proxy would not write: believe none of the header.
        let Ok(ip) = entry.parse::<IpAddr>() else { return peer };
        let ip = ip.to_canonical();
        if !trusted(ip) {
            return ip;
        }
    }
    peer
}

/// The key an address is limited under: an IPv6 client usually holds a whole /64 and may
/// take any address in it, so the /64 is the client.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        v4 => v4,
    }
}

/// The client address of a request (`client_address`, with the configuration's proxies).
pub fn client_ip(state: &AppState, req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let config = &state.config;
    Some(client_address(peer, req.headers(), config.trust_forwarded_for, &config.trusted_proxies))
}

/// The keyed hash of the client's network, kept with a signature for bulk invalidation
/// (`signons_signature::network`): the address itself is never stored.
pub fn client_network(state: &AppState, req: &HttpRequest) -> Option<signons_signature::NetworkHash> {
    client_ip(state, req).map(|ip| state.signing.network_hash(ip))
}

fn client_key(state: &AppState, req: &HttpRequest) -> Option<IpAddr> {
    client_ip(state, req).map(limit_key)
}

pub fn allow_sign(state: &AppState, req: &HttpRequest) -> bool {
    match (&state.sign_limiter, client_key(state, req)) {
        (Some(limiter), Some(ip)) => limiter.check_key(&ip).is_ok(),
        _ => true,
    }
}

pub fn allow_login(state: &AppState, req: &HttpRequest) -> bool {
    client_key(state, req).is_none_or(|ip| state.login_limiter.check_key(&ip).is_ok())
}

/// Password changes and "forgot password" requests.
pub fn allow_account(state: &AppState, req: &HttpRequest) -> bool {
    client_key(state, req).is_none_or(|ip| state.account_limiter.check_key(&ip).is_ok())
}

/// The inbox's limits: requests per client address and per remote server (the host of
/// the signature's `keyId`) per minute, each with a minute's worth as its burst; and how
/// many are processed at once. A refused request is told when to come back: senders
/// retry (Mastodon, Lemmy and Signons all do), so nothing is lost, only delayed.
pub struct InboxLimits {
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_host: Option<DefaultKeyedRateLimiter<String>>,
    at_once: Arc<tokio::sync::Semaphore>,
}

/// Why an inbox request is not taken now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxRefusal {
    /// Over a per-minute limit: 429, come back after this many seconds.
    TooMany(u64),
    /// Every processing slot is taken: 503, come back after this many seconds.
    Busy(u64),
}

/// How long a sender is asked to wait when every processing slot is taken.
const INBOX_BUSY_RETRY_SECONDS: u64 = 5;

/// The longest remote server name a key keeps (a DNS name, a port).
const HOST_KEY_MAX: usize = 260;

impl InboxLimits {
    pub fn new(config: &Config) -> Self {
        fn per_minute<K: std::hash::Hash + Eq + Clone>(n: u32) -> Option<DefaultKeyedRateLimiter<K>> {
            NonZeroU32::new(n).map(|n| DefaultKeyedRateLimiter::keyed(Quota::per_minute(n).allow_burst(n)))
        }
        InboxLimits {
            per_address: per_minute(config.inbox_per_address_per_minute),
            per_host: per_minute(config.inbox_per_host_per_minute),
            at_once: Arc::new(tokio::sync::Semaphore::new(config.inbox_concurrency)),
        }
    }

    /// Counts a request from `address` signed (it says) by a key of `host`, and takes a
    /// processing slot, held until the permit is dropped.
    pub fn admit(
        &self,
        address: Option<IpAddr>,
        host: Option<&str>,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, InboxRefusal> {
        fn wait<K: std::hash::Hash + Eq + Clone>(
            limiter: &DefaultKeyedRateLimiter<K>,
            key: &K,
        ) -> Result<(), InboxRefusal> {
            limiter.check_key(key).map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                InboxRefusal::TooMany(wait.as_secs().saturating_add(1))
            })
        }
        if let (Some(limiter), Some(ip)) = (&self.per_address, address) {
            wait(limiter, &ip)?;
        }
        if let (Some(limiter), Some(host)) = (&self.per_host, host) {
            wait(limiter, &host.chars().take(HOST_KEY_MAX).collect::<String>())?;
        }
        self.at_once.clone().try_acquire_owned().map_err(|_| InboxRefusal::Busy(INBOX_BUSY_RETRY_SECONDS))
    }

    pub fn trim(&self) {
        if let Some(l) = &self.per_address {
            l.retain_recent();
        }
        if let Some(l) = &self.per_host {
            l.retain_recent();
        }
    }
}

/// The client address an inbox request is limited under.
pub fn inbox_client(state: &AppState, req: &HttpRequest) -> Option<IpAddr> {
    client_key(state, req)
}

/// Failed logins per account: at most `limit` in `window`, keyed by the normalized email
/// whether an account has it or not, so a throttled answer says nothing about which
/// addresses have accounts. In memory, per process, like the other limits.
pub struct LoginFailures {
    limit: usize,
    window: Duration,
    attempts: Mutex<HashMap<String, Vec<Instant>>>,
}

/// The longest email a key keeps (the longest valid address): a key costs what it holds.
const ACCOUNT_KEY_MAX: usize = 254;

impl LoginFailures {
    pub fn new(limit: usize, window: Duration) -> Self {
        LoginFailures { limit, window, attempts: Mutex::new(HashMap::new()) }
    }

    /// The key of what was typed: the address as logins compare it.
    pub fn key(email: &str) -> String {
        let key =
            signons_petition::organization::parse_login_email(email).unwrap_or_else(|_| email.trim().to_lowercase());
        key.chars().take(ACCOUNT_KEY_MAX).collect()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Vec<Instant>>> {
        // Every update leaves the map consistent: a poisoned lock is still usable.
        self.attempts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts an attempt: `false` if the account already had `limit` failures in the
    /// window. An attempt counts as a failure until `succeeded` says otherwise, so that
    /// many guesses at once cannot all slip in before the first is judged.
    pub fn begin(&self, key: &str) -> bool {
        let now = Instant::now();
        let mut attempts = self.lock();
        let entry = attempts.entry(key.to_owned()).or_default();
        entry.retain(|t| now.duration_since(*t) < self.window);
        if entry.len() >= self.limit {
            return false;
        }
        entry.push(now);
        true
    }

    /// The right password: the account's failures are forgotten (the one who knows it
    /// mistyped before).
    pub fn succeeded(&self, key: &str) {
        self.lock().remove(key);
    }

    /// Forgets accounts whose failures are all older than the window.
    pub fn trim(&self) {
        let now = Instant::now();
        self.lock().retain(|_, v| v.iter().any(|t| now.duration_since(*t) < self.window));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    #[test]
    fn failures_per_account() {
        let failures = LoginFailures::new(3, Duration::from_millis(200));
        let key = LoginFailures::key("  Alice@Example.ORG ");
        assert_eq!(key, "alice@example.org");
        assert!((0..3).all(|_| failures.begin(&key)));
        assert!(!failures.begin(&key), "the fourth within the window is refused");
        assert!(failures.begin("bob@example.org"), "another account is not");
        std::thread::sleep(Duration::from_millis(250));
        assert!(failures.begin(&key), "the window passed");
        failures.succeeded(&key);
        assert!((0..3).all(|_| failures.begin(&key)), "a success forgets the failures");
        std::thread::sleep(Duration::from_millis(250));
        failures.trim();
        assert!(failures.lock().is_empty());
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn loopback() -> Vec<IpNetwork> {
        vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()]
    }

    #[test]
    fn without_trust_only_the_peer_counts() {
        let h = headers(&[("x-forwarded-for", "203.0.113.7"), ("forwarded", "for=198.51.100.1")]);
        assert_eq!(client_address(ip("127.0.0.1"), &h, false, &loopback()), ip("127.0.0.1"));
        assert_eq!(client_address(ip("192.0.2.5"), &h, false, &loopback()), ip("192.0.2.5"));
    }

    #[test]
    fn a_peer_that_is_not_a_trusted_proxy_is_the_client() {
        let h = headers(&[("x-forwarded-for", "203.0.113.7")]);
        assert_eq!(client_address(ip("192.0.2.5"), &h, true, &loopback()), ip("192.0.2.5"));
        assert_eq!(client_address(ip("192.0.2.5"), &h, true, &[]), ip("192.0.2.5"));
    }

    #[test]
    fn the_right_most_entry_not_of_our_proxies_is_the_client() {
        let proxies = loopback();
        let peer = ip("127.0.0.1");
        let at = |pairs: &[(&str, &str)]| client_address(peer, &headers(pairs), true, &proxies);
        assert_eq!(at(&[("x-forwarded-for", "203.0.113.7")]), ip("203.0.113.7"));
        // The client wrote the left entry; our proxy appended what it saw.
        assert_eq!(at(&[("x-forwarded-for", "198.51.100.1, 203.0.113.7")]), ip("203.0.113.7"));
        assert_eq!(at(&[("x-forwarded-for", "1.1.1.1,2.2.2.2 ,  203.0.113.7")]), ip("203.0.113.7"));
        // Several headers are one list, in order: the last header's last entry is right-most.
        assert_eq!(at(&[("x-forwarded-for", "198.51.100.1"), ("x-forwarded-for", "203.0.113.7")]), ip("203.0.113.7"));
        // Chained proxies of ours are skipped.
        assert_eq!(at(&[("x-forwarded-for", "198.51.100.1, 203.0.113.7, 127.0.0.1, ::1")]), ip("203.0.113.7"));
        // `Forwarded` is never read.
        assert_eq!(at(&[("forwarded", "for=198.51.100.1"), ("x-forwarded-for", "203.0.113.7")]), ip("203.0.113.7"));
        assert_eq!(at(&[("forwarded", "for=198.51.100.1")]), peer);
        // IPv6 clients, and an IPv4 client written as IPv4-mapped IPv6.
        assert_eq!(at(&[("x-forwarded-for", "2001:db8::7")]), ip("2001:db8::7"));
        assert_eq!(at(&[("x-forwarded-for", "::ffff:203.0.113.7")]), ip("203.0.113.7"));
    }

    #[test]
    fn networks_of_proxies() {
        let proxies: Vec<IpNetwork> = vec!["10.0.0.0/8".parse().unwrap(), "fd00::/8".parse().unwrap()];
        let h = headers(&[("x-forwarded-for", "198.51.100.1, 203.0.113.7, 10.1.2.3, fd12::1")]);
        assert_eq!(client_address(ip("10.9.9.9"), &h, true, &proxies), ip("203.0.113.7"));
        assert_eq!(client_address(ip("fd00::5"), &h, true, &proxies), ip("203.0.113.7"));
        // An IPv4 peer on a dual-stack socket.
        assert_eq!(client_address(ip("::ffff:10.9.9.9"), &h, true, &proxies), ip("203.0.113.7"));
        assert_eq!(client_address(ip("11.0.0.1"), &h, true, &proxies), ip("11.0.0.1"));
    }

    #[test]
    fn anything_unexpected_falls_back_to_the_peer() {
        let proxies = loopback();
        let peer = ip("127.0.0.1");
        let at = |pairs: &[(&str, &str)]| client_address(peer, &headers(pairs), true, &proxies);
        assert_eq!(at(&[]), peer, "no header");
        assert_eq!(at(&[("x-forwarded-for", "")]), peer, "an empty header");
        assert_eq!(at(&[("x-forwarded-for", "203.0.113.7, not-an-address")]), peer);
        assert_eq!(at(&[("x-forwarded-for", "203.0.113.7:4711")]), peer, "with a port");
        assert_eq!(at(&[("x-forwarded-for", "203.0.113.7,")]), peer, "an empty entry");
        assert_eq!(at(&[("x-forwarded-for", "127.0.0.1, ::1")]), peer, "only our proxies");
        let mut h = HeaderMap::new();
        h.append(HeaderName::from_static("x-forwarded-for"), HeaderValue::from_bytes(b"203.0.113.7\xff").unwrap());
        assert_eq!(client_address(peer, &h, true, &proxies), peer, "not ASCII");
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:3:4:5:6")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("2001:db8:1:2::ffff")), limit_key(ip("2001:db8:1:2:aaaa::1")));
        assert_ne!(limit_key(ip("2001:db8:1:2::1")), limit_key(ip("2001:db8:1:3::1")));
        assert_eq!(limit_key(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(limit_key(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
    }
}
