//! A record as the databases hold it: flat columns of text, bytes and 64-bit integers.

use super::error::{BackendError, epoch_to_i64};
use super::record::{SessionRecord, from_unix_millis, unix_millis};
use crate::id::SessionId;

/// The columns of one stored record, as read from a database.
#[derive(Debug)]
pub(crate) struct Columns {
    pub(crate) id: String,
    pub(crate) session_type: String,
    pub(crate) format_version: i64,
    pub(crate) state: Vec<u8>,
    pub(crate) idle_deadline_ms: i64,
    pub(crate) absolute_deadline_ms: Option<i64>,
    pub(crate) updated_at_ms: i64,
    pub(crate) epoch: i64,
}

impl Columns {
    /// The record these columns hold, or [`BackendError::Corrupt`] when they hold values this
    /// library never writes.
    pub(crate) fn into_record(self, backend: &'static str) -> Result<SessionRecord, BackendError> {
        let corrupt = |what: &str| BackendError::Corrupt {
            backend,
            what: format!("a stored record has {what}"),
            source: None,
        };
        let id = SessionId::parse(&self.id).map_err(|_| corrupt("an invalid session ID"))?;
        let format_version = u32::try_from(self.format_version)
            .map_err(|_| corrupt("a format version out of range"))?;
        let epoch = u64::try_from(self.epoch).map_err(|_| corrupt("a negative epoch"))?;
        let mut record = SessionRecord::new(
            id,
            self.session_type,
            format_version,
            self.state,
            from_unix_millis(self.idle_deadline_ms),
        )
        .with_updated_at(from_unix_millis(self.updated_at_ms))
        .with_epoch(epoch);
        if let Some(absolute) = self.absolute_deadline_ms {
            record = record.with_absolute_deadline(from_unix_millis(absolute));
        }
        Ok(record)
    }
}

/// The values written for one record: its times in milliseconds, the earlier deadline as
/// `expires_at_ms`, and its epoch as a signed integer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Written {
    pub(crate) format_version: i64,
    pub(crate) idle_deadline_ms: i64,
    pub(crate) absolute_deadline_ms: Option<i64>,
    pub(crate) expires_at_ms: i64,
    pub(crate) updated_at_ms: i64,
    pub(crate) epoch: i64,
}

impl Written {
    /// The values of `record`, or [`BackendError::InvalidRecord`] when its epoch does not fit.
    pub(crate) fn of(record: &SessionRecord) -> Result<Self, BackendError> {
        Ok(Self {
            format_version: i64::from(record.format_version()),
            idle_deadline_ms: unix_millis(record.idle_deadline()),
            absolute_deadline_ms: record.absolute_deadline().map(unix_millis),
            expires_at_ms: unix_millis(record.expires_at()),
            updated_at_ms: unix_millis(record.updated_at()),
            epoch: epoch_to_i64(record.epoch(), record.id().redacted())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn columns() -> Columns {
        Columns {
            id: "abc".to_owned(),
            session_type: "kv".to_owned(),
            format_version: 2,
            state: vec![1, 2],
            idle_deadline_ms: 5_000,
            absolute_deadline_ms: Some(4_000),
            updated_at_ms: 1_000,
            epoch: 3,
        }
    }

    #[test]
    fn written_values_read_back_as_the_same_record() {
        let record = columns().into_record("test").unwrap();
        let written = Written::of(&record).unwrap();
        assert_eq!(written.expires_at_ms, 4_000);
        assert_eq!(record.idle_deadline(), UNIX_EPOCH + Duration::from_secs(5));
        assert_eq!(record.epoch(), 3);
        assert_eq!(record.format_version(), 2);
    }

    #[test]
    fn values_this_library_never_writes_are_corrupt() {
        let broken = [
            Columns {
                id: "not valid!".to_owned(),
                ..columns()
            },
            Columns {
                epoch: -1,
                ..columns()
            },
            Columns {
                format_version: i64::from(u32::MAX) + 1,
                ..columns()
            },
        ];
        for columns in broken {
            let error = columns.into_record("test").unwrap_err();
            assert!(matches!(error, BackendError::Corrupt { .. }), "{error:?}");
            assert!(!error.to_string().contains("not valid!"), "{error}");
        }
    }
}
