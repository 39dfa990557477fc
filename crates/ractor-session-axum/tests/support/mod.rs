//! The adapter's test fixtures, shared by its test binaries: a counter session behind the
//! layer on a real loopback server, and HTTP client functions for its session cookie.
//!
//! What the tests of other crates need too (polling, the counter actor, log and metrics
//! capture, the websocket client) is in `ractor-session-test-support`.

// Each test binary uses part of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use cookie::{Cookie, Key};
use ractor_session::SessionManager;
use ractor_session_axum::{LiveSockets, LiveUpgrade, Session, SessionLayer, SessionRejection};
use ractor_session_test_support::actors::{Counter, CounterMsg};
use ractor_session_test_support::config::config;
use ractor_session_test_support::poll::eventually;
use ractor_session_test_support::ws::{Ws, connect};
use serde_json::{Value, json};

/// The session cookie's name in these tests (the default).
pub(crate) const COOKIE: &str = "session_id";

/// Length of the signature the `cookie` crate puts before a signed value.
pub(crate) const TAG_LEN: usize = 44;

/// The test signing key (64 bytes).
pub(crate) fn key() -> Key {
    Key::try_from(&[7u8; 64][..]).expect("64 bytes make a key")
}

/// A manager with no rate limit and the given idle timeout.
pub(crate) async fn manager(idle: Duration) -> SessionManager {
    SessionManager::spawn(config().with_idle_timeout(idle))
        .await
        .expect("manager starts")
}

/// A manager with no rate limit and the given idle timeout, keeping [`Counter`] sessions
/// in `store`: a restarted process is a second one on the same store.
pub(crate) async fn durable_manager(
    store: std::sync::Arc<dyn ractor_session::durable::SessionStore>,
    idle: Duration,
) -> SessionManager {
    SessionManager::builder(config().with_idle_timeout(idle))
        .with_store(store)
        .with_durable(|| Counter)
        .spawn()
        .await
        .expect("manager starts")
}

/// The layer used by most tests: signed with [`key`], not Secure (plain-HTTP test
/// client), auto-starting a [`Counter`].
pub(crate) fn layer(manager: &SessionManager) -> SessionLayer {
    SessionLayer::builder(manager.clone())
        .with_key(key())
        .with_secure(false)
        .with_auto_start_with(|| (Counter, 0))
        .build()
        .expect("layer builds")
}

async fn count(session: Session<CounterMsg>) -> Result<Json<Value>, SessionRejection> {
    let n = session.call(CounterMsg::Get).await?;
    let actor = session.actor()?.get_id().to_string();
    Ok(Json(json!({ "count": n, "actor": actor })))
}

async fn incr(session: Session<CounterMsg>) -> Result<String, SessionRejection> {
    Ok(session.call(CounterMsg::Incr).await?.to_string())
}

async fn login(mut session: Session<CounterMsg>) -> Result<&'static str, SessionRejection> {
    session.rotate().await?;
    Ok("rotated")
}

async fn logout(session: Session<CounterMsg>) -> Result<&'static str, SessionRejection> {
    session.terminate().await?;
    Ok("bye")
}

async fn live(upgrade: LiveUpgrade) -> Response {
    upgrade.forward(|text: &str| match text {
        "incr" => Ok(CounterMsg::Add(1)),
        "crash" => Ok(CounterMsg::Fail("asked to crash".into())),
        other => Err(format!("unknown command {other:?}")),
    })
}

async fn sockets(State(live): State<LiveSockets>, session: Session<CounterMsg>) -> String {
    live.count(session.id()).to_string()
}

/// The test app's routes, without a layer.
pub(crate) fn routes() -> Router<LiveSockets> {
    Router::new()
        .route("/count", get(count))
        .route("/incr", post(incr))
        .route("/ping", get(|| async { "pong" }))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/live", get(live))
        .route("/sockets", get(sockets))
}

/// A running server, and a client of it that keeps no cookies (they are passed by hand).
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) manager: SessionManager,
    pub(crate) live: LiveSockets,
    http: reqwest::Client,
}

impl Server {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    pub(crate) fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A GET of `path` with the session cookie `value`.
    pub(crate) fn get(&self, path: &str, value: &str) -> reqwest::RequestBuilder {
        with_cookie(self.http.get(self.url(path)), value)
    }

    /// A POST to `path` with the session cookie `value`.
    pub(crate) fn post(&self, path: &str, value: &str) -> reqwest::RequestBuilder {
        with_cookie(self.http.post(self.url(path)), value)
    }

