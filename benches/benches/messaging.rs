//! Lookups, call round trips and cast throughput: this library against raw ractor and
//! bare tokio.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ractor_session_benches::measure::LookupKind;
use ractor_session_benches::{Contender, measure, on_runtime, runtime, sized};
use tokio::runtime::Runtime;

mod common;

fn messaging_of<C: Contender>(c: &mut Criterion, rt: &Runtime, contender: &Arc<C>) {
    let live = sized(10_000, 100);
    for (name, kind) in [
        ("lookup/is_started, 2 threads", LookupKind::IsStarted),
        ("lookup/typed, 2 threads", LookupKind::Typed),
    ] {
        let mut group = c.benchmark_group(name);
        // One iteration is one lookup on each of the two threads.
        group.throughput(Throughput::Elements(2));
        group.bench_function(C::NAME, |b| {
            b.iter_custom(|iters| {
                on_runtime(
                    rt,
                    measure::lookups(Arc::clone(contender), kind, live, iters as usize),
                )
            });
        });
        group.finish();
    }

    let mut group = c.benchmark_group("call round trip");
    group.throughput(Throughput::Elements(1));
    group.bench_function(C::NAME, |b| {
        b.iter_custom(|iters| {
            on_runtime(rt, measure::calls(Arc::clone(contender), iters as usize))
        });
    });
    group.finish();

    let mut group = c.benchmark_group("cast throughput");
    group.throughput(Throughput::Elements(1));
    group.bench_function(C::NAME, |b| {
        b.iter_custom(|iters| {
            on_runtime(rt, measure::casts(Arc::clone(contender), iters as usize))
        });
    });
    group.finish();
}

fn messaging(c: &mut Criterion) {
    let rt = runtime();
    let all = common::Contenders::spawn(&rt);
    messaging_of(c, &rt, &all.library);
    messaging_of(c, &rt, &all.raw);
    messaging_of(c, &rt, &all.tokio);
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = messaging
}
criterion_main!(benches);
