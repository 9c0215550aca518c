//! load: the only stage that reads the site. Walks `content/` (without following symlinks out
//! of the site, skipping hidden files and editor leftovers), reads `site.yaml`, the theme's
//! `theme.yaml`, templates (with the site's `templates/` overriding the theme's by path) and
//! static files, and returns them as plain owned [`Sources`]. Markdown files are listed here and
//! read by [`read_content`], which the build hands to the parse stage so each file's bytes are
//! read just before it is parsed (a 10,000-page site's sources are never all in memory).

use crate::diagnostic::Diagnostic;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use walkdir::WalkDir;

/// Markdown files larger than this are refused rather than rendered.
pub const MAX_MARKDOWN_BYTES: u64 = 8 * 1024 * 1024;

/// Everything a build reads, before any of it is interpreted.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    pub config_text: String,
    /// `themes/<name>`, site-relative.
    pub theme_dir: String,
    /// `theme.yaml`, if the theme has one: (site-relative path, text).
    pub theme_manifest: Option<(String, String)>,
    pub templates: Vec<TemplateFile>,
    pub static_files: Vec<StaticFile>,
    pub content: Vec<ContentFile>,
    pub assets: Vec<AssetFile>,
    /// Problems found while reading (bad file names, symlinks out of the site, huge files).
    pub diagnostics: Vec<Diagnostic>,
    /// Every input file read or listed, with its size and save time (for [`InputStamp`]).
    pub inputs: Vec<Noted>,
}

/// A site file as a build found it: site path, size in bytes, save time (ns since the epoch).
pub type Noted = (String, u64, u128);

