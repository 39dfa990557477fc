//! A live session dashboard for operators, as Phoenix LiveDashboard is for Phoenix (cargo
//! feature `dashboard`).
//!
//! [`router`] returns an axum router to mount where operators, and only they, can reach
//! it — an admin port on loopback, say. It serves one page, updated live over a websocket:
//! sessions active, parked and in total; sessions started; per second over the last
//! minutes, starts, ends by reason (terminated, expired, crashed, evicted, shutdown),
//! rotations and revivals; live sockets; sessions per type; how close the limits are
//! (`max_sessions`, the live socket caps, the rate limit); and a memory estimate. Its
//! script, style and icon are files of its own, compiled in: no CDN, nothing inline, so a
//! strict Content-Security-Policy holds. `/figures` answers the figures as JSON.
//!
//! It cannot be mounted without an [`Authorize`] hook — any `Fn(&Parts) -> bool`, or the
//! ready [`BearerToken`] — that every request passes first; a refused one gets 401 and no
//! data. The page never shows a session ID (sessions are counted, not listed), its socket
//! is refused to other origins, and nothing it serves is cached or may be framed. The
//! guide's "Dashboard" section (`docs/axum.md`) has the threat model.
//!
//! Cost: nothing unless the feature is on; built, one task that wakes every sample
//! interval (1 s by default) to read a few atomics — [`SessionManager::counters`], the live
//! count and sockets — and, only while a page is open, to count sessions per type, which
//! visits every session. No work on a session's `call` or `cast` path.
//!
//! A browser holds the token through the login link, `<page>?token=T`: the request is
//! asked as `Authorization: Bearer T` and, if allowed, redirected to the page without the
//! token, with the cookie `ractor_dashboard` (`HttpOnly`, `SameSite=Strict`, scoped to the
//! dashboard's path) that later requests are asked with as if it were that header.
//!
//! # Examples
//!
//! ```
//! use axum::Router;
//! use ractor_session::SessionManager;
//! use ractor_session_axum::LiveSockets;
//! use ractor_session_axum::dashboard::{self, BearerToken};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let manager = SessionManager::spawn(Default::default()).await?;
//! let live = LiveSockets::new(); // the app's, as its routes use them
//! let token = BearerToken::generate();
//! println!("dashboard: http://127.0.0.1:9000/dashboard?token={}", token.reveal());
//! let admin: Router = Router::new().nest("/dashboard", dashboard::router(manager.clone(), live, token));
//! // Served on loopback only: axum::serve(TcpListener::bind("127.0.0.1:9000").await?, admin)
//! # drop(admin);
//! # manager.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod assets;
mod board;
mod figures;
mod guard;
mod history;
mod socket;
mod token;

use std::fmt;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use ractor_session::SessionManager;

pub use token::{Authorize, BearerToken, MIN_TOKEN_LEN, TokenError};

use crate::LiveSockets;
use crate::origin::normalize_origin;
use board::{Board, Settings};

/// How often the dashboard takes a sample, by default.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// assert_eq!(ractor_session_axum::dashboard::DEFAULT_SAMPLE_INTERVAL, Duration::from_secs(1));
/// ```
pub const DEFAULT_SAMPLE_INTERVAL: Duration = Duration::from_secs(1);

/// How far back the dashboard's charts go, by default.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// assert_eq!(ractor_session_axum::dashboard::DEFAULT_HISTORY, Duration::from_secs(300));
/// ```
pub const DEFAULT_HISTORY: Duration = Duration::from_secs(5 * 60);

/// The shortest sample interval and the most samples a dashboard keeps.
const MIN_SAMPLE_INTERVAL: Duration = Duration::from_millis(10);
const MAX_SAMPLES: u128 = 100_000;

/// The dashboard for `manager`'s sessions and the app's `live` sockets, behind
/// `authorize`, with the default settings; [`DashboardBuilder`] for others.
///
/// Mount it with [`Router::nest`] (the page is then at the nesting path itself, e.g.
/// `/dashboard`) or [`Router::merge`] (at `/`).
///
/// # Examples
///
/// ```
/// use axum::Router;
/// use http::request::Parts;
/// use ractor_session_axum::{LiveSockets, dashboard};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// // Behind a proxy that authenticates operators and says so in a header of its own.
/// let operators = |request: &Parts| request.headers.contains_key("x-authenticated-operator");
/// let admin: Router = Router::new()
///     .nest("/dashboard", dashboard::router(manager.clone(), LiveSockets::new(), operators));
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub fn router<S>(manager: SessionManager, live: LiveSockets, authorize: impl Authorize) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    DashboardBuilder::new(manager, authorize)
        .with_live_sockets(live)
        .into_router()
}

