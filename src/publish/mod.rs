//! publish: the built site (`public/` and its `manifest.json`) → a target in object storage,
//! as a [`PublishPlan`] first (upload / unchanged / delete, from the manifest's MD5s against
//! the remote listing's ETags), then applied in an order that never lets a published page
//! point at a missing file: new and changed assets, then pages, then feeds and sitemap, then
//! deletes — and deletes only within the allowance (`--allow-deletes N`, or the target's
//! `max_deletes`).
//!
//! Before anything goes out it checks that `public/` is exactly what the manifest says, and,
//! for a target that is not a preview, that the build holds no draft and no page that is not
//! live right now (the embargo guard). A run that stops half way (killed, or the network gave
//! up) leaves the store with every asset a published page needs, and running it again finishes
//! the job: the plan is recomputed from what the store holds.
//!
//! The I/O here: reading the output folder, HTTP to the store, and the purge command.

pub mod credentials;
pub mod headers;
pub mod s3;
pub mod store;

pub use crate::config::publish::{PublishConfig, Target};
use crate::config::{self, SiteConfig};
use crate::diagnostic::Diagnostic;
use crate::write::{self, Manifest};
use headers::Phase;
use jiff::Timestamp;
use md5::{Digest, Md5};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use store::{RemoteObject, Store, StoreError, Upload};

/// How to publish.
#[derive(Clone, Debug)]
pub struct PublishOptions {
    pub root: PathBuf,
    /// The built site; `public/` in the site by default.
    pub output: Option<PathBuf>,
    /// A target name from site.yaml; its `publish.default` (or only target) otherwise.
    pub target: Option<String>,
    /// Print the plan, change nothing.
    pub dry_run: bool,
    /// Deletes allowed in this run (instead of the target's `max_deletes`).
    pub allow_deletes: Option<usize>,
    /// Upload every file, even unchanged ones (after changing cache rules, say).
    pub force: bool,
    /// The current time (a parameter so tests can fix it).
    pub now: Timestamp,
}

impl PublishOptions {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        PublishOptions {
            root: root.into(),
            output: None,
            target: None,
            dry_run: false,
            allow_deletes: None,
            force: false,
            now: Timestamp::now(),
        }
    }
}

/// Why publishing stopped, by whose fault (which sets the exit code).
#[derive(Debug)]
pub enum PublishError {
    /// site.yaml has mistakes (exit 1).
    Content(Vec<Diagnostic>),
    /// Publishing would be unsafe: the build does not match its manifest, holds an embargoed
    /// page, or would delete more than allowed (exit 1). The message says what to do.
    Refused(String),
    /// A bad command-line value or target name (exit 2).
    Usage(String),
    /// The disk, the network, the store or the credentials failed (exit 3).
    Environment(String),
}

impl PublishError {
    /// The process exit code: 1 for the site's mistakes and refusals, 2 for usage, 3 for the
    /// environment.
    pub fn exit_code(&self) -> u8 {
        match self {
            PublishError::Content(_) | PublishError::Refused(_) => 1,
            PublishError::Usage(_) => 2,
            PublishError::Environment(_) => 3,
        }
    }
}

impl std::fmt::Display for PublishError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PublishError::Content(d) => write!(f, "{} problems in site.yaml", d.len()),
            PublishError::Refused(m) | PublishError::Usage(m) | PublishError::Environment(m) => {
                f.write_str(m)
            }
        }
    }
}

/// Why a file is uploaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// Not on the store.
    New,
    /// On the store with other bytes.
    Changed,
    /// Unchanged, but `--force` was given.
    Forced,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PlannedUpload {
    pub path: String,
    pub reason: Reason,
    pub size: u64,
    /// An object on the store with the very same bytes (a file that moved): the store copies
    /// it here, and nothing is sent but the request.
    pub copy_from: Option<String>,
    #[serde(skip)]
    pub phase: Phase,
}

/// What a publish will do, computed before it does any of it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PublishPlan {
    pub target: String,
    /// `s3://bucket/prefix/`.
    pub url: String,
    pub preview: bool,
    /// In the order they go out.
    pub uploads: Vec<PlannedUpload>,
    pub unchanged: usize,
    /// Objects on the store that the build no longer has.
    pub deletes: Vec<String>,
    /// How many deletes this run may make.
    pub allowed_deletes: usize,
    /// Warnings about the build (out of date, say).
    pub notes: Vec<String>,
}

impl PublishPlan {
    /// The bytes to send (copies on the store send none).
    pub fn upload_bytes(&self) -> u64 {
        self.uploads
            .iter()
            .filter(|u| u.copy_from.is_none())
            .map(|u| u.size)
            .sum()
    }

    /// How many files the store copies from another of its objects.
    pub fn copies(&self) -> usize {
        self.uploads
            .iter()
            .filter(|u| u.copy_from.is_some())
            .count()
    }

    /// Whether the deletes exceed the allowance (then none of them is made).
    pub fn deletes_blocked(&self) -> bool {
        self.deletes.len() > self.allowed_deletes
    }
}

/// What a publish did.
#[derive(Clone, Debug)]
pub struct PublishSummary {
    pub plan: PublishPlan,
    /// False for `--dry-run`.
    pub applied: bool,
    /// Files sent to the store.
    pub uploaded: usize,
    pub uploaded_bytes: u64,
    /// Files the store copied from another of its objects with the same bytes.
    pub copied: usize,
    pub deleted: usize,
    pub elapsed: Duration,
    /// The purge command ran (with this many paths).
    pub purged: Option<usize>,
}

/// Progress of a publish, for the caller to show.
#[derive(Clone, Debug)]
pub enum Progress {
    Uploaded {
        files: usize,
        of_files: usize,
        bytes: u64,
        of_bytes: u64,
    },
    Deleted {
        files: usize,
        of_files: usize,
    },
    /// A warning about the build (it is out of date, say), as soon as it is known.
    Note(String),
}

/// Plans, and unless `dry_run`, applies. `progress` hears every note at once, and where the
/// uploads and deletes stand after each file and every 200 ms.
/// Whether the build in `out` is older than the site's files: what to say about it, or `None`
/// when it is current (or was made by a placard that did not record its inputs).
fn staleness(
    root: &std::path::Path,
    config: &crate::config::SiteConfig,
    manifest: &Manifest,
    out: &std::path::Path,
) -> Result<Option<String>, PublishError> {
    let Some(built) = &manifest.build.inputs else {
        return Ok(None);
    };
    let now =
        crate::load::stamp(root, &config.theme).map_err(|e| PublishError::Environment(e.0))?;
    let shown = out.strip_prefix(root).map_or_else(
        |_| out.display().to_string(),
        |p| format!("{}/", p.display()),
    );
    let why = if now.newest > built.newest {
        format!("{} was saved after {shown} was built", now.newest_file)
    } else if now.config != built.config {
        format!("site.yaml changed after {shown} was built")
    } else if now.listing != built.listing {
        "files were added to, removed from or changed in the site since {shown} was built"
            .replace("{shown}", &shown)
    } else {
        return Ok(None);
    };
    Ok(Some(format!(
        "{why}: the build is out of date; run `placard build` before publishing"
    )))
}

