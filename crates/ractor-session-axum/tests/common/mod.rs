//! Shared test fixtures: a counter session, an app around it on a real loopback server,
//! and HTTP and websocket client functions.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use cookie::{Cookie, CookieJar, Key};
use futures_util::StreamExt;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_session::{SessionConfig, SessionManager};
use ractor_session_axum::{LiveSockets, LiveUpgrade, Session, SessionLayer, SessionRejection};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The session cookie's name in these tests (the default).
pub const COOKIE: &str = "session_id";

/// Length of the signature the `cookie` crate puts before a signed value.
pub const TAG_LEN: usize = 44;

/// How long a test waits for something that should happen promptly.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// The test signing key (64 bytes).
pub fn key() -> Key {
    Key::try_from(&[7u8; 64][..]).expect("64 bytes make a key")
}

/// A session holding one number.
pub struct Counter;

/// Messages of [`Counter`].
pub enum CounterMsg {
    Incr(RpcReplyPort<u64>),
    Add(u64),
    Get(RpcReplyPort<u64>),
    /// Makes the actor fail, ending the session as crashed.
    Crash,
}

impl Actor for Counter {
    type Msg = CounterMsg;
    type State = u64;
    type Arguments = u64;

    async fn pre_start(
        &self,
        _: ActorRef<CounterMsg>,
        start: u64,
    ) -> Result<u64, ActorProcessingErr> {
        Ok(start)
    }

    async fn handle(
        &self,
        _: ActorRef<CounterMsg>,
        msg: CounterMsg,
        n: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            CounterMsg::Incr(reply) => {
                *n += 1;
                let _ = reply.send(*n);
            }
            CounterMsg::Add(k) => *n += k,
            CounterMsg::Get(reply) => {
                let _ = reply.send(*n);
            }
            CounterMsg::Crash => return Err("asked to crash".into()),
        }
        Ok(())
    }
}

/// A manager with no rate limit and the given idle timeout.
pub async fn manager(idle: Duration) -> SessionManager {
    SessionManager::spawn(
        SessionConfig::default()
            .with_rate_limit(None)
            .with_idle_timeout(idle),
    )
    .await
    .expect("manager starts")
}

/// The layer used by most tests: signed with [`key`], not Secure (plain-HTTP test
/// client), auto-starting a [`Counter`].
pub fn layer(manager: &SessionManager) -> SessionLayer {
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
    session.rotate()?;
    Ok("rotated")
}

async fn logout(session: Session<CounterMsg>) -> Result<&'static str, SessionRejection> {
    session.terminate().await?;
    Ok("bye")
}

async fn live(upgrade: LiveUpgrade) -> Response {
    upgrade.forward(|text: &str| match text {
        "incr" => Ok(CounterMsg::Add(1)),
        "crash" => Ok(CounterMsg::Crash),
        other => Err(format!("unknown command {other:?}")),
    })
}

async fn sockets(State(live): State<LiveSockets>, session: Session<CounterMsg>) -> String {
    live.count(session.id()).to_string()
}

/// The test app's routes, without a layer.
pub fn routes() -> Router<LiveSockets> {
    Router::new()
        .route("/count", get(count))
        .route("/incr", post(incr))
        .route("/ping", get(|| async { "pong" }))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/live", get(live))
        .route("/sockets", get(sockets))
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub manager: SessionManager,
    pub live: LiveSockets,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Serves `app` on 127.0.0.1:0.
pub async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("server runs");
    });
    addr
}

/// Serves `app` on 127.0.0.1:0 with each connection's peer address in `ConnectInfo`, as
/// the per-client creation limit reads it.
pub async fn serve_with_peers(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("server runs");
    });
    addr
}

/// A client without cookies whose connections come from `ip`, an address of the loopback
/// range (all of 127.0.0.0/8 is local on Linux), so the server sees a distinct client.
pub fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().expect("an IP address"))
        .build()
        .expect("client builds")
}

/// The standard test app (counter session, live sockets) on a real loopback server.
pub async fn start(idle: Duration) -> Server {
    start_with_live(idle, LiveSockets::new()).await
}

/// The standard test app with its live sockets configured by `live`.
pub async fn start_with_live(idle: Duration, live: LiveSockets) -> Server {
    let manager = manager(idle).await;
    let app = routes().with_state(live.clone()).layer(layer(&manager));
    let addr = serve(app).await;
    Server {
        addr,
        manager,
        live,
    }
}

