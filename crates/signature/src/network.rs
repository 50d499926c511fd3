//! The network a signature came from, kept without the address: the /24 of an IPv4 client
//! (the /48 of an IPv6 one), hashed with a key derived from the instance's link key:
//!
//! ```text
//! HMAC-SHA256(HMAC-SHA256(link key, "signons-key-v1" 0x00 "network-hash"), "v4" 0x00 a.b.c)
//! ```
//!
//! (`"v6" 0x00` and the first six bytes for IPv6), cut to 128 bits, in hex. Without the key
//! the hash says nothing: there are only 2^24 IPv4 /24s, so an unkeyed hash would be
//! reversed in seconds; the key lives in the data folder, never in the database. With the
//! key it can be reversed as fast, which is why the hash is erased with the rest of the
//! personal data (`retention`). What it allows is the one thing bulk invalidation needs:
//! telling whether two signatures came from the same network, and which networks an
//! admin's range (`NetworkRange`) covers.

use crate::links::LinkKey;
use hmac::digest::generic_array::GenericArray;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The prefix kept of an IPv4 address, and of an IPv6 one: an ISP's customer usually has a
/// /24 at most in IPv4, a /48 at most in IPv6.
pub const IPV4_PREFIX: u8 = 24;
pub const IPV6_PREFIX: u8 = 48;
/// The most stored networks one range may cover (a /12 in IPv4, a /36 in IPv6): wider, and
/// the admin means something else than a bulk of fake signatures.
pub const MAX_NETWORKS: u32 = 4096;

/// The key network hashes are made with.
#[derive(Clone)]
pub struct NetworkKey([u8; 32]);

impl fmt::Debug for NetworkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NetworkKey(…)")
    }
}

impl NetworkKey {
    pub fn new(link_key: &LinkKey) -> Self {
        NetworkKey(link_key.derive("network-hash"))
    }
}

/// The keyed hash of a signer's network, as `signatures.network_hash` holds it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetworkHash(String);

impl NetworkHash {
    /// The hash of the network `ip` belongs to (an IPv4 address seen as IPv6, as a
    /// dual-stack socket reports it, counts as the IPv4 address it is).
    pub fn new(ip: IpAddr, key: &NetworkKey) -> Self {
        // HMAC pads a key shorter than its block (64 bytes) with zeros: so does this, the
        // one key length the infallible constructor takes.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&key.0);
        let mut mac = <Hmac<Sha256> as KeyInit>::new(GenericArray::from_slice(&block));
        match ip.to_canonical() {
            IpAddr::V4(v4) => {
                mac.update(b"v4\0");
                mac.update(&v4.octets()[..3]);
            }
            IpAddr::V6(v6) => {
                mac.update(b"v6\0");
                mac.update(&v6.octets()[..6]);
            }
        }
        NetworkHash(hex::encode(&mac.finalize().into_bytes()[..16]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A range of addresses an admin names (`203.0.113.0/24`, `2001:db8:1::/48`, or wider): the
/// stored networks it covers. Narrower than a stored network it cannot be, since only the
/// network was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkRange {
    addr: IpAddr,
    prefix: u8,
}

/// Why a range was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeError {
    /// Not `address/prefix`.
    Malformed,
    /// Narrower than the stored network (`/25` and up in IPv4, `/49` and up in IPv6): the
    /// most it may be is the `u8`.
    TooNarrow(u8),
    /// Covers more than `MAX_NETWORKS` stored networks: the least it may be is the `u8`.
    TooWide(u8),
}

impl NetworkRange {
    /// Parses `address/prefix` (bits of the address past the prefix are ignored, so
    /// `203.0.113.7/24` is `203.0.113.0/24`).
    pub fn parse(text: &str) -> Result<Self, RangeError> {
        let (addr, prefix) = text.trim().split_once('/').ok_or(RangeError::Malformed)?;
        let addr = addr.parse::<IpAddr>().map_err(|_| RangeError::Malformed)?.to_canonical();
        // Digits only: `u8::from_str` would also take a leading `+`.
        if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RangeError::Malformed);
        }
        let prefix: u8 = prefix.parse().map_err(|_| RangeError::Malformed)?;
        let (stored, max) = match addr {
            IpAddr::V4(_) => (IPV4_PREFIX, 32),
            IpAddr::V6(_) => (IPV6_PREFIX, 128),
        };
        if prefix > max {
            return Err(RangeError::Malformed);
        }
        if prefix > stored {
            return Err(RangeError::TooNarrow(stored));
        }
        let widest = stored - MAX_NETWORKS.ilog2() as u8;
        if prefix < widest {
            return Err(RangeError::TooWide(widest));
        }
        let addr = match addr {
            IpAddr::V4(v4) => IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask32(prefix))),
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask128(prefix))),
        };
        Ok(NetworkRange { addr, prefix })
    }

    /// How many stored networks the range covers (at most `MAX_NETWORKS`).
    pub fn networks(&self) -> u32 {
        let stored = if self.addr.is_ipv4() { IPV4_PREFIX } else { IPV6_PREFIX };
        1 << (stored - self.prefix)
    }

    /// The hash of each stored network in the range.
    pub fn hashes(&self, key: &NetworkKey) -> Vec<NetworkHash> {
        (0..self.networks())
            .map(|i| {
                let ip = match self.addr {
                    IpAddr::V4(v4) => IpAddr::V4(Ipv4Addr::from(u32::from(v4) + (i << (32 - IPV4_PREFIX)))),
                    IpAddr::V6(v6) => {
                        IpAddr::V6(Ipv6Addr::from(u128::from(v6) + (u128::from(i) << (128 - IPV6_PREFIX))))
                    }
                };
                NetworkHash::new(ip, key)
            })
            .collect()
    }
}

