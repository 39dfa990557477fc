//! The test app and its dashboard on an admin server of its own, and clients of both.

use std::time::Duration;

use axum::Router;
use ractor_session_axum::dashboard::{BearerToken, DashboardBuilder};
use ractor_session_test_support::poll::PATIENCE;
use ractor_session_test_support::ws::{Ws, connect, next_frame};
use serde_json::Value;

use crate::support::{Server, bare_client, serve, start};

/// The dashboard's token in these tests.
pub(crate) const TOKEN: &str = "test-dashboard-token-0123456789";

/// Samples this often: updates come quickly.
pub(crate) const INTERVAL: Duration = Duration::from_millis(50);

/// The test app, and its dashboard nested at `/dashboard` on another loopback server.
pub(crate) struct Admin {
    pub(crate) app: Server,
    base: String,
}

impl Admin {
    /// Starts both, the dashboard behind [`TOKEN`].
    pub(crate) async fn start() -> Self {
        let app = start(Duration::from_secs(60)).await;
        let token = BearerToken::new(TOKEN).expect("a valid token");
        let dashboard = DashboardBuilder::new(app.manager.clone(), token)
            .with_live_sockets(app.live.clone())
            .with_sample_interval(INTERVAL)
            .build()
            .expect("the dashboard builds");
        let addr = serve(Router::new().nest("/dashboard", dashboard)).await;
        Self {
            app,
            base: format!("http://{addr}"),
        }
    }

    /// `path` under the dashboard: `""` is its page.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/dashboard{path}", self.base)
    }

    /// A GET of `path` under the dashboard with the token in an `Authorization` header.
    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        let request = bare_client().get(self.url(path)).bearer_auth(TOKEN);
        request.send().await.expect("the dashboard answers")
    }

    /// The dashboard's own origin.
    pub(crate) fn origin(&self) -> &str {
        &self.base
    }

    pub(crate) fn socket_url(&self) -> String {
        self.url("/live").replacen("http://", "ws://", 1)
    }

    /// The dashboard's socket, opened as its page opens it: with the login cookie, from
    /// its origin. Returns it with its `hello`.
    pub(crate) async fn socket(&self) -> (Ws, Value) {
        let cookie = format!("ractor_dashboard={TOKEN}");
        let mut ws = connect(&self.socket_url(), Some(&cookie), Some(self.origin()))
            .await
            .expect("the dashboard's socket opens");
        let hello = next_frame(&mut ws).await.into_text();
        assert_eq!(hello["event"], "hello", "{hello}");
        (ws, hello)
    }
}

/// Reads updates until one's figures satisfy `check`; returns that update.
pub(crate) async fn update_until(ws: &mut Ws, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let wait = async {
        loop {
            let update = next_frame(ws).await.into_text();
            assert_eq!(update["event"], "update", "{update}");
            if check(&update) {
                return update;
            }
        }
    };
    tokio::time::timeout(PATIENCE, wait)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting until {what}"))
}
