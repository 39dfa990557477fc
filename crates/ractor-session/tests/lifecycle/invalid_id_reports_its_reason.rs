//! An `InvalidSessionId` says why the value was refused (`reason()`: empty, too long, or
//! which byte at which position), and its message still quotes the value, escaped and
//! truncated, as the original's does.

use ractor_session::{InvalidIdReason, MAX_SESSION_ID_LEN, SessionError, SessionId};

#[test]
fn each_refusal_carries_its_reason_and_quotes_the_value() {
    let too_long = "a".repeat(MAX_SESSION_ID_LEN + 1);
    let cases = [
        ("", InvalidIdReason::Empty),
        (
            too_long.as_str(),
            InvalidIdReason::TooLong {
                len: MAX_SESSION_ID_LEN + 1,
            },
        ),
        (
            "invalid@session",
            InvalidIdReason::BadByte {
                byte: b'@',
                position: 7,
            },
        ),
        (
            "abc\n",
            InvalidIdReason::BadByte {
                byte: b'\n',
                position: 3,
            },
        ),
        (
            "caf\u{e9}",
            InvalidIdReason::BadByte {
                byte: 0xc3,
                position: 3,
            },
        ),
    ];
    for (value, reason) in cases {
        let err = SessionId::parse(value).unwrap_err();
        assert_eq!(err.reason(), reason, "{value:?}");
        assert_eq!(
            err.to_string(),
            format!("Invalid session ID format: {value:?}")
        );
        // The same through every way in, and through `SessionError`.
        assert_eq!(value.parse::<SessionId>().unwrap_err().reason(), reason);
        assert_eq!(SessionId::try_from(value.to_owned()).unwrap_err(), err);
        match SessionError::from(err) {
            SessionError::InvalidSessionId(inner) => assert_eq!(inner.reason(), reason),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_long_value_is_quoted_truncated_and_its_length_given() {
    let err = SessionId::parse(&"x".repeat(10_000)).unwrap_err();
    assert_eq!(err.reason(), InvalidIdReason::TooLong { len: 10_000 });
    let text = err.to_string();
    assert!(
        text.starts_with("Invalid session ID format: \"xxx"),
        "{text}"
    );
    assert!(text.ends_with("… (10000 bytes)"), "{text}");
    assert!(text.len() < 200, "{text}");
}

#[test]
fn reasons_have_metric_labels_and_readable_text() {
    let labels = [
        (InvalidIdReason::Empty, "empty"),
        (InvalidIdReason::TooLong { len: 65 }, "too_long"),
        (
            InvalidIdReason::BadByte {
                byte: b' ',
                position: 0,
            },
            "bad_byte",
        ),
    ];
    for (reason, label) in labels {
        assert_eq!(reason.as_str(), label);
    }
    let bad_space = InvalidIdReason::BadByte {
        byte: b' ',
        position: 1,
    };
    assert_eq!(
        bad_space.to_string(),
        "byte 0x20 at position 1 is not one of A-Z a-z 0-9 - _"
    );
}
