//! The stored form of a session: its state as bytes, its deadlines and its fencing epoch.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::id::SessionId;
use crate::user::UserKey;

/// One session as a [`SessionStore`](super::SessionStore) keeps it.
///
/// The state is opaque bytes; the session type that wrote them names itself in
/// [`session_type`](Self::session_type) (the tag that picks the actor on restore) and says
/// which layout the bytes follow in [`format_version`](Self::format_version), so a later
/// release can read or migrate what an older one wrote.
///
/// Deadlines are wall-clock times, so a session that expired while the process was down is
/// recognised as expired when it comes back: a record is expired from the moment `now`
/// reaches its idle deadline or its absolute deadline, whichever comes first, and a store
/// never returns an expired record as live.
///
/// Times are kept to the millisecond (the precision every backend stores), between the
/// Unix epoch and the year 292,277,026; the constructor and the `with_*` setters round
/// down to that, so a record read back from a store equals the one saved.
///
/// The [`epoch`](Self::epoch) fences writers: each activation of a session claims the
/// record first ([`SessionStore::claim`](super::SessionStore::claim) raises the stored
/// epoch by one) and writes with the epoch it got; a write carrying an older epoch than the
/// stored one is refused.
///
/// `Debug` shows the session ID redacted and only the length of the state, which may hold
/// secrets too.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use ractor_session::SessionId;
/// use ractor_session::durable::SessionRecord;
///
/// let now = SystemTime::now();
/// let record = SessionRecord::new(
///     SessionId::generate(),
///     "cart",
///     1,
///     br#"{"items":[]}"#.to_vec(),
///     now + Duration::from_secs(1800),
/// )
/// .with_absolute_deadline(now + Duration::from_secs(86_400))
/// .with_epoch(3);
///
/// assert_eq!(record.session_type(), "cart");
/// assert_eq!(record.expires_at(), record.idle_deadline());
/// assert!(!record.is_expired(now));
/// assert!(record.is_expired(now + Duration::from_secs(1800)));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRecord {
    id: SessionId,
    session_type: String,
    format_version: u32,
    state: Vec<u8>,
    idle_deadline: SystemTime,
    absolute_deadline: Option<SystemTime>,
    updated_at: SystemTime,
    epoch: u64,
    user: Option<UserKey>,
}