pub fn publish(
    opts: &PublishOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<PublishSummary, PublishError> {
    let started = Instant::now();
    let config = read_config(&opts.root)?;
    let target = choose_target(&config.publish, opts.target.as_deref())?.clone();
    let out = opts
        .output
        .clone()
        .unwrap_or_else(|| opts.root.join("public"));
    let manifest = read_build(&out)?;
    let mut notes = embargo_guard(&manifest, &target, opts.now)?;
    if let Some(stale) = staleness(&opts.root, &config, &manifest, &out)? {
        if config.publish.require_fresh_build {
            return Err(PublishError::Refused(format!(
                "{stale}; nothing was published (site.yaml sets `publish.require_fresh_build`)"
            )));
        }
        notes.insert(0, stale);
    }
    // Said now, so that they are seen even when the publish fails later.
    for note in &notes {
        progress(Progress::Note(note.clone()));
    }
    let credentials = credentials::find(target.profile.as_deref(), &|k| std::env::var(k).ok())
        .map_err(|m| PublishError::Environment(format!("publish target `{}`: {m}", target.name)))?;
    let store = s3::S3::new(&target, credentials);
    let nested = nested_prefixes(&config.publish, &target);
    if let Some((path, prefix)) = manifest.files.keys().find_map(|p| {
        nested
            .iter()
            .find(|n| p.starts_with(n.as_str()))
            .map(|n| (p, n))
    }) {
        return Err(PublishError::Refused(format!(
            "the build has {path}, under `{prefix}`, where another target of site.yaml publishes; give that target a prefix the site does not use"
        )));
    }
    let plan = make_plan(&store, &target, &nested, &manifest, opts, notes)?;
    if opts.dry_run {
        return Ok(PublishSummary {
            plan,
            applied: false,
            uploaded: 0,
            uploaded_bytes: 0,
            copied: 0,
            deleted: 0,
            elapsed: started.elapsed(),
            purged: None,
        });
    }
    // What reached the store, for the purge command: also after a failure or a refusal, since
    // a rerun sees those files as unchanged and would not purge them.
    let sent = Mutex::new(Vec::new());
    let purge = |sent: Vec<String>| -> Result<Option<usize>, PublishError> {
        if target.purge.is_empty() || sent.is_empty() {
            return Ok(None);
        }
        let changed: Vec<&str> = sent.iter().map(String::as_str).collect();
        let paths = purge_paths(&config, &changed);
        run_purge(&opts.root, &target, &paths)?;
        Ok(Some(paths.len()))
    };
    let purge_after = |e: PublishError, sent: &Mutex<Vec<String>>| -> PublishError {
        let sent = std::mem::take(&mut *sent.lock().unwrap_or_else(|p| p.into_inner()));
        match (purge(sent), e) {
            (Ok(Some(n)), PublishError::Refused(m)) => PublishError::Refused(format!(
                "{m}\n(the purge command was run for the {n} paths that changed)"
            )),
            (Ok(Some(n)), PublishError::Environment(m)) => PublishError::Environment(format!(
                "{m}\n(the purge command was run for the {n} paths that changed)"
            )),
            (Err(p), PublishError::Environment(m) | PublishError::Refused(m)) => {
                PublishError::Environment(format!("{m}\n{p}"))
            }
            (_, e) => e,
        }
    };
    let applied = match apply(&store, &target, &manifest, &out, &plan, &sent, progress) {
        Ok(a) => a,
        Err(e) => return Err(purge_after(e, &sent)),
    };
    let purged = purge(sent.into_inner().unwrap_or_else(|p| p.into_inner()))?;
    Ok(PublishSummary {
        plan,
        applied: true,
        uploaded: applied.uploaded,
        uploaded_bytes: applied.bytes,
        copied: applied.copied,
        deleted: applied.deleted,
        elapsed: started.elapsed(),
        purged,
    })
}

/// What applying a plan did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Applied {
    uploaded: usize,
    bytes: u64,
    copied: usize,
    deleted: usize,
}

/// Applies a plan to `store`: the uploads phase by phase (assets, pages, listings), then the
/// deletes, only when the plan allows them all. Every path that reached the store is added to
/// `sent` as it does, so that a run that stops half way still knows what changed.
fn apply(
    store: &dyn Store,
    target: &Target,
    manifest: &Manifest,
    out: &Path,
    plan: &PublishPlan,
    sent: &Mutex<Vec<String>>,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Applied, PublishError> {
    let (done, bytes) = upload_all(store, target, manifest, out, plan, sent, progress)?;
    if plan.deletes_blocked() {
        return Err(PublishError::Refused(deletes_refusal(plan, done)));
    }
    let deleted = delete_all(store, target, plan, sent, progress)?;
    Ok(Applied {
        uploaded: done - plan.copies(),
        bytes,
        copied: plan.copies(),
        deleted,
    })
}

fn read_config(root: &Path) -> Result<SiteConfig, PublishError> {
    let text = match crate::load::read_config(root).map_err(|e| PublishError::Environment(e.0))? {
        Ok(t) => t,
        Err(d) => return Err(PublishError::Content(vec![d])),
    };
    config::parse(&text).map_err(PublishError::Content)
}

fn choose_target<'a>(
    config: &'a PublishConfig,
    name: Option<&str>,
) -> Result<&'a Target, PublishError> {
    let names = || {
        config
            .targets
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if config.targets.is_empty() {
        return Err(PublishError::Usage(
            "site.yaml has no publish targets; add one under `publish.targets` (see the README's Publishing section), for example:\n  publish:\n    targets:\n      production:\n        url: s3://your-bucket".into(),
        ));
    }
    match name.or(config.default.as_deref()) {
        Some(n) => config.targets.iter().find(|t| t.name == n).ok_or_else(|| {
            PublishError::Usage(format!(
                "there is no publish target `{n}` in site.yaml; the targets are: {}",
                names()
            ))
        }),
        None => Err(PublishError::Usage(format!(
            "site.yaml has several publish targets and no `publish.default`; choose one with --target ({})",
            names()
        ))),
    }
}