#[derive(Clone, Debug)]
pub struct TemplateFile {
    /// The name templates use (`partials/head.html`).
    pub name: String,
    /// Site-relative path (`themes/campaign/templates/partials/head.html`).
    pub source_path: String,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct StaticFile {
    /// Path inside the theme's `static/` (`css/main.css`).
    pub rel: String,
    pub bytes: Arc<Vec<u8>>,
}

/// A Markdown file under `content/`. Its bytes are read by [`read_content`] only when it is
/// parsed, so that a big site's sources are never all in memory at once (each file's text is
/// freed as soon as its page is made).
#[derive(Clone, Debug)]
pub struct ContentFile {
    pub source_path: String,
    pub content_path: String,
    /// Where to read it (the symlink's target for a symlink inside the site).
    pub file: PathBuf,
}

/// Reads a content file's bytes.
pub fn read_content(file: &ContentFile) -> Result<Vec<u8>, IoFailure> {
    read(&file.file)
}

#[derive(Clone, Debug)]
pub struct AssetFile {
    pub source_path: String,
    pub content_path: String,
    pub bytes: Arc<Vec<u8>>,
}

/// A failure of the environment rather than of the site's content (exit code 3).
#[derive(Debug)]
pub struct IoFailure(pub String);

impl std::fmt::Display for IoFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads `site.yaml`. A missing file is a content error (the user's to fix), reported as such.
pub fn read_config(root: &Path) -> Result<Result<String, Diagnostic>, IoFailure> {
    let path = root.join(crate::config::FILE);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(crate::text::decode(crate::config::FILE, bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Err(Diagnostic::error(format!(
            "no site.yaml in {}",
            root.display()
        ))
        .with_hint("run placard in the site's folder, or pass `--root DIR`; `placard init` makes a new site"))),
        Err(e) => Err(IoFailure(format!("cannot read {}: {e}", path.display()))),
    }
}

/// The site folder's real path, which every file read must be inside.
fn canonical(root: &Path) -> Result<PathBuf, IoFailure> {
    root.canonicalize().map_err(|e| {
        IoFailure(format!(
            "cannot open the site folder {}: {e}",
            root.display()
        ))
    })
}

/// Reads the theme and the content of the site at `root`, for the theme named in site.yaml.
pub fn load(root: &Path, config_text: String, theme: &str) -> Result<Sources, IoFailure> {
    let mut sources = Sources {
        config_text,
        theme_dir: format!("themes/{theme}"),
        ..Default::default()
    };
    let canonical_root = canonical(root)?;
    let theme_dir = root.join("themes").join(theme);
    if !theme_dir.is_dir() {
        sources.diagnostics.push(
            Diagnostic::error(format!("the theme `{theme}` is not in `themes/{theme}/`"))
                .in_file(crate::config::FILE)
                .with_hint("set `theme:` in site.yaml to a folder inside `themes/`"),
        );
        return Ok(sources);
    }
    let manifest_path = theme_dir.join("theme.yaml");
    let outside = |p: &Path| {
        p.canonicalize()
            .is_ok_and(|real| !real.starts_with(&canonical_root))
    };
    if outside(&theme_dir) || outside(&manifest_path) {
        sources.diagnostics.push(
            Diagnostic::error(format!(
                "themes/{theme} (or its theme.yaml) is a symlink to a place outside the site"
            ))
            .in_file(format!("themes/{theme}"))
            .with_hint(
                "placard only reads files inside the site folder; copy the theme in instead",
            ),
        );
        return Ok(sources);
    }
    if manifest_path.is_file() {
        let rel = format!("themes/{theme}/theme.yaml");
        let (bytes, noted) = read_noted(&manifest_path, &rel)?;
        sources.inputs.push(noted);
        match crate::text::decode(&rel, bytes) {
            Ok(text) => sources.theme_manifest = Some((rel, text)),
            Err(d) => sources.diagnostics.push(d),
        }
    }

    // Theme templates, then the site's overrides by the same name.
    let mut templates = std::collections::BTreeMap::new();
    for (dir, prefix) in [
        (
            theme_dir.join("templates"),
            format!("themes/{theme}/templates"),
        ),
        (root.join("templates"), "templates".to_string()),
    ] {
        for (rel, path) in files_under(&dir, &canonical_root, &prefix, &mut sources.diagnostics) {
            let source_path = format!("{prefix}/{rel}");
            let (bytes, noted) = read_noted(&path, &source_path)?;
            sources.inputs.push(noted);
            match crate::text::decode(&source_path, bytes) {
                Ok(text) => {
                    templates.insert(
                        rel.clone(),
                        TemplateFile {
                            name: rel,
                            source_path,
                            text,
                        },
                    );
                }
                Err(d) => sources.diagnostics.push(d),
            }
        }
    }
    sources.templates = templates.into_values().collect();

    let static_prefix = format!("themes/{theme}/static");
    for (rel, path) in files_under(
        &theme_dir.join("static"),
        &canonical_root,
        &static_prefix,
        &mut sources.diagnostics,
    ) {
        let (bytes, noted) = read_noted(&path, &format!("{static_prefix}/{rel}"))?;
        sources.inputs.push(noted);
        sources.static_files.push(StaticFile {
            rel,
            bytes: Arc::new(bytes),
        });
    }

    let found = files_under(
        &root.join("content"),
        &canonical_root,
        "content",
        &mut sources.diagnostics,
    );
    let read_results: Vec<Result<(Option<Either>, Noted), IoFailure>> = found
        .into_par_iter()
        .map(|(rel, path)| {
            let source_path = format!("content/{rel}");
            if is_markdown(&rel) {
                let meta = std::fs::metadata(&path)
                    .map_err(|e| IoFailure(format!("cannot read {source_path}: {e}")))?;
                let size = meta.len();
                let noted = (source_path.clone(), size, saved(&meta));
                if size > MAX_MARKDOWN_BYTES {
                    return Ok((
                        Some(Either::Problem(
                            Diagnostic::error(format!(
                                "file larger than {} MiB ({:.1} MiB)",
                                MAX_MARKDOWN_BYTES / 1024 / 1024,
                                size as f64 / 1048576.0
                            ))
                            .in_file(source_path)
                            .with_hint("split the page into several pages"),
                        )),
                        noted,
                    ));
                }
                Ok((
                    Some(Either::Content(ContentFile {
                        source_path,
                        content_path: rel,
                        file: path,
                    })),
                    noted,
                ))
            } else {
                let (bytes, noted) = read_noted(&path, &source_path)?;
                Ok((
                    Some(Either::Asset(AssetFile {
                        source_path,
                        content_path: rel,
                        bytes: Arc::new(bytes),
                    })),
                    noted,
                ))
            }
        })
        .collect();
    sources.inputs.reserve(read_results.len());
    for r in read_results {
        let (found, noted) = r?;
        sources.inputs.push(noted);
        match found {
            Some(Either::Content(c)) => sources.content.push(c),
            Some(Either::Asset(a)) => sources.assets.push(a),
            Some(Either::Problem(d)) => sources.diagnostics.push(d),
            None => {}
        }
    }
    if !root.join("content").is_dir() {
        sources.diagnostics.push(
            Diagnostic::error("the site has no `content/` folder")
                .with_hint("create `content/_index.md` for the home page"),
        );
    }
    Ok(sources)
}

enum Either {
    Content(ContentFile),
    Asset(AssetFile),
    Problem(Diagnostic),
}

/// Reads a file and notes its size and save time (from the open file: no second look-up).
fn read_noted(path: &Path, rel: &str) -> Result<(Vec<u8>, Noted), IoFailure> {
    use std::io::Read;
    let fail = |e: std::io::Error| IoFailure(format!("cannot read {}: {e}", path.display()));
    let mut file = std::fs::File::open(path).map_err(fail)?;
    let meta = file.metadata().map_err(fail)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes).map_err(fail)?;
    Ok((bytes, (rel.to_string(), meta.len(), saved(&meta))))
}

/// When a file was last saved, in nanoseconds since the Unix epoch (0 when unknown).
fn saved(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

fn read(path: &Path) -> Result<Vec<u8>, IoFailure> {
    std::fs::read(path).map_err(|e| IoFailure(format!("cannot read {}: {e}", path.display())))
}

/// Whether a content file is a page: `.md` or `.markdown`, in any case (a `plan.MD` copied out
/// as it is would publish its front matter and text, embargo or not).
pub fn is_markdown(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(_, ext)| {
        ext.eq_ignore_ascii_case("md") || ext.eq_ignore_ascii_case("markdown")
    })
}

/// Whether a file or folder name is never part of the site: hidden files and the leftovers of
/// editors (emacs `.#x`/`#x#`, vim `x~`/`.x.swp`/`4913`, JetBrains `___jb_tmp___`, macOS).
pub fn is_ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || (name.starts_with('#') && name.ends_with('#'))
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name == "4913"
        || name == "Thumbs.db"
}

