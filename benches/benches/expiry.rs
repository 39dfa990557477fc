//! Expiry throughput: sessions whose deadlines fall together, from the deadline until all
//! have stopped and left the registry. This library (one timer wheel per manager) against
//! raw ractor (a `send_after` timer per actor) and bare tokio (`timeout_at` per task).

use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use ractor_session_benches::{
    BareTokio, Contender, Library, RawRactor, measure, on_runtime, runtime, sized,
};
use tokio::runtime::Runtime;

mod common;

fn expiry_of<C: Contender>(c: &mut Criterion, rt: &Runtime, batch: usize) {
    let mut group = c.benchmark_group(format!("expiry/{batch} sessions"));
    group.throughput(Throughput::Elements(batch as u64));
    // Every iteration starts a batch and waits out its idle timeout, untimed: keep the
    // iteration count small.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.bench_function(C::NAME, |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    on_runtime(rt, measure::expiry::<C>(batch))
                        .unwrap_or_else(|error| panic!("{}: {error}", C::NAME))
                })
                .sum::<Duration>()
        });
    });
    group.finish();
}

fn expiry(c: &mut Criterion) {
    let rt = runtime();
    let batch = sized(20_000, 200);
    expiry_of::<Library>(c, &rt, batch);
    expiry_of::<RawRactor>(c, &rt, batch);
    expiry_of::<BareTokio>(c, &rt, batch);
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = expiry
}
criterion_main!(benches);