    /// A live socket on `/live` with the session cookie `value`, from the page's origin.
    pub(crate) async fn socket(&self, value: &str) -> Ws {
        let cookie = cookie_header(value);
        connect(&self.ws_url("/live"), Some(&cookie), Some(&self.origin()))
            .await
            .expect("the upgrade is accepted")
    }
}

fn with_cookie(request: reqwest::RequestBuilder, value: &str) -> reqwest::RequestBuilder {
    request.header("cookie", cookie_header(value))
}

/// Serves `app` on 127.0.0.1:0.
pub(crate) async fn serve(app: Router) -> SocketAddr {
    let (listener, addr) = listen().await;
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("server runs");
    });
    addr
}

/// Serves `app` on 127.0.0.1:0 with each connection's peer address in `ConnectInfo`, as
/// the per-client creation limit reads it.
pub(crate) async fn serve_with_peers(app: Router) -> SocketAddr {
    let (listener, addr) = listen().await;
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("server runs");
    });
    addr
}

async fn listen() -> (tokio::net::TcpListener, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    (listener, addr)
}

/// The standard test app (counter session, live sockets) on a real loopback server.
pub(crate) async fn start(idle: Duration) -> Server {
    start_with_live(idle, LiveSockets::new()).await
}

/// The standard test app with `live` as its live sockets (configured by the test).
pub(crate) async fn start_with_live(idle: Duration, live: LiveSockets) -> Server {
    let manager = manager(idle).await;
    let layer = layer(&manager);
    serve_routes(manager, live, layer).await
}

/// The test app's [`routes`] behind `layer`, with `live` as their live sockets, on a real
/// loopback server.
pub(crate) async fn serve_routes(
    manager: SessionManager,
    live: LiveSockets,
    layer: SessionLayer,
) -> Server {
    let app = routes().with_state(live.clone()).layer(layer);
    serve_app(manager, live, app).await
}

/// `app` (a router over `manager`'s sessions, with `live` as its live sockets) on a real
/// loopback server.
pub(crate) async fn serve_app(manager: SessionManager, live: LiveSockets, app: Router) -> Server {
    let addr = serve(app).await;
    Server {
        addr,
        manager,
        live,
        http: bare_client(),
    }
}

/// A client that keeps cookies.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client builds")
}

/// A client that keeps no cookies (they are passed by hand).
pub(crate) fn bare_client() -> reqwest::Client {
    reqwest::Client::new()
}

/// A client without cookies whose connections come from `ip`, an address of the loopback
/// range (all of 127.0.0.0/8 is local on Linux), so the server sees a distinct client.
pub(crate) fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().expect("an IP address"))
        .build()
        .expect("client builds")
}

/// Every `Set-Cookie` header of `response`.
pub(crate) fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ASCII Set-Cookie").to_owned())
        .collect()
}

/// The session cookie's value set by `response`, if any (removals are `Some("")`).
pub(crate) fn session_cookie(response: &reqwest::Response) -> Option<String> {
    set_cookies(response).into_iter().find_map(|header| {
        let cookie = Cookie::parse(header).ok()?;
        (cookie.name() == COOKIE).then(|| cookie.value().to_owned())
    })
}

/// The session ID inside a signed cookie value.
pub(crate) fn id_of(value: &str) -> String {
    value[TAG_LEN..].to_owned()
}

/// `id` signed with the test [`key`] as the value of the cookie [`COOKIE`].
pub(crate) fn sign(id: &str) -> String {
    sign_as(&key(), COOKIE, id)
}

/// `id` signed with `key` as the value of the cookie `name`: the base64 HMAC-SHA256 of
/// `name=id` under the key's signing half, then the ID.
pub(crate) fn sign_as(key: &Key, name: &str, id: &str) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(key.signing()).expect("any key length");
    mac.update(format!("{name}={id}").as_bytes());
    let tag = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    format!("{tag}{id}")
}

/// A `Cookie` request header carrying the session cookie `value`.
pub(crate) fn cookie_header(value: &str) -> String {
    format!("{COOKIE}={value}")
}

/// Establishes a session with `client` and returns its signed cookie value.
pub(crate) async fn new_session(server: &Server, client: &reqwest::Client) -> String {
    let response = client
        .get(server.url("/count"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    session_cookie(&response).expect("a new session sets its cookie")
}

/// The response body as JSON.
pub(crate) async fn json_body(response: reqwest::Response) -> Value {
    let text = response.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A new session with one live socket on `/live`, registered before this returns: the
/// session cookie value and the socket.
pub(crate) async fn open_socket(server: &Server) -> (String, Ws) {
    let value = new_session(server, &bare_client()).await;
    let ws = server.socket(&value).await;
    let id = id_of(&value);
    eventually("the socket is registered", || async {
        server.live.count(&id) == 1
    })
    .await;
    (value, ws)
}
