//! [`RecentRotations`]: the IDs a layer rotated away lately, so that a request still
//! carrying one is answered without touching the cookie.
//!
//! After `Session::rotate` the browser holds the old cookie until the rotating response
//! arrives. Requests it sent meanwhile, and requests already in flight, come with the old
//! ID. Treated as an unknown ID, each would get a removal or a fresh session's cookie, and
//! whichever response arrived last would overwrite the new cookie: the user is logged out
//! by their own login. For a grace period such a request is answered as having no session
//! and gets no `Set-Cookie` at all. The old ID still never reaches the session (a planted
//! pre-login ID must not follow it to the logged-in session): the grace only spares the
//! cookie.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use ractor_session::SessionId;
use tokio::time::Instant;

/// At most this many rotated IDs are remembered; past it the oldest are forgotten early
/// (their requests then get the usual treatment of an unknown ID).
const MAX_REMEMBERED: usize = 65_536;

/// The IDs rotated away within the grace period.
#[derive(Debug)]
pub(crate) struct RecentRotations {
    grace: Duration,
    inner: Mutex<Remembered>,
}

#[derive(Debug, Default)]
struct Remembered {
    ids: HashMap<SessionId, Instant>,
    /// The same IDs in the order they were rotated, to forget them in that order.
    order: VecDeque<(Instant, SessionId)>,
}

impl RecentRotations {
    pub(crate) fn new(grace: Duration) -> Self {
        Self {
            grace,
            inner: Mutex::new(Remembered::default()),
        }
    }

    pub(crate) fn grace(&self) -> Duration {
        self.grace
    }

    fn lock(&self) -> MutexGuard<'_, Remembered> {
        // Never held across an await or user code; poisoning can't leave it inconsistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records that `old` is being rotated away now: call it *before* the rotation, so that
    /// a request that no longer finds `old` in the registry always finds it here.
    pub(crate) fn record(&self, old: &SessionId) {
        if self.grace.is_zero() {
            return;
        }
        let now = Instant::now();
        let mut remembered = self.lock();
        remembered.forget_older_than(now, self.grace);
        while remembered.order.len() >= MAX_REMEMBERED {
            remembered.pop_oldest();
        }
        remembered.ids.insert(old.clone(), now);
        remembered.order.push_back((now, old.clone()));
    }

    /// Records that `old` is being rotated away now (see [`record`](Self::record)), until
    /// the returned guard is dropped without [`PendingRotation::done`]: a rotation that
    /// failed, or whose request was cancelled while it waited for a session store.
    pub(crate) fn begin(&self, old: &SessionId) -> PendingRotation<'_> {
        self.record(old);
        PendingRotation {
            rotations: self,
            old: Some(old.clone()),
        }
    }

    /// Forgets `old`: its rotation did not happen.
    pub(crate) fn forget(&self, old: &SessionId) {
        self.lock().ids.remove(old);
    }

    /// Whether `id` was rotated away less than the grace period ago.
    pub(crate) fn contains(&self, id: &SessionId) -> bool {
        if self.grace.is_zero() {
            return false;
        }
        self.lock()
            .ids
            .get(id)
            .is_some_and(|at| at.elapsed() < self.grace)
    }
}

/// A rotation under way, its old ID remembered; dropped before [`done`](Self::done), it
/// forgets the ID again.
#[derive(Debug)]
pub(crate) struct PendingRotation<'a> {
    rotations: &'a RecentRotations,
    /// Taken by `done`.
    old: Option<SessionId>,
}

impl PendingRotation<'_> {
    /// The rotation happened: the old ID stays remembered for the grace period.
    pub(crate) fn done(mut self) {
        self.old = None;
    }
}

impl Drop for PendingRotation<'_> {
    fn drop(&mut self) {
        if let Some(old) = self.old.take() {
            self.rotations.forget(&old);
        }
    }
}

impl Remembered {
    fn forget_older_than(&mut self, now: Instant, grace: Duration) {
        while self
            .order
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) >= grace)
        {
            self.pop_oldest();
        }
    }

    fn pop_oldest(&mut self) {
        if let Some((_, id)) = self.order.pop_front() {
            self.ids.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::time::advance;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_id_is_remembered_for_the_grace_period_only() {
        let rotations = RecentRotations::new(Duration::from_secs(30));
        let (old, other) = (SessionId::generate(), SessionId::generate());
        rotations.record(&old);
        assert!(rotations.contains(&old));
        assert!(!rotations.contains(&other));
        advance(Duration::from_secs(29)).await;
        assert!(rotations.contains(&old));
        advance(Duration::from_secs(1)).await;
        assert!(!rotations.contains(&old));
        // The next record sweeps it out.
        rotations.record(&other);
        assert_eq!(rotations.lock().ids.len(), 1);
        assert_eq!(rotations.lock().order.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_forgotten_or_graceless_rotation_is_not_remembered() {
        let rotations = RecentRotations::new(Duration::from_secs(30));
        let old = SessionId::generate();
        rotations.record(&old);
        rotations.forget(&old);
        assert!(!rotations.contains(&old));

        let none = RecentRotations::new(Duration::ZERO);
        none.record(&old);
        assert!(!none.contains(&old));
        assert!(none.lock().order.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_rotation_that_did_not_happen_is_forgotten() {
        let rotations = RecentRotations::new(Duration::from_secs(30));
        let (failed, done) = (SessionId::generate(), SessionId::generate());
        let pending = rotations.begin(&failed);
        assert!(rotations.contains(&failed), "remembered while under way");
        drop(pending);
        assert!(!rotations.contains(&failed));
        rotations.begin(&done).done();
        assert!(rotations.contains(&done));
    }

    #[tokio::test(start_paused = true)]
    async fn memory_is_bounded() {
        let rotations = RecentRotations::new(Duration::from_secs(3600));
        let first = SessionId::generate();
        rotations.record(&first);
        for _ in 0..MAX_REMEMBERED {
            rotations.record(&SessionId::generate());
        }
        assert_eq!(rotations.lock().ids.len(), MAX_REMEMBERED);
        assert!(!rotations.contains(&first), "the oldest went first");
    }
}
