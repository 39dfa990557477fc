//! Session ID validation (a lookup table of allowed bytes) accepts exactly what the rule
//! "1 to 64 bytes, each ASCII alphanumeric, `_` or `-`" accepts, checked character by
//! character here, and reports the first rule broken.

use proptest::prelude::*;
use ractor_session::{InvalidIdReason, MAX_SESSION_ID_LEN, SessionId};

/// The rule, written plainly.
fn is_valid_by_the_rule(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_SESSION_ID_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Values near the boundary: mostly allowed characters, around the length limit, with now
/// and then a stray character from anywhere in Unicode.
fn near_valid() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            8 => prop::char::ranges(vec!['a'..='z', 'A'..='Z', '0'..='9', '-'..='-', '_'..='_'].into()),
            1 => any::<char>(),
        ],
        0..=MAX_SESSION_ID_LEN + 3,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn near_valid_values_are_judged_as_the_rule_judges_them(value in near_valid()) {
        check(&value)?;
    }

    #[test]
    fn arbitrary_values_are_judged_as_the_rule_judges_them(value in any::<String>()) {
        check(&value)?;
    }
}

#[test]
fn every_character_of_the_first_planes_is_judged_as_the_rule_judges_it() {
    for c in (0..0x1_0000).filter_map(char::from_u32) {
        for value in [c.to_string(), format!("ok{c}"), format!("{c}ok")] {
            check(&value).unwrap();
        }
    }
}

fn check(value: &str) -> Result<(), TestCaseError> {
    match SessionId::parse(value) {
        Ok(id) => {
            prop_assert!(is_valid_by_the_rule(value), "accepted {value:?}");
            prop_assert_eq!(id.as_str(), value);
        }
        Err(err) => {
            prop_assert!(!is_valid_by_the_rule(value), "refused {value:?}");
            let expected = if value.is_empty() {
                InvalidIdReason::Empty
            } else if value.len() > MAX_SESSION_ID_LEN {
                InvalidIdReason::TooLong { len: value.len() }
            } else {
                let position = value
                    .bytes()
                    .position(|b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
                    .expect("a refused value of a valid length has a bad byte");
                InvalidIdReason::BadByte {
                    byte: value.as_bytes()[position],
                    position,
                }
            };
            prop_assert_eq!(err.reason(), expected);
        }
    }
    Ok(())
}
