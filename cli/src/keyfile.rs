//! Reporter key files: the 32-byte ed25519 seed as 64 hex digits and a newline, readable by its
//! owner only (0600). Lines starting with `#` are ignored when reading.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use ed25519_dalek::SigningKey;

/// Why a key file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file to write exists and `force` was not given; it holds the path.
    #[error("{0} already exists (pass --force to overwrite it)")]
    Exists(String),
    /// Reading, writing, syncing or renaming the file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file at fault.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file does not hold a seed as 64 hex digits; it holds the path.
    #[error("key file {0}: expected 64 hex digits (an ed25519 seed)")]
    Malformed(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// A fresh key from the operating system's random source.
pub fn generate() -> SigningKey {
    SigningKey::generate(&mut rand::rngs::OsRng)
}

/// Writes `key`'s seed to `path` with mode 0600. Refuses an existing file unless `force`; then the
/// new content is written to a private temporary file and renamed over it, so the old key is never
/// half overwritten and the file is never readable by others.
pub fn write(path: &Path, key: &SigningKey, force: bool) -> Result<(), KeyFileError> {
    let content = format!("{}\n", hex::encode(key.to_bytes()));
    let exists = fs::symlink_metadata(path).is_ok();
    if exists && !force {
        return Err(KeyFileError::Exists(path.display().to_string()));
    }
    let target = if exists {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".tmp-{}", std::process::id()));
        std::path::PathBuf::from(tmp)
    } else {
        path.to_path_buf()
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&target)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists && !exists {
                KeyFileError::Exists(path.display().to_string())
            } else {
                io(&target)(e)
            }
        })?;
    // The umask can only remove bits; make sure of 0600 whatever it was.
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(io(&target))?;
    file.write_all(content.as_bytes()).map_err(io(&target))?;
    file.sync_all().map_err(io(&target))?;
    if exists {
        fs::rename(&target, path).map_err(io(path))?;
    }
    Ok(())
}

/// Reads a key file written by [`write()`].
pub fn read(path: &Path) -> Result<SigningKey, KeyFileError> {
    let text = fs::read_to_string(path).map_err(io(path))?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let mut seed = [0u8; 32];
    hex::decode_to_slice(line.strip_prefix("0x").unwrap_or(line), &mut seed)
        .map_err(|_| KeyFileError::Malformed(path.display().to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Whether the file can be read by anyone but its owner (a warning for the probe agent).
pub fn too_open(path: &Path) -> bool {
    fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o077 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_key_reads_back_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let key = generate();
        write(&path, &key, false).unwrap();
        assert_eq!(read(&path).unwrap().to_bytes(), key.to_bytes());
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(matches!(
            write(&path, &generate(), false),
            Err(KeyFileError::Exists(_))
        ));
        let other = generate();
        write(&path, &other, true).unwrap();
        assert_eq!(read(&path).unwrap().to_bytes(), other.to_bytes());
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