/// A dashboard with settings of its own; [`build`](Self::build) makes its router.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// use axum::Router;
/// use ractor_session_axum::dashboard::{BearerToken, DashboardBuilder};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// let dashboard: Router = DashboardBuilder::new(manager.clone(), BearerToken::generate())
///     .with_sample_interval(Duration::from_secs(2))
///     .with_history(Duration::from_secs(15 * 60))
///     .build()?;
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[must_use]
pub struct DashboardBuilder {
    manager: SessionManager,
    authorize: Box<dyn Authorize>,
    live: Option<LiveSockets>,
    interval: Duration,
    span: Duration,
    secure: bool,
    origins: Vec<String>,
}

impl fmt::Debug for DashboardBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DashboardBuilder")
            .field("manager", &self.manager.config().name)
            .field("live", &self.live.is_some())
            .field("interval", &self.interval)
            .field("span", &self.span)
            .field("secure", &self.secure)
            .field("origins", &self.origins)
            .finish_non_exhaustive()
    }
}

/// Why [`DashboardBuilder::build`] refused its settings.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// use ractor_session_axum::dashboard::{BearerToken, DashboardBuilder, DashboardError};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// let refused = DashboardBuilder::new(manager.clone(), BearerToken::generate())
///     .with_sample_interval(Duration::ZERO)
///     .build::<()>();
/// assert!(matches!(refused, Err(DashboardError::SampleInterval { .. })));
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DashboardError {
    /// The sample interval is shorter than 10 ms.
    #[error("the dashboard's sample interval {interval:?} is shorter than 10ms")]
    SampleInterval {
        /// The interval given.
        interval: Duration,
    },
    /// The history is shorter than one interval, or longer than 100,000 of them.
    #[error(
        "the dashboard's history {history:?} must hold between 1 and 100000 samples of \
         {interval:?}"
    )]
    History {
        /// The history given.
        history: Duration,
        /// The sample interval.
        interval: Duration,
    },
    /// An allowed origin that is not `http(s)://host[:port]`.
    #[error("{0:?} is not an origin (scheme://host[:port])")]
    Origin(String),
}

impl DashboardBuilder {
    /// A dashboard of `manager`'s sessions behind `authorize`, without live sockets (see
    /// [`with_live_sockets`](Self::with_live_sockets)).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::dashboard::{BearerToken, DashboardBuilder};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let router: axum::Router = DashboardBuilder::new(manager.clone(), BearerToken::generate()).build()?;
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(manager: SessionManager, authorize: impl Authorize) -> Self {
        Self {
            manager,
            authorize: Box::new(authorize),
            live: None,
            interval: DEFAULT_SAMPLE_INTERVAL,
            span: DEFAULT_HISTORY,
            secure: false,
            origins: Vec::new(),
        }
    }

