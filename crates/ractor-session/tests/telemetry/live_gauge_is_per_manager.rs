//! `ractor_session_live` is labelled with the manager's name (`SessionConfig::name`,
//! default "default"): two managers in one process each report their own count instead of
//! overwriting one process-wide gauge.

use ractor_session::{SessionError, SessionManager};
use ractor_session_test_support::config::config;

use crate::support::capture;

const LIVE: &str = "ractor_session_live";

#[test]
fn each_manager_reports_its_own_live_sessions() {
    let ((), captured) = capture(|| async {
        let carts = SessionManager::spawn(config().with_name("carts"))
            .await
            .unwrap();
        let admin = SessionManager::spawn(config().with_name("admin"))
            .await
            .unwrap();
        let unnamed = SessionManager::spawn(config()).await.unwrap();
        for id in ["a", "b", "c"] {
            carts.start(id).await.unwrap();
        }
        admin.start("a").await.unwrap();
        unnamed.start("a").await.unwrap();
        unnamed.start("b").await.unwrap();
        // The last change is admin's: with one gauge for the process, it would say 0.
        carts.terminate("c").await.unwrap();
        admin.terminate("a").await.unwrap();
    });

    assert_eq!(captured.metrics.gauge(LIVE, &[("manager", "carts")]), 2.0);
    assert_eq!(captured.metrics.gauge(LIVE, &[("manager", "admin")]), 0.0);
    assert_eq!(captured.metrics.gauge(LIVE, &[("manager", "default")]), 2.0);
}

#[tokio::test]
async fn a_manager_name_that_cannot_label_a_metric_is_refused() {
    for name in ["", "two words", "tab\there"] {
        let err = SessionManager::spawn(config().with_name(name))
            .await
            .unwrap_err();
        assert!(
            matches!(err, SessionError::InvalidConfig { field: "name", .. }),
            "{name:?}: {err}"
        );
    }
}
