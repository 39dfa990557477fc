//! The demo's routes: the page, a JSON API and the live socket; and, apart, `/metrics` and
//! the session dashboard.

use std::time::Duration;

use axum::extract::{FromRef, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use ractor_session::{SessionError, SessionManager};
use ractor_session_axum::{LiveMessage, LiveSockets, LiveUpgrade, RoutedSession, SessionRejection};
use serde::Deserialize;
use serde_json::json;

use crate::cart::{CartError, CartRequest, CartSession, CartView};

const INDEX_HTML: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const APP_CSS: &str = include_str!("app.css");

/// What the handlers share.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) manager: SessionManager,
    pub(crate) live: LiveSockets,
    pub(crate) idle_ttl: Duration,
}

impl FromRef<AppState> for LiveSockets {
    fn from_ref(state: &AppState) -> Self {
        state.live.clone()
    }
}

/// The routes; the caller adds the session layer.
pub(crate) fn routes(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/app.js", get(app_js))
        .route("/app.css", get(app_css))
        .route("/api/cart", get(view))
        .route("/api/cart/items", post(add))
        .route("/api/cart/items/{name}", delete(remove))
        .route("/api/rotate", post(rotate))
        .route("/api/logout", post(logout))
        .route("/live", get(live))
        .merge(crate::login::routes())
        .with_state(state)
}

/// The admin routes, served on their own loopback port: `/metrics` (Prometheus text) and
/// the session `dashboard` (behind its token) at `/dashboard`. Kept off the app's port,
/// which a proxy exposes to the world.
pub(crate) fn admin_routes(metrics: PrometheusHandle, dashboard: Router) -> Router {
    Router::new()
        .route("/metrics", get(render_metrics))
        .with_state(metrics)
        .nest("/dashboard", dashboard)
}

/// An API failure: a status and a JSON body `{"error": "..."}`.
pub(crate) struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<SessionError> for ApiError {
    fn from(error: SessionError) -> Self {
        SessionRejection::from(error).into()
    }
}

impl From<SessionRejection> for ApiError {
    fn from(rejection: SessionRejection) -> Self {
        Self(rejection.status(), rejection.to_string())
    }
}

impl From<CartError> for ApiError {
    fn from(error: CartError) -> Self {
        let status = match error {
            CartError::NotInCart => StatusCode::NOT_FOUND,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self(status, error.to_string())
    }
}

/// The page. Asking the cart here starts the session, so the page arrives with its cookie
/// and the live socket it opens next has a session to join.
async fn index(session: RoutedSession) -> Response {
    if let Err(rejection) = session.request::<CartSession>(CartRequest::View).await {
        return rejection.into_response();
    }
    ([(header::CACHE_CONTROL, "no-store")], Html(INDEX_HTML)).into_response()
}

/// Sends `request` to the request's cart, wherever it lives.
async fn ask(session: &RoutedSession, request: CartRequest) -> Result<CartView, ApiError> {
    Ok(session.request::<CartSession>(request).await??)
}

async fn app_css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], APP_CSS).into_response()
}

async fn app_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        APP_JS,
    )
        .into_response()
}

async fn view(
    State(state): State<AppState>,
    session: RoutedSession,
) -> Result<Json<serde_json::Value>, ApiError> {
    let cart = ask(&session, CartRequest::View).await?;
    let tabs = session.id().map_or(0, |id| state.live.count(&id));
    Ok(Json(json!({
        "cart": cart,
        "idle_ttl_ms": state.idle_ttl.as_millis() as u64,
        "tabs": tabs,
    })))
}

#[derive(Deserialize)]
struct NewItem {
    item: String,
}

async fn add(session: RoutedSession, Json(new): Json<NewItem>) -> Result<Json<CartView>, ApiError> {
    Ok(Json(
        ask(&session, CartRequest::Add { item: new.item }).await?,
    ))
}

async fn remove(
    session: RoutedSession,
    Path(name): Path<String>,
) -> Result<Json<CartView>, ApiError> {
    Ok(Json(
        ask(&session, CartRequest::Remove { item: name }).await?,
    ))
}

async fn rotate(session: RoutedSession) -> Result<Json<serde_json::Value>, ApiError> {
    session.rotate().await?;
    Ok(Json(json!({ "rotated": true })))
}

async fn logout(session: RoutedSession) -> Result<StatusCode, ApiError> {
    session.terminate().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the page sends over its live socket.
#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Command {
    Add { item: String },
    Remove { item: String },
}

/// The live socket: commands from the page go to the cart actor, which pushes the new
/// cart to every tab of the session; refusals go back to the sending tab only.
async fn live(State(state): State<AppState>, upgrade: LiveUpgrade) -> Response {
    let manager = state.manager;
    upgrade.on_text(move |message: LiveMessage| {
        let manager = manager.clone();
        async move {
            let request = match serde_json::from_str::<Command>(message.text()) {
                Ok(Command::Add { item }) => Ok(CartRequest::Add { item }),
                Ok(Command::Remove { item }) => Ok(CartRequest::Remove { item }),
                Err(e) => Err(format!("bad command: {e}")),
            };
            let outcome = match request {
                Ok(request) => manager
                    .request::<CartSession>(message.session_id(), request)
                    .await
                    .map_err(|e| ApiError::from(e).1)
                    .and_then(|r| r.map_err(|e| e.to_string())),
                Err(why) => Err(why),
            };
            if let Err(why) = outcome {
                let _ = message.reply(&json!({ "event": "error", "message": why }));
            }
        }
    })
}

async fn render_metrics(State(metrics): State<PrometheusHandle>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        metrics.render(),
    )
        .into_response()
}
