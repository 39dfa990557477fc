//! The floor: the counter server as a new user would write it by hand with ractor and
//! nothing else — one ractor actor per cookie, held in a `DashMap`, no signing, no expiry,
//! no limits, no telemetry, no library. The same handler as the others (read n, write
//! n + 1, reply n + 1), the same `Counter` actor as the library's server.
//!
//! What it leaves out is what the library adds on purpose (a signed cookie, idle expiry,
//! a supervisor, limits, a call timeout); its CPU per request is the cost of "one actor per
//! session" itself, against which the library's overhead is measured. Calls have no
//! timeout (`ActorRef::call` with `None`): no timer per request.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use dashmap::DashMap;
use ractor::rpc::CallResult;
use ractor::{Actor, ActorRef, RpcReplyPort};

use crate::counter::{Counter, CounterMsg};

/// The cookie holding the session's ID, unsigned.
const COOKIE: &str = "sid";

/// Every session's actor, by ID.
type Sessions = Arc<DashMap<String, ActorRef<CounterMsg>>>;

/// The floor's app: `/count` increments, `/read` reads.
pub(crate) fn app() -> Router {
    let sessions: Sessions = Arc::new(DashMap::new());
    Router::new()
        .route("/count", get(count))
        .route("/read", get(read))
        .with_state(sessions)
}

async fn count(State(sessions): State<Sessions>, headers: HeaderMap) -> Response {
    ask(&sessions, &headers, CounterMsg::Increment).await
}

async fn read(State(sessions): State<Sessions>, headers: HeaderMap) -> Response {
    ask(&sessions, &headers, CounterMsg::Read).await
}

/// Finds (or starts) the cookie's session, sends it one message, replies with the answer
/// and, for a new session, its cookie.
async fn ask(
    sessions: &Sessions,
    headers: &HeaderMap,
    message: fn(RpcReplyPort<u64>) -> CounterMsg,
) -> Response {
    let known = cookie(headers).and_then(|id| sessions.get(id).map(|actor| actor.clone()));
    let (actor, new_id) = match known {
        Some(actor) => (actor, None),
        None => {
            let Ok((actor, _)) = Actor::spawn(None, Counter, 0).await else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            let id = fresh_id();
            sessions.insert(id.clone(), actor.clone());
            (actor, Some(id))
        }
    };
    let Ok(CallResult::Success(n)) = actor.call(message, None).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match new_id
        .and_then(|id| HeaderValue::from_str(&format!("{COOKIE}={id}; Path=/; HttpOnly")).ok())
    {
        Some(set_cookie) => ([(header::SET_COOKIE, set_cookie)], n.to_string()).into_response(),
        None => n.to_string().into_response(),
    }
}

/// The value of the `sid` cookie, if the request has one.
fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// 128 random bits as 32 hex digits.
fn fresh_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    bytes.iter().fold(String::with_capacity(32), |mut id, b| {
        let _ = write!(id, "{b:02x}");
        id
    })
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    #[test]
    fn finds_its_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; sid=abc; other=1"),
        );
        assert_eq!(super::cookie(&headers), Some("abc"));
        headers.insert(header::COOKIE, HeaderValue::from_static("sidx=1"));
        assert_eq!(super::cookie(&headers), None);
    }

    #[test]
    fn fresh_ids_are_32_hex_digits_and_differ() {
        let (a, b) = (super::fresh_id(), super::fresh_id());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
