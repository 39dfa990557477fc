//! Manager configuration: defaults as the original, a builder, and serde.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::SessionError;

/// How a [`SessionManager`](crate::SessionManager) behaves: limits, expiry and timeouts.
///
/// Defaults match Phoenix.SessionProcess: 10,000 sessions, a one-hour idle timeout and
/// 100 session creations per minute. Build it with the `with_*` methods or load it with
/// serde; durations are written as human-readable strings (`"30s"`, `"1h 30m"`, `"250ms"`).
/// [`SessionManager::spawn`](crate::SessionManager::spawn) validates it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ractor_session::SessionConfig;
///
/// let config = SessionConfig::default()
///     .with_max_sessions(50_000)
///     .with_idle_timeout(Duration::from_secs(30 * 60))
///     .with_rate_limit(None);
/// assert_eq!(config.max_sessions, 50_000);
///
/// let loaded: SessionConfig = serde_json::from_str(
///     r#"{ "max_sessions": 500, "idle_timeout": "15m", "max_lifetime": "8h" }"#,
/// )?;
/// assert_eq!(loaded.idle_timeout, Duration::from_secs(900));
/// assert_eq!(loaded.rate_limit, Some(100));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct SessionConfig {
    /// The manager's name, the `manager` label of its `ractor_session_live` gauge, so that
    /// several managers in one process each report their own count (default `"default"`).
    /// 1 to 64 bytes of `[A-Za-z0-9_.-]`; give each manager of a process its own.
    pub name: String,
    /// Most live sessions at once (default 10,000). Must be at least 1.
    pub max_sessions: usize,
    /// A session with no activity for this long is stopped as `Expired` (default 1 h).
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// An optional absolute lifetime: a session is stopped this long after it started,
    /// however busy (default none).
    #[serde(with = "humantime_serde")]
    pub max_lifetime: Option<Duration>,
    /// Most session creations per minute, as a token bucket refilled continuously
    /// (default 100). `None` or `0` disables the limit.
    pub rate_limit: Option<u32>,
    /// The timeout of [`SessionManager::call`](crate::SessionManager::call) (default 15 s,
    /// as the original). Overdue calls are failed by the manager's expiry task, to within
    /// a thousandth of this timeout (1 ms to 100 ms) after their deadline, whatever the
    /// timeout of the call itself.
    #[serde(with = "humantime_serde")]
    pub call_timeout: Duration,
    /// How long a graceful stop waits for a session's actor before killing it (default 5 s).
    #[serde(with = "humantime_serde")]
    pub stop_timeout: Duration,
    /// Park a durable session after this long without activity: its actor stops, its
    /// state waits as bytes (in the store, or in memory without one) and its next message
    /// revives it (default none: never parked for inactivity). Must be shorter than
    /// `idle_timeout`. Only registered durable session types are ever parked; see
    /// `docs/passivation.md`.
    #[serde(with = "humantime_serde")]
    pub passivate_after: Option<Duration>,
    /// Most durable sessions with a running actor at once: above it, the least recently
    /// used are parked first (default none: no bound). At least 1. Sessions of types that
    /// are not durable are never parked and do not count.
    pub max_active: Option<usize>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            name: DEFAULT_NAME.to_owned(),
            max_sessions: 10_000,
            idle_timeout: Duration::from_secs(60 * 60),
            max_lifetime: None,
            rate_limit: Some(100),
            call_timeout: Duration::from_secs(15),
            stop_timeout: Duration::from_secs(5),
            passivate_after: None,
            max_active: None,
        }
    }
}

impl SessionConfig {
    /// Sets [`SessionConfig::name`].
    ///
    /// # Examples
    ///
    /// ```
    /// let config = ractor_session::SessionConfig::default().with_name("carts");
    /// assert_eq!(config.name, "carts");
    /// assert!(config.validate().is_ok());
    /// ```
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets [`SessionConfig::max_sessions`].
    ///
    /// # Examples
    ///
    /// ```
    /// let config = ractor_session::SessionConfig::default().with_max_sessions(4);
    /// assert_eq!(config.max_sessions, 4);
    /// ```
    #[must_use]
    pub fn with_max_sessions(mut self, max_sessions: usize) -> Self {
        self.max_sessions = max_sessions;
        self
    }

    /// Sets [`SessionConfig::idle_timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = ractor_session::SessionConfig::default().with_idle_timeout(Duration::from_secs(60));
    /// assert_eq!(config.idle_timeout, Duration::from_secs(60));
    /// ```
    #[must_use]
    pub fn with_idle_timeout(mut self, idle_timeout: Duration) -> Self {
        self.idle_timeout = idle_timeout;
        self
    }

