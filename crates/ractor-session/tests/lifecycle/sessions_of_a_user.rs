//! Sessions bound to a user: found, listed, counted and pushed to together, and ended
//! together by `terminate_user` ("log out everywhere"), which leaves other users alone.

use ractor_session::{EndReason, KvMsg, SessionError, SessionManager, UserKey};
use ractor_session_test_support::actors::{Counter, CounterMsg};
use ractor_session_test_support::config::config;

fn user(name: &str) -> UserKey {
    UserKey::parse(name).unwrap()
}

/// A manager with Alice on a phone and a laptop, and Bob at a desk.
async fn two_users() -> SessionManager {
    let manager = SessionManager::spawn(config()).await.unwrap();
    for (id, name) in [("phone", "alice"), ("laptop", "alice"), ("desk", "bob")] {
        manager.start(id).await.unwrap();
        manager.bind_user(id, &user(name)).await.unwrap();
    }
    manager
}

#[tokio::test]
async fn terminate_user_ends_exactly_the_two_sessions_of_that_user() {
    let manager = two_users().await;
    let phone = manager.watch("phone").await.unwrap();
    let laptop = manager.watch("laptop").await.unwrap();
    let desk = manager.session("desk").unwrap();

    assert_eq!(manager.terminate_user(&user("alice")).await.unwrap(), 2);

    assert_eq!(phone.await, EndReason::LoggedOut);
    assert_eq!(laptop.await, EndReason::LoggedOut);
    assert!(!manager.is_started("phone"));
    assert!(!manager.is_started("laptop"));
    assert!(desk.is_live(), "another user's session is left alone");
    assert_eq!(manager.count_user(&user("alice")), 0);
    assert_eq!(manager.count_user(&user("bob")), 1);
    assert_eq!(manager.user_count(), 1);
    assert_eq!(
        manager.terminate_user(&user("alice")).await.unwrap(),
        0,
        "nothing left to end"
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn a_users_sessions_are_found_listed_counted_and_pushed_to() {
    let manager = two_users().await;
    let alice = user("alice");
    assert_eq!(manager.count_user(&alice), 2);
    assert_eq!(manager.user_count(), 2);

    let mut listed: Vec<String> = manager
        .list_user(&alice)
        .into_iter()
        .map(|info| info.id.to_string())
        .collect();
    listed.sort();
    assert_eq!(listed, ["laptop", "phone"]);
    let mut found: Vec<String> = manager
        .user_sessions(&alice)
        .iter()
        .map(|handle| handle.id().to_string())
        .collect();
    found.sort();
    assert_eq!(found, ["laptop", "phone"]);

    // A push reaches her sessions of the message's type only, and nobody else's.
    manager.start_with("counter", Counter, 0).await.unwrap();
    manager.bind_user("counter", &alice).await.unwrap();
    assert_eq!(manager.cast_user(&alice, || KvMsg::put("notice", "hi")), 2);
    assert_eq!(manager.cast_user(&alice, || CounterMsg::Add(5)), 1);
    for id in ["phone", "laptop"] {
        let notice = manager
            .call(id, |reply| KvMsg::Get {
                key: "notice".into(),
                reply,
            })
            .await
            .unwrap();
        assert_eq!(notice, Some("hi".into()), "{id}");
    }
    let bobs = manager
        .call("desk", |reply| KvMsg::Get {
            key: "notice".into(),
            reply,
        })
        .await
        .unwrap();
    assert_eq!(bobs, None);
    assert_eq!(manager.call("counter", CounterMsg::Get).await.unwrap(), 5);
    manager.shutdown().await;
}

#[tokio::test]
async fn a_session_belongs_to_one_user_for_its_whole_life() {
    let manager = two_users().await;
    // Again to the same user: nothing changes.
    manager.bind_user("phone", &user("alice")).await.unwrap();
    assert_eq!(manager.count_user(&user("alice")), 2);
    // To someone else: refused, and the binding stays.
    let refused = manager.bind_user("phone", &user("bob")).await;
    assert!(
        matches!(&refused, Err(SessionError::BoundToAnotherUser { id }) if id.as_str() == "phone"),
        "{refused:?}"
    );
    assert_eq!(manager.count_user(&user("bob")), 1);
    assert_eq!(
        manager.session("phone").unwrap().user(),
        Some(user("alice"))
    );
    // Nor can a session that is gone be bound.
    manager.terminate("desk").await.unwrap();
    assert!(matches!(
        manager.bind_user("desk", &user("bob")).await,
        Err(SessionError::SessionNotFound { .. })
    ));
    manager.shutdown().await;
}

#[tokio::test]
async fn a_rotated_session_stays_bound_under_its_new_id() {
    let manager = two_users().await;
    let new = manager.rotate("phone").await.unwrap();
    let ids: Vec<_> = manager
        .list_user(&user("alice"))
        .into_iter()
        .map(|info| info.id)
        .collect();
    assert!(ids.contains(&new), "listed under its new ID");
    assert!(!ids.iter().any(|id| id.as_str() == "phone"));
    let rotated = manager.watch(&new).await.unwrap();
    assert_eq!(manager.terminate_user(&user("alice")).await.unwrap(), 2);
    assert_eq!(rotated.await, EndReason::LoggedOut);
    manager.shutdown().await;
}
