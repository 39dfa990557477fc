//! The dev-mode signing key, kept in a file so that it survives a restart: a session
//! restored from the store is reachable only through a cookie signed with the key that
//! signed it. Created once, with owner-only permissions, and read back at every start.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use ractor_session_axum::Key;

/// Length of the key in the file: a cookie key's master secret.
pub(crate) const KEY_LEN: usize = 64;

/// Why the key file could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum KeyFileError {
    #[error("cannot read the signing key file {}: {source}", .path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot create the signing key file {}: {source}", .path.display())]
    Create { path: PathBuf, source: io::Error },
    #[error(
        "the signing key file {} holds {found} bytes, not {KEY_LEN}: it is not a key of \
         this demo; delete it to make a new one (cookies signed with the old key stop working)",
        .path.display()
    )]
    Length { path: PathBuf, found: u64 },
    #[error(
        "the signing key file {} may be read by others (mode {mode:o}): run `chmod 600 {}`",
        .path.display(), .path.display()
    )]
    Permissions { path: PathBuf, mode: u32 },
}

/// The key in the file at `path`, created first (atomically, readable by the owner only)
/// when there is none.
///
/// # Errors
///
/// When the file cannot be created or read, is not [`KEY_LEN`] bytes long, or others may
/// read it.
pub(crate) fn load_or_create(path: &Path) -> Result<Vec<u8>, KeyFileError> {
    match create(path) {
        Ok(key) => Ok(key),
        // Made by an earlier start (or a racing one): read it back.
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => read(path),
        Err(source) => Err(KeyFileError::Create {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Writes a fresh key into a file that must not exist yet, made with mode 0600 in the same
/// step, so that no other user can ever open it.
fn create(path: &Path) -> io::Result<Vec<u8>> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    let key = Key::generate().master().to_vec();
    let written = file.write_all(&key).and_then(|()| file.sync_all());
    if let Err(error) = written {
        // A half-written key would be refused at the next start; leave none.
        let _ = fs::remove_file(path);
        return Err(error);
    }
    Ok(key)
}

fn read(path: &Path) -> Result<Vec<u8>, KeyFileError> {
    let failed = |source| KeyFileError::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(failed)?;
    let meta = file.metadata().map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyFileError::Permissions {
                path: path.to_owned(),
                mode,
            });
        }
    }
    if meta.len() != KEY_LEN as u64 {
        return Err(KeyFileError::Length {
            path: path.to_owned(),
            found: meta.len(),
        });
    }
    let mut key = Vec::with_capacity(KEY_LEN);
    file.read_to_end(&mut key).map_err(failed)?;
    if key.len() != KEY_LEN {
        return Err(KeyFileError::Length {
            path: path.to_owned(),
            found: key.len() as u64,
        });
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live_cart.db.key");
        let first = load_or_create(&path).unwrap();
        assert_eq!(first.len(), KEY_LEN);
        assert_eq!(
            load_or_create(&path).unwrap(),
            first,
            "the same key after a restart"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn a_key_file_of_the_wrong_length_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("short.key");
        create(&path).unwrap();
        OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"x")
            .unwrap();
        let error = load_or_create(&path).unwrap_err();
        assert!(
            matches!(error, KeyFileError::Length { found: 65, .. }),
            "{error}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_may_read_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("open.key");
        create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let error = load_or_create(&path).unwrap_err();
        assert!(
            matches!(error, KeyFileError::Permissions { mode: 0o644, .. }),
            "{error}"
        );
        assert!(error.to_string().contains("chmod 600"));
    }

    #[test]
    fn a_key_file_that_cannot_be_created_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("live_cart.key");
        let error = load_or_create(&path).unwrap_err();
        assert!(matches!(error, KeyFileError::Create { .. }), "{error}");
    }
}