/// The manifest of the build in `out`, once every file in `out` is checked against it.
fn read_build(out: &Path) -> Result<Manifest, PublishError> {
    use rayon::prelude::*;
    let shown = out.display();
    let manifest_path = out.join(write::MANIFEST);
    let text = match std::fs::read_to_string(&manifest_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(PublishError::Refused(format!(
                "there is no build in {shown} (no {}): run `placard build` first",
                write::MANIFEST
            )));
        }
        Err(e) => {
            return Err(PublishError::Environment(format!(
                "cannot read {}: {e}",
                manifest_path.display()
            )));
        }
    };
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        PublishError::Refused(format!(
            "{} is not a placard manifest ({e}): run `placard build` again",
            manifest_path.display()
        ))
    })?;
    let mut on_disk = Vec::new();
    for entry in walkdir::WalkDir::new(out).min_depth(1).sort_by_file_name() {
        let entry =
            entry.map_err(|e| PublishError::Environment(format!("cannot read {shown}: {e}")))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(out)
            .ok()
            .and_then(Path::to_str)
            .map(|p| p.replace(std::path::MAIN_SEPARATOR, "/"));
        match rel {
            Some(p) if p == write::MANIFEST => {}
            Some(p) if entry.file_type().is_file() => on_disk.push(p),
            _ => {
                return Err(PublishError::Refused(format!(
                    "{} in {shown} is not a file placard wrote (a link or an unreadable name): run `placard build` again",
                    entry.path().display()
                )));
            }
        }
    }
    let mut problems: Vec<String> = on_disk
        .iter()
        .filter(|p| !manifest.files.contains_key(p.as_str()))
        .map(|p| format!("{p} is not in the manifest"))
        .collect();
    let mut checked: Vec<String> = manifest
        .files
        .par_iter()
        .filter_map(|(path, entry)| match std::fs::read(out.join(path)) {
            Err(_) => Some(format!("{path} is missing")),
            Ok(bytes) if bytes.len() as u64 != entry.size || md5_hex(&bytes) != entry.md5 => {
                Some(format!("{path} was changed after the build"))
            }
            Ok(_) => None,
        })
        .collect();
    problems.append(&mut checked);
    if problems.is_empty() {
        return Ok(manifest);
    }
    problems.sort();
    let more = problems.len().saturating_sub(10);
    problems.truncate(10);
    let mut message = format!(
        "{shown} does not match its {}, so it is not what `placard build` made:\n  {}",
        write::MANIFEST,
        problems.join("\n  ")
    );
    if more > 0 {
        message.push_str(&format!("\n  … and {more} more"));
    }
    message.push_str("\nrun `placard build` again, then publish");
    Err(PublishError::Refused(message))
}

/// Refuses a build that would show on a live target what must not be live yet. Returns notes
/// (the build is out of date but safe).
pub fn embargo_guard(
    manifest: &Manifest,
    target: &Target,
    now: Timestamp,
) -> Result<Vec<String>, PublishError> {
    let build = &manifest.build;
    let parse = |s: &str| s.parse::<Timestamp>().ok();
    let mut notes = Vec::new();
    if let Some(next) = build.next_change.as_deref().and_then(parse)
        && next <= now
    {
        notes.push(format!(
            "the build is out of date: something was due to change at {next} (an embargo lifting or a page expiring); run `placard build` again to include it"
        ));
    }
    if target.preview {
        if !build.preview {
            return Err(PublishError::Refused(format!(
                "`{}` is a preview target, and this build is not a preview build, so search engines could index its pages; build it with `placard build --preview` (or --drafts, or a future --as-of): every page then says noindex and robots.txt turns crawlers away",
                target.name
            )));
        }
        return Ok(notes);
    }
    let mut why = Vec::new();
    if build.drafts {
        why.push("it was built with --drafts, so it holds draft pages".to_string());
    } else if build.preview {
        // A build made --as-of a time then in the future is a preview too, even once that time
        // has passed: its pages carry the preview banner and noindex.
        why.push(match build.as_of.as_deref().and_then(parse) {
            Some(as_of) if as_of > now => String::new(),
            Some(as_of) => format!(
                "it is a preview build (made --as-of {as_of}, then in the future), so every page carries a preview banner and says noindex, and robots.txt turns search engines away"
            ),
            None => "it was built with --preview, so every page says noindex and robots.txt turns search engines away"
                .to_string(),
        });
        why.retain(|w| !w.is_empty());
    }
    let unreadable: Vec<&str> = build
        .as_of
        .iter()
        .chain(
            build
                .scheduled
                .iter()
                .flat_map(|p| p.publish_at.iter().chain(&p.expire_at)),
        )
        .map(String::as_str)
        .filter(|t| parse(t).is_none())
        .collect();
    if !unreadable.is_empty() {
        why.push(format!(
            "its manifest has times placard cannot read ({}), so it cannot tell what is live",
            unreadable.join(", ")
        ));
    }
    if let Some(as_of) = build.as_of.as_deref().and_then(parse)
        && as_of > now
    {
        why.push(format!(
            "it was built --as-of {as_of}, which is still in the future"
        ));
    }
    for page in &build.scheduled {
        if let Some(at) = page.publish_at.as_deref().and_then(parse)
            && at > now
        {
            why.push(format!("{} is embargoed until {at}", page.source));
        }
        if let Some(at) = page.expire_at.as_deref().and_then(parse)
            && at <= now
        {
            why.push(format!("{} expired at {at}", page.source));
        }
    }
    if why.is_empty() {
        return Ok(notes);
    }
    Err(PublishError::Refused(format!(
        "refusing to publish this build to `{}`, which is not a preview target:\n  {}\nbuild again with plain `placard build` (no --drafts, no --as-of) and publish that, or publish to a target with `preview: true`",
        target.name,
        why.join("\n  ")
    )))
}

/// Prefixes (relative to `target`'s) of the other targets that live inside it, in the same
/// bucket: a live site at the bucket's root and a preview under `preview/`, say. Their objects
/// are not `target`'s to delete.
pub fn nested_prefixes(config: &PublishConfig, target: &Target) -> Vec<String> {
    config
        .targets
        .iter()
        .filter(|t| {
            t.name != target.name
                && t.bucket == target.bucket
                && t.endpoint == target.endpoint
                && t.prefix.len() > target.prefix.len()
                && t.prefix.starts_with(&target.prefix)
        })
        .map(|t| t.prefix[target.prefix.len()..].to_string())
        .collect()
}

fn make_plan(
    store: &dyn Store,
    target: &Target,
    nested: &[String],
    manifest: &Manifest,
    opts: &PublishOptions,
    notes: Vec<String>,
) -> Result<PublishPlan, PublishError> {
    let remote: HashMap<String, RemoteObject> = store
        .list()
        .map_err(store_error)?
        .into_iter()
        .filter(|o| !nested.iter().any(|n| o.path.starts_with(n.as_str())))
        .map(|o| (o.path.clone(), o))
        .collect();
    // The MD5 placard stored with each object whose ETag cannot be compared, asked for with
    // as many requests at a time as uploads use.
    let ask = needs_stored_md5(manifest, &remote);
    let stored = Mutex::new(HashMap::with_capacity(ask.len()));
    in_parallel(target.concurrency, &ask, |p| {
        let md5 = store.head(p)?.and_then(|m| m.md5);
        stored
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(p.to_string(), md5);
        Ok(())
    })
    .map_err(store_error)?;
    let stored = stored.into_inner().unwrap_or_else(|e| e.into_inner());
    let (uploads, unchanged, deletes) = compare(manifest, remote, &stored, opts.force);
    Ok(PublishPlan {
        target: target.name.clone(),
        url: target.url(),
        preview: target.preview,
        uploads,
        unchanged,
        deletes,
        allowed_deletes: opts.allow_deletes.unwrap_or(target.max_deletes),
        notes,
    })
}

