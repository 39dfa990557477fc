//! Capturing what `tracing` logs, to check what the code under test wrote (and what it
//! must never write, such as a raw session ID).
//!
//! One process-wide subscriber writes each event to the capture of the thread that emits
//! it, if that thread has one. A thread-local subscriber per test would be simpler, but
//! `tracing` caches per call site whether a subscriber wants its events, and with a single
//! subscriber it asks the one of the thread that reaches the site first: another test's
//! thread, without a subscriber, silences the site for the whole process. The process-wide
//! subscriber wants every event on every thread, and the capture decides. (So tests that
//! capture logs should not set subscribers of their own.)

use std::cell::RefCell;
use std::fmt;
use std::io::{self, Write};
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, Once, PoisonError};

use tracing::Level;
use tracing_subscriber::filter::dynamic_filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::{Layer as _, Registry};

thread_local! {
    /// This thread's capture: the most verbose level it keeps, and where it writes.
    static CAPTURE: RefCell<Option<(Level, Logs)>> = const { RefCell::new(None) };
}

/// The log lines written on one thread while a capture lasts; clones share them.
#[derive(Clone, Debug, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Captures what is logged at `level` or above on this thread, as plain text without
    /// colours, until the guard is dropped.
    ///
    /// Only this thread's events are captured: run the code under test on it (a
    /// current-thread runtime does), and other tests running at the same time stay out.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_test_support::logs::Logs;
    /// use tracing::Level;
    ///
    /// let (logs, guard) = Logs::capture(Level::INFO);
    /// tracing::info!(user = "redacted", "signed in");
    /// tracing::debug!("below the level");
    /// drop(guard);
    /// tracing::warn!("after the capture");
    ///
    /// let text = logs.text();
    /// assert!(text.contains("INFO") && text.contains("signed in user=\"redacted\""));
    /// assert!(!text.contains("below the level") && !text.contains("after the capture"));
    /// ```
    ///
    /// # Panics
    ///
    /// When something else has set the process-wide `tracing` subscriber.
    #[must_use = "the capture ends when the guard is dropped"]
    pub fn capture(level: Level) -> (Self, CaptureGuard) {
        install();
        // A call site first reached while the subscriber was being installed may have
        // cached that nobody wants its events.
        tracing::callsite::rebuild_interest_cache();
        let logs = Self::default();
        let previous = CAPTURE.replace(Some((level, logs.clone())));
        let guard = CaptureGuard {
            previous,
            _this_thread: PhantomData,
        };
        (logs, guard)
    }

    /// Everything captured so far.
    ///
    /// # Panics
    ///
    /// When the captured bytes are not UTF-8, which `tracing_subscriber::fmt` never writes.
    pub fn text(&self) -> String {
        String::from_utf8(self.bytes().clone()).expect("log lines are UTF-8")
    }

    fn bytes(&self) -> MutexGuard<'_, Vec<u8>> {
        // A test that panicked while logging leaves whole lines behind: keep reading them.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Ends a capture when dropped, restoring the thread's previous one, if any.
pub struct CaptureGuard {
    previous: Option<(Level, Logs)>,
    /// The capture belongs to the thread that started it.
    _this_thread: PhantomData<*const ()>,
}

impl fmt::Debug for CaptureGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureGuard").finish_non_exhaustive()
    }
}

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        CAPTURE.set(self.previous.take());
    }
}

/// Writes to the capture of the thread that formats the event.
struct ThisThread;

impl MakeWriter<'_> for ThisThread {
    type Writer = Logs;

    fn make_writer(&self) -> Logs {
        // Only called for events the filter let through, so there is a capture; a writer
        // nobody reads would do otherwise.
        CAPTURE.with_borrow(|capture| {
            capture
                .as_ref()
                .map(|(_, logs)| logs.clone())
                .unwrap_or_default()
        })
    }
}

/// Sets the process-wide subscriber that feeds the captures, once.
fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Dynamic: asked at every event, never cached per call site.
        let captured = dynamic_filter_fn(|meta, _| {
            CAPTURE.with_borrow(|capture| {
                capture
                    .as_ref()
                    .is_some_and(|(level, _)| meta.level() <= level)
            })
        });
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(ThisThread)
            .with_filter(captured);
        tracing::subscriber::set_global_default(Registry::default().with(layer))
            .expect("no other process-wide tracing subscriber");
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_on_other_threads_stay_apart() {
        let (logs, _guard) = Logs::capture(Level::INFO);
        std::thread::spawn(|| {
            let (theirs, _guard) = Logs::capture(Level::INFO);
            tracing::info!("from the other thread");
            assert!(theirs.text().contains("from the other thread"));
        })
        .join()
        .unwrap();
        tracing::info!("from this thread");
        let text = logs.text();
        assert!(text.contains("from this thread"), "{text}");
        assert!(!text.contains("from the other thread"), "{text}");
    }

    #[test]
    fn a_nested_capture_hands_back_to_the_outer_one() {
        let (outer, _outer) = Logs::capture(Level::WARN);
        {
            let (inner, _inner) = Logs::capture(Level::DEBUG);
            tracing::debug!("inner");
            assert!(inner.text().contains("inner"));
        }
        tracing::warn!("outer");
        tracing::info!("below the outer level");
        let text = outer.text();
        assert!(text.contains("outer") && !text.contains("inner"), "{text}");
        assert!(!text.contains("below the outer level"), "{text}");
    }
}
