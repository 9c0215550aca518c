//! The dev server's memory of parsed pages: a content file whose size and modification time are
//! unchanged since it was parsed is not read or parsed again, as long as site.yaml and the
//! theme's templates and schema (which parsing depends on) are unchanged too, and its page is
//! not rendered again unless the pages its links name moved (the build checks that).

use crate::build::{BuildError, CachedFile, PageCache};
use crate::load::ContentFile;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::SystemTime;

#[derive(Default)]
pub struct ParseCache {
    /// A hash of what every page's parse depends on (see [`PageCache::start`]).
    inputs: u64,
    files: HashMap<String, Entry>,
    /// The stamp each file had when this build looked it up, before reading it.
    looked_up: Mutex<HashMap<String, Stamp>>,
}

struct Entry {
    stamp: Stamp,
    parsed: CachedFile,
}

/// What tells a file has changed: its size and modification time (nanoseconds).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamp(u64, Option<SystemTime>);

impl PageCache for ParseCache {
    fn start(&mut self, inputs: u64) {
        if self.inputs != inputs {
            self.files.clear();
            self.inputs = inputs;
        }
        self.looked_up
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    fn get(&self, file: &ContentFile) -> Result<Option<CachedFile>, BuildError> {
        let stamp = std::fs::metadata(&file.file)
            .map(|m| Stamp(m.len(), m.modified().ok()))
            .map_err(|e| {
                BuildError::Environment(format!("cannot read {}: {e}", file.source_path))
            })?;
        self.looked_up
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(file.source_path.clone(), stamp);
        Ok(self
            .files
            .get(&file.source_path)
            .filter(|e| e.stamp == stamp && stamp.1.is_some())
            .map(|e| e.parsed.clone()))
    }

    fn keep(&mut self, parsed: Vec<(String, CachedFile)>, present: &HashSet<String>) {
        self.files.retain(|k, _| present.contains(k));
        let stamps = std::mem::take(self.looked_up.get_mut().unwrap_or_else(|p| p.into_inner()));
        for (source, parsed) in parsed {
            if let Some(&stamp) = stamps.get(&source) {
                self.files.insert(source, Entry { stamp, parsed });
            }
        }
    }
}
