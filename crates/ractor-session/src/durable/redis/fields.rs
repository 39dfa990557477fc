//! A record as a Redis hash: short field names, numbers as decimal text.

use crate::durable::columns::Columns;
use crate::durable::error::BackendError;
use crate::durable::record::SessionRecord;
use crate::id::SessionId;

use super::BACKEND;

/// The hash fields of a record, in the order loads and claims read them: session type,
/// format version, state, idle deadline, absolute deadline (empty for none), updated at,
/// epoch. (The scripts also keep `x`, the earlier deadline.)
pub(super) const FIELDS: [&str; 7] = ["t", "v", "s", "i", "a", "u", "e"];

/// The values of [`FIELDS`] as read (`None` where a field is missing).
pub(super) type Fields = Vec<Option<Vec<u8>>>;

/// The record held in `fields` under `id`: `None` when there is no hash.
pub(super) fn record(
    id: &SessionId,
    fields: Fields,
) -> Result<Option<SessionRecord>, BackendError> {
    if fields.iter().all(Option::is_none) {
        return Ok(None);
    }
    let [t, v, s, i, a, u, e]: [Option<Vec<u8>>; 7] = fields
        .try_into()
        .map_err(|_| corrupt("the wrong number of fields"))?;
    let columns = Columns {
        id: id.as_str().to_owned(),
        session_type: String::from_utf8(t.ok_or_else(|| corrupt("no session type"))?)
            .map_err(|_| corrupt("a session type that is not UTF-8"))?,
        format_version: number(v)?,
        state: s.ok_or_else(|| corrupt("no state"))?,
        idle_deadline_ms: number(i)?,
        absolute_deadline_ms: match a {
            Some(a) if !a.is_empty() => Some(number(Some(a))?),
            _ => None,
        },
        updated_at_ms: number(u)?,
        epoch: number(e)?,
    };
    columns.into_record(BACKEND).map(Some)
}

fn number(field: Option<Vec<u8>>) -> Result<i64, BackendError> {
    let field = field.ok_or_else(|| corrupt("a missing field"))?;
    std::str::from_utf8(&field)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| corrupt("a field that is not a number"))
}

fn corrupt(what: &str) -> BackendError {
    BackendError::Corrupt {
        backend: BACKEND,
        what: format!("a stored record has {what}"),
        source: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(values: [&str; 7]) -> Fields {
        values.iter().map(|v| Some(v.as_bytes().to_vec())).collect()
    }

    #[test]
    fn a_full_hash_reads_as_its_record() {
        let id = SessionId::generate();
        let record = record(&id, fields(["kv", "2", "state", "5000", "", "1000", "3"]))
            .unwrap()
            .unwrap();
        assert_eq!(record.id(), &id);
        assert_eq!(record.format_version(), 2);
        assert_eq!(record.state(), b"state");
        assert_eq!(record.absolute_deadline(), None);
        assert_eq!(record.epoch(), 3);
    }

    #[test]
    fn no_hash_is_no_record() {
        assert!(
            record(&SessionId::generate(), vec![None; 7])
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn damaged_hashes_are_corrupt() {
        let id = SessionId::generate();
        for damaged in [
            fields(["kv", "x", "state", "5000", "", "1000", "3"]),
            fields(["kv", "1", "state", "5000", "", "1000", "-3"]),
            vec![Some(b"kv".to_vec()), None, None, None, None, None, None],
        ] {
            let error = record(&id, damaged).unwrap_err();
            assert!(matches!(error, BackendError::Corrupt { .. }), "{error:?}");
        }
    }
}