impl fmt::Display for NetworkRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn one_hash_per_network_and_key() {
        let key = NetworkKey::new(&LinkKey::generate());
        let h = |s: &str| NetworkHash::new(ip(s), &key);
        assert_eq!(h("203.0.113.7"), h("203.0.113.250"), "one /24");
        assert_eq!(h("::ffff:203.0.113.9"), h("203.0.113.7"), "an IPv4 address seen as IPv6");
        assert_ne!(h("203.0.113.7"), h("203.0.114.7"));
        assert_eq!(h("2001:db8:1:2::1"), h("2001:db8:1:ffff::9"), "one /48");
        assert_ne!(h("2001:db8:1::1"), h("2001:db8:2::1"));
        assert_eq!(h("203.0.113.7").as_str().len(), 32);
        let other = NetworkKey::new(&LinkKey::generate());
        assert_ne!(NetworkHash::new(ip("203.0.113.7"), &other), h("203.0.113.7"), "another instance's key");
    }

    #[test]
    fn ranges_cover_their_stored_networks() {
        let key = NetworkKey::new(&LinkKey::generate());
        let r = NetworkRange::parse("203.0.113.77/24").unwrap();
        assert_eq!(r.to_string(), "203.0.113.0/24");
        assert_eq!(r.hashes(&key), vec![NetworkHash::new(ip("203.0.113.1"), &key)]);
        let wide = NetworkRange::parse("198.51.0.0/22").unwrap();
        assert_eq!(wide.networks(), 4);
        let hashes = wide.hashes(&key);
        assert!(hashes.contains(&NetworkHash::new(ip("198.51.3.200"), &key)));
        assert!(!hashes.contains(&NetworkHash::new(ip("198.51.4.1"), &key)));
        let v6 = NetworkRange::parse("2001:db8:1::/47").unwrap();
        assert_eq!(v6.hashes(&key).len(), 2);
        assert!(v6.hashes(&key).contains(&NetworkHash::new(ip("2001:db8:1:99::1"), &key)));
        assert_eq!(NetworkRange::parse("10.0.0.0/12").unwrap().networks(), MAX_NETWORKS);
    }

    #[test]
    fn ranges_narrower_or_far_wider_than_stored_are_refused() {
        assert_eq!(NetworkRange::parse("203.0.113.0/25"), Err(RangeError::TooNarrow(24)));
        assert_eq!(NetworkRange::parse("203.0.113.7/32"), Err(RangeError::TooNarrow(24)));
        assert_eq!(NetworkRange::parse("2001:db8::/64"), Err(RangeError::TooNarrow(48)));
        assert_eq!(NetworkRange::parse("10.0.0.0/8"), Err(RangeError::TooWide(12)));
        assert_eq!(NetworkRange::parse("2001::/16"), Err(RangeError::TooWide(36)));
        for bad in ["203.0.113.0", "203.0.113.0/", "203.0.113.0/+24", "nope/24", "203.0.113.0/33", "1.2.3.4/0024"] {
            assert_eq!(NetworkRange::parse(bad), Err(RangeError::Malformed), "{bad}");
        }
    }
}
