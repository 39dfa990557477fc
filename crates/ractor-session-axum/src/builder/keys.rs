//! The builder's signing keys: the one that signs, the previous ones that still verify
//! during a key rollover, and dev mode's per-process key.

use std::fmt;

use cookie::Key;

use super::SessionLayerBuilder;
use super::checks::{SessionLayerError, key_from_bytes};

/// A key as given to the builder; secrets become keys (or errors) in `build`.
pub(super) enum KeySource {
    None,
    Key(Key),
    Bytes(Vec<u8>),
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A secret: show only whether there is one.
        f.write_str(match self {
            Self::None => "none",
            Self::Key(_) | Self::Bytes(_) => "<set>",
        })
    }
}

impl KeySource {
    fn into_key(self) -> Result<Option<Key>, SessionLayerError> {
        match self {
            Self::None => Ok(None),
            Self::Key(key) => Ok(Some(key)),
            Self::Bytes(secret) => key_from_bytes(&secret).map(Some),
        }
    }
}

/// The signing key and the previous keys, checked.
pub(super) fn resolve(
    key: KeySource,
    previous: Vec<KeySource>,
    dev_mode: bool,
) -> Result<(Key, Vec<Key>), SessionLayerError> {
    let key = match key.into_key()? {
        Some(key) => key,
        None if dev_mode => Key::generate(),
        None => return Err(SessionLayerError::MissingKey),
    };
    let previous = previous
        .into_iter()
        .filter_map(|source| source.into_key().transpose())
        .collect::<Result<_, _>>()?;
    Ok((key, previous))
}

impl SessionLayerBuilder {
    /// Signs cookies with `key` (HMAC-SHA256 over the cookie's name and value).
    ///
    /// Make one with `Key::try_from(&bytes[..])` (at least 64 bytes),
    /// `Key::derive_from(&master)` (at least 32) or `Key::generate()`. A generated key
    /// lives as long as the process, and so do in-memory sessions, so for them it loses
    /// nothing; servers that share sessions, or keep them across restarts, need one
    /// secret loaded from a secret store ([`with_key_bytes`](Self::with_key_bytes)).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::{Key, SessionLayer};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone()).with_key(Key::generate()).build()?;
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_key(mut self, key: Key) -> Self {
        self.key = KeySource::Key(key);
        self
    }

    /// Signs cookies with a key made from `secret`: used as it is when it has 64 bytes or
    /// more, expanded with HKDF-SHA256 when it has 32 to 63. Checked by
    /// [`build`](Self::build); this never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::{SessionLayer, SessionLayerError};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// assert!(SessionLayer::builder(manager.clone()).with_key_bytes([1u8; 32]).build().is_ok());
    /// let short = SessionLayer::builder(manager.clone()).with_key_bytes(b"hunter2").build();
    /// assert!(matches!(short, Err(SessionLayerError::KeyTooShort { len: 7 })));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_key_bytes(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.key = KeySource::Bytes(secret.as_ref().to_vec());
        self
    }

    /// Keeps accepting cookies signed with `key`, a key this layer no longer signs with:
    /// the rollover half of a key rotation. A cookie that verifies only under a previous
    /// key is adopted as usual, and the response re-issues it signed with the current key,
    /// so browsers move over as they come back. Previous keys are tried after the current
    /// one, in the order given. Call it once per previous key.
    ///
    /// Rotating a key: deploy with the new key as [`with_key`](Self::with_key) and the
    /// old one here; once no session signed under the old key can still be live (after
    /// the absolute lifetime, [`with_max_lifetime`](Self::with_max_lifetime)), deploy
    /// without it.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::{Key, SessionLayer};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let (new, old) = (Key::generate(), Key::generate());
    /// let layer = SessionLayer::builder(manager.clone())
    ///     .with_key(new)
    ///     .with_previous_key(old)
    ///     .build()?;
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_previous_key(mut self, key: Key) -> Self {
        self.previous_keys.push(KeySource::Key(key));
        self
    }

    /// As [`with_previous_key`](Self::with_previous_key), with a key made from `secret`
    /// as [`with_key_bytes`](Self::with_key_bytes) makes it.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::{SessionLayer, SessionLayerError};
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let short = SessionLayer::builder(manager.clone())
    ///     .with_key_bytes([1u8; 64])
    ///     .with_previous_key_bytes(b"too short")
    ///     .build();
    /// assert!(matches!(short, Err(SessionLayerError::KeyTooShort { len: 9 })));
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_previous_key_bytes(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.previous_keys
            .push(KeySource::Bytes(secret.as_ref().to_vec()));
        self
    }

    /// Insecure development mode, for `http://localhost`: cookies are not `Secure` (unless
    /// [`with_secure(true)`](Self::with_secure) says so), so their default name has no
    /// `__Host-` prefix, and, without a key, they are signed with a random key made at
    /// start-up. Never use it in production: a warning is logged when the layer is built.
    ///
    /// Cookies stay signed in dev mode so that the code path is the one production runs;
    /// a per-process key costs nothing, since in-memory sessions end with the process anyway.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ractor_session_axum::SessionLayer;
    /// # let manager = ractor_session::SessionManager::spawn(Default::default()).await?;
    /// let layer = SessionLayer::builder(manager.clone()).with_dev_mode().build()?;
    /// assert!(layer.is_dev_mode());
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_dev_mode(mut self) -> Self {
        self.dev_mode = true;
        self
    }
}
