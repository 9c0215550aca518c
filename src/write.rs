//! write: rendered outputs → the output folder, atomically, plus `manifest.json`.
//!
//! A build is staged in a sibling folder, `.<name>.placard-spare`, which then trades places
//! with the output folder in one `renameat2(RENAME_EXCHANGE)`. The folder that comes back —
//! the previous build — is kept as the next build's staging folder and brought up to date in
//! place: only files whose bytes changed are written (always as new files, never modified in
//! place, since a file may be a hard link shared with the live build), files that went away
//! are removed, files new to it but unchanged since the live build are hard links to the live
//! files. So a rebuild creates and deletes almost nothing — creating files right after a mass
//! delete is slow on these machines — and a build killed at any moment leaves the output
//! folder complete (the spare, marked dirty while it is updated, is rebuilt on the next run).
//!
//! The output folder is refused when it is not one placard made (no placard `manifest.json`)
//! and not empty, or when it is the site itself, `content/`, `/` or the home folder.

use crate::render::Outputs;
use crate::slug::OutputPath;
use md5::{Digest, Md5};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "manifest.json";
const GENERATOR: &str = "placard";

/// `manifest.json`: every output file with its size and MD5 (what object stores call the ETag
/// of a single-part upload), plus how the build was made.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub generator: String,
    pub version: String,
    pub build: BuildInfo,
    pub files: BTreeMap<OutputPath, FileEntry>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BuildInfo {
    /// Drafts were included.
    pub drafts: bool,
    /// The `--as-of` instant, when one was given.
    pub as_of: Option<String>,
    /// The earliest future instant at which this output would change (an embargo lifting or a
    /// page expiring), as of the build.
    pub next_change: Option<String>,
    /// The build is for previews (drafts, a future `--as-of`, or `--preview`): every page is
    /// marked noindex and robots.txt disallows crawling.
    #[serde(default)]
    pub preview: bool,
    /// Pages in this build that carry a `publish_at` or an `expire_at`, so that `publish` can
    /// refuse to send out a page that is not (or no longer) live when it runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scheduled: Vec<ScheduledPage>,
    /// Alias outputs → the URL path they redirect to (for object-store website redirects).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub redirects: BTreeMap<String, String>,
    /// Outputs whose names carry a hash of their bytes (safe to cache for ever).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fingerprinted: Vec<String>,
    /// What the build was made from, for `publish` to tell whether the site changed since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<crate::load::InputStamp>,
}

/// A page of the build with a schedule.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScheduledPage {
    /// Site-relative source file (`content/initiatives/x.md`).
    pub source: String,
    /// Its output file (`initiatives/x/index.html`).
    pub output: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_at: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileEntry {
    pub size: u64,
    pub md5: String,
}

/// What a write did.
#[derive(Clone, Debug, Default)]
pub struct WriteReport {
    pub written: usize,
    pub reused: usize,
    pub removed: usize,
}

#[derive(Debug)]
pub enum WriteError {
    /// The output folder is unsafe to replace; nothing was touched.
    Refused(String),
    Io(String),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Refused(m) | WriteError::Io(m) => f.write_str(m),
        }
    }
}

/// The manifest of a set of outputs.
pub fn manifest(outputs: &Outputs, build: BuildInfo) -> Manifest {
    use rayon::prelude::*;
    let files: BTreeMap<OutputPath, FileEntry> = outputs
        .par_iter()
        .map(|(path, bytes)| {
            (
                path.clone(),
                FileEntry {
                    size: bytes.len() as u64,
                    md5: format!("{:x}", Md5::digest(bytes.as_slice())),
                },
            )
        })
        .collect();
    Manifest {
        generator: GENERATOR.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        build,
        files,
    }
}

