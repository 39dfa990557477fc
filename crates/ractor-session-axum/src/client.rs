//! Telling clients apart for the per-client session creation limit: [`ClientKey`] and
//! where it comes from, [`ClientKeySource`] — the peer address, a header set by trusted
//! proxies, or a function of the app's.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::extract::connect_info::MockConnectInfo;
use http::{Extensions, HeaderMap};
use ipnet::IpNet;

/// The client a request comes from, as the per-client creation limit counts it.
///
/// # Examples
///
/// ```
/// use std::net::IpAddr;
/// use ractor_session_axum::ClientKey;
///
/// // IPv6 clients are counted by their /64: one subscriber usually holds a whole /64.
/// let a: IpAddr = "2001:db8:1:2::1".parse()?;
/// let b: IpAddr = "2001:db8:1:2:ffff::9".parse()?;
/// assert_eq!(ClientKey::from_ip(a), ClientKey::from_ip(b));
/// assert_ne!(ClientKey::from_ip(a), ClientKey::named("api-key-7"));
/// # Ok::<(), std::net::AddrParseError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientKey(Repr);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Repr {
    Ip(IpAddr),
    Named(Arc<str>),
}

impl ClientKey {
    /// The key of an address: IPv4 as it is, IPv6 by its first 64 bits (an IPv4-mapped
    /// IPv6 address as the IPv4 one).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::{IpAddr, Ipv4Addr};
    /// use ractor_session_axum::ClientKey;
    ///
    /// let mapped: IpAddr = "::ffff:192.0.2.7".parse()?;
    /// assert_eq!(ClientKey::from_ip(mapped), ClientKey::from_ip(Ipv4Addr::new(192, 0, 2, 7).into()));
    /// # Ok::<(), std::net::AddrParseError>(())
    /// ```
    #[must_use]
    pub fn from_ip(ip: IpAddr) -> Self {
        let ip = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
            },
            v4 => v4,
        };
        Self(Repr::Ip(ip))
    }

    /// A key the app names itself (an API key's ID, a tenant), for
    /// [`ClientKeySource::custom`].
    ///
    /// # Examples
    ///
    /// ```
    /// let key = ractor_session_axum::ClientKey::named("tenant-42");
    /// ```
    #[must_use]
    pub fn named(name: impl Into<Arc<str>>) -> Self {
        Self(Repr::Named(name.into()))
    }
}

/// The header a trusted proxy records the client's address in.
///
/// # Examples
///
/// ```
/// use ractor_session_axum::{ClientKeySource, IpNet, ProxyHeader};
///
/// let proxy: IpNet = "10.0.0.0/8".parse()?;
/// let source = ClientKeySource::behind_proxies([proxy], ProxyHeader::Forwarded);
/// # Ok::<(), ipnet::AddrParseError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx's `$proxy_add_x_forwarded_for`,
    /// most load balancers).
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
}

type KeyFn = dyn Fn(&HeaderMap, &Extensions) -> Option<ClientKey> + Send + Sync;

/// Where the layer finds a request's [`ClientKey`].
///
/// The default, [`peer_ip`](Self::peer_ip), reads the TCP peer's address from axum's
/// `ConnectInfo`, so the app must be served with
/// `app.into_make_service_with_connect_info::<SocketAddr>()`. Behind a reverse proxy every
/// request comes from the proxy: use [`behind_proxies`](Self::behind_proxies), which
/// believes the forwarding header only when the peer is one of the trusted proxies.
/// Headers are never believed by default: any client can send them.
///
/// # Examples
///
/// ```
/// use ractor_session_axum::{ClientKey, ClientKeySource};
///
/// // A CDN that puts the visitor's address in its own header, and nothing else reaches
/// // the app:
/// let cdn = ClientKeySource::custom(|headers, _extensions| {
///     let value = headers.get("cf-connecting-ip")?.to_str().ok()?;
///     Some(ClientKey::from_ip(value.parse().ok()?))
/// });
/// ```
#[derive(Clone, Default)]
pub struct ClientKeySource(Source);

