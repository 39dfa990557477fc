//! [`DurabilityConfig`]: how a manager writes to its store, loadable with serde.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::SessionError;

/// When a change to a durable session reaches the store.
///
/// # Examples
///
/// ```
/// use ractor_session::WritePolicy;
///
/// assert_eq!(WritePolicy::default(), WritePolicy::WriteBehind);
/// let policy: WritePolicy = serde_json::from_str(r#""write_through""#)?;
/// assert_eq!(policy, WritePolicy::WriteThrough);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WritePolicy {
    /// Changed sessions are written together every
    /// [`flush_interval`](DurabilityConfig::flush_interval), each once however often it
    /// changed: a hard kill loses at most the changes of the last interval (plus, while
    /// the store is down, those made since it went down).
    #[default]
    WriteBehind,
    /// A `call`'s reply is returned only once the state it saw is in the store: a hard
    /// kill loses no change whose call has returned. Changes of many sessions still share
    /// one write.
    WriteThrough,
}

/// What happens when a stored record cannot be read back (its bytes no longer
/// deserialize, or its format is one the session type does not migrate).
///
/// Either way the failure is logged as a `WARN` with the session's redacted ID.
///
/// # Examples
///
/// ```
/// use ractor_session::OnCorrupt;
///
/// assert_eq!(OnCorrupt::default(), OnCorrupt::Refuse);
/// let fallback: OnCorrupt = serde_json::from_str(r#""start_fresh""#)?;
/// assert_eq!(fallback, OnCorrupt::StartFresh);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OnCorrupt {
    /// The operation fails with
    /// [`SessionError::UnreadableRecord`](crate::SessionError::UnreadableRecord); the
    /// record stays in the store for inspection or a fixed release.
    #[default]
    Refuse,
    /// The record is deleted and the ID treated as unknown: operations on it answer
    /// `SessionNotFound`, and `get_or_start` starts a fresh session.
    StartFresh,
}

/// How a manager with a [store](crate::durable::SessionStore) writes to it: the write policy, how
/// often and how much it writes, how it retries, sweeps, and treats unreadable records.
///
/// Set with [`SessionManagerBuilder::with_durability`](crate::SessionManagerBuilder::with_durability)
/// or loaded with serde (durations as human-readable strings); validated when the manager
/// is spawned.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ractor_session::{DurabilityConfig, OnCorrupt, WritePolicy};
///
/// let config = DurabilityConfig::default()
///     .with_write_policy(WritePolicy::WriteThrough)
///     .with_flush_interval(Duration::from_millis(200));
/// assert!(config.validate().is_ok());
///
/// let loaded: DurabilityConfig = serde_json::from_str(
///     r#"{ "flush_interval": "250ms", "on_corrupt": "start_fresh" }"#,
/// )?;
/// assert_eq!(loaded.flush_interval, Duration::from_millis(250));
/// assert_eq!(loaded.on_corrupt, OnCorrupt::StartFresh);
/// assert_eq!(loaded.write_policy, WritePolicy::WriteBehind);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct DurabilityConfig {
    /// When changes reach the store (default [`WritePolicy::WriteBehind`]).
    pub write_policy: WritePolicy,
    /// How often changed sessions are written with write-behind, and so the most a hard
    /// kill can lose (default 1 s).
    #[serde(with = "humantime_serde")]
    pub flush_interval: Duration,
    /// Most records in one write to the store (default 500); more changed sessions are
    /// written in several batches of one flush.
    pub max_batch: usize,
    /// The longest wait between two attempts while the store fails (default 30 s); the
    /// wait starts at 50 ms and doubles.
    #[serde(with = "humantime_serde")]
    pub max_retry_backoff: Duration,
    /// What an unreadable record leads to (default [`OnCorrupt::Refuse`]).
    pub on_corrupt: OnCorrupt,
    /// How often expired records are removed from the store (default 1 min).
    #[serde(with = "humantime_serde")]
    pub sweep_interval: Duration,
    /// Most expired records removed at once (default 1,000); a sweep repeats until fewer
    /// are left.
    pub sweep_batch: usize,
    /// How long [`shutdown`](crate::SessionManager::shutdown) keeps trying to write what
    /// has changed (default 10 s).
    #[serde(with = "humantime_serde")]
    pub shutdown_flush_timeout: Duration,
}

impl Default for DurabilityConfig {
    fn default() -> Self {
        Self {
            write_policy: WritePolicy::WriteBehind,
            flush_interval: Duration::from_secs(1),
            max_batch: 500,
            max_retry_backoff: Duration::from_secs(30),
            on_corrupt: OnCorrupt::Refuse,
            sweep_interval: Duration::from_secs(60),
            sweep_batch: 1_000,
            shutdown_flush_timeout: Duration::from_secs(10),
        }
    }
}

impl DurabilityConfig {
    /// Sets [`DurabilityConfig::write_policy`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::{DurabilityConfig, WritePolicy};
    /// let config = DurabilityConfig::default().with_write_policy(WritePolicy::WriteThrough);
    /// assert_eq!(config.write_policy, WritePolicy::WriteThrough);
    /// ```
    #[must_use]
    pub fn with_write_policy(mut self, policy: WritePolicy) -> Self {
        self.write_policy = policy;
        self
    }