/// Log output captured in memory, for a `tracing_subscriber` writer.
#[derive(Clone, Default)]
pub struct Captured(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures this thread's logs, all levels, until the guard drops.
pub fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

impl Captured {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("UTF-8 logs")
    }
}

/// A client that keeps cookies.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client builds")
}

/// A client that keeps no cookies (they are passed by hand).
pub fn bare_client() -> reqwest::Client {
    reqwest::Client::new()
}

/// Every `Set-Cookie` header of `response`.
pub fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ASCII Set-Cookie").to_owned())
        .collect()
}

/// The session cookie's value set by `response`, if any (removals are `Some("")`).
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    set_cookies(response).into_iter().find_map(|header| {
        let cookie = Cookie::parse(header).ok()?;
        (cookie.name() == COOKIE).then(|| cookie.value().to_owned())
    })
}

/// The session ID inside a signed cookie value.
pub fn id_of(value: &str) -> String {
    value[TAG_LEN..].to_owned()
}

/// `id` signed with the test [`key`], as a cookie value.
pub fn sign(id: &str) -> String {
    let mut jar = CookieJar::new();
    jar.signed_mut(&key())
        .add(Cookie::new(COOKIE, id.to_owned()));
    jar.get(COOKIE).expect("just added").value().to_owned()
}

/// A `Cookie` request header carrying the session cookie `value`.
pub fn cookie_header(value: &str) -> String {
    format!("{COOKIE}={value}")
}

/// Polls `check` until it holds, failing after [`PATIENCE`].
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a websocket to `url` with an optional session cookie value and Origin.
pub async fn connect(
    url: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
) -> Result<Ws, tungstenite::Error> {
    let mut request = url.into_client_request()?;
    if let Some(value) = cookie {
        request.headers_mut().insert(
            "cookie",
            cookie_header(value).parse().expect("header value"),
        );
    }
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().expect("header value"));
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

/// Opens a live socket on `/live` for the session whose cookie value is `value`.
pub async fn open_another(server: &Server, value: &str) -> Ws {
    connect(&server.ws_url("/live"), Some(value), Some(&server.origin()))
        .await
        .unwrap()
}

/// The HTTP status of a refused websocket upgrade.
pub async fn refused_status(url: &str, cookie: Option<&str>, origin: Option<&str>) -> u16 {
    match connect(url, cookie, origin).await {
        Ok(_) => panic!("the upgrade to {url} was accepted"),
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("unexpected websocket error: {other}"),
    }
}

/// What the server sent next: a text frame or a close frame.
#[derive(Debug, PartialEq)]
pub enum Frame {
    Text(Value),
    Close(Option<u16>),
    Ended,
}

/// The next text or close frame, skipping pings; fails after [`PATIENCE`].
pub async fn next_frame(ws: &mut Ws) -> Frame {
    let read = async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    return Frame::Text(serde_json::from_str(&text).expect("server sends JSON"));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Frame::Close(frame.map(|f| u16::from(f.code)));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Frame::Ended,
            }
        }
    };
    tokio::time::timeout(PATIENCE, read)
        .await
        .expect("the server sent nothing in time")
}

/// Reads the end-of-session sequence: the event, then the close frame's code.
pub async fn expect_end(ws: &mut Ws, event: &str, code: u16) {
    match next_frame(ws).await {
        Frame::Text(v) => assert_eq!(v["event"], event, "unexpected event {v}"),
        other => panic!("expected the {event} event, got {other:?}"),
    }
    assert_eq!(next_frame(ws).await, Frame::Close(Some(code)));
}

/// Establishes a session with `client` and returns its signed cookie value.
pub async fn new_session(server: &Server, client: &reqwest::Client) -> String {
    let response = client
        .get(server.url("/count"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    session_cookie(&response).expect("a new session sets its cookie")
}

/// The response body as JSON.
pub async fn json_body(response: reqwest::Response) -> Value {
    let text = response.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A new session with one live socket on `/live`, registered before this returns: the
/// session cookie value and the socket.
pub async fn open_socket(server: &Server) -> (String, Ws) {
    let value = new_session(server, &bare_client()).await;
    let ws = open_another(server, &value).await;
    let id = id_of(&value);
    let live = server.live.clone();
    eventually("the socket is registered", || {
        let n = live.count(&id);
        async move { n == 1 }
    })
    .await;
    (value, ws)
}
