//! How the layer admits the sessions it starts: [`CreationLimits`] (the settings) and
//! the gate every start of the layer goes through.
//!
//! A cookie-less request can start a session, so session creation is what a flood
//! attacks. One shared budget — the manager's `rate_limit`, or `max_sessions` refusing
//! every newcomer — lets one client lock every new visitor out. The layer therefore
//! counts creations per client (a GCRA bucket per [`ClientKey`]), does not draw on the
//! manager's shared bucket by default, and starts sessions provisional, so that at
//! `max_sessions` a newcomer takes the place of the oldest session that never came back
//! instead of being refused (see [`Admission`]).

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use governor::clock::Clock;
use governor::{Quota, RateLimiter};
use http::{Extensions, HeaderMap};
use ractor_session::{Admission, SessionError, SessionHandle};

use crate::client::{ClientKey, ClientKeySource};
use crate::rejection::SessionRejection;
use crate::telemetry;
use crate::throttle::{KeyedLimiter, LogThrottle, TokioClock};

/// Sessions one client may start per minute (and at once) unless
/// [`CreationLimits::with_per_client`] says otherwise.
///
/// # Examples
///
/// ```
/// assert_eq!(ractor_session_axum::DEFAULT_CREATIONS_PER_CLIENT, 60);
/// ```
pub const DEFAULT_CREATIONS_PER_CLIENT: u32 = 60;

/// How a [`SessionLayer`](crate::SessionLayer) admits the sessions it starts (auto-start
/// and [`NewSession`](crate::NewSession)).
///
/// Defaults, chosen so that no client can lock others out:
///
/// | setting | default | why |
/// |---|---|---|
/// | [`with_per_client`](Self::with_per_client) | 60 per minute, bursts of 60 | a visitor starts one session and keeps its cookie; sixty leave room for a NAT full of visitors, and a client past them gets 429 with `Retry-After` |
/// | [`with_client_key`](Self::with_client_key) | the peer's IP (IPv6 by /64) | headers are anyone's to forge; behind a proxy, name it |
/// | [`with_manager_rate_limit`](Self::with_manager_rate_limit) | off | the manager's `rate_limit` is one bucket shared by everyone: whoever empties it locks every newcomer out |
/// | [`with_eviction`](Self::with_eviction) | on | at `max_sessions` a newcomer takes the place of the oldest session that never came back (whose cookie was never presented again) |
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ractor_session_axum::{ClientKeySource, CreationLimits, IpNet, ProxyHeader, SessionLayer};
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
///
/// // Behind nginx on the same host, which appends the client to X-Forwarded-For.
/// let proxy: IpNet = "127.0.0.1/32".parse()?;
/// let limits = CreationLimits::default()
///     .with_per_client(20, 40)
///     .with_client_key(ClientKeySource::behind_proxies([proxy], ProxyHeader::XForwardedFor));
/// let layer = SessionLayer::builder(manager.clone())
///     .with_dev_mode()
///     .with_auto_start()
///     .with_creation_limits(limits)
///     .build()?;
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct CreationLimits {
    per_client: Option<Quota>,
    clients: ClientKeySource,
    manager_rate_limit: bool,
    eviction: bool,
}

impl Default for CreationLimits {
    fn default() -> Self {
        Self::new()
    }
}

impl CreationLimits {
    /// The defaults (see the table above).
    ///
    /// # Examples
    ///
    /// ```
    /// let limits = ractor_session_axum::CreationLimits::new();
    /// ```
    pub fn new() -> Self {
        let n = DEFAULT_CREATIONS_PER_CLIENT;
        Self {
            per_client: quota(n, n),
            clients: ClientKeySource::default(),
            manager_rate_limit: false,
            eviction: true,
        }
    }

    /// Each client may start `per_minute` sessions a minute, refilled continuously, and
    /// up to `burst` at once; `0` for either turns the per-client limit off.
    ///
    /// # Examples
    ///
    /// ```
    /// let strict = ractor_session_axum::CreationLimits::new().with_per_client(10, 5);
    /// let off = ractor_session_axum::CreationLimits::new().with_per_client(0, 0);
    /// ```
    pub fn with_per_client(mut self, per_minute: u32, burst: u32) -> Self {
        self.per_client = quota(per_minute, burst);
        self
    }

    /// Where the client of a request is read from (default: the peer's IP).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::{ClientKeySource, CreationLimits};
    /// let limits = CreationLimits::new().with_client_key(ClientKeySource::peer_ip());
    /// ```
    pub fn with_client_key(mut self, source: ClientKeySource) -> Self {
        self.clients = source;
        self
    }

    /// Whether the layer's starts also take a token from the manager's shared
    /// [`rate_limit`](ractor_session::SessionConfig::rate_limit) (default: no). Turned on,
    /// one client that empties it locks every new visitor out until it refills.
    ///
    /// # Examples
    ///
    /// ```
    /// let limits = ractor_session_axum::CreationLimits::new().with_manager_rate_limit(true);
    /// ```
    pub fn with_manager_rate_limit(mut self, on: bool) -> Self {
        self.manager_rate_limit = on;
        self
    }

    /// Whether the layer's sessions start provisional (default: yes): at `max_sessions`,
    /// a newcomer then ends the oldest session whose cookie never came back, instead of
    /// being refused with 503.
    ///
    /// # Examples
    ///
    /// ```
    /// let limits = ractor_session_axum::CreationLimits::new().with_eviction(false);
    /// ```
    pub fn with_eviction(mut self, on: bool) -> Self {
        self.eviction = on;
        self
    }
}

