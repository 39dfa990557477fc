//! The conformance suite: the behaviour every `SessionStore` backend must show, checked
//! against a real instance of it.

mod batches;
mod fencing;
mod lifetime;
mod records;
mod users;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ractor_session::SessionId;
use ractor_session::durable::{SessionRecord, SessionStore};

/// How a backend gets rid of expired records, which decides what the suite expects of
/// [`SessionStore::sweep`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiredRecords {
    /// The backend keeps expired rows until `sweep` removes them (SQL databases): the
    /// suite checks that `sweep` removes exactly the expired ones, in bounded batches.
    RemovedBySweep,
    /// The database expires records by itself (Redis): `sweep` has nothing to remove and
    /// must not remove live records.
    RemovedByServer,
}

/// Runs every conformance check against `store`, one after another; panics naming the
/// first check the store fails.
///
/// The checks use fresh random session IDs, so the store may hold other records, but no
/// one else may sweep it meanwhile (the sweep check counts what it removes).
///
/// # Panics
///
/// When the store breaks a guarantee of the trait.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::Arc;
/// use ractor_session::durable::MemoryStore;
/// use ractor_session_test_support::{ExpiredRecords, store_conformance};
///
/// store_conformance(Arc::new(MemoryStore::new()), ExpiredRecords::RemovedBySweep).await;
/// # }
/// ```
pub async fn store_conformance(store: Arc<dyn SessionStore>, expired: ExpiredRecords) {
    let store = &store;
    check("health", records::health(store)).await;
    check("save and load", records::save_and_load(store)).await;
    check("unicode and binary", records::unicode_and_binary(store)).await;
    check("large states", records::large_states(store)).await;
    check("delete", records::delete(store)).await;
    check("batches", batches::large_batches(store)).await;
    check("batch order", batches::batch_order(store)).await;
    check("concurrent writers", batches::concurrent_writers(store)).await;
    check("fencing", fencing::stale_epochs_are_refused(store)).await;
    check("claims", fencing::claims_raise_the_epoch(store)).await;
    check("concurrent claims", fencing::concurrent_claims(store)).await;
    check("racing epochs", fencing::racing_epochs(store)).await;
    check("deadlines", lifetime::deadlines(store)).await;
    check("expiry while stored", lifetime::expiry_while_stored(store)).await;
    check("rotate", lifetime::rotate(store)).await;
    check("sweep", lifetime::sweep(store, expired)).await;
    check("users", users::users(store)).await;
}

async fn check(name: &str, check: impl Future<Output = ()>) {
    eprintln!("store conformance: {name}");
    check.await;
}

/// A record of `state` under a fresh ID, live for an hour, with `epoch`.
fn live(state: &[u8], epoch: u64) -> SessionRecord {
    live_as(SessionId::generate(), state, epoch)
}

/// A record of `state` under `id`, live for an hour, with `epoch`.
fn live_as(id: SessionId, state: &[u8], epoch: u64) -> SessionRecord {
    SessionRecord::new(id, "conformance", 1, state.to_vec(), hours_from_now(1)).with_epoch(epoch)
}

fn hours_from_now(hours: u64) -> SystemTime {
    SystemTime::now() + Duration::from_secs(hours * 3600)
}

fn hours_ago(hours: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(hours * 3600)
}

type Store<'a> = &'a Arc<dyn SessionStore>;

/// The live record of `id`, which must be there.
async fn loaded(store: Store<'_>, id: &SessionId) -> SessionRecord {
    store
        .load(id)
        .await
        .expect("load failed")
        .expect("the record is missing")
}

/// Asserts that `id` has no live record.
async fn assert_absent(store: Store<'_>, id: &SessionId, why: &str) {
    let found = store.load(id).await.expect("load failed");
    assert!(found.is_none(), "{why}, yet load returned {found:?}");
}