impl SessionRecord {
    /// A record of `state`, written by the session type `session_type` in its layout
    /// `format_version`, expiring at `idle_deadline`; updated now, with no absolute deadline
    /// and epoch 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use ractor_session::{SessionId, durable::SessionRecord};
    ///
    /// let idle = SystemTime::now() + Duration::from_secs(60);
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, vec![1, 2, 3], idle);
    /// assert_eq!(record.state(), &[1, 2, 3]);
    /// assert_eq!(record.epoch(), 0);
    /// assert_eq!(record.absolute_deadline(), None);
    /// ```
    #[must_use]
    pub fn new(
        id: SessionId,
        session_type: impl Into<String>,
        format_version: u32,
        state: impl Into<Vec<u8>>,
        idle_deadline: SystemTime,
    ) -> Self {
        Self {
            id,
            session_type: session_type.into(),
            format_version,
            state: state.into(),
            idle_deadline: to_millisecond(idle_deadline),
            absolute_deadline: None,
            updated_at: to_millisecond(SystemTime::now()),
            epoch: 0,
            user: None,
        }
    }

    /// The same record under another session ID.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, vec![], SystemTime::now());
    /// let moved = record.with_id(SessionId::parse("fresh")?);
    /// assert_eq!(moved.id().as_str(), "fresh");
    /// # Ok::<(), ractor_session::InvalidSessionId>(())
    /// ```
    #[must_use]
    pub fn with_id(mut self, id: SessionId) -> Self {
        self.id = id;
        self
    }

    /// Replaces the state bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, vec![], SystemTime::now())
    ///     .with_state(b"new".to_vec());
    /// assert_eq!(record.state(), b"new");
    /// ```
    #[must_use]
    pub fn with_state(mut self, state: impl Into<Vec<u8>>) -> Self {
        self.state = state.into();
        self
    }

    /// Replaces the idle deadline (a session is usually given a later one on each use).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let later = SystemTime::now() + Duration::from_secs(600);
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, vec![], SystemTime::now())
    ///     .with_idle_deadline(later);
    /// assert!(record.idle_deadline() <= later);
    /// ```
    #[must_use]
    pub fn with_idle_deadline(mut self, deadline: SystemTime) -> Self {
        self.idle_deadline = to_millisecond(deadline);
        self
    }

    /// Sets the absolute deadline: the session ends then however busy it is.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let now = SystemTime::now();
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, vec![], now + Duration::from_secs(60))
    ///     .with_absolute_deadline(now + Duration::from_secs(5));
    /// assert_eq!(record.expires_at(), record.absolute_deadline().unwrap());
    /// ```
    #[must_use]
    pub fn with_absolute_deadline(mut self, deadline: SystemTime) -> Self {
        self.absolute_deadline = Some(to_millisecond(deadline));
        self
    }

    /// Sets when the state was last changed.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let then = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_000);
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, vec![], SystemTime::now())
    ///     .with_updated_at(then);
    /// assert_eq!(record.updated_at(), then);
    /// ```
    #[must_use]
    pub fn with_updated_at(mut self, updated_at: SystemTime) -> Self {
        self.updated_at = to_millisecond(updated_at);
        self
    }

    /// Sets the fencing epoch the record is written with.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, vec![], SystemTime::now())
    ///     .with_epoch(7);
    /// assert_eq!(record.epoch(), 7);
    /// ```
    #[must_use]
    pub fn with_epoch(mut self, epoch: u64) -> Self {
        self.epoch = epoch;
        self
    }

    /// Sets the user the session is bound to: a store finds the record by its user, to
    /// delete every session of the user ([`SessionStore::delete_user`](super::SessionStore::delete_user)).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use ractor_session::{SessionId, UserKey, durable::SessionRecord};
    /// let alice = UserKey::parse("alice")?;
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, vec![], SystemTime::now())
    ///     .with_user(alice.clone());
    /// assert_eq!(record.user(), Some(&alice));
    /// # Ok::<(), ractor_session::InvalidUserKey>(())
    /// ```
    #[must_use]
    pub fn with_user(mut self, user: UserKey) -> Self {
        self.user = Some(user);
        self
    }

    /// The user the session is bound to, if it is bound.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, vec![], SystemTime::now());
    /// assert!(record.user().is_none());
    /// ```
    #[must_use]
    pub fn user(&self) -> Option<&UserKey> {
        self.user.as_ref()
    }

    /// The session's ID.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let id = SessionId::generate();
    /// let record = SessionRecord::new(id.clone(), "kv", 1, vec![], SystemTime::now());
    /// assert_eq!(record.id(), &id);
    /// ```
    #[must_use]
    pub fn id(&self) -> &SessionId {
        &self.id
    }

    /// The session type's tag, which picks the actor type on restore.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let record = SessionRecord::new(SessionId::generate(), "cart", 1, vec![], SystemTime::now());
    /// assert_eq!(record.session_type(), "cart");
    /// ```
    #[must_use]
    pub fn session_type(&self) -> &str {
        &self.session_type
    }

    /// The layout of the state bytes, as numbered by the session type.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let record = SessionRecord::new(SessionId::generate(), "cart", 2, vec![], SystemTime::now());
    /// assert_eq!(record.format_version(), 2);
    /// ```
    #[must_use]
    pub fn format_version(&self) -> u32 {
        self.format_version
    }

    /// The state bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, b"abc".to_vec(), SystemTime::now());
    /// assert_eq!(record.state(), b"abc");
    /// ```
    #[must_use]
    pub fn state(&self) -> &[u8] {
        &self.state
    }

    /// Takes the state bytes out of the record.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, b"abc".to_vec(), SystemTime::now());
    /// assert_eq!(record.into_state(), b"abc".to_vec());
    /// ```
    #[must_use]
    pub fn into_state(self) -> Vec<u8> {
        self.state
    }

    /// When the session expires unless it is used again.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let idle = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, vec![], idle);
    /// assert_eq!(record.idle_deadline(), idle);
    /// ```
    #[must_use]
    pub fn idle_deadline(&self) -> SystemTime {
        self.idle_deadline
    }

    /// When the session expires however busy it is, if it has such a limit.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, vec![], SystemTime::now());
    /// assert!(record.absolute_deadline().is_none());
    /// ```
    #[must_use]
    pub fn absolute_deadline(&self) -> Option<SystemTime> {
        self.absolute_deadline
    }

    /// When the state was last changed.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, vec![], SystemTime::now());
    /// assert!(record.updated_at() <= SystemTime::now());
    /// ```
    #[must_use]
    pub fn updated_at(&self) -> SystemTime {
        self.updated_at
    }

    /// The fencing epoch: the activation count of the session when this record was written.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, vec![], SystemTime::now());
    /// assert_eq!(record.epoch(), 0);
    /// ```
    #[must_use]
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The earlier of the two deadlines: when the record expires.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let now = SystemTime::now();
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, vec![], now + Duration::from_secs(5))
    ///     .with_absolute_deadline(now + Duration::from_secs(60));
    /// assert_eq!(record.expires_at(), record.idle_deadline());
    /// ```
    #[must_use]
    pub fn expires_at(&self) -> SystemTime {
        match self.absolute_deadline {
            Some(absolute) => absolute.min(self.idle_deadline),
            None => self.idle_deadline,
        }
    }

    /// Whether the record is expired at `now`: `now` has reached either deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use ractor_session::{SessionId, durable::SessionRecord};
    /// let now = SystemTime::now();
    /// let record = SessionRecord::new(SessionId::generate(), "kv", 1, vec![], now + Duration::from_secs(5));
    /// assert!(!record.is_expired(now));
    /// assert!(record.is_expired(now + Duration::from_secs(5)));
    /// ```
    #[must_use]
    pub fn is_expired(&self, now: SystemTime) -> bool {
        now >= self.expires_at()
    }
}

