//! write: [`Outputs`] → the output folder, atomically, plus `manifest.json`.
//!
//! The new build is staged in a sibling folder: files whose bytes did not change are hard links
//! to the previous build's files (so nothing is rewritten, and deleting the old tree frees no
//! inodes — creating files right after a mass delete is slow on these machines), changed files
//! are written anew. Then the staged folder and the output folder trade places in one
//! `renameat2(RENAME_EXCHANGE)`, and the old build is removed. A build killed at any moment leaves
//! the previous output complete; the next run removes the leftovers.
//!
//! The output folder is refused when it is not one placard made (no placard `manifest.json`)
//! and not empty, or when it is the site itself, `content/`, `/` or the home folder.

use crate::render::Outputs;
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
    pub files: BTreeMap<String, FileEntry>,
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
    let files: BTreeMap<String, FileEntry> = outputs
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

fn staging_paths(out: &Path) -> (PathBuf, PathBuf) {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    (
        parent.join(format!(".{name}.placard-new")),
        parent.join(format!(".{name}.placard-old")),
    )
}

/// A build being written: outputs go into a staging folder beside the output folder as they
/// are rendered ([`Stager::put`], callable from many threads), then [`Stager::finish`] swaps it
/// into place. Dropping a stager without finishing removes the staging folder and leaves the
/// output folder untouched.
pub struct Stager {
    out: PathBuf,
    staging: PathBuf,
    previous: Option<Manifest>,
    files: std::sync::Mutex<BTreeMap<String, FileEntry>>,
    reused: std::sync::atomic::AtomicUsize,
    finished: bool,
}

impl Stager {
    /// Prepares the staging folder (cleaning up after a killed build). Call
    /// [`check_output_dir`] first.
    pub fn begin(out: &Path) -> Result<Stager, WriteError> {
        let (staging, old) = staging_paths(out);
        recover(out);
        // Leftovers of a build that was killed.
        for leftover in [&staging, &old] {
            if leftover.exists() {
                std::fs::remove_dir_all(leftover)
                    .map_err(|e| io_error("remove the leftover", leftover, e))?;
            }
        }
        std::fs::create_dir_all(&staging).map_err(|e| io_error("create", &staging, e))?;
        Ok(Stager {
            out: out.to_path_buf(),
            staging,
            previous: read_manifest(out),
            files: Default::default(),
            reused: Default::default(),
            finished: false,
        })
    }

    /// Stages one output file: a hard link to the previous build's file when the bytes are the
    /// same, a new file otherwise.
    pub fn put(&self, path: &str, bytes: &[u8]) -> Result<(), WriteError> {
        let entry = FileEntry {
            size: bytes.len() as u64,
            md5: format!("{:x}", Md5::digest(bytes)),
        };
        let target = self.staging.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_error("create", parent, e))?;
        }
        let unchanged = self.previous.as_ref().and_then(|m| m.files.get(path)) == Some(&entry);
        let source = self.out.join(path);
        let linked = unchanged
            && std::fs::symlink_metadata(&source)
                .is_ok_and(|m| m.is_file() && m.len() == entry.size)
            && std::fs::hard_link(&source, &target).is_ok();
        if linked {
            self.reused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        } else {
            std::fs::write(&target, bytes).map_err(|e| io_error("write", &target, e))?;
        }
        self.files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path.to_string(), entry);
        Ok(())
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

    /// Writes the manifest and swaps the staged build into place.
    pub fn finish(mut self, manifest: &Manifest) -> Result<WriteReport, WriteError> {
        let manifest_json =
            serde_json::to_vec_pretty(manifest).map_err(|e| WriteError::Io(e.to_string()))?;
        let manifest_path = self.staging.join(MANIFEST);
        std::fs::write(&manifest_path, manifest_json)
            .map_err(|e| io_error("write", &manifest_path, e))?;
        let reused = self.reused.load(std::sync::atomic::Ordering::Relaxed);
        let report = WriteReport {
            written: manifest.files.len() - reused,
            reused,
            removed: self.previous.as_ref().map_or(0, |prev| {
                prev.files
                    .keys()
                    .filter(|k| !manifest.files.contains_key(*k))
                    .count()
            }),
        };
        let (out, staging) = (&self.out, &self.staging);
        let (_, old) = staging_paths(out);
        if out.exists() {
            if exchange(staging, out).is_ok() {
                // `staging` now holds the previous build.
                std::fs::remove_dir_all(staging)
                    .map_err(|e| io_error("remove the previous build in", staging, e))?;
            } else {
                // No atomic exchange on this file system: two renames, with a window in which
                // the output folder is missing (the next run puts things right).
                std::fs::rename(out, &old).map_err(|e| io_error("move aside", out, e))?;
                std::fs::rename(staging, out).map_err(|e| io_error("move into place", out, e))?;
                std::fs::remove_dir_all(&old).map_err(|e| io_error("remove", &old, e))?;
            }
        } else {
            std::fs::rename(staging, out).map_err(|e| io_error("move into place", out, e))?;
        }
        self.finished = true;
        Ok(report)
    }
}

impl Drop for Stager {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_dir_all(&self.staging);
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
