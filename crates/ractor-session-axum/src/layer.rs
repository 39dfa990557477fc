//! [`SessionLayer`] and the service it wraps around a router.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::header::{CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use http::{HeaderValue, Request, Response, StatusCode};
use ractor_session::SessionManager;
use tower_layer::Layer;
use tower_service::Service;

use crate::config::LayerConfig;
use crate::request::RequestSession;
use crate::telemetry;

/// The body of the 403 that refuses a cross-site request.
const CROSS_SITE_REFUSED: &str = "cross-site request refused: this site accepts unsafe \
requests (POST, PUT, PATCH, DELETE, ...) only from its own pages";

/// A tower layer that gives every request a session, identified by a signed cookie.
///
/// For each request it reads the session cookie and adopts it only if the signature is
/// valid and the session it names is live; that request then counts as the session's
/// activity (its idle timeout starts again). With a manager that has a session store, a
/// validly signed ID not in memory (the process restarted) is looked up in the store —
/// one read, on the request's first use of its session — and its unexpired session is
/// revived and adopted; if the store fails, the extractors answer 503 and no session is
/// started in its place. Anything else — a malformed value, a bad
/// signature, an ID that is not live, or the cookies of two different live sessions — is
/// never adopted: the request proceeds without a session, a warning with a hashed ID and
/// the metric `ractor_session_axum_cookies_refused_total` record it, and the client gets
/// a fresh ID when a session is started for it. Handlers reach the session through the
/// extractors [`Session`](crate::Session), [`CurrentSessionId`](crate::CurrentSessionId)
/// and [`NewSession`](crate::NewSession); the layer sets or clears the cookie on the
/// response when the session was started, rotated or ended during the request, and such a
/// response is marked `Cache-Control: no-store`.
///
/// Before any of that, an unsafe request from another site is refused with 403 (see
/// [`with_csrf_protection`](crate::SessionLayerBuilder::with_csrf_protection)). A session
/// the layer starts counts against its client's budget and the manager's admission (see
/// [`CreationLimits`](crate::CreationLimits)), after any refusal that needs no budget; the
/// order of every step is in `docs/axum.md`.
///
/// Build one with [`SessionLayer::builder`]; it is cheap to clone.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use axum::{Router, routing::get};
/// use ractor_session::{KvMsg, SessionManager};
/// use ractor_session_axum::{Session, SessionLayer};
///
/// async fn visits(session: Session) -> Result<String, ractor_session_axum::SessionRejection> {
///     // Read and write in one message, so concurrent requests lose no update.
///     let n = session.call(KvMsg::increment("visits", 1)).await??;
///     Ok(format!("visit number {n}"))
/// }
///
/// let manager = SessionManager::spawn(Default::default()).await?;
/// let app: Router = Router::new()
///     .route("/", get(visits))
///     .layer(
///         SessionLayer::builder(manager.clone())
///             .with_key(ractor_session_axum::Key::generate())
///             .with_auto_start()
///             .build()?,
///     );
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct SessionLayer {
    config: Arc<LayerConfig>,
}

impl SessionLayer {
    pub(crate) fn from_config(config: LayerConfig) -> Self {
        Self {
            config: Arc::new(config),
        }
    }

