//! [`Board`]: what the dashboard's routes share — its settings, its history of the last
//! minutes, and the sampler that fills the history and tells the open pages.
//!
//! The sampler is one task per dashboard, started with it (or by its first request, if it
//! was built outside a runtime), that wakes every interval. Each wake reads a few atomics
//! (counters, live sessions, live sockets) and, only while a page is open, the figures
//! that visit every session (counts per type), serialized once for all pages. It holds
//! the board weakly and ends when the router is dropped.

use std::fmt;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use ractor_session::SessionManager;
use serde_json::json;
use tokio::sync::broadcast;
use tokio::task::AbortHandle;
use tokio::time::MissedTickBehavior;

use crate::LiveSockets;

use super::Authorize;
use super::figures::Figures;
use super::history::{History, Reading};

/// Updates waiting for a page that is slow to take them; past that it skips some.
const UPDATES_QUEUED: usize = 16;

/// The dashboard's shared state.
pub(super) struct Board {
    pub(super) manager: SessionManager,
    pub(super) live: Option<LiveSockets>,
    pub(super) authorize: Box<dyn Authorize>,
    pub(super) interval: Duration,
    pub(super) span: Duration,
    /// Served over HTTPS: a `Secure` cookie, `https` socket origins.
    pub(super) secure: bool,
    /// Normalized origins allowed to open the socket; empty: the page's own.
    pub(super) origins: Vec<String>,
    history: Mutex<History>,
    /// Each update, serialized once for every open page.
    updates: broadcast::Sender<Utf8Bytes>,
    /// Open pages (sockets), against `MAX_VIEWERS`.
    pub(super) viewers: AtomicUsize,
    sampler: OnceLock<AbortHandle>,
}

impl fmt::Debug for Board {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Board")
            .field("manager", &self.manager.config().name)
            .field("interval", &self.interval)
            .field("span", &self.span)
            .field("secure", &self.secure)
            .field("origins", &self.origins)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding it; the history stays consistent either way.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// What [`Board::new`] needs besides the manager and the hook.
#[derive(Debug)]
pub(super) struct Settings {
    pub(super) live: Option<LiveSockets>,
    pub(super) interval: Duration,
    pub(super) span: Duration,
    pub(super) secure: bool,
    pub(super) origins: Vec<String>,
}

impl Board {
    /// A board keeping `span / interval` samples; its sampler starts now if this runs
    /// within a tokio runtime, else with the first request.
    pub(super) fn new(
        manager: SessionManager,
        authorize: Box<dyn Authorize>,
        settings: Settings,
    ) -> Arc<Self> {
        let samples = (settings.span.as_millis() / settings.interval.as_millis().max(1)) as usize;
        let board = Arc::new(Self {
            manager,
            live: settings.live,
            authorize,
            interval: settings.interval,
            span: settings.span,
            secure: settings.secure,
            origins: settings.origins,
            history: Mutex::new(History::new(samples + 1)),
            updates: broadcast::channel(UPDATES_QUEUED).0,
            viewers: AtomicUsize::new(0),
            sampler: OnceLock::new(),
        });
        board.start_sampler();
        board
    }

    /// Starts the sampler unless it runs already, or there is no runtime to run it on.
    pub(super) fn start_sampler(self: &Arc<Self>) {
        if self.sampler.get().is_some() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        self.sampler.get_or_init(|| {
            runtime
                .spawn(sample_every(Arc::downgrade(self), self.interval))
                .abort_handle()
        });
    }

    /// The cheap figures, now.
    fn read(&self) -> Reading {
        Reading::now(
            self.manager.counters(),
            self.manager.count(),
            self.live.as_ref().map(LiveSockets::total),
        )
    }

    /// One wake of the sampler: a reading into the history, and an update to the open
    /// pages, if any.
    fn sample(&self) {
        let reading = self.read();
        let sample = lock(&self.history).push(reading);
        let Some(sample) = sample else {
            return;
        };
        if self.updates.receiver_count() == 0 {
            return;
        }
        let figures = self.figures(&reading);
        let update = json!({ "event": "update", "sample": sample, "figures": figures });
        // No receiver left meanwhile: nobody to tell.
        let _ = self.updates.send(update.to_string().into());
    }

    fn figures(&self, now: &Reading) -> Figures {
        // Not under the lock: the figures visit every session.
        let started = lock(&self.history).started_within(Duration::from_secs(60), now);
        Figures::read(&self.manager, self.live.as_ref(), started)
    }

    /// The figures now, as JSON: what `/figures` answers.
    pub(super) fn figures_now(&self) -> String {
        json!(self.figures(&self.read())).to_string()
    }

    /// The updates to come, for a page that has just opened its socket.
    pub(super) fn subscribe(&self) -> broadcast::Receiver<Utf8Bytes> {
        self.updates.subscribe()
    }

    /// What a page gets first: the settings, the samples of the last minutes and the
    /// figures now. Taken after [`subscribe`](Self::subscribe), so no update falls between
    /// the two (the page skips a sample it has already).
    pub(super) fn hello(&self) -> String {
        let samples = lock(&self.history).samples();
        let figures = self.figures(&self.read());
        json!({
            "event": "hello",
            "interval_ms": self.interval.as_millis() as u64,
            "span_ms": self.span.as_millis() as u64,
            "samples": samples,
            "figures": figures,
        })
        .to_string()
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        if let Some(sampler) = self.sampler.get() {
            sampler.abort();
        }
    }
}

/// The sampler: a reading every `interval` while the board lives.
async fn sample_every(board: Weak<Board>, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    // After a stall (a suspended process), carry on from now rather than catch up.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(board) = board.upgrade() else {
            return;
        };
        board.sample();
    }
}