/// Files under `dir` as (path relative to `dir` with `/`, absolute path), sorted. Symlinks are
/// followed only to files inside the site; a symlink out of the site is an error.
fn files_under(
    dir: &Path,
    canonical_root: &Path,
    prefix: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return out;
    }
    // The folder itself may be a symlink (walkdir follows the root it is given).
    match dir.canonicalize() {
        Ok(real) if real.starts_with(canonical_root) => {}
        Ok(real) => {
            diagnostics.push(
                Diagnostic::error(format!(
                    "{prefix} is a symlink to {}, outside the site",
                    real.display()
                ))
                .in_file(prefix)
                .with_hint(
                    "placard only reads files inside the site folder; copy the folder in instead",
                ),
            );
            return out;
        }
        Err(e) => {
            diagnostics
                .push(Diagnostic::error(format!("cannot read {prefix}: {e}")).in_file(prefix));
            return out;
        }
    }
    let mut walker = WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_str().is_some_and(is_ignored));
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| display_rel(p, dir, prefix))
                    .unwrap_or_else(|| prefix.to_string());
                diagnostics
                    .push(Diagnostic::error(format!("cannot read {path}: {e}")).in_file(path));
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let Some(rel) = rel_utf8(entry.path(), dir) else {
            let shown = display_rel(entry.path(), dir, prefix);
            let d = if entry.file_type().is_dir() {
                // One error for the folder, not one more for everything in it.
                walker.skip_current_dir();
                Diagnostic::error(format!("folder name is not valid UTF-8: {shown}"))
                    .with_hint("rename the folder using UTF-8 characters; its files were not read")
            } else {
                Diagnostic::error(format!("file name is not valid UTF-8: {shown}"))
                    .with_hint("rename the file using UTF-8 characters")
            };
            diagnostics.push(d.in_file(shown));
            continue;
        };
        let site_path = format!("{prefix}/{rel}");
        let ft = entry.file_type();
        // A name some system cannot hold (Windows: `con.md`, `aux/`, `notes.`) would stop a
        // colleague cloning the site, or the built site, there.
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        if let Err(why) = crate::slug::portable_name(name) {
            let what = if ft.is_dir() { "folder" } else { "file" };
            if ft.is_dir() {
                walker.skip_current_dir();
            }
            diagnostics.push(
                Diagnostic::error(format!("the {what} name `{name}` cannot be used: {why}"))
                    .in_file(site_path)
                    .with_hint(format!(
                        "rename the {what}: every computer that clones the site, or the built site, must be able to hold it{}",
                        if ft.is_dir() { " (its files were not read)" } else { "" }
                    )),
            );
            continue;
        }
        if ft.is_symlink() {
            match std::fs::canonicalize(entry.path()) {
                Ok(target) if !target.starts_with(canonical_root) => {
                    diagnostics.push(
                        Diagnostic::error(format!("{site_path} is a symlink to {}, outside the site", target.display()))
                            .in_file(site_path)
                            .with_hint("placard only reads files inside the site folder; copy the file in instead"),
                    );
                }
                Ok(target) if target.is_file() => out.push((rel, target)),
                Ok(_) => diagnostics.push(
                    Diagnostic::warning(format!("{site_path} is a symlink to a folder and is skipped"))
                        .in_file(site_path)
                        .with_hint("placard does not follow symlinked folders (they can loop); move the folder here instead"),
                ),
                Err(e) => diagnostics.push(Diagnostic::error(format!("{site_path} is a broken symlink ({e})")).in_file(site_path).with_hint("remove it or point it at a file in the site")),
            }
            continue;
        }
        if ft.is_file() {
            out.push((rel, entry.into_path()));
        }
    }
    out
}

