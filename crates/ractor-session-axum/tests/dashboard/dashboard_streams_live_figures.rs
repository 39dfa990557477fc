//! The dashboard's socket greets a page with its figures and the last minutes' samples,
//! then sends an update every sample interval: sessions started through the app, ended
//! by each reason, rotated, and their live sockets show up in the figures as they happen,
//! and as rates in the samples.

use ractor_session_test_support::actors::CounterMsg;
use serde_json::Value;

use crate::admin::{Admin, INTERVAL, update_until};
use crate::support::{bare_client, id_of, new_session};

fn figure<'a>(update: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(&update["figures"], |value, key| &value[key])
}

#[tokio::test]
async fn figures_follow_sessions_as_they_start_and_end() {
    let admin = Admin::start().await;
    let (mut ws, hello) = admin.socket().await;
    assert_eq!(hello["interval_ms"], INTERVAL.as_millis() as u64);
    assert_eq!(hello["span_ms"], 300_000);
    assert_eq!(figure(&hello, "sessions.active"), 0);
    assert_eq!(figure(&hello, "sessions.parked"), &Value::Null, "n/a");
    assert_eq!(figure(&hello, "counters.revived"), &Value::Null, "n/a");

    // Three visitors start sessions through the app.
    let mut cookies = Vec::new();
    for _ in 0..3 {
        cookies.push(new_session(&admin.app, &bare_client()).await);
    }
    let update = update_until(&mut ws, "three sessions are active", |u| {
        figure(u, "sessions.active") == 3 && figure(u, "counters.started") == 3
    })
    .await;
    assert_eq!(figure(&update, "sessions.total"), 3);
    assert_eq!(figure(&update, "limits.used"), 3);
    assert_eq!(figure(&update, "limits.max_sessions"), 10_000);
    assert_eq!(figure(&update, "by_type")[0]["name"], "Counter");
    assert_eq!(figure(&update, "by_type")[0]["count"], 3);
    let per_session = figure(&update, "memory.per_session_bytes")
        .as_u64()
        .unwrap();
    assert_eq!(
        figure(&update, "memory.estimate_bytes").as_u64(),
        Some(3 * per_session)
    );

    // One of them opens a live socket.
    let _socket = admin.app.socket(&cookies[0]).await;
    let update = update_until(&mut ws, "the live socket shows", |u| {
        figure(u, "sockets.live") == 1
    })
    .await;
    assert_eq!(figure(&update, "sockets.busiest_session"), 1);
    assert_eq!(figure(&update, "sockets.max_per_session"), 16);
    assert_eq!(figure(&update, "sockets.max_total"), 10_000);

    // One logs out, one crashes, one logs in (its ID rotates).
    let logout = admin.app.post("/logout", &cookies[1]).send().await.unwrap();
    assert_eq!(logout.status(), 200);
    admin
        .app
        .manager
        .cast(id_of(&cookies[2]), CounterMsg::Panic("on purpose".into()))
        .await
        .unwrap();
    let login = admin.app.post("/login", &cookies[0]).send().await.unwrap();
    assert_eq!(login.status(), 200);
    let update = update_until(&mut ws, "the ends and the rotation show", |u| {
        figure(u, "counters.ended.terminated") == 1
            && figure(u, "counters.ended.crashed") == 1
            && figure(u, "counters.rotated") == 1
    })
    .await;
    assert_eq!(figure(&update, "sessions.active"), 1);
    assert_eq!(figure(&update, "counters.ended.total"), 2);
    assert_eq!(figure(&update, "counters.ended.expired"), 0);

    // A page opened now finds all of it in its samples, as rates.
    let (_late, hello) = admin.socket().await;
    let samples = hello["samples"].as_array().expect("samples");
    for rate in ["started", "terminated", "crashed", "rotated"] {
        assert!(
            samples.iter().any(|s| s[rate].as_f64() > Some(0.0)),
            "no sample shows {rate}"
        );
    }
    assert!(samples.iter().all(|s| s["revived"].is_null()));
    assert!(samples.iter().any(|s| s["sockets"] == 1));
    let times: Vec<u64> = samples.iter().map(|s| s["t"].as_u64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
}