/// Checks that `out` may be replaced by a build of the site at `root`.
pub fn check_output_dir(root: &Path, out: &Path) -> Result<(), WriteError> {
    let refuse = |why: &str| {
        Err(WriteError::Refused(format!(
            "refusing to use {} as the output folder: {why}",
            out.display()
        )))
    };
    // A `~` that reached placard was not expanded by a shell: it would become a folder named
    // `~` here, not the home folder meant.
    if out
        .components()
        .next()
        .is_some_and(|c| c.as_os_str() == "~")
    {
        return refuse(
            "`~` is the shell's name for your home folder and placard does not expand it; write the full path",
        );
    }
    let root = root
        .canonicalize()
        .map_err(|e| WriteError::Io(format!("cannot open {}: {e}", root.display())))?;
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let parent = parent
        .canonicalize()
        .map_err(|e| WriteError::Io(format!("cannot open {}: {e}", parent.display())))?;
    if out.canonicalize().is_ok_and(|c| c.parent().is_none()) {
        return refuse("it is the root of the file system");
    }
    let Some(name) = out.file_name() else {
        return refuse("it is not a folder name");
    };
    if name == "." || name == ".." {
        return refuse("it is not a folder name");
    }
    let out_abs = parent.join(name);
    let out_canon = out_abs.canonicalize().unwrap_or_else(|_| out_abs.clone());
    if out_canon.parent().is_none() {
        return refuse("it is the root of the file system");
    }
    if std::env::var_os("HOME")
        .is_some_and(|h| Path::new(&h).canonicalize().is_ok_and(|h| h == out_canon))
    {
        return refuse("it is your home folder");
    }
    if root.starts_with(&out_canon) {
        return refuse("it contains the site itself");
    }
    for inside in ["content", "themes", "templates"] {
        if out_canon.starts_with(root.join(inside)) {
            return refuse(&format!("it is inside the site's `{inside}/` folder"));
        }
    }
    if out_canon.is_file() {
        return refuse("it is a file");
    }
    if out_canon.is_dir() && !is_placard_output(&out_canon) {
        let empty = std::fs::read_dir(&out_canon)
            .map_err(|e| WriteError::Io(format!("cannot read {}: {e}", out.display())))?
            .next()
            .is_none();
        if !empty {
            return refuse(
                "it is not empty and placard did not create it (it has no placard manifest.json); empty it or choose another folder with -o",
            );
        }
    }
    Ok(())
}

fn is_placard_output(dir: &Path) -> bool {
    read_manifest(dir).is_some()
}

/// The manifest of a previous build in `dir`, if there is one.
pub fn read_manifest(dir: &Path) -> Option<Manifest> {
    let bytes = std::fs::read(dir.join(MANIFEST)).ok()?;
    let m: Manifest = serde_json::from_slice(&bytes).ok()?;
    (m.generator == GENERATOR).then_some(m)
}

/// The staging folder beside `out`, and the aside folder used when exchange is unsupported.
fn staging_paths(out: &Path) -> (PathBuf, PathBuf) {
    (beside(out, "placard-spare"), beside(out, "placard-old"))
}

/// `.public.<what>` beside the output folder `public`.
fn beside(out: &Path, what: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    parent.join(format!(".{name}.{what}"))
}

/// Takes the lock on writing `out` (`.public.placard-lock` beside it, an empty file kept
/// there): a second build of the same output at the same time is refused, before it touches
/// anything, rather than let two builds share one staging folder.
fn lock(out: &Path) -> Result<std::fs::File, WriteError> {
    let path = beside(out, "placard-lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io_error("create", &path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(WriteError::Refused(format!(
            "another placard build is writing {} right now; nothing was touched: wait for it to finish, then build again",
            out.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(io_error("lock", &path, e)),
    }
}

/// A build being written: outputs go into the staging folder as they are rendered
/// ([`Stager::put`], callable from many threads), then [`Stager::finish`] swaps it into place.
/// Dropping a stager without finishing leaves the output folder untouched.
pub struct Stager {
    out: PathBuf,
    staging: PathBuf,
    /// The live build's files (hard-link sources).
    live: BTreeMap<OutputPath, FileEntry>,
    /// What the staging folder already holds (a previous build), to update in place.
    staged: BTreeMap<OutputPath, FileEntry>,
    files: std::sync::Mutex<BTreeMap<OutputPath, FileEntry>>,
    reused: std::sync::atomic::AtomicUsize,
    finished: bool,
    /// Held from before the leftovers of a killed build are cleaned up until the stager is
    /// dropped: a second build of the same output waits for nothing and says so.
    _lock: std::fs::File,
}

