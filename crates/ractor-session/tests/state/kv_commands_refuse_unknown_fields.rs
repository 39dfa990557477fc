//! The default session's JSON commands refuse any field they do not define: a command with
//! an unknown or misspelled field gets the `BadRequest` reply and changes nothing,
//! whichever command it is (`clear` with a `key` must not clear the map).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use ractor_session::{KvError, KvMsg, KvRequest, KvSession, SessionManager};
use ractor_session_test_support::config::config;
use serde_json::{Map, Value, json};

use crate::support::request;

fn initial() -> Map<String, Value> {
    let Value::Object(map) = json!({"cart": ["apple", "pear"], "theme": "dark"}) else {
        unreachable!("an object literal")
    };
    map
}

#[tokio::test]
async fn field_less_commands_with_an_extra_field_are_refused_and_change_nothing() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    manager
        .start_with("kv", KvSession, initial())
        .await
        .unwrap();

    for bad in [
        json!({"op": "clear", "key": "cart"}),
        json!({"op": "clear", "value": 1}),
        json!({"op": "ping", "a": 1}),
        json!({"key": 1, "op": "get_all"}),
    ] {
        match request(&manager, "kv", bad.clone()).await {
            Err(KvError::BadRequest(reason)) => {
                assert!(reason.contains("unknown field"), "{bad}: {reason}");
            }
            other => panic!("{bad}: expected BadRequest, got {other:?}"),
        }
        assert_eq!(
            manager.call("kv", KvMsg::GetAll).await.unwrap(),
            initial(),
            "{bad} changed the map"
        );
    }

    // The same commands without the extra field are accepted.
    assert_eq!(
        request(&manager, "kv", json!({"op": "ping"})).await,
        Ok(json!("pong"))
    );
    assert_eq!(
        request(&manager, "kv", json!({"op": "get_all"})).await,
        Ok(Value::Object(initial()))
    );
    assert_eq!(
        request(&manager, "kv", json!({"op": "clear"})).await,
        Ok(Value::Null)
    );
    assert!(manager.call("kv", KvMsg::GetAll).await.unwrap().is_empty());
    manager.shutdown().await;
}

/// A well-formed command of every kind, with the names of its fields.
fn command() -> impl Strategy<Value = (Value, &'static [&'static str])> {
    // Keys that are in the initial map, so a command wrongly carried out changes it.
    let key = prop_oneof![
        Just("cart".to_owned()),
        Just("theme".to_owned()),
        "[a-z]{1,6}",
    ];
    prop_oneof![
        Just((json!({"op": "ping"}), &["op"][..])),
        (key.clone(), json_value()).prop_map(|(key, value)| (
            json!({"op": "put", "key": key, "value": value}),
            &["op", "key", "value"][..]
        )),
        (prop_oneof![Just("get"), Just("delete"), Just("take")], key)
            .prop_map(|(op, key)| (json!({"op": op, "key": key}), &["op", "key"][..])),
        Just((json!({"op": "get_all"}), &["op"][..])),
        Just((json!({"op": "clear"}), &["op"][..])),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Field names a command might wrongly carry: other commands' fields, near misses and
/// anything at all.
fn extra_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("key".to_owned()),
        Just("value".to_owned()),
        Just("keys".to_owned()),
        Just("Key".to_owned()),
        Just("op_".to_owned()),
        "[a-z_]{1,10}",
        any::<String>(),
    ]
}

#[test]
fn any_unknown_field_on_any_command_is_refused_and_changes_nothing() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let manager = runtime.block_on(async {
        let manager = SessionManager::spawn(config()).await.unwrap();
        manager
            .start_with("kv", KvSession, initial())
            .await
            .unwrap();
        manager
    });

    let mut runner = TestRunner::new(Config::with_cases(512));
    let cases = (command(), extra_name(), json_value());
    let outcome = runner.run(&cases, |((command, fields), name, value)| {
        prop_assume!(!fields.contains(&name.as_str()));
        // Well-formed without the extra field, so the field is what gets it refused.
        prop_assert!(serde_json::from_value::<KvRequest>(command.clone()).is_ok());
        let mut bad = command;
        bad.as_object_mut().unwrap().insert(name, value);

        runtime.block_on(async {
            let reply = request(&manager, "kv", bad.clone()).await;
            prop_assert!(
                matches!(&reply, Err(KvError::BadRequest(reason)) if reason.contains("unknown field")),
                "{bad} got {reply:?}"
            );
            let map = manager.call("kv", KvMsg::GetAll).await.unwrap();
            prop_assert_eq!(map, initial(), "{} changed the map", bad);
            Ok::<(), TestCaseError>(())
        })
    });
    runtime.block_on(manager.shutdown());
    outcome.unwrap();
}
