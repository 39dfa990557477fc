//! A user key is 1 to 256 bytes without control characters; anything else is a typed
//! error saying why, which neither quotes nor shows the value.

use ractor_session::{InvalidUserKeyReason, MAX_USER_KEY_LEN, SessionError, UserKey};

#[test]
fn bad_user_keys_are_typed_errors_with_their_reason() {
    let cases = [
        (String::new(), InvalidUserKeyReason::Empty),
        (
            "a".repeat(MAX_USER_KEY_LEN + 1),
            InvalidUserKeyReason::TooLong {
                len: MAX_USER_KEY_LEN + 1,
            },
        ),
        (
            "alice\n".to_owned(),
            InvalidUserKeyReason::ControlCharacter { position: 5 },
        ),
        (
            "\u{7}bell".to_owned(),
            InvalidUserKeyReason::ControlCharacter { position: 0 },
        ),
    ];
    for (value, reason) in cases {
        let error = UserKey::parse(&value).unwrap_err();
        assert_eq!(error.reason(), reason, "{value:?}");
        // Into the crate's one error type, as every bad input is.
        let error = SessionError::from(error);
        assert!(matches!(error, SessionError::InvalidUserKey(_)));
        if !value.is_empty() {
            assert!(!error.to_string().contains(&value), "{error}");
            assert!(!format!("{error:?}").contains(&value), "{error:?}");
        }
    }
}

#[test]
fn the_longest_key_and_any_printable_text_are_accepted() {
    assert!(UserKey::parse(&"é".repeat(MAX_USER_KEY_LEN / 2)).is_ok());
    assert!(UserKey::parse("Ana María <ana@example.com>").is_ok());
}