    /// Sets [`SessionConfig::max_lifetime`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = ractor_session::SessionConfig::default()
    ///     .with_max_lifetime(Some(Duration::from_secs(8 * 3600)));
    /// assert!(config.max_lifetime.is_some());
    /// ```
    #[must_use]
    pub fn with_max_lifetime(mut self, max_lifetime: Option<Duration>) -> Self {
        self.max_lifetime = max_lifetime;
        self
    }

    /// Sets [`SessionConfig::rate_limit`]; `None` or `Some(0)` disables it.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = ractor_session::SessionConfig::default().with_rate_limit(Some(5));
    /// assert_eq!(config.rate_limit, Some(5));
    /// ```
    #[must_use]
    pub fn with_rate_limit(mut self, per_minute: Option<u32>) -> Self {
        self.rate_limit = per_minute;
        self
    }

    /// Sets [`SessionConfig::call_timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = ractor_session::SessionConfig::default().with_call_timeout(Duration::from_secs(1));
    /// assert_eq!(config.call_timeout, Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn with_call_timeout(mut self, call_timeout: Duration) -> Self {
        self.call_timeout = call_timeout;
        self
    }

    /// Sets [`SessionConfig::stop_timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = ractor_session::SessionConfig::default().with_stop_timeout(Duration::from_secs(1));
    /// assert_eq!(config.stop_timeout, Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn with_stop_timeout(mut self, stop_timeout: Duration) -> Self {
        self.stop_timeout = stop_timeout;
        self
    }

    /// Sets [`SessionConfig::passivate_after`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = ractor_session::SessionConfig::default()
    ///     .with_passivate_after(Some(Duration::from_secs(60)));
    /// assert_eq!(config.passivate_after, Some(Duration::from_secs(60)));
    /// assert!(config.validate().is_ok());
    /// ```
    #[must_use]
    pub fn with_passivate_after(mut self, passivate_after: Option<Duration>) -> Self {
        self.passivate_after = passivate_after;
        self
    }

    /// Sets [`SessionConfig::max_active`].
    ///
    /// # Examples
    ///
    /// ```
    /// let config = ractor_session::SessionConfig::default().with_max_active(Some(1_000));
    /// assert_eq!(config.max_active, Some(1_000));
    /// assert!(config.validate().is_ok());
    /// ```
    #[must_use]
    pub fn with_max_active(mut self, max_active: Option<usize>) -> Self {
        self.max_active = max_active;
        self
    }

    /// Whether sessions of durable types can be parked (`passivate_after` or `max_active`
    /// is set).
    pub(crate) fn passivates(&self) -> bool {
        self.passivate_after.is_some() || self.max_active.is_some()
    }

    /// Checks every field; [`SessionManager::spawn`](crate::SessionManager::spawn) calls it.
    ///
    /// # Errors
    ///
    /// [`SessionError::InvalidConfig`] naming the first bad field: a `name` that is empty,
    /// longer than 64 bytes or holds other than `[A-Za-z0-9_.-]`, a zero `max_sessions`,
    /// a zero or over-100-year duration, or a `max_lifetime` of zero, a `passivate_after`
    /// not shorter than `idle_timeout`, a zero `max_active`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ractor_session::SessionConfig;
    ///
    /// assert!(SessionConfig::default().validate().is_ok());
    /// let err = SessionConfig::default().with_idle_timeout(Duration::ZERO).validate().unwrap_err();
    /// assert!(err.to_string().contains("idle_timeout"));
    /// ```
    pub fn validate(&self) -> Result<(), SessionError> {
        let name_ok = (1..=MAX_NAME_LEN).contains(&self.name.len())
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !name_ok {
            return Err(invalid(
                "name",
                "must be 1 to 64 bytes of A-Z a-z 0-9 _ - .",
            ));
        }
        if self.max_sessions == 0 {
            return Err(invalid("max_sessions", "must be at least 1"));
        }
        let durations = [
            ("idle_timeout", Some(self.idle_timeout)),
            ("max_lifetime", self.max_lifetime),
            ("call_timeout", Some(self.call_timeout)),
            ("stop_timeout", Some(self.stop_timeout)),
            ("passivate_after", self.passivate_after),
        ];
        for (field, value) in durations {
            match value {
                Some(d) if d.is_zero() => return Err(invalid(field, "must be greater than zero")),
                Some(d) if d > MAX_DURATION => {
                    return Err(invalid(field, "must be at most 100 years"));
                }
                _ => {}
            }
        }
        if self
            .passivate_after
            .is_some_and(|after| after >= self.idle_timeout)
        {
            return Err(invalid(
                "passivate_after",
                "must be shorter than idle_timeout (a session would expire before it is parked)",
            ));
        }
        if self.max_active == Some(0) {
            return Err(invalid("max_active", "must be at least 1, or none"));
        }
        Ok(())
    }

    /// The rate limit in force, if any (`Some(0)` means none).
    pub(crate) fn effective_rate_limit(&self) -> Option<u32> {
        self.rate_limit.filter(|&n| n > 0)
    }
}

