//! Call round trips for a profiler: `calls N [library|ractor|tokio]` starts one session of
//! the contender and makes N sequential calls (ping) to it from a task on the runtime's
//! workers, as the `report`'s call figure does.
//!
//! Run it twice under `valgrind --tool=callgrind` with different N: the difference of the
//! two profiles, divided by the difference of N, is the cost of one call with every
//! start-up and shutdown cost cancelled out.
//!
//! ```text
//! cargo run --release -p ractor-session-benches --bin calls -- 100000 library
//! ```

use std::process::ExitCode;

use ractor_session_benches::{
    BareTokio, Contender, Library, RawRactor, bench_config, on_runtime, runtime,
};

async fn calls<C: Contender>(contender: C, n: usize) {
    contender.start("s1").await;
    for _ in 0..n {
        contender.call("s1").await;
    }
    contender.terminate("s1").await;
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(Ok(n)) = args.next().map(|n| n.parse::<usize>()) else {
        eprintln!("usage: calls N [library|ractor|tokio]");
        return ExitCode::from(2);
    };
    let rt = runtime();
    match args.next().as_deref().unwrap_or("library") {
        "library" => on_runtime(&rt, async move {
            calls(Library::spawn(bench_config(1)).await, n).await
        }),
        "ractor" => on_runtime(&rt, async move { calls(RawRactor::spawn().await, n).await }),
        "tokio" => on_runtime(&rt, async move { calls(BareTokio::new(), n).await }),
        _ => {
            eprintln!("usage: calls N [library|ractor|tokio]");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
