//! Capturing what `tracing` logs, to check what the code under test wrote (and what it
//! must never write, such as a raw session ID).

use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tracing::Level;
use tracing::subscriber::DefaultGuard;

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
    #[must_use = "the capture ends when the guard is dropped"]
    pub fn capture(level: Level) -> (Self, DefaultGuard) {
        let logs = Self::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
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