/// The name of a manager not given one.
const DEFAULT_NAME: &str = "default";

/// The longest manager name: it labels a metric series, and is written in logs.
const MAX_NAME_LEN: usize = 64;

/// Durations beyond this are surely a unit mistake, and would overflow deadlines.
const MAX_DURATION: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

fn invalid(field: &'static str, reason: &str) -> SessionError {
    SessionError::InvalidConfig {
        field,
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_original() {
        let c = SessionConfig::default();
        assert_eq!(c.name, "default");
        assert_eq!(c.max_sessions, 10_000);
        assert_eq!(c.idle_timeout, Duration::from_secs(3600));
        assert_eq!(c.rate_limit, Some(100));
        assert_eq!(c.max_lifetime, None);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn bad_values_name_their_field() {
        let cases = [
            (SessionConfig::default().with_name(""), "name"),
            (SessionConfig::default().with_name("a b"), "name"),
            (SessionConfig::default().with_name("x".repeat(65)), "name"),
            (SessionConfig::default().with_name("carts\n"), "name"),
            (
                SessionConfig::default().with_max_sessions(0),
                "max_sessions",
            ),
            (
                SessionConfig::default().with_idle_timeout(Duration::ZERO),
                "idle_timeout",
            ),
            (
                SessionConfig::default().with_max_lifetime(Some(Duration::ZERO)),
                "max_lifetime",
            ),
            (
                SessionConfig::default().with_call_timeout(Duration::ZERO),
                "call_timeout",
            ),
            (
                SessionConfig::default().with_idle_timeout(Duration::from_secs(u64::MAX)),
                "idle_timeout",
            ),
            (
                SessionConfig::default().with_passivate_after(Some(Duration::ZERO)),
                "passivate_after",
            ),
            (
                SessionConfig::default()
                    .with_idle_timeout(Duration::from_secs(60))
                    .with_passivate_after(Some(Duration::from_secs(60))),
                "passivate_after",
            ),
            (
                SessionConfig::default().with_max_active(Some(0)),
                "max_active",
            ),
        ];
        for (config, field) in cases {
            let err = config.validate().expect_err(field);
            assert!(matches!(err, SessionError::InvalidConfig { field: f, .. } if f == field));
            assert!(err.to_string().contains(field), "{err}");
        }
    }

    #[test]
    fn serde_round_trips_and_rejects_unknown_fields() {
        let config = SessionConfig::default().with_max_lifetime(Some(Duration::from_secs(90)));
        let text = serde_json::to_string(&config).unwrap();
        assert_eq!(
            serde_json::from_str::<SessionConfig>(&text).unwrap(),
            config
        );
        assert!(serde_json::from_str::<SessionConfig>(r#"{"max_session": 3}"#).is_err());
        assert!(serde_json::from_str::<SessionConfig>(r#"{"idle_timeout": "soon"}"#).is_err());
    }

    #[test]
    fn a_name_of_the_allowed_bytes_is_accepted_and_loaded() {
        for name in ["carts", "eu-west.admin_2", &"n".repeat(64)] {
            assert!(
                SessionConfig::default().with_name(name).validate().is_ok(),
                "{name}"
            );
        }
        let loaded: SessionConfig = serde_json::from_str(r#"{"name": "carts"}"#).unwrap();
        assert_eq!(loaded.name, "carts");
        let unnamed: SessionConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(unnamed.name, "default");
    }

    #[test]
    fn passivation_settings_load_and_default_to_none() {
        let defaults = SessionConfig::default();
        assert_eq!(
            (defaults.passivate_after, defaults.max_active),
            (None, None)
        );
        assert!(!defaults.passivates());
        let loaded: SessionConfig = serde_json::from_str(
            r#"{"idle_timeout": "30m", "passivate_after": "5m", "max_active": 1000}"#,
        )
        .unwrap();
        assert_eq!(loaded.passivate_after, Some(Duration::from_secs(300)));
        assert_eq!(loaded.max_active, Some(1_000));
        assert!(loaded.passivates());
        assert!(loaded.validate().is_ok());
    }

    #[test]
    fn zero_rate_limit_disables_it() {
        assert_eq!(
            SessionConfig::default()
                .with_rate_limit(Some(0))
                .effective_rate_limit(),
            None
        );
        assert_eq!(
            SessionConfig::default()
                .with_rate_limit(Some(7))
                .effective_rate_limit(),
            Some(7)
        );
    }
}
