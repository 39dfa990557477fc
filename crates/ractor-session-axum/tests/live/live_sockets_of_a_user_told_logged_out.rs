//! Logging in binds the session to a user and moves it to a new ID; logging out
//! everywhere ends every session of that user, and each of their live sockets receives
//! `logged_out` and close code 4004, while other users' sessions and sockets go on.

use std::time::Duration;

use axum::routing::post;
use ractor_session::{SessionError, UserKey};
use ractor_session_axum::{LiveSockets, Session, SessionRejection};
use ractor_session_test_support::actors::CounterMsg;
use ractor_session_test_support::poll::eventually;
use ractor_session_test_support::ws::expect_end;

use crate::support::*;

async fn login_as(
    mut session: Session<CounterMsg>,
    name: String,
) -> Result<&'static str, SessionRejection> {
    let user = UserKey::parse(&name).map_err(SessionError::from)?;
    session.login(&user).await?;
    Ok("welcome")
}

async fn log_out_everywhere(session: Session<CounterMsg>) -> Result<String, SessionRejection> {
    Ok(session.log_out_everywhere().await?.to_string())
}

async fn server() -> Server {
    let manager = manager(Duration::from_secs(60)).await;
    let live = LiveSockets::new();
    let app = routes()
        .route("/login-as", post(login_as))
        .route("/logout-everywhere", post(log_out_everywhere))
        .with_state(live.clone())
        .layer(layer(&manager));
    serve_app(manager, live, app).await
}

/// A new session logged in as `name`: its new cookie value (the login rotated the ID).
async fn logged_in(server: &Server, name: &str) -> String {
    let before = new_session(server, &bare_client()).await;
    let response = server
        .post("/login-as", &before)
        .body(name.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let after = session_cookie(&response).expect("the login sets a new cookie");
    assert_ne!(id_of(&after), id_of(&before), "the login moved the session");
    assert!(!server.manager.is_started(id_of(&before)));
    after
}

#[tokio::test]
async fn logging_out_everywhere_tells_every_socket_of_the_user_and_no_other() {
    let server = server().await;
    let phone = logged_in(&server, "alice").await;
    let laptop = logged_in(&server, "alice").await;
    let desk = logged_in(&server, "bob").await;
    let mut sockets = Vec::new();
    for value in [&phone, &laptop, &desk] {
        sockets.push(server.socket(value).await);
    }
    eventually("every socket is registered", || async {
        [&phone, &laptop, &desk]
            .iter()
            .all(|value| server.live.count(id_of(value)) == 1)
    })
    .await;
    let alice = UserKey::parse("alice").unwrap();
    assert_eq!(server.manager.count_user(&alice), 2);

    let response = server
        .post("/logout-everywhere", &phone)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        session_cookie(&response).as_deref(),
        Some(""),
        "cookie cleared"
    );
    assert_eq!(response.text().await.unwrap(), "2");

    let mut desk_socket = sockets.pop().unwrap();
    for mut socket in sockets {
        expect_end(&mut socket, "logged_out", 4004).await;
    }
    for value in [&phone, &laptop] {
        let response = server.get("/count", value).send().await.unwrap();
        assert_eq!(response.status(), 200, "a fresh session, not the old one");
        assert_ne!(session_cookie(&response), None, "with a new cookie");
    }
    // Bob is still logged in, his socket still open and served.
    let response = server.get("/count", &desk).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(session_cookie(&response), None, "his session goes on");
    assert_eq!(server.live.count(id_of(&desk)), 1);
    futures_util::SinkExt::send(&mut desk_socket, "incr".into())
        .await
        .unwrap();
    eventually("bob's socket still reaches his session", || async {
        server
            .manager
            .call(id_of(&desk), CounterMsg::Get)
            .await
            .is_ok_and(|n| n == 1)
    })
    .await;
    server.manager.shutdown().await;
}

#[tokio::test]
async fn a_session_logged_in_as_one_user_cannot_log_in_as_another() {
    let server = server().await;
    let alice = logged_in(&server, "alice").await;
    let response = server
        .post("/login-as", &alice)
        .body("bob")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    assert!(
        !response.text().await.unwrap().contains(&id_of(&alice)),
        "the refusal does not show the session ID"
    );
    let bob = UserKey::parse("bob").unwrap();
    assert_eq!(server.manager.count_user(&bob), 0);
    server.manager.shutdown().await;
}

#[tokio::test]
async fn a_bad_user_name_is_refused_with_422() {
    let server = server().await;
    let value = new_session(&server, &bare_client()).await;
    for bad in ["", "line\nbreak"] {
        let response = server
            .post("/login-as", &value)
            .body(bad)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{bad:?}");
    }
    assert_eq!(server.manager.user_count(), 0);
    server.manager.shutdown().await;
}
