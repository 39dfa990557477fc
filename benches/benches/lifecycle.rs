//! Session creation and cleanup: this library against raw ractor and bare tokio.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ractor_session_benches::{Contender, measure, on_runtime, runtime};
use tokio::runtime::Runtime;

mod common;

fn creation_of<C: Contender>(c: &mut Criterion, rt: &Runtime, contender: &Arc<C>) {
    for tasks in [1, 2] {
        let mut group = c.benchmark_group(format!("creation/{tasks} task(s)"));
        group.throughput(Throughput::Elements(1));
        group.bench_function(C::NAME, |b| {
            b.iter_custom(|iters| {
                on_runtime(
                    rt,
                    measure::creation(Arc::clone(contender), iters as usize, tasks),
                )
            });
        });
        group.finish();
    }
}

fn cleanup_of<C: Contender>(c: &mut Criterion, rt: &Runtime, contender: &Arc<C>) {
    for tasks in [1, 2] {
        let mut group = c.benchmark_group(format!("cleanup/{tasks} task(s)"));
        group.throughput(Throughput::Elements(1));
        group.bench_function(C::NAME, |b| {
            b.iter_custom(|iters| {
                on_runtime(
                    rt,
                    measure::cleanup(Arc::clone(contender), iters as usize, tasks),
                )
            });
        });
        group.finish();
    }
}

fn lifecycle(c: &mut Criterion) {
    let rt = runtime();
    let all = common::Contenders::spawn(&rt);
    creation_of(c, &rt, &all.library);
    creation_of(c, &rt, &all.raw);
    creation_of(c, &rt, &all.tokio);
    cleanup_of(c, &rt, &all.library);
    cleanup_of(c, &rt, &all.raw);
    cleanup_of(c, &rt, &all.tokio);
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = lifecycle
}
criterion_main!(benches);