    /// Shows the app's live sockets (their count, how close the caps are): pass the
    /// `LiveSockets` the app's routes use.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_axum::LiveSockets;
    /// use ractor_session_axum::dashboard::{BearerToken, DashboardBuilder};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let live = LiveSockets::new();
    /// let builder = DashboardBuilder::new(manager.clone(), BearerToken::generate()).with_live_sockets(live.clone());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_live_sockets(mut self, live: LiveSockets) -> Self {
        self.live = Some(live);
        self
    }

    /// How often a sample is taken (default 1 s, at least 10 ms): the charts' resolution.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ractor_session_axum::dashboard::{BearerToken, DashboardBuilder};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let builder = DashboardBuilder::new(manager.clone(), BearerToken::generate())
    ///     .with_sample_interval(std::time::Duration::from_millis(500));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_sample_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// How far back the charts go (default 5 minutes; at most 100,000 samples).
    ///
    /// # Examples
    ///
    /// ```
    /// # use ractor_session_axum::dashboard::{BearerToken, DashboardBuilder};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let builder = DashboardBuilder::new(manager.clone(), BearerToken::generate())
    ///     .with_history(std::time::Duration::from_secs(3600));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_history(mut self, history: Duration) -> Self {
        self.span = history;
        self
    }

    /// The dashboard is served over HTTPS (default: off, for a plain-HTTP admin port on
    /// loopback): its cookie is `Secure`, and its socket takes `https` origins only.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ractor_session_axum::dashboard::{BearerToken, DashboardBuilder};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let builder = DashboardBuilder::new(manager.clone(), BearerToken::generate()).with_secure(true);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Accepts the socket from `origin` (`https://ops.example.com`) instead of the page's
    /// own origin: for a dashboard behind a proxy that rewrites `Host`. Repeat for more.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ractor_session_axum::dashboard::{BearerToken, DashboardBuilder};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let builder = DashboardBuilder::new(manager.clone(), BearerToken::generate())
    ///     .with_allowed_origin("https://ops.example.com");
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_allowed_origin(mut self, origin: impl Into<String>) -> Self {
        self.origins.push(origin.into());
        self
    }

    /// The dashboard's router, to [`nest`](Router::nest) or [`merge`](Router::merge) into
    /// the app's admin router. Its sampler starts now when called within a tokio runtime,
    /// else with its first request.
    ///
    /// # Errors
    ///
    /// [`DashboardError`] for a sample interval under 10 ms, a history of less than one
    /// sample or more than 100,000, or an allowed origin that is not one.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ractor_session_axum::dashboard::{BearerToken, DashboardBuilder};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let dashboard: axum::Router = DashboardBuilder::new(manager.clone(), BearerToken::generate()).build()?;
    /// let admin: axum::Router = axum::Router::new().nest("/dashboard", dashboard);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn build<S>(mut self) -> Result<Router<S>, DashboardError>
    where
        S: Clone + Send + Sync + 'static,
    {
        if self.interval < MIN_SAMPLE_INTERVAL {
            return Err(DashboardError::SampleInterval {
                interval: self.interval,
            });
        }
        let samples = self.span.as_nanos() / self.interval.as_nanos();
        if !(1..=MAX_SAMPLES).contains(&samples) {
            return Err(DashboardError::History {
                history: self.span,
                interval: self.interval,
            });
        }
        self.origins = self
            .origins
            .iter()
            .map(|origin| {
                normalize_origin(origin).ok_or_else(|| DashboardError::Origin(origin.clone()))
            })
            .collect::<Result<_, _>>()?;
        Ok(self.into_router())
    }

    /// The router of settings already checked (or the defaults).
    fn into_router<S>(self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let settings = Settings {
            live: self.live,
            interval: self.interval,
            span: self.span,
            secure: self.secure,
            origins: self.origins,
        };
        let board = Board::new(self.manager, self.authorize, settings);
        Router::new()
            .route("/", get(assets::page))
            .route("/dashboard.js", get(assets::script))
            .route("/dashboard.css", get(assets::style))
            .route("/dashboard.svg", get(assets::icon))
            .route("/figures", get(assets::figures))
            .route("/live", get(socket::live))
            .layer(axum::middleware::from_fn_with_state(
                board.clone(),
                guard::guard,
            ))
            .with_state(board)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(
        manager: &SessionManager,
        set: impl FnOnce(DashboardBuilder) -> DashboardBuilder,
    ) -> Option<DashboardError> {
        let builder = DashboardBuilder::new(manager.clone(), BearerToken::generate());
        set(builder).build::<()>().err()
    }

    #[tokio::test]
    async fn settings_are_checked_when_built() {
        let manager = SessionManager::spawn(Default::default()).await.unwrap();
        let short = refusal(&manager, |b| {
            b.with_sample_interval(Duration::from_millis(9))
        });
        assert!(matches!(short, Some(DashboardError::SampleInterval { .. })));
        for history in [Duration::from_millis(999), Duration::from_secs(100_001)] {
            let refused = refusal(&manager, |b| b.with_history(history));
            assert!(
                matches!(refused, Some(DashboardError::History { .. })),
                "{history:?}"
            );
        }
        let origin = refusal(&manager, |b| b.with_allowed_origin("ftp://ops.example.com"));
        assert_eq!(
            origin,
            Some(DashboardError::Origin("ftp://ops.example.com".into()))
        );
        let fine = refusal(&manager, |b| {
            b.with_history(Duration::from_secs(1))
                .with_allowed_origin("https://ops.example.com/")
        });
        assert_eq!(fine, None);
        manager.shutdown().await;
    }
}