/// The files whose remote ETag is no MD5 to compare with: an ETag with a `-` is a multipart
/// upload's, and an object of the same size whose ETag differs may be one a store encrypting
/// with its own keys (SSE-KMS) labelled with something else. For those, the MD5 placard stored
/// in the object's metadata decides.
fn needs_stored_md5<'m>(
    manifest: &'m Manifest,
    remote: &HashMap<String, RemoteObject>,
) -> Vec<&'m str> {
    manifest
        .files
        .iter()
        .filter(|(p, e)| {
            remote
                .get(p.as_str())
                .is_some_and(|o| o.etag.contains('-') || (o.size == e.size && o.etag != e.md5))
        })
        .map(|(p, _)| p.as_str())
        .collect()
}

/// The plan's core, pure: each file of the build against the listing (and the stored MD5s of
/// [`needs_stored_md5`]'s files) → uploads in phase order, the number unchanged, and the
/// objects not in the build (sorted).
fn compare(
    manifest: &Manifest,
    remote: HashMap<String, RemoteObject>,
    stored_md5: &HashMap<String, Option<String>>,
    force: bool,
) -> (Vec<PlannedUpload>, usize, Vec<String>) {
    let mut uploads = Vec::new();
    let mut unchanged = 0;
    for (path, entry) in &manifest.files {
        let reason = match remote.get(path.as_str()) {
            None => Some(Reason::New),
            Some(o) => {
                let same = o.size == entry.size
                    && (o.etag == entry.md5
                        || stored_md5.get(path.as_str()).and_then(Option::as_deref)
                            == Some(entry.md5.as_str()));
                match (same, force) {
                    (true, false) => None,
                    (true, true) => Some(Reason::Forced),
                    (false, _) => Some(Reason::Changed),
                }
            }
        };
        match reason {
            Some(reason) => uploads.push(PlannedUpload {
                path: path.to_string(),
                reason,
                size: entry.size,
                copy_from: None,
                phase: Phase::of(path),
            }),
            None => unchanged += 1,
        }
    }
    // A file whose very bytes are already on the store under another path (it moved) is
    // copied there by the store rather than sent again — from an object this run leaves as it
    // is until the uploads are done (deletes come last), never from one it overwrites.
    if !force {
        let overwritten: HashSet<&str> = uploads.iter().map(|u| u.path.as_str()).collect();
        let mut by_md5: HashMap<(&str, u64), &str> = HashMap::new();
        let mut sources: Vec<&RemoteObject> = remote
            .values()
            .filter(|o| !o.etag.contains('-') && !overwritten.contains(o.path.as_str()))
            .collect();
        sources.sort_by(|a, b| a.path.cmp(&b.path));
        for o in sources {
            by_md5.entry((o.etag.as_str(), o.size)).or_insert(&o.path);
        }
        for u in &mut uploads {
            if let Some(entry) = manifest.files.get(u.path.as_str())
                && u.size > 0
                && let Some(from) = by_md5.get(&(entry.md5.as_str(), entry.size))
            {
                u.copy_from = Some(from.to_string());
            }
        }
    }
    uploads.sort_by(|a, b| (a.phase, &a.path).cmp(&(b.phase, &b.path)));
    let mut deletes: Vec<String> = remote
        .into_keys()
        .filter(|p| !manifest.files.contains_key(p.as_str()))
        .collect();
    deletes.sort();
    (uploads, unchanged, deletes)
}