#[derive(Clone, Default)]
enum Source {
    #[default]
    Peer,
    Proxies {
        trusted: Arc<[IpNet]>,
        header: ProxyHeader,
    },
    Custom(Arc<KeyFn>),
}

impl fmt::Debug for ClientKeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Peer => f.write_str("ClientKeySource::PeerIp"),
            Source::Proxies { trusted, header } => f
                .debug_struct("ClientKeySource::BehindProxies")
                .field("trusted", trusted)
                .field("header", header)
                .finish(),
            Source::Custom(_) => f.write_str("ClientKeySource::Custom(..)"),
        }
    }
}

impl ClientKeySource {
    /// The TCP peer's address, from `ConnectInfo<SocketAddr>` (the default).
    ///
    /// # Examples
    ///
    /// ```
    /// let source = ractor_session_axum::ClientKeySource::peer_ip();
    /// ```
    #[must_use]
    pub fn peer_ip() -> Self {
        Self(Source::Peer)
    }

    /// The client's address as recorded in `header` by the proxies in `trusted`.
    ///
    /// When the peer is trusted, the header's addresses are read from the right (the
    /// nearest hop) and trusted hops are skipped: the first address that is not a trusted
    /// proxy is the client. A hop that is not an address (`unknown`, an obfuscated name)
    /// stops the walk at the last trusted hop. A peer that is not trusted is the client
    /// itself, whatever the header says.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::{ClientKeySource, IpNet, ProxyHeader};
    ///
    /// let local_proxy: IpNet = "127.0.0.1/32".parse()?;
    /// let source = ClientKeySource::behind_proxies([local_proxy], ProxyHeader::XForwardedFor);
    /// # Ok::<(), ipnet::AddrParseError>(())
    /// ```
    #[must_use]
    pub fn behind_proxies(trusted: impl IntoIterator<Item = IpNet>, header: ProxyHeader) -> Self {
        Self(Source::Proxies {
            trusted: trusted.into_iter().collect(),
            header,
        })
    }

    /// A key computed by `key` from the request's headers and extensions; `None` when it
    /// cannot tell.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::{ClientKey, ClientKeySource};
    ///
    /// let by_api_key = ClientKeySource::custom(|headers, _| {
    ///     Some(ClientKey::named(headers.get("x-api-key")?.to_str().ok()?))
    /// });
    /// ```
    #[must_use]
    pub fn custom(
        key: impl Fn(&HeaderMap, &Extensions) -> Option<ClientKey> + Send + Sync + 'static,
    ) -> Self {
        Self(Source::Custom(Arc::new(key)))
    }

    /// The request's client, if it can be told.
    pub(crate) fn key(&self, headers: &HeaderMap, extensions: &Extensions) -> Option<ClientKey> {
        // As axum's `ConnectInfo` extractor: the real one, or the one tests mock.
        let peer = || {
            let real = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
            real.or_else(|| extensions.get::<MockConnectInfo<SocketAddr>>().map(|m| m.0))
                .map(|addr| addr.ip())
        };
        match &self.0 {
            Source::Peer => peer().map(ClientKey::from_ip),
            Source::Proxies { trusted, header } => {
                let peer = peer()?;
                Some(ClientKey::from_ip(forwarded_client(
                    peer, trusted, *header, headers,
                )))
            }
            Source::Custom(key) => key(headers, extensions),
        }
    }
}

/// The client behind `peer` by the rightmost-untrusted rule (see
/// [`ClientKeySource::behind_proxies`]).
fn forwarded_client(
    peer: IpAddr,
    trusted: &[IpNet],
    header: ProxyHeader,
    headers: &HeaderMap,
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let name = match header {
        ProxyHeader::XForwardedFor => "x-forwarded-for",
        ProxyHeader::Forwarded => "forwarded",
    };
    // Several header lines are one list, in order.
    let hops: Vec<Option<IpAddr>> = headers
        .get_all(name)
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("?").split(','))
        .map(|element| match header {
            ProxyHeader::XForwardedFor => parse_node(element),
            ProxyHeader::Forwarded => forwarded_for(element).and_then(parse_node),
        })
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = hop else { break };
        client = *ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

