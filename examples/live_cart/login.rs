//! The demo's login: a user name, no password (the page says so), and "log out
//! everywhere", which ends every session of that user in every browser, live sockets told.
//!
//! A real app checks a password (or another factor) before `login`; the rest is the same:
//! `Session::login` moves the session to a new ID and binds it to the user in one step.

use axum::routing::{get, post};
use axum::{Json, Router};
use ractor_session::{SessionError, UserKey};
use ractor_session_axum::RoutedSession;
use serde::Deserialize;
use serde_json::json;

use crate::app::{ApiError, AppState};

/// The login routes, for the app's router.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/me", get(me))
        .route("/api/login", post(login))
        .route("/api/logout-everywhere", post(logout_everywhere))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    user: String,
}

/// Who this session is logged in as (`null` when nobody).
async fn me(session: RoutedSession) -> Result<Json<serde_json::Value>, ApiError> {
    let user = session.user().await?;
    Ok(Json(json!({ "user": user.map(|user| user.to_string()) })))
}

/// Logs this session in as the name given: no password in this demo.
async fn login(
    session: RoutedSession,
    Json(login): Json<Login>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = UserKey::parse(login.user.trim()).map_err(SessionError::from)?;
    session.login(&user).await?;
    Ok(Json(json!({ "user": user.to_string() })))
}

/// Ends every session of this session's user (only this one when nobody is logged in).
async fn logout_everywhere(session: RoutedSession) -> Result<Json<serde_json::Value>, ApiError> {
    let ended = session.log_out_everywhere().await?;
    Ok(Json(json!({ "ended": ended })))
}