/// Uploads phase by phase; a phase starts only when the one before finished without error.
fn upload_all(
    store: &dyn Store,
    target: &Target,
    manifest: &Manifest,
    out: &Path,
    plan: &PublishPlan,
    sent: &Mutex<Vec<String>>,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(usize, u64), PublishError> {
    let of_files = plan.uploads.len();
    let of_bytes = plan.upload_bytes();
    let done = AtomicUsize::new(0);
    let bytes = AtomicU64::new(0);
    let fingerprinted: std::collections::HashSet<&str> = manifest
        .build
        .fingerprinted
        .iter()
        .map(String::as_str)
        .collect();
    for phase in [Phase::Assets, Phase::Pages, Phase::Listings] {
        let files: Vec<&PlannedUpload> = plan.uploads.iter().filter(|u| u.phase == phase).collect();
        let now = || Progress::Uploaded {
            files: done.load(Ordering::SeqCst),
            of_files,
            bytes: bytes.load(Ordering::SeqCst),
            of_bytes,
        };
        let result = with_heartbeat(progress, now, || {
            in_parallel(target.concurrency, &files, |u| {
                let bytes_read = std::fs::read(out.join(&u.path)).map_err(|e| {
                    StoreError::Refused(format!("cannot read {}: {e}", out.join(&u.path).display()))
                })?;
                let md5 = md5_hex(&bytes_read);
                if manifest
                    .files
                    .get(u.path.as_str())
                    .is_none_or(|e| e.md5 != md5)
                {
                    return Err(StoreError::Refused(format!(
                        "{} changed while publishing (was `placard build` run meanwhile?); run publish again",
                        u.path
                    )));
                }
                let cache_control = headers::cache_control(
                    target,
                    &u.path,
                    fingerprinted.contains(u.path.as_str()),
                );
                let redirect = if target.redirects {
                    manifest.build.redirects.get(&u.path).map(String::as_str)
                } else {
                    None
                };
                let content_type = crate::content_type::of(&u.path);
                let upload = Upload {
                    path: &u.path,
                    bytes: &bytes_read,
                    md5: &md5,
                    content_type: &content_type,
                    cache_control: &cache_control,
                    redirect,
                };
                let size = match &u.copy_from {
                    Some(from) => {
                        store.copy(from, &upload)?;
                        0
                    }
                    None => {
                        store.put(&upload)?;
                        u.size
                    }
                };
                sent.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(u.path.clone());
                let files = done.fetch_add(1, Ordering::SeqCst) + 1;
                let sent = bytes.fetch_add(size, Ordering::SeqCst) + size;
                progress(Progress::Uploaded {
                    files,
                    of_files,
                    bytes: sent,
                    of_bytes,
                });
                Ok(())
            })
        });
        if let Err(e) = result {
            let done = done.load(Ordering::SeqCst);
            let later = match phase {
                Phase::Assets => "no page was published",
                Phase::Pages => "feeds and the sitemap were not published",
                Phase::Listings => "nothing was deleted",
            };
            return Err(with_progress(
                store_error(e),
                &format!(
                    "{done} of {of_files} uploads finished; it stopped while publishing {}, so {later}. Run publish again: it sends only what is still missing",
                    phase.describe()
                ),
            ));
        }
    }
    Ok((done.into_inner(), bytes.into_inner()))
}

fn delete_all(
    store: &dyn Store,
    target: &Target,
    plan: &PublishPlan,
    sent: &Mutex<Vec<String>>,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<usize, PublishError> {
    let done = AtomicUsize::new(0);
    let of_files = plan.deletes.len();
    let paths: Vec<&String> = plan.deletes.iter().collect();
    in_parallel(target.concurrency, &paths, |p| {
        store.delete(p)?;
        sent.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(p.to_string());
        let files = done.fetch_add(1, Ordering::SeqCst) + 1;
        progress(Progress::Deleted { files, of_files });
        Ok(())
    })
    .map_err(|e| {
        with_progress(
            store_error(e),
            &format!(
                "every upload finished, and {} of {of_files} deletes; run publish again to finish",
                done.load(Ordering::SeqCst)
            ),
        )
    })?;
    Ok(done.into_inner())
}

fn deletes_refusal(plan: &PublishPlan, uploaded: usize) -> String {
    let n = plan.deletes.len();
    let shown: Vec<&str> = plan.deletes.iter().take(20).map(String::as_str).collect();
    let mut m = format!(
        "{n} object{} on {} {} not in the build, and this run may delete {}:\n  {}",
        if n == 1 { "" } else { "s" },
        plan.url,
        if n == 1 { "is" } else { "are" },
        match plan.allowed_deletes {
            0 => "none".to_string(),
            a => format!("only {a}"),
        },
        shown.join("\n  ")
    );
    if n > shown.len() {
        m.push_str(&format!("\n  … and {} more", n - shown.len()));
    }
    let went = match uploaded {
        0 => "nothing needed uploading".to_string(),
        1 => "the 1 upload went out".to_string(),
        u => format!("the {u} uploads went out"),
    };
    m.push_str(&format!(
        "\n{went}; publish stopped before deleting anything. If these pages are meant to go, run `placard publish --allow-deletes {n}`"
    ));
    // Pages whose address would disappear: a moved page keeps its old address with an alias.
    let pages: Vec<String> = plan
        .deletes
        .iter()
        .filter_map(|k| crate::slug::page_address(k))
        .collect();
    if let Some(first) = pages.first() {
        m.push_str(&format!(
            "\nIf a page moved, keep its old address: add `aliases: [\"{first}\"]` to the front matter of the page that replaces it, and the old address redirects there instead of going"
        ));
    }
    m
}

/// Runs `work` while telling `progress` where things stand (`now()`) every 200 ms, so a run
/// stuck on one big or slow file still shows that it is alive.
fn with_heartbeat<R>(
    progress: &(dyn Fn(Progress) + Sync),
    now: impl Fn() -> Progress + Sync,
    work: impl FnOnce() -> R,
) -> R {
    let finished = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !finished.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(200));
                if !finished.load(Ordering::SeqCst) {
                    progress(now());
                }
            }
        });
        let r = work();
        finished.store(true, Ordering::SeqCst);
        r
    })
}

/// When progress is worth showing: not before a run has taken a second (a quick publish stays
/// quiet), then at most once a second.
pub struct ProgressGate {
    started: Instant,
    last: Option<Instant>,
}

impl ProgressGate {
    pub const QUIET_FOR: Duration = Duration::from_secs(1);

    pub fn new(started: Instant) -> Self {
        ProgressGate {
            started,
            last: None,
        }
    }

    /// Whether to show a progress line at `now`.
    pub fn admit(&mut self, now: Instant) -> bool {
        if now.saturating_duration_since(self.started) < Self::QUIET_FOR {
            return false;
        }
        if self
            .last
            .is_some_and(|last| now.saturating_duration_since(last) < Self::QUIET_FOR)
        {
            return false;
        }
        self.last = Some(now);
        true
    }
}

/// Runs `work` over `items` on up to `workers` threads; stops handing out items after the first
/// error, which it returns (credential failures first: they explain the others).
fn in_parallel<T: Sync>(
    workers: usize,
    items: &[T],
    work: impl Fn(&T) -> Result<(), StoreError> + Sync,
) -> Result<(), StoreError> {
    if items.is_empty() {
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let errors = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, items.len()) {
            s.spawn(|| {
                while !stop.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(item) = items.get(i) else { break };
                    if let Err(e) = work(item) {
                        stop.store(true, Ordering::SeqCst);
                        errors.lock().unwrap_or_else(|p| p.into_inner()).push(e);
                    }
                }
            });
        }
    });
    let mut errors = errors.into_inner().unwrap_or_else(|p| p.into_inner());
    errors.sort_by_key(|e| !matches!(e, StoreError::Credentials(_)));
    match errors.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn store_error(e: StoreError) -> PublishError {
    PublishError::Environment(e.message().to_string())
}

fn with_progress(e: PublishError, note: &str) -> PublishError {
    match e {
        PublishError::Environment(m) => PublishError::Environment(format!("{m}\n{note}")),
        other => other,
    }
}

/// URL paths to purge from the CDN for changed output files: the file's own path, and for an
/// `index.html` its folder's too (`/initiatives/x/`).
/// Paths are percent-encoded as in a URL; above [`PURGE_ALL_ABOVE`] paths, the one wildcard
/// path of the whole site (`/campaign/*`) is given instead (CDNs limit how many paths one
/// invalidation may name).
pub fn purge_paths(config: &SiteConfig, changed: &[&str]) -> Vec<String> {
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    const URL_PATH: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}')
        .add(b'*');
    let base = config.base_path();
    let mut out = Vec::with_capacity(changed.len() * 2);
    for path in changed {
        let encoded = utf8_percent_encode(path, URL_PATH).to_string();
        if let Some(dir) = encoded.strip_suffix("index.html")
            && (dir.is_empty() || dir.ends_with('/'))
        {
            out.push(format!("{base}{dir}"));
        }
        out.push(format!("{base}{encoded}"));
    }
    out.sort();
    out.dedup();
    if out.len() > PURGE_ALL_ABOVE {
        return vec![format!("{base}*")];
    }
    out
}

/// More changed paths than this are purged as one wildcard.
pub const PURGE_ALL_ABOVE: usize = 1000;

