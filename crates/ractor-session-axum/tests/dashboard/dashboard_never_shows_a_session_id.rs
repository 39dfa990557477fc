//! Session IDs are secrets: nothing the dashboard serves — its page, files, figures, socket
//! messages, refusals — nor its builder's `Debug` output holds one, while it counts the very
//! sessions they belong to.

use ractor_session_axum::dashboard::{BearerToken, DashboardBuilder};
use ractor_session_test_support::ws::next_frame;

use crate::admin::{Admin, update_until};
use crate::support::{bare_client, id_of, new_session};

#[tokio::test]
async fn nothing_served_holds_a_session_id() {
    let admin = Admin::start().await;
    let mut secrets = Vec::new();
    let mut sockets = Vec::new();
    for _ in 0..3 {
        let cookie = new_session(&admin.app, &bare_client()).await;
        sockets.push(admin.app.socket(&cookie).await);
        secrets.push(id_of(&cookie));
        secrets.push(cookie);
    }
    let rotated = admin.app.post("/login", &secrets[1]).send().await.unwrap();
    assert_eq!(rotated.status(), 200);

    let mut served = Vec::new();
    let (mut ws, hello) = admin.socket().await;
    served.push(hello.to_string());
    let update = update_until(&mut ws, "the sessions are counted", |u| {
        u["figures"]["sessions"]["active"] == 3 && u["figures"]["counters"]["rotated"] == 1
    })
    .await;
    served.push(update.to_string());
    served.push(next_frame(&mut ws).await.into_text().to_string());
    let http = bare_client();
    for path in [
        "",
        "/dashboard.js",
        "/dashboard.css",
        "/dashboard.svg",
        "/figures",
    ] {
        let response = admin.get(path).await;
        served.push(format!("{:?}", response.headers()));
        served.push(response.text().await.unwrap());
        let refused = http.get(admin.url(path)).send().await.unwrap();
        served.push(refused.text().await.unwrap());
    }
    let builder = DashboardBuilder::new(admin.app.manager.clone(), BearerToken::generate())
        .with_live_sockets(admin.app.live.clone());
    served.push(format!("{builder:?}"));

    for text in &served {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a session ID was served: {text}"
            );
        }
    }
}
