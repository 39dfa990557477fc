//! The session configuration tests start from.

use ractor_session::SessionConfig;

/// The default configuration without the creation rate limit, which tests that start many
/// sessions would otherwise run into.
///
/// # Examples
///
/// ```
/// use ractor_session_test_support::config::config;
///
/// assert_eq!(config().rate_limit, None);
/// ```
pub fn config() -> SessionConfig {
    SessionConfig::default().with_rate_limit(None)
}