/// Runs the target's purge command in the site folder: `{paths}` in its arguments becomes the
/// paths, which also go to its standard input, one per line.
fn run_purge(root: &Path, target: &Target, paths: &[String]) -> Result<(), PublishError> {
    use std::io::Write;
    let program = &target.purge[0];
    let mut args: Vec<String> = Vec::new();
    for a in &target.purge[1..] {
        if a == "{paths}" {
            args.extend(paths.iter().cloned());
        } else {
            args.push(a.clone());
        }
    }
    let failed = |why: String| {
        PublishError::Environment(format!(
            "the site was published, but the purge command `{program}` {why}; the CDN may serve old copies until their max-age runs out"
        ))
    };
    let mut child = std::process::Command::new(program)
        .args(&args)
        .current_dir(root)
        .env("PLACARD_TARGET", &target.name)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("could not start ({e})")))?;
    if let Some(mut stdin) = child.stdin.take() {
        let mut text = paths.join("\n");
        text.push('\n');
        // A command that does not read its input closes the pipe; that is its business.
        let _ = stdin.write_all(text.as_bytes());
    }
    let status = child
        .wait()
        .map_err(|e| failed(format!("could not be waited for ({e})")))?;
    if status.success() {
        Ok(())
    } else {
        Err(failed(format!("failed ({status})")))
    }
}

fn md5_hex(bytes: &[u8]) -> String {
    format!("{:x}", Md5::digest(bytes))
}

/// The plan as text: one line per upload and delete, then the totals.
pub fn describe_plan(plan: &PublishPlan) -> String {
    let mut s = format!(
        "plan for `{}` ({}{}):\n",
        plan.target,
        plan.url,
        if plan.preview { ", preview" } else { "" }
    );
    for u in &plan.uploads {
        let why = match u.reason {
            Reason::New => "new",
            Reason::Changed => "changed",
            Reason::Forced => "forced",
        };
        match &u.copy_from {
            Some(from) => s.push_str(&format!(
                "  copy    {}  ({why}, the same bytes as {from}, copied on the store)\n",
                u.path
            )),
            None => s.push_str(&format!(
                "  upload  {}  ({why}, {})\n",
                u.path,
                human_bytes(u.size)
            )),
        }
    }
    for d in &plan.deletes {
        s.push_str(&format!(
            "  delete  {d}{}\n",
            if plan.deletes_blocked() {
                "  (not allowed)"
            } else {
                ""
            }
        ));
    }
    s.push_str(&format!(
        "  {} to upload ({}){}, {} unchanged, {} to delete",
        plan.uploads.len() - plan.copies(),
        human_bytes(plan.upload_bytes()),
        match plan.copies() {
            0 => String::new(),
            n => format!(", {n} to copy on the store"),
        },
        plan.unchanged,
        plan.deletes.len()
    ));
    if plan.deletes_blocked() {
        s.push_str(&format!(
            " (this run may delete {}: use --allow-deletes {})",
            plan.allowed_deletes,
            plan.deletes.len()
        ));
    }
    s
}