    /// The session manager this layer uses.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = ractor_session_axum::SessionLayer::builder(manager.clone()).with_dev_mode().build()?;
    /// assert_eq!(layer.manager().count(), 0);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn manager(&self) -> &SessionManager {
        &self.config.manager
    }

    /// The session cookie's name.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = ractor_session_axum::SessionLayer::builder(manager.clone())
    ///     .with_dev_mode()
    ///     .with_cookie_name("sid")
    ///     .build()?;
    /// assert_eq!(layer.cookie_name(), "sid");
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn cookie_name(&self) -> &str {
        self.config.cookie.name()
    }

    /// Whether the layer runs in insecure [dev mode](crate::SessionLayerBuilder::with_dev_mode).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = ractor_session_axum::SessionLayer::builder(manager.clone()).with_dev_mode().build()?;
    /// assert!(layer.is_dev_mode());
    /// assert!(!layer.is_secure());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn is_dev_mode(&self) -> bool {
        self.config.dev_mode
    }

    /// Whether the cookie carries the `Secure` attribute.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = ractor_session_axum::SessionLayer::builder(manager.clone())
    ///     .with_key_bytes([1u8; 64])
    ///     .build()?;
    /// assert!(layer.is_secure());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn is_secure(&self) -> bool {
        self.config.cookie.secure()
    }

    /// Whether unsafe cross-site requests are refused (see
    /// [`with_csrf_protection`](crate::SessionLayerBuilder::with_csrf_protection)).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = ractor_session_axum::SessionLayer::builder(manager.clone()).with_dev_mode().build()?;
    /// assert!(layer.is_csrf_protected());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn is_csrf_protected(&self) -> bool {
        self.config.cross_site.is_enabled()
    }

    /// The absolute lifetime of the sessions this layer starts (see
    /// [`with_max_lifetime`](crate::SessionLayerBuilder::with_max_lifetime)).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = ractor_session_axum::SessionLayer::builder(manager.clone()).with_dev_mode().build()?;
    /// assert_eq!(layer.max_lifetime(), Some(ractor_session_axum::DEFAULT_MAX_LIFETIME));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn max_lifetime(&self) -> Option<Duration> {
        self.config.max_lifetime
    }

    /// How long requests with a just-rotated ID are spared a cookie change (see
    /// [`with_rotation_grace`](crate::SessionLayerBuilder::with_rotation_grace)).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = ractor_session_axum::SessionLayer::builder(manager.clone()).with_dev_mode().build()?;
    /// assert_eq!(layer.rotation_grace(), ractor_session_axum::DEFAULT_ROTATION_GRACE);
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn rotation_grace(&self) -> Duration {
        self.config.rotations.grace()
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// The service [`SessionLayer`] wraps around an inner service.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tower_layer::Layer;
/// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
/// let layer = ractor_session_axum::SessionLayer::builder(manager.clone()).with_dev_mode().build()?;
/// let service = layer.layer(axum::Router::<()>::new());
/// # manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct SessionService<S> {
    inner: S,
    config: Arc<LayerConfig>,
}

impl<S, B, ResBody> Service<Request<B>> for SessionService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    ResBody: From<&'static str>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    /// Refuses a cross-site request, or decides the request's session from its cookie,
    /// hands it to the extractors through the request's extensions, calls the inner
    /// service, then updates the cookie (in [`ResponseFuture`]).
    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let config = &self.config;
        let checked = config.cross_site.check(
            request.method(),
            request.uri(),
            request.headers(),
            config.scheme(),
        );
        if let Err(refusal) = checked {
            // Before the cookie is read: no session is used, touched or started.
            telemetry::cross_site_refused(refusal.as_str());
            return ResponseFuture {
                kind: Kind::Refused,
            };
        }
        // Read now, while the request is at hand; used only if a session is started.
        let client = (config.creation).client_key(request.headers(), request.extensions());
        let session =
            Arc::new(RequestSession::begin(config, request.headers()).with_client(client));
        request.extensions_mut().insert(Arc::clone(&session));
        ResponseFuture {
            kind: Kind::Inner {
                future: self.inner.call(request),
                session: Some(session),
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`SessionService`]: the inner future, then the cookie update;
    /// or at once the refusal of a cross-site request.
    ///
    /// # Examples
    ///
    /// ```
    /// // Named only as `SessionService`'s `Future` type; never built by hand.
    /// type Fut = ractor_session_axum::ResponseFuture<std::future::Ready<()>>;
    /// ```
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = KindProj]
    #[derive(Debug)]
    enum Kind<F> {
        Inner {
            #[pin]
            future: F,
            session: Option<Arc<RequestSession>>,
        },
        Refused,
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    ResBody: From<&'static str>,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (future, session) = match self.project().kind.project() {
            KindProj::Refused => return Poll::Ready(Ok(cross_site_refused())),
            KindProj::Inner { future, session } => (future, session),
        };
        let mut response = std::task::ready!(future.poll(cx))?;
        if let Some(cookie) = session.take().and_then(|session| session.cookie_update()) {
            let headers = response.headers_mut();
            headers.append(SET_COOKIE, cookie);
            // No cache may keep (and replay to others) a response that sets or clears the
            // session cookie, whatever the handler said.
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        Poll::Ready(Ok(response))
    }
}

/// The 403 that refuses a cross-site request.
fn cross_site_refused<B: From<&'static str>>() -> Response<B> {
    let mut response = Response::new(B::from(CROSS_SITE_REFUSED));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
