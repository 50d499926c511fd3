//! Which addresses our HTTP client may connect to. Without `federation_allow_local`, only
//! public unicast addresses: a remote server must not make us reach our own network
//! (loopback, private ranges, the cloud metadata address...). The check is made by the
//! client's DNS resolver, on the very addresses it then connects to, so a name that
//! resolved to a public address once and to a private one later (DNS rebinding) is still
//! refused. URLs naming an address directly skip DNS: `PublicAddressesOnly` (a client
//! middleware) checks those.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Whether `ip` is a public unicast address: not private, loopback, link-local,
/// unique-local, multicast, broadcast, unspecified, shared (CGNAT), reserved, benchmarking
/// or documentation. IPv6 forms that embed an IPv4 address are judged by that address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT), RFC 6598
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments, RFC 6890
        || (a == 198 && (b == 18 || b == 19)) // benchmarking, RFC 2544
        || a >= 240) // reserved, RFC 1112
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    let embedded_v4 = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    match segments {
        // NAT64 (64:ff9b::/96): the IPv4 address in the last 32 bits.
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => return is_public_v4(embedded_v4(high, low)),
        // 6to4 (2002::/16): the IPv4 address after the prefix.
        [0x2002, high, low, ..] => return is_public_v4(embedded_v4(high, low)),
        _ => {}
    }
    let first = segments[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local, fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated), fec0::/10
        || (first == 0x2001 && segments[1] == 0x0db8) // documentation, 2001:db8::/32
        || (first == 0x0100 && segments[1..4] == [0, 0, 0]) // discard, 100::/64
        // The rest of ::/8: IPv4-compatible (deprecated) and unassigned.
        || first == 0)
}

/// The system resolver, keeping only public addresses: a name with none is refused.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.iter().copied().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                let refused: Box<dyn std::error::Error + Send + Sync> = if found.is_empty() {
                    format!("{host} has no address").into()
                } else {
                    tracing::info!(host, "a fetch to a non-public address was refused");
                    format!("{host} resolves only to non-public addresses: refused").into()
                };
                return Err(refused);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// Refuses requests to a URL whose host is a non-public IP address (no DNS is asked for
/// those, so the resolver never sees them).
pub(crate) struct PublicAddressesOnly;

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for PublicAddressesOnly {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let literal = match req.url().host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            _ => None,
        };
        if let Some(ip) = literal.filter(|ip| !is_public(*ip)) {
            tracing::info!(%ip, "a fetch to a non-public address was refused");
            return Err(reqwest_middleware::Error::Middleware(anyhow::anyhow!(
                "{ip} is not a public address: refused"
            )));
        }
        next.run(req, extensions).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_public_unicast_addresses_are_public() {
        for public in [
            "93.184.215.14",
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "192.0.1.1",
            "198.20.0.1",
            "2a01:4f8::1",
            "2606:4700::1111",
            "::ffff:93.184.215.14",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ] {
            assert!(is_public(ip(public)), "{public} is public");
        }
        for private in [
            "127.0.0.1",
            "127.255.255.254",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "100::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:0001::1",
            "2002:c0a8:0101::1",
        ] {
            assert!(!is_public(ip(private)), "{private} is not public");
        }
    }

    #[tokio::test]
    async fn names_of_local_addresses_are_refused() {
        let name: Name = "localhost".parse().unwrap();
        let refused = PublicOnlyResolver.resolve(name).await.err().expect("localhost is refused");
        assert!(refused.to_string().contains("non-public"), "{refused}");
    }

    /// The client as `context::build` makes it without `federation_allow_local`: a server
    /// on loopback is never connected to, by name or by address.
    #[tokio::test]
    async fn the_client_never_connects_to_loopback() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(socket);
            }
        });
        let client = reqwest_middleware::ClientBuilder::new(
            reqwest::Client::builder().dns_resolver(PublicOnlyResolver).no_proxy().build().unwrap(),
        )
        .with(PublicAddressesOnly)
        .build();
        for url in [format!("http://localhost:{port}/actor"), format!("http://127.0.0.1:{port}/actor")] {
            let error = client.get(&url).send().await.expect_err("refused");
            let text = format!("{error:?}");
            assert!(text.contains("non-public") || text.contains("not a public address"), "{url}: {text}");
        }
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 0, "no connection was made");
        // The same server is reached by a client that allows local addresses.
        let _ = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await;
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1, "the test server listens");
    }
}
