//! What the dev server shares between its threads: the snapshot of the last good build that
//! requests are answered from, and the signals that tell open pages to reload.

use crate::render::Outputs;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast;

/// What the browser sees: the last good outputs, and the errors of the last build if it failed.
pub struct Snapshot {
    pub outputs: Arc<Outputs>,
    /// The error overlay's HTML, while the last build has failed.
    pub overlay: Option<String>,
    /// Bumped with every published change.
    pub version: u64,
    /// Output path a page not in this build would have (`news/x/index.html`) → what to say on
    /// its 404 page: that it is a draft (and `--drafts` shows it), embargoed, expired.
    pub not_live: Arc<HashMap<String, String>>,
}

/// What open pages are told.
#[derive(Clone, Debug)]
pub enum Signal {
    /// Reload pages showing these outputs (`news/x/index.html`), or every page for `None`.
    Reload {
        version: u64,
        paths: Option<Vec<String>>,
    },
    /// Only stylesheets changed: (old URL, new URL) pairs.
    Css {
        version: u64,
        swaps: Vec<(String, String)>,
    },
}

pub struct Shared {
    pub(super) state: RwLock<Arc<Snapshot>>,
    pub(super) signals: broadcast::Sender<Signal>,
    /// `Host` header values this server answers.
    pub(super) hosts: Vec<String>,
}

impl Shared {
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.state.read().unwrap_or_else(|p| p.into_inner()))
    }

    pub(super) fn publish(&self, snapshot: Snapshot, signal: Option<Signal>) {
        *self.state.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(snapshot);
        if let Some(s) = signal {
            // No open page is not an error.
            let _ = self.signals.send(s);
        }
    }
}
