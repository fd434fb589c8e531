//! Cancelling long work (an import, a fetch) from another thread: the UI's Cancel button, the
//! CLI's Ctrl-C. The work checks the token between records or pages and stops, rolling back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Shared cancel flag: set it from any thread; the import stops at the next record.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}
