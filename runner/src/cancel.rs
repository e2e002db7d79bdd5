//! Cancellation shared between the caller (Ctrl-C, a newer save in watch mode) and a running
//! test process.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once to stop the work it was handed to; cheap to clone. A child token is cancelled with
/// its parent, so one Ctrl-C stops every run a watch session starts.
#[derive(Clone, Debug, Default)]
pub struct CancelToken {
    own: Arc<AtomicBool>,
    parent: Option<Arc<CancelToken>>,
}

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    /// A token cancelled by `self.cancel()` or by its own `cancel()`.
    pub fn child(&self) -> Self {
        Self {
            own: Arc::new(AtomicBool::new(false)),
            parent: Some(Arc::new(self.clone())),
        }
    }

    pub fn cancel(&self) {
        self.own.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.own.load(Ordering::SeqCst)
            || self
                .parent
                .as_ref()
                .is_some_and(|parent| parent.is_cancelled())
    }

    /// A token that Ctrl-C (SIGINT) cancels. The handler is process-wide, so only
    /// the binary calls this, once.
    ///
    /// # Errors
    /// When a handler is already installed or the OS refuses one.
    pub fn on_ctrl_c() -> Result<Self, ctrlc::Error> {
        let token = Self::new();
        let flag = token.clone();
        ctrlc::set_handler(move || flag.cancel())?;
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_is_cancelled_with_its_parent_but_not_the_reverse() {
        let parent = CancelToken::new();
        let first = parent.child();
        let second = parent.child();
        first.cancel();
        assert!(first.is_cancelled());
        assert!(!parent.is_cancelled());
        assert!(!second.is_cancelled());
        parent.cancel();
        assert!(second.is_cancelled());
    }
}