    /// Sets [`DurabilityConfig::flush_interval`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = ractor_session::DurabilityConfig::default()
    ///     .with_flush_interval(Duration::from_millis(100));
    /// assert_eq!(config.flush_interval, Duration::from_millis(100));
    /// ```
    #[must_use]
    pub fn with_flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval;
        self
    }

    /// Sets [`DurabilityConfig::max_batch`].
    ///
    /// # Examples
    ///
    /// ```
    /// let config = ractor_session::DurabilityConfig::default().with_max_batch(100);
    /// assert_eq!(config.max_batch, 100);
    /// ```
    #[must_use]
    pub fn with_max_batch(mut self, max: usize) -> Self {
        self.max_batch = max;
        self
    }

    /// Sets [`DurabilityConfig::max_retry_backoff`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = ractor_session::DurabilityConfig::default()
    ///     .with_max_retry_backoff(Duration::from_secs(5));
    /// assert_eq!(config.max_retry_backoff, Duration::from_secs(5));
    /// ```
    #[must_use]
    pub fn with_max_retry_backoff(mut self, max: Duration) -> Self {
        self.max_retry_backoff = max;
        self
    }

    /// Sets [`DurabilityConfig::on_corrupt`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session::{DurabilityConfig, OnCorrupt};
    /// let config = DurabilityConfig::default().with_on_corrupt(OnCorrupt::StartFresh);
    /// assert_eq!(config.on_corrupt, OnCorrupt::StartFresh);
    /// ```
    #[must_use]
    pub fn with_on_corrupt(mut self, fallback: OnCorrupt) -> Self {
        self.on_corrupt = fallback;
        self
    }

    /// Sets [`DurabilityConfig::sweep_interval`] and [`DurabilityConfig::sweep_batch`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = ractor_session::DurabilityConfig::default()
    ///     .with_sweep(Duration::from_secs(10), 200);
    /// assert_eq!((config.sweep_interval, config.sweep_batch), (Duration::from_secs(10), 200));
    /// ```
    #[must_use]
    pub fn with_sweep(mut self, interval: Duration, batch: usize) -> Self {
        self.sweep_interval = interval;
        self.sweep_batch = batch;
        self
    }

    /// Sets [`DurabilityConfig::shutdown_flush_timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = ractor_session::DurabilityConfig::default()
    ///     .with_shutdown_flush_timeout(Duration::from_secs(3));
    /// assert_eq!(config.shutdown_flush_timeout, Duration::from_secs(3));
    /// ```
    #[must_use]
    pub fn with_shutdown_flush_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_flush_timeout = timeout;
        self
    }

    /// Checks every field; spawning a manager with a store calls it.
    ///
    /// # Errors
    ///
    /// [`SessionError::InvalidConfig`] naming the first bad field (as
    /// `durability.<field>`): a zero or over-100-year duration, or a zero or
    /// over-100,000 batch.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ractor_session::DurabilityConfig;
    ///
    /// let error = DurabilityConfig::default()
    ///     .with_flush_interval(Duration::ZERO)
    ///     .validate()
    ///     .unwrap_err();
    /// assert!(error.to_string().contains("durability.flush_interval"));
    /// ```
    pub fn validate(&self) -> Result<(), SessionError> {
        let durations = [
            ("durability.flush_interval", self.flush_interval),
            ("durability.max_retry_backoff", self.max_retry_backoff),
            ("durability.sweep_interval", self.sweep_interval),
            (
                "durability.shutdown_flush_timeout",
                self.shutdown_flush_timeout,
            ),
        ];
        for (field, value) in durations {
            if value.is_zero() {
                return Err(invalid(field, "must be greater than zero"));
            }
            if value > MAX_DURATION {
                return Err(invalid(field, "must be at most 100 years"));
            }
        }
        let batches = [
            ("durability.max_batch", self.max_batch),
            ("durability.sweep_batch", self.sweep_batch),
        ];
        for (field, value) in batches {
            if !(1..=MAX_BATCH).contains(&value) {
                return Err(invalid(field, "must be between 1 and 100000"));
            }
        }
        Ok(())
    }
}

/// Durations beyond this are surely a unit mistake, and would overflow deadlines.
const MAX_DURATION: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Batches beyond this would hold a database transaction open too long.
const MAX_BATCH: usize = 100_000;

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
    fn bad_values_name_their_field() {
        let default = DurabilityConfig::default;
        let cases = [
            (
                default().with_flush_interval(Duration::ZERO),
                "durability.flush_interval",
            ),
            (
                default().with_max_retry_backoff(Duration::from_secs(u64::MAX)),
                "durability.max_retry_backoff",
            ),
            (
                default().with_sweep(Duration::ZERO, 10),
                "durability.sweep_interval",
            ),
            (
                default().with_shutdown_flush_timeout(Duration::ZERO),
                "durability.shutdown_flush_timeout",
            ),
            (default().with_max_batch(0), "durability.max_batch"),
            (
                default().with_sweep(Duration::from_secs(1), 100_001),
                "durability.sweep_batch",
            ),
        ];
        for (config, field) in cases {
            let error = config.validate().expect_err(field);
            assert!(
                matches!(error, SessionError::InvalidConfig { field: f, .. } if f == field),
                "{error}"
            );
        }
        assert!(default().validate().is_ok());
    }

    #[test]
    fn serde_round_trips_and_refuses_unknown_fields() {
        let config = DurabilityConfig::default()
            .with_write_policy(WritePolicy::WriteThrough)
            .with_on_corrupt(OnCorrupt::StartFresh);
        let text = serde_json::to_string(&config).unwrap();
        assert!(text.contains(r#""write_policy":"write_through""#), "{text}");
        assert_eq!(
            serde_json::from_str::<DurabilityConfig>(&text).unwrap(),
            config
        );
        assert!(serde_json::from_str::<DurabilityConfig>(r#"{"flush": "1s"}"#).is_err());
        assert!(serde_json::from_str::<DurabilityConfig>(r#"{"write_policy": "often"}"#).is_err());
    }
}
