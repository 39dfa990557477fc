//! A cookie's signature covers its name: two layers that share a key and a manager (say a
//! shop and its admin area, each with its own cookie name) never accept each other's
//! cookies. Over real servers: the value the shop issued, presented under the admin
//! cookie's name, is refused and never adopted.

use std::time::Duration;

use ractor_session_axum::SessionLayer;
use ractor_session_test_support::actors::{Counter, CounterMsg};

use crate::support::*;

#[tokio::test]
async fn a_value_issued_for_one_cookie_name_is_refused_under_another() {
    let manager = manager(Duration::from_secs(60)).await;
    let with_name = |name: &str| {
        SessionLayer::builder(manager.clone())
            .with_key(key())
            .with_secure(false)
            .with_cookie_name(name)
            .with_auto_start_with(|| (Counter, 0))
            .build()
            .unwrap()
    };
    let shop = serve(
        routes()
            .with_state(Default::default())
            .layer(with_name("shop_sid")),
    )
    .await;
    let admin = serve(
        routes()
            .with_state(Default::default())
            .layer(with_name("admin_sid")),
    )
    .await;

    let issued = bare_client()
        .get(format!("http://{shop}/count"))
        .send()
        .await
        .unwrap();
    let set = set_cookies(&issued).pop().unwrap();
    let value = set
        .strip_prefix("shop_sid=")
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned();
    let shop_session = id_of(&value);
    let incr = |addr: std::net::SocketAddr, cookie: String| async move {
        bare_client()
            .post(format!("http://{addr}/incr"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
    };
    // Under its own name it works.
    let own = incr(shop, format!("shop_sid={value}")).await;
    assert_eq!(own.text().await.unwrap(), "1");

    // Under the other name it is refused: the admin app starts a fresh session instead.
    let tossed = incr(admin, format!("admin_sid={value}")).await;
    let fresh = set_cookies(&tossed)
        .pop()
        .expect("a fresh session's cookie");
    assert!(fresh.starts_with("admin_sid="), "{fresh}");
    assert!(!fresh.contains(&shop_session), "{fresh}");
    assert_eq!(
        tossed.text().await.unwrap(),
        "1",
        "a fresh session's first increment"
    );
    let count = manager.call(&shop_session, CounterMsg::Get).await.unwrap();
    assert_eq!(
        count, 1,
        "the shop's session was never reached through the admin app"
    );
    manager.shutdown().await;
}
