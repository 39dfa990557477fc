use std::time::Duration;

use ractor_session_test_support::metrics::Recorder;

use crate::support::{TallyMsg, parks_tallies_after};

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn parking_and_reviving_are_counted_and_the_parked_gauge_follows() {
    let recorder = Recorder::default();
    let _recording = recorder.install();
    let (manager, tally) = parks_tallies_after(Duration::from_secs(1)).await;
    manager.start_with("s1", tally.clone(), 0).await.unwrap();
    manager.start_with("s2", tally.clone(), 0).await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;

    let parked = recorder.snapshot();
    let by_type = [("session_type", "Tally")];
    assert_eq!(
        parked.counter("ractor_session_passivated_total", &by_type),
        2
    );
    assert_eq!(
        parked.gauge("ractor_session_parked", &[("manager", "default")]),
        2.0
    );

    manager.call("s1", TallyMsg::Total).await.unwrap();
    let revived = recorder.snapshot();
    assert_eq!(
        revived.counter("ractor_session_activated_total", &by_type),
        1
    );
    assert_eq!(
        revived.gauge("ractor_session_parked", &[("manager", "default")]),
        1.0
    );
    manager.shutdown().await;
}
