//! A malformed cookie, a tampered signature and a well-formed unknown ID each get a fresh
//! ID, never the presented one.

use std::time::Duration;

use ractor_session::SessionId;

use crate::support::*;

/// Presents `value` as the session cookie; returns the fresh ID the response set.
async fn fresh_id_for(server: &Server, value: &str) -> String {
    let response = server.get("/count", value).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let set = session_cookie(&response).expect("a refused cookie is replaced by a fresh one");
    let fresh = id_of(&set);
    assert!(
        server.manager.is_started(&fresh),
        "the fresh session is live"
    );
    let body = json_body(response).await;
    assert_eq!(body["count"], 0, "the fresh session starts from scratch");
    fresh
}

#[tokio::test]
async fn malformed_cookies_get_a_fresh_id() {
    let server = start(Duration::from_secs(60)).await;
    for value in ["", "garbage", "a%20b", &"A".repeat(300), "not!valid@id"] {
        let fresh = fresh_id_for(&server, value).await;
        assert!(!value.contains(&fresh));
    }
    server.manager.shutdown().await;
}

#[tokio::test]
async fn a_tampered_signature_gets_a_fresh_id() {
    let server = start(Duration::from_secs(60)).await;
    let client = client();
    let genuine = new_session(&server, &client).await;
    let victim = id_of(&genuine);

    // Flip one character of the signature; the ID part stays a live session's.
    let mut tampered = genuine.clone().into_bytes();
    tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let fresh = fresh_id_for(&server, &tampered).await;
    assert_ne!(fresh, victim);

    // A live ID with no signature at all, and one signed with another key.
    assert_ne!(fresh_id_for(&server, &victim).await, victim);
    let other_key = sign_as(&cookie::Key::generate(), COOKIE, &victim);
    assert_ne!(fresh_id_for(&server, &other_key).await, victim);

    // The genuine session was never handed out again, and is untouched.
    assert!(server.manager.is_started(&victim));
    server.manager.shutdown().await;
}

#[tokio::test]
async fn a_well_formed_unknown_id_gets_a_fresh_id() {
    let server = start(Duration::from_secs(60)).await;
    // Correctly signed, but no session was ever started under it (session fixation).
    let planted = SessionId::generate().to_string();
    let fresh = fresh_id_for(&server, &sign(&planted)).await;
    assert_ne!(fresh, planted);
    assert!(
        !server.manager.is_started(&planted),
        "the planted ID is never adopted"
    );

    // Signed by us and once live, but terminated since.
    let client = client();
    let old = id_of(&new_session(&server, &client).await);
    server.manager.terminate(&old).await.unwrap();
    let fresh = fresh_id_for(&server, &sign(&old)).await;
    assert_ne!(fresh, old);
    assert!(
        !server.manager.is_started(&old),
        "an ended ID is never revived"
    );
    server.manager.shutdown().await;
}
