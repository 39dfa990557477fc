//! Why a measurement produced no figure: the run broke its own assumptions, or what it
//! measured failed. The two are told apart so that a slow machine never reads as a
//! library error.

use std::fmt;

/// Why a measurement has no figure.
///
/// # Examples
///
/// ```
/// use ractor_session_benches::RunError;
///
/// let slow = RunError::Invalid("starting took 9 s, past the 8 s idle timeout".into());
/// assert_eq!(slow.to_string(), "invalid run: starting took 9 s, past the 8 s idle timeout");
/// assert!(RunError::Failed("a touch failed".into()).to_string().starts_with("failed: "));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// The run broke one of its own assumptions (the machine was slower or busier than
    /// the timeouts it derived allow): the figure would say nothing about the library.
    Invalid(String),
    /// What was measured failed, within the run's assumptions: a real error.
    Failed(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(reason) => write!(f, "invalid run: {reason}"),
            Self::Failed(reason) => write!(f, "failed: {reason}"),
        }
    }
}

impl std::error::Error for RunError {}
