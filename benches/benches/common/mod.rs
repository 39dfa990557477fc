//! Shared set-up of the criterion benches: the runtime, the three contenders and
//! criterion's settings (smaller when `CI` is set).

use std::sync::Arc;
use std::time::Duration;

use criterion::Criterion;
use ractor_session_benches::{BareTokio, Library, RawRactor, bench_config, on_runtime, sized};
use tokio::runtime::Runtime;

/// The three contenders, spawned once on `rt`.
#[allow(dead_code, reason = "the expiry bench makes its own")]
pub(crate) struct Contenders {
    pub(crate) library: Arc<Library>,
    pub(crate) raw: Arc<RawRactor>,
    pub(crate) tokio: Arc<BareTokio>,
}

#[allow(dead_code, reason = "the expiry bench makes its own")]
impl Contenders {
    pub(crate) fn spawn(rt: &Runtime) -> Self {
        let (library, raw) = on_runtime(rt, async {
            let library = Library::spawn(bench_config(usize::MAX)).await;
            (Arc::new(library), Arc::new(RawRactor::spawn().await))
        });
        Self {
            library,
            raw,
            tokio: Arc::new(BareTokio::new()),
        }
    }
}

/// Criterion with few samples: each sample of these benches sets up and tears down
/// thousands of sessions.
pub(crate) fn criterion() -> Criterion {
    Criterion::default()
        .sample_size(sized(20, 10))
        .warm_up_time(Duration::from_millis(sized(1_000, 100) as u64))
        .measurement_time(Duration::from_millis(sized(3_000, 300) as u64))
        .configure_from_args()
}