fn rel_utf8(path: &Path, dir: &Path) -> Option<String> {
    let rel = path.strip_prefix(dir).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

fn display_rel(path: &Path, dir: &Path, prefix: &str) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    let mut shown = String::new();
    for (i, c) in rel.components().enumerate() {
        if i > 0 {
            shown.push('/');
        }
        shown.push_str(&escape_os(c.as_os_str()));
    }
    format!("{prefix}/{shown}")
}

/// Shows a file name that is not UTF-8 with its bad bytes as `\xNN`.
fn escape_os(name: &std::ffi::OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    let bytes = name.as_bytes();
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// What a build was made from, in brief: how many input files there were (site.yaml, content,
/// the site's templates and the theme's files), when the newest of them was last saved, and a
/// digest of their names and sizes (and of what site.yaml says, but for its `publish` part). A build records it in its manifest; `publish` takes it again
/// and tells a build made before the last edit (a saved file is newer; an added, removed,
/// renamed or resized one changes the digest) from a current one, without reading any file.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputStamp {
    pub files: usize,
    /// The newest modification time, in nanoseconds since the Unix epoch.
    pub newest: u128,
    /// MD5 of every input's site path and size, sorted.
    pub listing: String,
    /// The input saved last (site-relative), to name it. Not written to the manifest: it may
    /// be the name of a page not yet published.
    #[serde(skip)]
    pub newest_file: String,
    /// MD5 of what site.yaml says, but for its `publish` settings (which change what is sent
    /// where, not the site).
    #[serde(default)]
    pub config: String,
}

/// Takes the [`InputStamp`] of the site at `root` with the theme `theme` now, looking at the
/// files a build reads (the theme's `theme.yaml`, `templates/` and `static/`, the site's
/// `templates/` and `content/`), as the build noted them; ignored files (editor leftovers,
/// hidden files) are left out, as the build leaves them out.
pub fn stamp(root: &Path, theme: &str) -> Result<InputStamp, IoFailure> {
    let canonical_root = canonical(root)?;
    let theme_dir = root.join("themes").join(theme);
    let mut ignored = Vec::new();
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let manifest = theme_dir.join("theme.yaml");
    if manifest.is_file() {
        files.push((format!("themes/{theme}/theme.yaml"), manifest));
    }
    for (dir, prefix) in [
        (
            theme_dir.join("templates"),
            format!("themes/{theme}/templates"),
        ),
        (root.join("templates"), "templates".to_string()),
        (theme_dir.join("static"), format!("themes/{theme}/static")),
        (root.join("content"), "content".to_string()),
    ] {
        for (rel, path) in files_under(&dir, &canonical_root, &prefix, &mut ignored) {
            files.push((format!("{prefix}/{rel}"), path));
        }
    }
    let noted: Vec<Noted> = files
        .into_par_iter()
        .filter_map(|(rel, path)| {
            let meta = std::fs::metadata(&path).ok()?;
            Some((rel, meta.len(), saved(&meta)))
        })
        .collect();
    let config: String = read_config(root)?.unwrap_or_default();
    Ok(stamp_of(noted, &config))
}