pub fn human_bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::{BuildInfo, ScheduledPage};

    fn target(name: &str, prefix: &str, preview: bool) -> Target {
        let mut config = String::from("publish:\n  targets:\n");
        config.push_str(&format!(
            "    {name}:\n      url: s3://bucket/{prefix}\n      preview: {preview}\n"
        ));
        let mut c = crate::config::parse(&format!("title: T\nbase_url: https://e.org/\n{config}"))
            .unwrap()
            .publish;
        c.targets.remove(0)
    }

    fn manifest(build: BuildInfo) -> Manifest {
        Manifest {
            build,
            ..Manifest::default()
        }
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// A build in a temp folder and its manifest, for plan and apply against a store in
    /// memory.
    fn built(files: &[(&str, &[u8])]) -> (tempfile::TempDir, Manifest) {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Manifest::default();
        for (path, bytes) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, bytes).unwrap();
            m.files.insert(
                crate::slug::OutputPath::new(*path).unwrap(),
                crate::write::FileEntry {
                    size: bytes.len() as u64,
                    md5: md5_hex(bytes),
                },
            );
        }
        (dir, m)
    }

    fn plan_and_apply(
        store: &store::memory::MemoryStore,
        files: &[(&str, &[u8])],
        allow_deletes: usize,
    ) -> (PublishPlan, Result<Applied, PublishError>) {
        let (dir, manifest) = built(files);
        let t = target("live", "", false);
        let mut opts = PublishOptions::new(dir.path());
        opts.allow_deletes = Some(allow_deletes);
        let plan = make_plan(store, &t, &[], &manifest, &opts, Vec::new()).unwrap();
        let sent = Mutex::new(Vec::new());
        let applied = apply(store, &t, &manifest, dir.path(), &plan, &sent, &|_| {});
        (plan, applied)
    }

    /// Where each request of the store's log is, by what it starts with.
    fn at(log: &[String], entry: &str) -> usize {
        log.iter()
            .position(|l| l == entry)
            .unwrap_or_else(|| panic!("no `{entry}` in {log:#?}"))
    }

    #[test]
    fn apply_sends_assets_then_pages_then_listings_and_deletes_last() {
        let store = store::memory::MemoryStore::with(&[
            ("old.html", b"<p>old</p>"),
            ("index.html", b"<p>stale</p>"),
            ("a/index.html", b"<p>page</p>"),
        ]);
        let files: &[(&str, &[u8])] = &[
            ("index.html", b"<p>new</p>"),
            ("a/index.html", b"<p>page</p>"),
            ("b/index.html", b"<p>b</p>"),
            ("css/main.1a2b3c4d.css", b"p{}"),
            ("photo.jpg", b"\xff\xd8\xff"),
            ("atom.xml", b"<feed/>"),
        ];
        let (plan, applied) = plan_and_apply(&store, files, 1);
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.deletes, ["old.html"]);
        let order: Vec<&str> = plan.uploads.iter().map(|u| u.path.as_str()).collect();
        assert_eq!(
            order,
            [
                "css/main.1a2b3c4d.css",
                "photo.jpg",
                "b/index.html",
                "index.html",
                "atom.xml"
            ]
        );
        assert_eq!(
            applied.unwrap(),
            Applied {
                uploaded: 5,
                bytes: 31,
                copied: 0,
                deleted: 1
            }
        );
        let log = store.log();
        for asset in ["PUT css/main.1a2b3c4d.css", "PUT photo.jpg"] {
            for page in ["PUT index.html", "PUT b/index.html"] {
                assert!(at(&log, asset) < at(&log, page), "{log:#?}");
                assert!(at(&log, page) < at(&log, "PUT atom.xml"), "{log:#?}");
            }
        }
        assert!(at(&log, "PUT atom.xml") < at(&log, "DELETE old.html"));
        let objects = store.objects.lock().unwrap();
        assert_eq!(objects.len(), files.len());
        for (path, bytes) in files {
            assert_eq!(objects[*path].bytes, *bytes, "{path}");
        }
        assert_eq!(
            objects["index.html"].content_type,
            "text/html; charset=utf-8"
        );
        assert_eq!(
            objects["css/main.1a2b3c4d.css"].cache_control, "public, max-age=300, must-revalidate",
            "not listed as fingerprinted in this manifest"
        );
    }

    #[test]
    fn a_moved_file_is_copied_on_the_store_not_sent_again() {
        let pdf: &[u8] = b"%PDF-1.7 a report of some length";
        let store = store::memory::MemoryStore::with(&[
            ("reports/old/plan.pdf", pdf),
            ("a.html", b"<p>one</p>"),
        ]);
        // a.html changes; b.html takes a.html's old bytes, but a.html is overwritten in this
        // run, so b.html is sent, not copied from it.
        let (plan, applied) = plan_and_apply(
            &store,
            &[
                ("reports/2026/plan.pdf", pdf),
                ("a.html", b"<p>two</p>"),
                ("b.html", b"<p>one</p>"),
            ],
            1,
        );
        let copy = plan
            .uploads
            .iter()
            .find(|u| u.path == "reports/2026/plan.pdf")
            .unwrap();
        assert_eq!(copy.copy_from.as_deref(), Some("reports/old/plan.pdf"));
        assert!(
            plan.uploads
                .iter()
                .filter(|u| u.path != copy.path)
                .all(|u| u.copy_from.is_none())
        );
        assert_eq!(plan.deletes, ["reports/old/plan.pdf"]);
        assert!(describe_plan(&plan).contains(
            "copy    reports/2026/plan.pdf  (new, the same bytes as reports/old/plan.pdf, copied on the store)"
        ));
        assert_eq!(
            applied.unwrap(),
            Applied {
                uploaded: 2,
                bytes: 20,
                copied: 1,
                deleted: 1
            }
        );
        let log = store.log();
        assert!(
            at(&log, "COPY reports/old/plan.pdf → reports/2026/plan.pdf")
                < at(&log, "DELETE reports/old/plan.pdf")
        );
        let objects = store.objects.lock().unwrap();
        assert_eq!(objects["reports/2026/plan.pdf"].bytes, pdf);
        assert_eq!(
            objects["reports/2026/plan.pdf"].content_type,
            "application/pdf"
        );
        assert!(!objects.contains_key("reports/old/plan.pdf"));
    }

    #[test]
    fn a_failure_stops_the_phases_after_it_and_deletes_nothing() {
        let store = store::memory::MemoryStore::with(&[("gone.html", b"x")]);
        store.failing.lock().unwrap().insert(
            "photo.jpg".into(),
            StoreError::Unavailable("503 SlowDown (4 attempts)".into()),
        );
        let (_, applied) = plan_and_apply(
            &store,
            &[("photo.jpg", b"\xff\xd8"), ("index.html", b"<p>x</p>")],
            1,
        );
        match applied {
            Err(PublishError::Environment(m)) => {
                assert!(m.contains("503 SlowDown"), "{m}");
                assert!(m.contains("no page was published"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        let log = store.log();
        assert!(
            !log.iter()
                .any(|l| l == "PUT index.html" || l.starts_with("DELETE")),
            "{log:#?}"
        );
    }

    #[test]
    fn deletes_beyond_the_allowance_wait_for_permission_after_the_uploads() {
        let store = store::memory::MemoryStore::with(&[("a.html", b"a"), ("b.html", b"b")]);
        let (plan, applied) = plan_and_apply(&store, &[("index.html", b"<p>x</p>")], 1);
        assert!(plan.deletes_blocked());
        match applied {
            Err(PublishError::Refused(m)) => {
                assert!(m.contains("--allow-deletes 2"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        let log = store.log();
        assert!(log.contains(&"PUT index.html".to_string()), "{log:#?}");
        assert!(!log.iter().any(|l| l.starts_with("DELETE")), "{log:#?}");
    }

    #[test]
    fn the_embargo_guard_checks_every_page_against_the_publish_time() {
        let live = target("live", "", false);
        let page = |publish_at: Option<&str>, expire_at: Option<&str>| ScheduledPage {
            source: "content/a.md".into(),
            output: "a/index.html".into(),
            publish_at: publish_at.map(str::to_string),
            expire_at: expire_at.map(str::to_string),
        };
        let now = ts("2026-06-01T12:00:00Z");
        // Live, and one that went live earlier: fine.
        let ok = manifest(BuildInfo {
            scheduled: vec![page(
                Some("2026-06-01T12:00:00Z"),
                Some("2027-01-01T00:00:00Z"),
            )],
            ..BuildInfo::default()
        });
        assert!(embargo_guard(&ok, &live, now).unwrap().is_empty());
        // Built on a machine whose clock ran ahead: the page is not live yet here.
        let early = manifest(BuildInfo {
            scheduled: vec![page(Some("2026-06-01T12:00:01Z"), None)],
            ..BuildInfo::default()
        });
        let e = embargo_guard(&early, &live, now).unwrap_err().to_string();
        assert!(
            e.contains("content/a.md is embargoed until 2026-06-01T12:00:01Z"),
            "{e}"
        );
        // Expired since the build.
        let mut stale = manifest(BuildInfo {
            scheduled: vec![page(None, Some("2026-06-01T11:00:00Z"))],
            next_change: Some("2026-06-01T11:00:00Z".into()),
            ..BuildInfo::default()
        });
        let e = embargo_guard(&stale, &live, now).unwrap_err().to_string();
        assert!(e.contains("expired at 2026-06-01T11:00:00Z"), "{e}");
        // A preview target takes any preview build, with a note when it is out of date...
        let preview = target("staging", "staging", true);
        let e = embargo_guard(&stale, &preview, now)
            .unwrap_err()
            .to_string();
        assert!(e.contains("placard build --preview"), "{e}");
        stale.build.preview = true;
        let notes = embargo_guard(&stale, &preview, now).unwrap();
        assert!(notes[0].contains("out of date"), "{notes:?}");
        // ...and a build with drafts only there.
        let drafts = manifest(BuildInfo {
            drafts: true,
            preview: true,
            ..BuildInfo::default()
        });
        assert!(embargo_guard(&drafts, &live, now).is_err());
        assert!(embargo_guard(&drafts, &preview, now).is_ok());
        let future = manifest(BuildInfo {
            as_of: Some("2026-06-02T00:00:00Z".into()),
            ..BuildInfo::default()
        });
        assert!(
            embargo_guard(&future, &live, now)
                .unwrap_err()
                .to_string()
                .contains("still in the future")
        );
        let preview_only = manifest(BuildInfo {
            preview: true,
            ..BuildInfo::default()
        });
        let e = embargo_guard(&preview_only, &live, now)
            .unwrap_err()
            .to_string();
        assert!(e.contains("built with --preview"), "{e}");
        let garbled = manifest(BuildInfo {
            scheduled: vec![page(Some("next tuesday"), None)],
            ..BuildInfo::default()
        });
        let e = embargo_guard(&garbled, &live, now).unwrap_err().to_string();
        assert!(e.contains("cannot read (next tuesday)"), "{e}");
        let past = manifest(BuildInfo {
            as_of: Some("2026-05-01T00:00:00Z".into()),
            ..BuildInfo::default()
        });
        assert!(embargo_guard(&past, &live, now).is_ok());
        // Made --as-of a time then in the future, published once that time has passed: still a
        // preview build, with its banner and noindex, so still refused.
        let was_future = manifest(BuildInfo {
            as_of: Some("2026-05-01T00:00:00Z".into()),
            preview: true,
            ..BuildInfo::default()
        });
        let e = embargo_guard(&was_future, &live, now)
            .unwrap_err()
            .to_string();
        assert!(e.contains("preview build (made --as-of 2026-05-01"), "{e}");
        assert!(embargo_guard(&was_future, &preview, now).is_ok());
    }

    #[test]
    fn progress_waits_a_second_then_shows_once_a_second() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut gate = ProgressGate::new(t0);
        let shown: Vec<u64> = [0, 200, 999, 1000, 1100, 1999, 2000, 2500, 3100, 9000]
            .into_iter()
            .filter(|&ms| gate.admit(at(ms)))
            .collect();
        assert_eq!(shown, [1000, 2000, 3100, 9000]);
    }

    #[test]
    fn a_heartbeat_reports_while_one_upload_is_slow() {
        let beats = Mutex::new(0);
        let progress = |_: Progress| *beats.lock().unwrap() += 1;
        let now = || Progress::Deleted {
            files: 0,
            of_files: 1,
        };
        let r = with_heartbeat(&progress, now, || {
            std::thread::sleep(Duration::from_millis(700));
            7
        });
        assert_eq!(r, 7);
        assert!(*beats.lock().unwrap() >= 2);
    }

    #[test]
    fn the_plan_compares_etags_and_falls_back_to_the_stored_md5() {
        use crate::write::FileEntry;
        let entry = |md5: &str, size: u64| FileEntry {
            size,
            md5: md5.into(),
        };
        let mut m = Manifest::default();
        for (path, md5) in [
            ("css/main.1a2b3c4d.css", "aaaa"),
            ("index.html", "bbbb"),
            ("big.pdf", "cccc"),
            ("kms.html", "dddd"),
            ("changed.html", "eeee"),
            ("new.html", "ffff"),
            ("atom.xml", "9999"),
        ] {
            m.files
                .insert(crate::slug::OutputPath::new(path).unwrap(), entry(md5, 10));
        }
        let object = |path: &str, etag: &str, size: u64| {
            (
                path.to_string(),
                RemoteObject {
                    path: path.into(),
                    etag: etag.into(),
                    size,
                },
            )
        };
        let remote: HashMap<String, RemoteObject> = [
            object("css/main.1a2b3c4d.css", "aaaa", 10),
            object("index.html", "bbbb", 10),
            // Uploaded in parts: the ETag is no MD5, the stored one matches.
            object("big.pdf", "0123abcd-3", 10),
            // Encrypted with the store's keys: same size, another ETag, stored MD5 matches.
            object("kms.html", "7777", 10),
            // Same size, other ETag, stored MD5 differs: changed.
            object("changed.html", "1234", 10),
            object("atom.xml", "9999", 11),
            object("gone.html", "5555", 10),
        ]
        .into_iter()
        .collect();
        let ask = needs_stored_md5(&m, &remote);
        assert_eq!(ask, ["big.pdf", "changed.html", "kms.html"]);
        let stored: HashMap<String, Option<String>> = [
            ("big.pdf".to_string(), Some("cccc".to_string())),
            ("kms.html".to_string(), Some("dddd".to_string())),
            ("changed.html".to_string(), Some("0000".to_string())),
        ]
        .into_iter()
        .collect();
        let (uploads, unchanged, deletes) = compare(&m, remote.clone(), &stored, false);
        let planned: Vec<(&str, Reason, Phase)> = uploads
            .iter()
            .map(|u| (u.path.as_str(), u.reason, u.phase))
            .collect();
        assert_eq!(
            planned,
            [
                ("changed.html", Reason::Changed, Phase::Pages),
                ("new.html", Reason::New, Phase::Pages),
                ("atom.xml", Reason::Changed, Phase::Listings),
            ]
        );
        assert_eq!(unchanged, 4);
        assert_eq!(deletes, ["gone.html"]);
        // --force sends the unchanged ones too, still assets first.
        let (uploads, unchanged, _) = compare(&m, remote, &stored, true);
        assert_eq!(unchanged, 0);
        assert_eq!(uploads[0].path, "big.pdf");
        assert_eq!(uploads[0].reason, Reason::Forced);
        assert!(uploads.windows(2).all(|w| w[0].phase <= w[1].phase));
    }

    #[test]
    fn targets_inside_a_target_are_not_its_to_delete() {
        let c = crate::config::parse(
            "title: T\nbase_url: https://e.org/\npublish:\n  default: live\n  targets:\n    live:\n      url: s3://bbb\n    preview:\n      url: s3://bbb/preview\n    other:\n      url: s3://ccc/x\n",
        )
        .unwrap()
        .publish;
        let live = &c.targets[0];
        assert_eq!(nested_prefixes(&c, live), ["preview/"]);
        assert!(nested_prefixes(&c, &c.targets[1]).is_empty());
    }

    /// A doctored manifest cannot make publish read (and upload) a file from elsewhere: every
    /// path in it is an output path, checked as it is read.
    #[test]
    fn manifest_paths_stay_inside_the_output() {
        let read = |path: &str| {
            let text = format!(
                "{{\"generator\":\"placard\",\"version\":\"0\",\"build\":{{\"drafts\":false,\"as_of\":null,\"next_change\":null}},\"files\":{{{}:{{\"size\":1,\"md5\":\"x\"}}}}}}",
                serde_json::Value::from(path)
            );
            serde_json::from_str::<Manifest>(&text)
        };
        for good in ["a/b.html", "index.html", ".well-known/x"] {
            assert!(read(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "a\\b",
            "./a",
            "con/index.html",
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn purge_paths_name_folders_and_files() {
        let config = crate::config::parse("title: T\nbase_url: https://e.org/campaign/\n").unwrap();
        assert_eq!(
            purge_paths(
                &config,
                &["index.html", "a/b/index.html", "css/x.css", "ca fé/x?.pdf"]
            ),
            [
                "/campaign/",
                "/campaign/a/b/",
                "/campaign/a/b/index.html",
                "/campaign/ca%20f%C3%A9/x%3F.pdf",
                "/campaign/css/x.css",
                "/campaign/index.html"
            ]
        );
    }
}
