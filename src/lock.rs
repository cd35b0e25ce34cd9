//! The send lock: one list send at a time per newsletter, so that overlapping
//! cron runs, or a cron run and an editor, never send the same issue together.
//!
//! An advisory lock (flock) on `data/send.lock`, released by the kernel when
//! the process ends, however it ends.

use crate::config::Config;
use crate::error::{Error, Result};
use std::fs::{File, TryLockError};
use std::sync::atomic::{AtomicBool, Ordering};

static HELD: AtomicBool = AtomicBool::new(false);

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct SendLock(#[allow(dead_code)] Option<File>);

impl Drop for SendLock {
    fn drop(&mut self) {
        if self.0.is_some() {
            HELD.store(false, Ordering::SeqCst);
        }
    }
}

/// Takes the lock, or `None` when another process holds it. Within a process
/// that holds it already, succeeds without taking it again.
pub fn try_acquire(config: &Config) -> Result<Option<SendLock>> {
    if HELD.load(Ordering::SeqCst) {
        return Ok(Some(SendLock(None)));
    }
    let dir = config.data_dir();
    std::fs::create_dir_all(&dir).map_err(Error::io(format!("cannot create {}", dir.display())))?;
    let path = dir.join("send.lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(Error::io(format!("cannot open {}", path.display())))?;
    match file.try_lock() {
        Ok(()) => {
            HELD.store(true, Ordering::SeqCst);
            Ok(Some(SendLock(Some(file))))
        }
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(Error::io(format!("cannot lock {}", path.display()))(e)),
    }
}
