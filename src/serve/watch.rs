//! File events → sets of changed site paths. Events are hints: whatever changed, the rebuild
//! reads the site again. Watched: `site.yaml` and the top level of the site (so `templates/`
//! created later is picked up), and `content/`, `themes/` and `templates/` recursively (new
//! folders inside them are watched as they appear). Editor leftovers, hidden files and the
//! output folder never count.
//!
//! Every raw event counts, as "this path was touched": a file created and deleted again within
//! a few milliseconds still triggers a rebuild. (A debouncer that reports only the net effect
//! drops that pair, and when a rebuild listed the files between the two, the deleted page
//! stayed served until some other change.)

use crate::load::is_ignored;
use notify::event::{EventKind, MetadataKind, ModifyKind};
use notify::{RecursiveMode, Watcher as _};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// The folders of a site whose changes matter, watched recursively.
const WATCHED: &[&str] = &["content", "themes", "templates"];

/// How long to wait, after an event, for the rest of its save: editors' saves come as a few
/// events within a millisecond or two, and every millisecond here is latency.
const DEBOUNCE: Duration = Duration::from_millis(10);

/// Changes within this time of the last rebuild's start are a burst (a script rewriting files,
/// an editor saving all, a `git checkout`): they are collected until the files have been quiet
/// for [`QUIET`], then rebuilt once, so fifty saves give two rebuilds, not fifty.
const BURST: Duration = Duration::from_millis(250);
const QUIET: Duration = Duration::from_millis(100);
/// A burst that never goes quiet still rebuilds this often.
const MAX_WAIT: Duration = Duration::from_secs(2);

pub struct Watcher {
    root: PathBuf,
    output: PathBuf,
    watcher: notify::RecommendedWatcher,
    events: Receiver<notify::Result<notify::Event>>,
    /// Which of [`WATCHED`] are watched now.
    watching: BTreeSet<&'static str>,
    /// When the last batch of changes was handed out.
    last: Option<Instant>,
}

impl Watcher {
    pub fn start(root: &Path, output: PathBuf) -> Result<Watcher, String> {
        let (tx, events) = channel();
        let watcher = notify::recommended_watcher(tx)
            .map_err(|e| format!("cannot watch the site's files: {e}"))?;
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let output = output.canonicalize().unwrap_or(output);
        let mut w = Watcher {
            root,
            output,
            watcher,
            events,
            watching: BTreeSet::new(),
            last: None,
        };
        w.watcher
            .watch(&w.root, RecursiveMode::NonRecursive)
            .map_err(|e| format!("cannot watch {}: {e}", w.root.display()))?;
        w.watch_folders();
        Ok(w)
    }

    /// Starts watching the folders of [`WATCHED`] that exist and are not watched yet.
    fn watch_folders(&mut self) {
        for dir in WATCHED {
            if !self.watching.contains(dir) && self.root.join(dir).is_dir() {
                // A folder that vanishes between the check and the call is picked up later.
                if self
                    .watcher
                    .watch(&self.root.join(dir), RecursiveMode::Recursive)
                    .is_ok()
                {
                    self.watching.insert(dir);
                }
            }
        }
    }

    /// The site path (`content/x.md`, `site.yaml`) of an event's path, if it matters.
    fn relevant(&self, path: &Path) -> Option<String> {
        if path.starts_with(&self.output) {
            return None;
        }
        let rel = path.strip_prefix(&self.root).ok()?;
        // A name that is not UTF-8 still counts (lossily): the rebuild it starts reports it,
        // by its escaped name, instead of the change going unseen.
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let first = parts.first()?.as_str();
        if parts.iter().any(|p| is_ignored(p)) {
            return None;
        }
        if (parts.len() == 1 && first == crate::config::FILE) || WATCHED.contains(&first) {
            Some(parts.join("/"))
        } else {
            None
        }
    }
}

/// Whether an event kind can mean the site changed: not opening, reading or closing a file
/// unmodified, nor its access time.
fn changes(kind: &EventKind) -> bool {
    !matches!(
        kind,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime))
    )
}

impl Iterator for Watcher {
    type Item = BTreeSet<String>;

    /// Blocks until something relevant changed; returns every change queued by then (edits that
    /// land during a rebuild are collected into the next one).
    fn next(&mut self) -> Option<BTreeSet<String>> {
        let mut changed = BTreeSet::new();
        loop {
            let first = self.events.recv().ok()?;
            let mut batches = vec![first];
            // The rest of this save (or of this batch of saves).
            while let Ok(more) = self.events.recv_timeout(DEBOUNCE) {
                batches.push(more);
            }
            // In a burst, wait for the files to go quiet before handing the changes out.
            if self.last.is_some_and(|t| t.elapsed() < BURST) {
                let started = Instant::now();
                while started.elapsed() < MAX_WAIT {
                    match self.events.recv_timeout(QUIET) {
                        Ok(more) => batches.push(more),
                        Err(_) => break,
                    }
                }
            }
            for event in batches {
                match event {
                    // The watcher lost track (queue overflow, a watched folder removed):
                    // rebuild from what is on disk.
                    Ok(e) if e.need_rescan() => {
                        changed.insert(String::from("(the file watcher lost track)"));
                    }
                    // Reading a file is not changing it (the rebuild itself reads them all).
                    Ok(e) if changes(&e.kind) => {
                        for p in &e.paths {
                            if let Some(rel) = self.relevant(p) {
                                changed.insert(rel);
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(_) => {
                        changed.insert(String::from("(the file watcher lost track)"));
                    }
                }
            }
            // A folder of WATCHED created (or re-created) since the last look.
            self.watching.retain(|d| self.root.join(d).is_dir());
            self.watch_folders();
            if !changed.is_empty() {
                self.last = Some(Instant::now());
                return Some(changed);
            }
        }
    }
}
