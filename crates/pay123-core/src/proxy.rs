//! The buyer's address behind a reverse proxy: [`TrustedProxies`].
//!
//! Behind nginx every connection comes from nginx's address. A shop that reads the peer's
//! address gives every buyer one allowance of checkouts and sends 123PAY the proxy's address as
//! the buyer's `clientIP`. The proxy writes the address it saw in `X-Forwarded-For` (or
//! `Forwarded`), but anyone can write those headers: they are read only from a peer the
//! merchant names as a proxy, and then only the entries the proxies appended.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use http::HeaderMap;
use ipnet::IpNet;

/// The header a proxy writes the client's address in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx's `$proxy_add_x_forwarded_for`).
    #[default]
    XForwardedFor,
    /// RFC 7239's `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

/// The reverse proxies in front of the app: addresses or CIDR ranges (`127.0.0.1`,
/// `10.0.0.0/8`, `::1`). Requests from them carry the client's address in
/// [`ForwardedHeader`]; from any other peer the header is ignored, so that writing one gains a
/// client nothing.
///
/// ```
/// use pay123_core::proxy::TrustedProxies;
/// let proxies: TrustedProxies = "10.0.0.2, 192.168.0.0/16".parse()?;
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.7".parse().unwrap());
/// // From the proxy: the address it appended (what a client wrote before it is not believed).
/// assert_eq!(proxies.client_ip("10.0.0.2".parse().unwrap(), &headers), "203.0.113.7".parse::<std::net::IpAddr>().unwrap());
/// // From anyone else: the peer, whatever the header says.
/// assert_eq!(proxies.client_ip("203.0.113.9".parse().unwrap(), &headers), "203.0.113.9".parse::<std::net::IpAddr>().unwrap());
/// # Ok::<(), pay123_core::proxy::ProxyListError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ForwardedHeader,
}

/// An entry of a proxy list that is neither an address nor a CIDR range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{entry:?} is neither an IP address nor a CIDR range (such as 10.0.0.2 or 10.0.0.0/8)")]
pub struct ProxyListError {
    /// The entry, as written.
    pub entry: String,
}

impl TrustedProxies {
    /// No proxy: the peer is the client.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Reads the client's address from `header` instead of `X-Forwarded-For`.
    #[must_use]
    pub fn with_header(mut self, header: ForwardedHeader) -> Self {
        self.header = header;
        self
    }

    /// Whether no proxy is trusted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// Whether `ip` is one of the proxies.
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|net| net.contains(&ip))
    }

    /// The name of the header the client's address is read from, lowercase.
    #[must_use]
    pub fn header_name(&self) -> &'static str {
        match self.header {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        }
    }

    /// The client's address: `peer`, unless `peer` is a proxy; then the address the proxies
    /// appended to the header, read from the right past every proxy of the list. An entry that
    /// is not an address ends the walk at the last hop believed; a request from a proxy without
    /// the header is the proxy's own.
    #[must_use]
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        // Read lossily: bytes a client wrote that are not text must not hide the address the
        // proxy appended after them.
        let values: Vec<_> = headers
            .get_all(self.header_name())
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
            .collect();
        self.client_ip_of(peer, values.iter().map(AsRef::as_ref))
    }

    /// [`client_ip`](Self::client_ip) for a framework with a header map of its own: `values`
    /// are the values of every [`header_name`](Self::header_name) header of the request, in
    /// order, read lossily (`String::from_utf8_lossy`): a value dropped because a client wrote
    /// bytes that are not text would hide the address the proxy appended after them.
    #[must_use]
    pub fn client_ip_of<'a>(
        &self,
        peer: IpAddr,
        values: impl IntoIterator<Item = &'a str>,
    ) -> IpAddr {
        let mut client = canonical(peer);
        if !self.contains(client) {
            return client;
        }
        // Every occurrence of the header, in order, as one list.
        let values: Vec<&str> = values.into_iter().flat_map(|v| v.split(',')).collect();
        for entry in values.iter().rev() {
            let parsed = match self.header {
                ForwardedHeader::XForwardedFor => parse_host(entry),
                ForwardedHeader::Forwarded => forwarded_for(entry).and_then(parse_host),
            };
            let Some(hop) = parsed.map(canonical) else {
                break;
            };
            client = hop;
            if !self.contains(hop) {
                break;
            }
        }
        client
    }
}

impl FromStr for TrustedProxies {
    type Err = ProxyListError;

