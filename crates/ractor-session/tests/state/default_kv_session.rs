//! The default key-value session, typed and through JSON requests; an ill-typed request
//! gets an error reply and the session survives with its data.

use ractor_session::{KvError, KvMsg, Pong, SessionManager};
use ractor_session_test_support::config::config;
use serde_json::{Map, Value, json};

use crate::support::request;

/// What the key-value session `id` holds under `key`, read with a typed `Get`.
async fn get(manager: &SessionManager, id: &str, key: &str) -> Option<Value> {
    let key = key.to_owned();
    manager
        .call(id, |reply| KvMsg::Get { key, reply })
        .await
        .unwrap()
}

#[tokio::test]
async fn ping_put_delete_and_get_all() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start("kv").await.unwrap();
    assert_eq!(manager.call("kv", KvMsg::Ping).await.unwrap(), Pong);

    manager.cast("kv", KvMsg::put("a", 1)).await.unwrap();
    manager
        .cast("kv", KvMsg::put("b", json!({"n": 2})))
        .await
        .unwrap();
    manager
        .cast("kv", KvMsg::Delete { key: "a".into() })
        .await
        .unwrap();
    let all = manager.call("kv", KvMsg::GetAll).await.unwrap();
    let mut expected = Map::new();
    expected.insert("b".into(), json!({"n": 2}));
    assert_eq!(all, expected);

    assert_eq!(get(&manager, "kv", "b").await, Some(json!({"n": 2})));
    let taken = manager
        .call("kv", |reply| KvMsg::Take {
            key: "b".into(),
            reply,
        })
        .await
        .unwrap();
    assert_eq!(taken, Some(json!({"n": 2})));
    assert_eq!(get(&manager, "kv", "b").await, None, "taken");

    manager.cast("kv", KvMsg::put("c", 3)).await.unwrap();
    manager.cast("kv", KvMsg::Clear).await.unwrap();
    assert!(manager.call("kv", KvMsg::GetAll).await.unwrap().is_empty());
    manager.shutdown().await;
}

#[tokio::test]
async fn start_with_initial_state() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let mut initial = Map::new();
    initial.insert("theme".into(), json!("dark"));
    manager
        .start_with("kv", ractor_session::KvSession, initial.clone())
        .await
        .unwrap();
    assert_eq!(manager.call("kv", KvMsg::GetAll).await.unwrap(), initial);
    manager.shutdown().await;
}

#[tokio::test]
async fn json_requests_work_and_ill_typed_ones_get_an_error_reply() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager.start("kv").await.unwrap();

    assert_eq!(
        request(&manager, "kv", json!({"op": "ping"})).await,
        Ok(json!("pong"))
    );
    assert_eq!(
        request(
            &manager,
            "kv",
            json!({"op": "put", "key": "a", "value": [1, 2]})
        )
        .await,
        Ok(Value::Null)
    );
    assert_eq!(
        request(&manager, "kv", json!({"op": "get", "key": "a"})).await,
        Ok(json!([1, 2]))
    );

    let ill_typed = [
        json!({"op": "put", "key": 1, "value": 2}),
        json!({"op": "put", "value": 2}),
        json!({"op": "get"}),
        json!({"op": "get", "key": "a", "extra": true}),
        json!({"op": "explode"}),
        json!({"key": "a"}),
        json!("get"),
        json!(42),
        json!(null),
        json!([{"op": "ping"}]),
    ];
    for bad in ill_typed {
        match request(&manager, "kv", bad.clone()).await {
            Err(KvError::BadRequest(text)) => {
                assert!(!text.is_empty(), "{bad}");
                let shown = KvError::BadRequest(text).to_string();
                assert!(shown.starts_with("bad key-value request: "), "{shown}");
            }
            other => panic!("{bad}: expected BadRequest, got {other:?}"),
        }
        assert_eq!(
            manager.call("kv", KvMsg::Ping).await.unwrap(),
            Pong,
            "survived {bad}"
        );
    }

    // The data is untouched by the refused requests.
    assert_eq!(
        request(&manager, "kv", json!({"op": "get", "key": "a"})).await,
        Ok(json!([1, 2]))
    );
    assert_eq!(
        request(&manager, "kv", json!({"op": "take", "key": "a"})).await,
        Ok(json!([1, 2]))
    );
    assert_eq!(
        request(&manager, "kv", json!({"op": "get_all"})).await,
        Ok(json!({}))
    );
    request(&manager, "kv", json!({"op": "put", "key": "z", "value": 0}))
        .await
        .unwrap();
    request(&manager, "kv", json!({"op": "delete", "key": "z"}))
        .await
        .unwrap();
    request(&manager, "kv", json!({"op": "clear"}))
        .await
        .unwrap();
    assert!(manager.is_started("kv"));
    manager.shutdown().await;
}