impl Stager {
    /// Prepares the staging folder, cleaning up after a killed build. Call
    /// [`check_output_dir`] first.
    pub fn begin(out: &Path) -> Result<Stager, WriteError> {
        let (staging, old) = staging_paths(out);
        let lock = lock(out)?;
        recover(out);
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(|e| io_error("remove the leftover", &old, e))?;
        }
        let live = if out.exists() {
            read_manifest(out).map(|m| m.files).unwrap_or_default()
        } else {
            BTreeMap::new()
        };
        let staged = match read_manifest(&staging) {
            // A clean spare (the previous build): update it in place. Its manifest goes first,
            // so a build killed while updating it leaves it marked dirty.
            Some(m) if out.exists() => {
                let path = staging.join(MANIFEST);
                std::fs::remove_file(&path).map_err(|e| io_error("remove", &path, e))?;
                m.files
            }
            _ => {
                if staging.exists() {
                    std::fs::remove_dir_all(&staging)
                        .map_err(|e| io_error("remove the leftover", &staging, e))?;
                }
                BTreeMap::new()
            }
        };
        std::fs::create_dir_all(&staging).map_err(|e| io_error("create", &staging, e))?;
        Ok(Stager {
            out: out.to_path_buf(),
            staging,
            live,
            staged,
            files: Default::default(),
            reused: Default::default(),
            finished: false,
            _lock: lock,
        })
    }

    /// Stages one output file: kept when the staging folder already has these bytes, a hard
    /// link to the live file when that has them, a new file otherwise.
    pub fn put(&self, path: &OutputPath, bytes: &[u8]) -> Result<(), WriteError> {
        let entry = FileEntry {
            size: bytes.len() as u64,
            md5: format!("{:x}", Md5::digest(bytes)),
        };
        // Two outputs on one path would mean the collision check missed something: refuse
        // rather than let the second overwrite the first (or, through a hard link, a live file).
        if self
            .files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path.clone(), entry.clone())
            .is_some()
        {
            return Err(WriteError::Io(format!(
                "two outputs were made for {path}; this is a bug in placard, please report it"
            )));
        }
        let target = self.staging.join(path);
        let has_size = |p: &Path| {
            std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file() && m.len() == entry.size)
        };
        if self.staged.get(path) == Some(&entry) && has_size(&target) {
            self.reused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(());
        }
        // Never write into a staged file: it may be a hard link to a live one.
        match std::fs::remove_file(&target) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| io_error("create", parent, e))?;
                }
            }
            Err(e) => return Err(io_error("replace", &target, e)),
        }
        let source = self.out.join(path);
        if self.live.get(path) == Some(&entry)
            && has_size(&source)
            && std::fs::hard_link(&source, &target).is_ok()
        {
            self.reused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(());
        }
        std::fs::write(&target, bytes).map_err(|e| io_error("write", &target, e))
    }

    /// The manifest of everything staged so far, with `build` describing how it was made.
    pub fn manifest(&self, build: BuildInfo) -> Manifest {
        let files = self.files.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Manifest {
            generator: GENERATOR.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            build,
            files,
        }
    }

    /// Removes what the new build no longer has, writes the manifest and swaps the staged
    /// build into place.
    pub fn finish(mut self, manifest: &Manifest) -> Result<WriteReport, WriteError> {
        self.finished = true;
        for path in self
            .staged
            .keys()
            .filter(|k| !manifest.files.contains_key(*k))
        {
            let target = self.staging.join(path);
            let _ = std::fs::remove_file(&target);
            // Folders emptied by the removal go too (a deleted page leaves no empty folder).
            let mut dir = target.parent();
            while let Some(d) = dir.filter(|d| *d != self.staging) {
                if std::fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
        }
        let manifest_json =
            serde_json::to_vec_pretty(manifest).map_err(|e| WriteError::Io(e.to_string()))?;
        let manifest_path = self.staging.join(MANIFEST);
        std::fs::write(&manifest_path, manifest_json)
            .map_err(|e| io_error("write", &manifest_path, e))?;
        let reused = self.reused.load(std::sync::atomic::Ordering::Relaxed);
        let report = WriteReport {
            written: manifest.files.len() - reused,
            reused,
            removed: self
                .live
                .keys()
                .filter(|k| !manifest.files.contains_key(*k))
                .count(),
        };
        let (out, staging) = (&self.out, &self.staging);
        if out.exists() {
            if exchange(staging, out).is_err() {
                // No atomic exchange on this file system: two renames, with a window in
                // which the output folder is missing (the next run puts things right).
                let (_, old) = staging_paths(out);
                std::fs::rename(out, &old).map_err(|e| io_error("move aside", out, e))?;
                std::fs::rename(staging, out).map_err(|e| io_error("move into place", out, e))?;
                std::fs::rename(&old, staging).map_err(|e| io_error("keep", staging, e))?;
            }
            // The staging folder now holds the previous build: the next build's starting point.
        } else {
            std::fs::rename(staging, out).map_err(|e| io_error("move into place", out, e))?;
        }
        Ok(report)
    }
}

impl Drop for Stager {
    /// A build that failed leaves the output folder alone; the staging folder keeps what was
    /// staged, described by a manifest, so the next build can start from it.
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut files = std::mem::take(&mut self.staged);
        files.extend(self.files.lock().unwrap_or_else(|p| p.into_inner()).clone());
        let manifest = Manifest {
            generator: GENERATOR.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            build: BuildInfo::default(),
            files,
        };
        if let Ok(json) = serde_json::to_vec_pretty(&manifest) {
            let _ = std::fs::write(self.staging.join(MANIFEST), json);
        }
    }
}

fn io_error(what: &str, p: &Path, e: io::Error) -> WriteError {
    WriteError::Io(format!("cannot {what} {}: {e}", p.display()))
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no atomic exchange",
    ))
}

/// Restores a consistent output after a build was killed between the two renames of the
/// fallback path: the previous build is put back.
pub fn recover(out: &Path) {
    let (_, old) = staging_paths(out);
    if !out.exists() && old.is_dir() {
        let _ = std::fs::rename(&old, out);
    }
}