    /// A list of addresses and CIDR ranges, separated by commas or spaces; empty: none.
    fn from_str(list: &str) -> Result<Self, ProxyListError> {
        let nets = list
            .split([',', ' ', '\t', '\n'])
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| ProxyListError {
                        entry: entry.to_owned(),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            nets,
            header: ForwardedHeader::default(),
        })
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.nets.iter().map(ToString::to_string).collect();
        f.write_str(&list.join(", "))
    }
}

/// An IPv4-mapped IPv6 address as its IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1`, `[2001:db8::1]:4711`, `"[2001:db8::1]"`.
fn parse_host(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim().trim_matches('"');
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = entry.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    let (host, port) = entry.rsplit_once(':')?;
    port.bytes().all(|b| b.is_ascii_digit()).then_some(())?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// The `for=` parameter of one element of a `Forwarded` header.
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then_some(value.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: &str, values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_list_reads_addresses_and_ranges() {
        let proxies: TrustedProxies = "10.0.0.2, 192.168.0.0/16 ::1\tfd00::/8".parse().unwrap();
        for inside in [
            "10.0.0.2",
            "192.168.44.1",
            "::1",
            "fd12::5",
            "::ffff:10.0.0.2",
        ] {
            assert!(proxies.contains(ip(inside)), "{inside}");
        }
        for outside in ["10.0.0.3", "192.169.0.1", "127.0.0.1", "2001:db8::1"] {
            assert!(!proxies.contains(ip(outside)), "{outside}");
        }
        assert_eq!(
            proxies.to_string(),
            "10.0.0.2/32, 192.168.0.0/16, ::1/128, fd00::/8"
        );
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
        let e = "10.0.0.2, nginx".parse::<TrustedProxies>().unwrap_err();
        assert_eq!(e.entry, "nginx");
        assert!(e.to_string().contains("CIDR"), "{e}");
    }

    #[test]
    fn only_a_proxy_is_believed_and_only_for_what_it_appended() {
        let proxies: TrustedProxies = "10.0.0.2, 10.1.0.0/16".parse().unwrap();
        let proxy = ip("10.0.0.2");
        // A client writes its own header; nginx appends the address it saw.
        let spoofed = headers("x-forwarded-for", &["6.6.6.6, 203.0.113.7"]);
        assert_eq!(proxies.client_ip(proxy, &spoofed), ip("203.0.113.7"));
        // Not from a proxy: the peer, whatever the header says.
        assert_eq!(
            proxies.client_ip(ip("203.0.113.9"), &spoofed),
            ip("203.0.113.9")
        );
        assert_eq!(TrustedProxies::none().client_ip(proxy, &spoofed), proxy);
        // Two proxies (a load balancer, then nginx): past both.
        let chain = headers("x-forwarded-for", &["6.6.6.6", "203.0.113.7, 10.1.2.3"]);
        assert_eq!(proxies.client_ip(proxy, &chain), ip("203.0.113.7"));
        // Bytes that are not text before the proxy's entry hide nothing.
        let mut bytes = HeaderMap::new();
        bytes.insert(
            "x-forwarded-for",
            http::HeaderValue::from_bytes(b"\xff\xfe, 203.0.113.8").unwrap(),
        );
        assert_eq!(proxies.client_ip(proxy, &bytes), ip("203.0.113.8"));
        // Without the header, or with garbage where the client should be: the last hop believed.
        assert_eq!(proxies.client_ip(proxy, &HeaderMap::new()), proxy);
        let garbage = headers("x-forwarded-for", &["203.0.113.7, unknown"]);
        assert_eq!(proxies.client_ip(proxy, &garbage), proxy);
        let ported = headers("x-forwarded-for", &["203.0.113.7:4711, [2001:db8::1]:80"]);
        assert_eq!(proxies.client_ip(proxy, &ported), ip("2001:db8::1"));
        // IPv4-mapped peers are their IPv4 address.
        assert_eq!(
            proxies.client_ip(ip("::ffff:10.0.0.2"), &spoofed),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn the_forwarded_header_when_chosen() {
        let proxies = "10.0.0.2"
            .parse::<TrustedProxies>()
            .unwrap()
            .with_header(ForwardedHeader::Forwarded);
        let forwarded = headers(
            "forwarded",
            &[r#"for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.2"#],
        );
        assert_eq!(
            proxies.client_ip(ip("10.0.0.2"), &forwarded),
            ip("2001:db8:cafe::17")
        );
        // X-Forwarded-For is not read then: a client could write it.
        let xff = headers("x-forwarded-for", &["203.0.113.7"]);
        assert_eq!(proxies.client_ip(ip("10.0.0.2"), &xff), ip("10.0.0.2"));
    }
}
