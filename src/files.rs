//! Files read with a limit, so that a setting naming `/dev/zero` or a log file
//! is an error, not gigabytes of memory: the small files gazette is pointed at
//! (the token secret, DKIM keys, CA certificates, the relay password) and,
//! through `diag::Source::read`, drafts and the config.

use std::io::Read;
use std::path::Path;

/// The most gazette reads of such a file: far more than any key or CA bundle.
pub const MAX_SMALL_FILE: u64 = 1024 * 1024;

/// Reads at most `limit` bytes of `path`; the flag says whether there was more.
pub fn read_at_most(path: &Path, limit: u64) -> std::io::Result<(Vec<u8>, bool)> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    let more = bytes.len() as u64 > limit;
    bytes.truncate(limit as usize);
    Ok((bytes, more))
}

/// Reads `path`, refusing one larger than [`MAX_SMALL_FILE`].
pub fn read_small(path: &Path) -> std::io::Result<Vec<u8>> {
    let (bytes, more) = read_at_most(path, MAX_SMALL_FILE)?;
    if more {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "larger than {} KiB, the most gazette reads",
                MAX_SMALL_FILE / 1024
            ),
        ));
    }
    Ok(bytes)
}

/// A password for a server (the SMTP relay, the IMAP bounce mailbox): the
/// text of `file` with its line end trimmed, else the environment variable
/// `var`; `missing` says what to set when neither holds one. The password
/// itself is never in an error.
pub fn password(
    file: Option<&Path>,
    var: &str,
    missing: impl FnOnce() -> String,
) -> crate::error::Result<String> {
    if let Some(path) = file {
        let text = read_small_text(path).map_err(|e| {
            crate::error::Error::Input(format!(
                "cannot read the password_file {}: {}",
                path.display(),
                e.kind()
            ))
        })?;
        return Ok(text.trim_end_matches(['\r', '\n']).to_string());
    }
    match std::env::var(var) {
        Ok(p) if !p.is_empty() => Ok(p),
        _ => Err(crate::error::Error::Input(missing())),
    }
}

/// A `ca_file`'s bytes: a setting that points nowhere is a config error
/// naming it (exit 2).
pub fn ca_file(path: &Path) -> crate::error::Result<Vec<u8>> {
    read_small(path).map_err(|e| {
        crate::error::Error::Input(format!(
            "cannot read the ca_file {}: {}",
            path.display(),
            e.kind()
        ))
    })
}

/// As [`read_small`], as UTF-8 text.
pub fn read_small_text(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read_small(path)?)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// Writes `text` to `path` through a file beside it, renamed over it, so that
/// a crash leaves the old file or the new one, never half of either (drafts
/// that `add` edits and `import` writes). Makes the directory if missing.
pub fn write_atomically(path: &Path, text: &str) -> crate::error::Result<()> {
    use crate::error::Error;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(Error::io(format!("cannot create {}", dir.display())))?;
    }
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".gazette-tmp");
    let tmp = path.with_file_name(name);
    std::fs::write(&tmp, text).map_err(Error::io(format!("cannot write {}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(Error::io(format!("cannot write {}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_file_is_refused_at_the_limit() {
        let err = read_small(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("larger than 1024 KiB"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("secret");
        std::fs::write(&ok, "abc\n").unwrap();
        assert_eq!(read_small_text(&ok).unwrap(), "abc\n");
    }
}