/// The `for=` value of one `Forwarded` element (`for=1.2.3.4;proto=https`).
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim().eq_ignore_ascii_case("for").then_some(value)
    })
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `"[2001:db8::1]:4711"`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.parse::<IpAddr>()
        .ok()
        .or_else(|| node.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn request(peer: &str, header: Option<(&'static str, &str)>) -> (HeaderMap, Extensions) {
        let mut headers = HeaderMap::new();
        if let Some((name, value)) = header {
            headers.append(name, HeaderValue::from_str(value).unwrap());
        }
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        (headers, extensions)
    }

    fn ip(text: &str) -> Option<ClientKey> {
        Some(ClientKey::from_ip(text.parse().unwrap()))
    }

    fn proxies(header: ProxyHeader) -> ClientKeySource {
        let trusted = ["10.0.0.0/8", "127.0.0.1/32"].map(|n| n.parse().unwrap());
        ClientKeySource::behind_proxies(trusted, header)
    }

    #[test]
    fn the_peer_is_the_client_by_default_and_headers_are_ignored() {
        let (headers, extensions) = request("192.0.2.7:5000", Some(("x-forwarded-for", "1.1.1.1")));
        let source = ClientKeySource::default();
        assert_eq!(source.key(&headers, &extensions), ip("192.0.2.7"));
        assert_eq!(
            source.key(&headers, &Extensions::new()),
            None,
            "no ConnectInfo"
        );
    }

    #[test]
    fn x_forwarded_for_is_believed_only_from_trusted_proxies() {
        let source = proxies(ProxyHeader::XForwardedFor);
        let spoofed = "6.6.6.6, 203.0.113.9, 10.0.0.2";
        let (headers, extensions) = request("10.0.0.1:80", Some(("x-forwarded-for", spoofed)));
        assert_eq!(source.key(&headers, &extensions), ip("203.0.113.9"));
        // Straight from the internet: the header is the client's own word.
        let (headers, extensions) = request("198.51.100.4:80", Some(("x-forwarded-for", spoofed)));
        assert_eq!(source.key(&headers, &extensions), ip("198.51.100.4"));
        // A trusted proxy that sent no header is the client it knows of.
        let (headers, extensions) = request("10.0.0.1:80", None);
        assert_eq!(source.key(&headers, &extensions), ip("10.0.0.1"));
        let (headers, extensions) = request(
            "10.0.0.1:80",
            Some(("x-forwarded-for", "garbage, 10.0.0.3")),
        );
        assert_eq!(
            source.key(&headers, &extensions),
            ip("10.0.0.3"),
            "stops at a bad hop"
        );
    }

    #[test]
    fn forwarded_elements_are_read_from_the_right() {
        let source = proxies(ProxyHeader::Forwarded);
        let value = r#"for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https, for=10.1.1.1"#;
        let (headers, extensions) = request("127.0.0.1:80", Some(("forwarded", value)));
        assert_eq!(source.key(&headers, &extensions), ip("2001:db8:cafe::"));
        let (headers, extensions) = request("127.0.0.1:80", Some(("forwarded", "for=unknown")));
        assert_eq!(source.key(&headers, &extensions), ip("127.0.0.1"));
    }

    #[test]
    fn a_custom_source_decides_alone() {
        let source = ClientKeySource::custom(|headers, _| {
            Some(ClientKey::named(headers.get("x-tenant")?.to_str().ok()?))
        });
        let (headers, extensions) = request("192.0.2.7:5000", Some(("x-tenant", "t1")));
        assert_eq!(
            source.key(&headers, &extensions),
            Some(ClientKey::named("t1"))
        );
        assert_eq!(source.key(&HeaderMap::new(), &extensions), None);
    }
}