impl fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRecord")
            .field("id", &self.id.redacted())
            .field("session_type", &self.session_type)
            .field("format_version", &self.format_version)
            .field("state_len", &self.state.len())
            .field("idle_deadline", &self.idle_deadline)
            .field("absolute_deadline", &self.absolute_deadline)
            .field("updated_at", &self.updated_at)
            .field("epoch", &self.epoch)
            .field("user", &self.user)
            .finish()
    }
}

/// `time` as whole milliseconds since the Unix epoch, clamped to `0..=i64::MAX`: the form
/// every backend stores.
pub(crate) fn unix_millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
    })
}

/// The time `millis` milliseconds after the Unix epoch (negative values mean the epoch).
pub(crate) fn from_unix_millis(millis: i64) -> SystemTime {
    let millis = u64::try_from(millis).unwrap_or(0);
    UNIX_EPOCH + Duration::from_millis(millis)
}

/// `time` rounded down to the millisecond and clamped to what [`unix_millis`] represents.
fn to_millisecond(time: SystemTime) -> SystemTime {
    from_unix_millis(unix_millis(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_down_to_the_millisecond_and_survive_the_round_trip() {
        let time = UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
        let record = SessionRecord::new(SessionId::generate(), "kv", 1, vec![], time);
        assert_eq!(
            record.idle_deadline(),
            UNIX_EPOCH + Duration::from_millis(1_700_000_000_123)
        );
        let millis = unix_millis(record.idle_deadline());
        assert_eq!(from_unix_millis(millis), record.idle_deadline());
    }

    #[test]
    fn times_before_the_unix_epoch_clamp_to_it() {
        let before = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(unix_millis(before), 0);
        assert_eq!(from_unix_millis(-5), UNIX_EPOCH);
    }

    #[test]
    fn debug_shows_neither_the_id_nor_the_state() {
        let id = SessionId::parse("a-secret-session-id").unwrap();
        let record = SessionRecord::new(id, "kv", 1, b"secret-state".to_vec(), UNIX_EPOCH);
        let shown = format!("{record:?}");
        assert!(!shown.contains("a-secret-session-id"), "{shown}");
        assert!(!shown.contains("secret-state"), "{shown}");
        assert!(shown.contains("state_len: 12"), "{shown}");
    }

    #[test]
    fn the_earlier_deadline_expires_the_record() {
        let start = UNIX_EPOCH + Duration::from_secs(1_000);
        let record = SessionRecord::new(
            SessionId::generate(),
            "kv",
            1,
            vec![],
            start + Duration::from_secs(10),
        )
        .with_absolute_deadline(start + Duration::from_secs(3));
        assert!(!record.is_expired(start + Duration::from_millis(2_999)));
        assert!(record.is_expired(start + Duration::from_secs(3)));
    }
}