fn quota(per_minute: u32, burst: u32) -> Option<Quota> {
    let per_minute = NonZeroU32::new(per_minute)?;
    Some(Quota::per_minute(per_minute).allow_burst(NonZeroU32::new(burst)?))
}

/// The runtime side of [`CreationLimits`]: a bucket per client, and the admission every
/// start of the layer gets.
#[derive(Debug)]
pub(crate) struct CreationGate {
    clients: ClientKeySource,
    limiter: Option<KeyedLimiter<ClientKey>>,
    admission: Admission,
    /// Checks since the buckets of idle clients were last dropped.
    checks: AtomicUsize,
    logs: LogThrottle,
}

/// Drop the buckets of clients that are full again every this many checks, so the map
/// holds only clients seen recently.
const PRUNE_EVERY: usize = 1024;

impl CreationGate {
    pub(crate) fn new(limits: CreationLimits) -> Self {
        let mut admission = Admission::default().with_rate_limit(limits.manager_rate_limit);
        if limits.eviction {
            admission = admission.provisional();
        }
        Self {
            clients: limits.clients,
            limiter: limits
                .per_client
                .map(|quota| RateLimiter::dashmap_with_clock(quota, TokioClock)),
            admission,
            checks: AtomicUsize::new(0),
            logs: LogThrottle::default(),
        }
    }

    /// The request's client, when the per-client limit needs one.
    pub(crate) fn client_key(
        &self,
        headers: &HeaderMap,
        extensions: &Extensions,
    ) -> Option<ClientKey> {
        self.limiter.as_ref()?;
        self.clients.key(headers, extensions)
    }

    /// Admits one creation for `client`, then runs `start` with the admission the
    /// manager needs. A refusal is a 429 with `Retry-After`; refusals and a client that
    /// cannot be told are logged at most once per interval.
    pub(crate) async fn start<F, Fut>(
        &self,
        client: Option<&ClientKey>,
        start: F,
    ) -> Result<SessionHandle, SessionRejection>
    where
        F: FnOnce(Admission) -> Fut,
        Fut: Future<Output = Result<SessionHandle, SessionError>>,
    {
        if let Some(limiter) = &self.limiter {
            match client {
                Some(client) => self.check(limiter, client)?,
                // No key: counting everyone in one bucket would hand the lockout back to
                // a single client, so the limit is skipped, loudly.
                None => telemetry::client_unknown(&self.logs),
            }
        }
        start(self.admission)
            .await
            .inspect_err(|error| {
                if let SessionError::SessionLimitReached { .. }
                | SessionError::RateLimitExceeded { .. } = error
                {
                    telemetry::creation_refused(&self.logs, error_reason(error));
                }
            })
            .map_err(SessionRejection::from)
    }

    fn check(
        &self,
        limiter: &KeyedLimiter<ClientKey>,
        client: &ClientKey,
    ) -> Result<(), SessionRejection> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            limiter.retain_recent();
        }
        limiter.check_key(client).map_err(|not_until| {
            telemetry::creation_refused(&self.logs, "client_rate");
            let wait = not_until.wait_time_from(TokioClock.now());
            SessionRejection::TooManyNewSessions {
                retry_after: wait.max(Duration::from_secs(1)),
            }
        })
    }
}

fn error_reason(error: &SessionError) -> &'static str {
    match error {
        SessionError::RateLimitExceeded { .. } => "manager_rate",
        _ => "session_limit",
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use ractor_session::SessionManager;

    use super::*;

    fn client(ip: &str) -> ClientKey {
        ClientKey::from_ip(ip.parse::<IpAddr>().unwrap())
    }

    async fn start(
        gate: &CreationGate,
        manager: &SessionManager,
        who: Option<&ClientKey>,
    ) -> Result<SessionHandle, SessionRejection> {
        let id = ractor_session::SessionId::generate();
        gate.start(who, |admission| {
            manager.get_or_start_session_admitted(
                &id,
                || (ractor_session::KvSession, Default::default()),
                admission,
            )
        })
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn each_client_has_its_own_bucket() {
        let manager = SessionManager::spawn(Default::default()).await.unwrap();
        let gate = CreationGate::new(CreationLimits::new().with_per_client(6, 3));
        let (a, b) = (client("192.0.2.1"), client("192.0.2.2"));
        for _ in 0..3 {
            start(&gate, &manager, Some(&a)).await.unwrap();
        }
        let refused = start(&gate, &manager, Some(&a)).await.unwrap_err();
        assert!(
            matches!(refused, SessionRejection::TooManyNewSessions { retry_after } if retry_after == Duration::from_secs(10)),
            "{refused:?}"
        );
        start(&gate, &manager, Some(&b)).await.unwrap();
        start(&gate, &manager, None).await.unwrap();
        tokio::time::advance(Duration::from_secs(10)).await;
        start(&gate, &manager, Some(&a)).await.unwrap();
        manager.shutdown().await;
    }

    #[tokio::test]
    async fn the_layer_skips_the_managers_bucket_unless_asked() {
        let config = ractor_session::SessionConfig::default().with_rate_limit(Some(1));
        let manager = SessionManager::spawn(config).await.unwrap();
        let gate = CreationGate::new(CreationLimits::new().with_per_client(0, 0));
        for _ in 0..5 {
            start(&gate, &manager, None).await.unwrap();
        }
        let shared = CreationGate::new(CreationLimits::new().with_manager_rate_limit(true));
        start(&shared, &manager, None).await.unwrap();
        let refused = start(&shared, &manager, None).await.unwrap_err();
        assert_eq!(refused.status(), 503);
        manager.shutdown().await;
    }
}