/// The [`InputStamp`] of the files noted and site.yaml's text.
pub fn stamp_of(mut noted: Vec<Noted>, config_text: &str) -> InputStamp {
    use md5::{Digest, Md5};
    noted.sort_unstable();
    let mut digest = Md5::new();
    let mut out = InputStamp {
        files: noted.len() + 1,
        ..InputStamp::default()
    };
    for (rel, size, modified) in &noted {
        digest.update(rel.as_bytes());
        digest.update([0]);
        digest.update(size.to_le_bytes());
        if *modified > out.newest {
            out.newest = *modified;
            out.newest_file.clone_from(rel);
        }
    }
    // site.yaml by what it says for the build: its `publish` settings (a target's endpoint,
    // its cache rules) change what is sent where, not the site, and are left out.
    let for_build = match serde_yaml::from_str::<serde_yaml::Value>(config_text) {
        Ok(serde_yaml::Value::Mapping(mut m)) => {
            m.remove("publish");
            serde_yaml::to_string(&m).unwrap_or_default()
        }
        _ => config_text.to_string(),
    };
    out.config = format!("{:x}", Md5::digest(for_build.as_bytes()));
    out.listing = format!("{:x}", digest.finalize());
    out
}

/// Shows the line under each diagnostic that is located on a line of a site file but was made
/// without its text (by a stage that no longer holds the file, such as a warning about a page's
/// taxonomy key made while the site is assembled): reads each such file again, once. A file
/// that cannot be read now, or a path that is not a plain site-relative one, is left as it is.
pub fn show_lines(root: &Path, diagnostics: &mut [Diagnostic]) {
    let mut wanted: Vec<usize> = diagnostics
        .iter()
        .enumerate()
        .filter(|(_, d)| d.line.is_some() && d.source_line.is_none() && d.path.is_some())
        .map(|(i, _)| i)
        .collect();
    wanted.sort_by(|&a, &b| diagnostics[a].path.cmp(&diagnostics[b].path));
    let mut current: Option<(String, Option<String>)> = None;
    for i in wanted {
        let Some(path) = diagnostics[i].path.clone() else {
            continue;
        };
        if current.as_ref().is_none_or(|(p, _)| *p != path) {
            let plain = !path.is_empty()
                && path
                    .split('/')
                    .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
                && !path.contains('\\');
            let text = plain
                .then(|| std::fs::read(root.join(&path)).ok())
                .flatten()
                .map(|bytes| String::from_utf8_lossy(&bytes).replace("\r\n", "\n"));
            current = Some((path, text));
        }
        let Some((_, Some(text))) = &current else {
            continue;
        };
        let d = &mut diagnostics[i];
        let Some(line) = d.line.and_then(|l| text.lines().nth(l.saturating_sub(1))) else {
            continue;
        };
        let (shown, start) = crate::diagnostic::clip(line, d.column.unwrap_or(1));
        d.source_line = Some(shown);
        d.source_start = start;
    }
}

#[cfg(test)]
mod tests {
    use super::is_ignored;

    #[test]
    fn editor_leftovers_are_ignored() {
        for name in [
            ".#p.md",
            "#p.md#",
            "p.md~",
            ".p.md.swp",
            "p.md___jb_tmp___",
            ".DS_Store",
            "4913",
        ] {
            assert!(is_ignored(name), "{name}");
        }
        for name in ["p.md", "_index.md", "photo.jpg"] {
            assert!(!is_ignored(name), "{name}");
        }
    }
}
