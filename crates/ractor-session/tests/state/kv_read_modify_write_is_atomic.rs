//! `KvSession`'s read-modify-write messages run inside the session: concurrent updates of
//! one key lose nothing, and a refused or failed update changes nothing.

use ractor_session::{KvError, KvMsg, SessionError, SessionManager};
use serde_json::{Value, json};

async fn session() -> SessionManager {
    let manager = SessionManager::spawn(Default::default()).await.unwrap();
    manager.start("s").await.unwrap();
    manager
}

async fn value(manager: &SessionManager, key: &str) -> Option<Value> {
    let key = key.to_owned();
    manager
        .call("s", |reply| KvMsg::Get { key, reply })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_increments_and_updates_lose_nothing() {
    let manager = session().await;
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let manager = manager.clone();
            tokio::spawn(async move {
                let n = manager.call("s", KvMsg::increment("n", 1)).await.unwrap();
                let append = move |list: Option<Value>| {
                    let mut items = list.and_then(|l| l.as_array().cloned()).unwrap_or_default();
                    items.push(json!(i));
                    Some(Value::from(items))
                };
                manager
                    .call("s", KvMsg::update("list", append))
                    .await
                    .unwrap();
                n.unwrap()
            })
        })
        .collect();
    let mut seen = Vec::new();
    for task in tasks {
        seen.push(task.await.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=64).collect::<Vec<i64>>(),
        "each saw its own count"
    );
    assert_eq!(value(&manager, "n").await, Some(json!(64)));
    let list = value(&manager, "list").await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 64);
    manager.shutdown().await;
}

#[tokio::test]
async fn increments_refuse_what_is_not_an_integer_and_overflows() {
    let manager = session().await;
    manager
        .cast("s", KvMsg::put("name", "alice"))
        .await
        .unwrap();
    let refused = manager
        .call("s", KvMsg::increment("name", 1))
        .await
        .unwrap();
    assert_eq!(refused, Err(KvError::NotAnInteger { key: "name".into() }));
    assert_eq!(value(&manager, "name").await, Some(json!("alice")));

    manager
        .cast("s", KvMsg::put("big", i64::MAX))
        .await
        .unwrap();
    let refused = manager.call("s", KvMsg::increment("big", 1)).await.unwrap();
    assert!(matches!(refused, Err(KvError::Overflow { .. })));
    assert_eq!(value(&manager, "big").await, Some(json!(i64::MAX)));
    manager.shutdown().await;
}

#[tokio::test]
async fn compare_and_set_sets_only_what_it_expected() {
    let manager = session().await;
    let claim = |who: &str| KvMsg::compare_and_set("owner", None, Some(json!(who)));
    assert_eq!(manager.call("s", claim("alice")).await.unwrap(), Ok(()));
    assert_eq!(
        manager.call("s", claim("bob")).await.unwrap(),
        Err(Some(json!("alice")))
    );
    let release = KvMsg::compare_and_set("owner", Some(json!("alice")), None);
    assert_eq!(manager.call("s", release).await.unwrap(), Ok(()));
    assert_eq!(value(&manager, "owner").await, None);
    manager.shutdown().await;
}

#[tokio::test]
async fn a_panicking_update_changes_nothing_and_the_session_carries_on() {
    let manager = session().await;
    manager.cast("s", KvMsg::put("k", 1)).await.unwrap();
    let failed = manager
        .call("s", KvMsg::update("k", |_| panic!("a bug in the update")))
        .await;
    assert!(
        matches!(failed, Err(SessionError::CallFailed { .. })),
        "{failed:?}"
    );
    assert_eq!(value(&manager, "k").await, Some(json!(1)));
    assert!(manager.is_started("s"));
    manager.shutdown().await;
}

#[tokio::test]
async fn json_commands_increment_and_compare_and_set() {
    let manager = session().await;
    let request = |request: Value| move |reply| KvMsg::Request { request, reply };
    let sum = manager
        .call(
            "s",
            request(json!({"op": "increment", "key": "n", "by": 3})),
        )
        .await
        .unwrap();
    assert_eq!(sum, Ok(json!(3)));
    let swapped = manager
        .call(
            "s",
            request(json!({"op": "compare_and_set", "key": "n", "expected": 3, "new": 4})),
        )
        .await
        .unwrap();
    assert_eq!(swapped, Ok(json!(true)));
    let stale = manager
        .call(
            "s",
            request(json!({"op": "compare_and_set", "key": "n", "expected": 3, "new": 9})),
        )
        .await
        .unwrap();
    assert_eq!(stale, Ok(json!(false)));
    manager.cast("s", KvMsg::put("s", "text")).await.unwrap();
    let refused = manager
        .call(
            "s",
            request(json!({"op": "increment", "key": "s", "by": 1})),
        )
        .await
        .unwrap();
    assert!(matches!(refused, Err(KvError::NotAnInteger { .. })));
    assert_eq!(value(&manager, "n").await, Some(json!(4)));
    manager.shutdown().await;
}
