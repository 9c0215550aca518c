//! The recipe: load → parse → assemble → render → write. `build` is the one function that
//! calls the stages in order; `render_site` stops before writing (for `check` and `serve`).

use crate::assemble::{self, Site};
use crate::config::{self, SiteConfig};
use crate::diagnostic::{self, Diagnostic};
use crate::load;
use crate::parse;
use crate::render::theme::Theme;
use crate::render::{self, Outputs};
use crate::schedule::Schedule;
use crate::write::{self, BuildInfo, Manifest, WriteReport};
use jiff::Timestamp;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// How to build.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// The site folder.
    pub root: PathBuf,
    /// Output folder; `public/` in the site by default.
    pub output: Option<PathBuf>,
    /// Include drafts.
    pub drafts: bool,
    /// Mark the build as a preview (noindex on every page, robots.txt disallows all) without
    /// drafts or `as_of`: for a staging target.
    pub preview: bool,
    /// Build the site as it will be at this instant (`2026-03-03T09:30`, site time zone
    /// unless an offset is given).
    pub as_of: Option<String>,
    /// Replace site.yaml's `base_url` (for previews on another host).
    pub base_url: Option<String>,
    /// The current time (a parameter so tests can fix it).
    pub now: Timestamp,
}

impl BuildOptions {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        BuildOptions {
            root: root.into(),
            output: None,
            drafts: false,
            preview: false,
            as_of: None,
            base_url: None,
            now: Timestamp::now(),
        }
    }

    pub fn output_dir(&self) -> PathBuf {
        self.output
            .clone()
            .unwrap_or_else(|| self.root.join("public"))
    }
}

/// Why a build failed, by whose fault (which sets the exit code).
#[derive(Debug)]
pub enum BuildError {
    /// Errors in the site's content, settings or templates (exit 1). Holds warnings too.
    Content(Vec<Diagnostic>),
    /// A bad command-line value (exit 2).
    Usage(String),
    /// The disk or the system failed us (exit 3).
    Environment(String),
}

/// A rendered site, in memory.
pub struct Rendered {
    pub config: SiteConfig,
    pub site: Site,
    pub outputs: Outputs,
    /// How it was built, for its [`Rendered::manifest`].
    pub build: BuildInfo,
    /// Warnings (errors make the build fail instead).
    pub warnings: Vec<Diagnostic>,
}

/// A site written to its output folder.
pub struct Built {
    pub config: SiteConfig,
    pub site: Site,
    pub manifest: Manifest,
    pub report: WriteReport,
    pub warnings: Vec<Diagnostic>,
}

/// Everything up to rendering: the assembled site and the compiled theme.
struct Prepared {
    config: SiteConfig,
    site: Site,
    theme: Theme,
    schedule: Schedule,
    build: BuildInfo,
    warnings: Vec<Diagnostic>,
    /// The template files, for `check` (empty otherwise).
    templates: Vec<load::TemplateFile>,
}

/// Parsed pages kept between builds by `serve`: a content file whose size and modification time
/// are unchanged is not read or parsed again, as long as site.yaml and the theme's templates and
/// schema (which parsing depends on) are unchanged too.
#[derive(Default)]
pub struct ParseCache {
    /// A hash of site.yaml, theme.yaml and every template's text.
    inputs: u64,
    /// The last full load (content files are listed there, not read) and the site.yaml it was
    /// made with.
    sources: Option<load::Sources>,
    config_text: String,
    files: HashMap<String, CachedFile>,
}

struct CachedFile {
    stamp: Stamp,
    page: Option<parse::Page>,
    diagnostics: Vec<Diagnostic>,
}

/// What tells a file has changed: its size and modification time (nanoseconds).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamp(u64, Option<std::time::SystemTime>);

impl ParseCache {
    fn inputs_of(sources: &load::Sources) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        sources.config_text.hash(&mut h);
        sources.theme_manifest.hash(&mut h);
        for t in &sources.templates {
            (&t.name, &t.text).hash(&mut h);
        }
        h.finish()
    }
}

/// Parses every content file, through `cache` when there is one.
fn parse_files(
    files: Vec<load::ContentFile>,
    config: &SiteConfig,
    theme: &Theme,
    cache: Option<&mut ParseCache>,
    inputs: u64,
    mode: parse::Mode,
) -> Result<(Vec<parse::Page>, Vec<Diagnostic>), BuildError> {
    let env = |e: load::IoFailure| BuildError::Environment(e.0);
    let Some(cache) = cache else {
        return parse::parse_all(
            files,
            load::read_content,
            config,
            &theme.manifest,
            theme,
            mode,
        )
        .map_err(env);
    };
    if cache.inputs != inputs {
        cache.files.clear();
        cache.inputs = inputs;
    }
    // Unchanged files come from the cache (cloned: the later stages consume their pages);
    // changed ones are read and parsed, and replace their entries.
    let old = &cache.files;
    let results: Vec<(String, Result<&CachedFile, CachedFile>)> = files
        .into_par_iter()
        .map(|f| {
            let stamp = std::fs::metadata(&f.file)
                .map(|m| Stamp(m.len(), m.modified().ok()))
                .map_err(|e| {
                    BuildError::Environment(format!("cannot read {}: {e}", f.source_path))
                })?;
            if let Some(hit) = old.get(&f.source_path)
                && hit.stamp == stamp
                && stamp.1.is_some()
            {
                return Ok((f.source_path, Ok(hit)));
            }
            let bytes = load::read_content(&f).map_err(env)?;
            let key = f.source_path.clone();
            let (page, diagnostics) =
                parse::parse_one(bytes, f, config, &theme.manifest, theme, mode);
            Ok((
                key,
                Err(CachedFile {
                    stamp,
                    page,
                    diagnostics,
                }),
            ))
        })
        .collect::<Result<_, BuildError>>()?;
    let mut pages = Vec::with_capacity(results.len());
    let mut diagnostics = Vec::new();
    let mut fresh = Vec::new();
    let mut seen = HashSet::with_capacity(results.len());
    for (key, entry) in results {
        let file = match &entry {
            Ok(hit) => *hit,
            Err(parsed) => parsed,
        };
        diagnostics.extend(file.diagnostics.iter().cloned());
        pages.extend(file.page.clone());
        seen.insert(key.clone());
        if let Err(parsed) = entry {
            fresh.push((key, parsed));
        }
    }
    cache.files.retain(|k, _| seen.contains(k));
    cache.files.extend(fresh);
    Ok((pages, diagnostics))
}

/// load → parse → assemble. In [`parse::Mode::Check`] content errors do not stop it: the
/// pages without errors go on, so that `check` reports everything in one run.
fn prepare(
    opts: &BuildOptions,
    mut cache: Option<&mut ParseCache>,
    reuse_sources: bool,
    mode: parse::Mode,
) -> Result<Prepared, BuildError> {
    let config_text =
        match load::read_config(&opts.root).map_err(|e| BuildError::Environment(e.0))? {
            Ok(t) => t,
            Err(d) => return Err(BuildError::Content(vec![d])),
        };
    let mut config = config::parse(&config_text).map_err(BuildError::Content)?;
    if let Some(url) = &opts.base_url {
        config.base_url = config::normalise_base_url(url)
            .map_err(|m| BuildError::Usage(format!("--base-url: {m}")))?;
    }
    let as_of = match &opts.as_of {
        None => opts.now,
        Some(text) => {
            crate::time::parse_when(text, &config.tz)
                .map_err(|m| BuildError::Usage(format!("--as-of: {m}")))?
                .at
        }
    };
    let schedule = Schedule {
        as_of,
        now: opts.now,
        drafts: opts.drafts,
        preview: opts.preview,
    };

    // With `reuse_sources` (only content files the cache knows changed), the file listing,
    // templates and theme files of the last full load are used again instead of re-reading them.
    let reused = match cache.as_deref() {
        Some(c) if reuse_sources && c.config_text == config_text => c.sources.clone(),
        _ => None,
    };
    let mut sources = match reused {
        Some(s) => s,
        None => {
            let s = load::load(&opts.root, config_text.clone(), &config.theme)
                .map_err(|e| BuildError::Environment(e.0))?;
            if let Some(c) = cache.as_deref_mut() {
                c.sources = Some(s.clone());
                c.config_text = config_text;
            }
            s
        }
    };
    let mut diagnostics = std::mem::take(&mut sources.diagnostics);
    if diagnostics
        .iter()
        .any(|d| d.is_error() && d.path.as_deref() == Some(config::FILE))
    {
        return Err(fail(diagnostics));
    }
    let theme = match Theme::compile(&sources, &config) {
        Ok(t) => t,
        Err(mut e) => {
            diagnostics.append(&mut e);
            return Err(fail(diagnostics));
        }
    };

    let all_content: Vec<String> = sources
        .content
        .iter()
        .map(|c| c.content_path.clone())
        .collect();
    let inputs = ParseCache::inputs_of(&sources);
    let (pages, mut d) = parse_files(
        std::mem::take(&mut sources.content),
        &config,
        &theme,
        cache,
        inputs,
        mode,
    )?;
    diagnostics.append(&mut d);
    let parsed: HashSet<&str> = pages.iter().map(|p| p.content_path.as_str()).collect();
    let broken: HashSet<String> = all_content
        .into_iter()
        .filter(|c| !parsed.contains(c.as_str()))
        .collect();
    let next_change = next_change(&pages, &schedule);

    let theme_outputs: Vec<String> = theme.assets.values().map(|a| a.output.clone()).collect();
    let template_names: HashSet<String> = theme.template_names().map(str::to_string).collect();
    let (site, mut d) = assemble::assemble(
        &config,
        pages,
        &sources.assets,
        &broken,
        &theme_outputs,
        &template_names,
        &schedule,
    );
    diagnostics.append(&mut d);
    if mode == parse::Mode::Build && diagnostics.iter().any(Diagnostic::is_error) {
        return Err(fail(diagnostics));
    }
    let build = BuildInfo {
        drafts: opts.drafts,
        as_of: opts.as_of.as_ref().map(|_| as_of.to_string()),
        next_change: next_change.map(|t| t.to_string()),
        preview: schedule.is_preview(),
        scheduled: scheduled_pages(&site),
        redirects: site
            .aliases
            .iter()
            .map(|a| {
                let target = format!("{}{}", config.base_path(), a.target.trim_start_matches('/'));
                (crate::slug::output_file(&a.path), target)
            })
            .collect(),
        fingerprinted: theme_outputs,
    };
    let templates = match mode {
        parse::Mode::Check => std::mem::take(&mut sources.templates),
        parse::Mode::Build => Vec::new(),
    };
    Ok(Prepared {
        config,
        site,
        theme,
        schedule,
        build,
        warnings: diagnostics,
        templates,
    })
}

/// Runs every stage but `write`, keeping the outputs in memory (for `check` and `serve`).
pub fn render_site(opts: &BuildOptions) -> Result<Rendered, BuildError> {
    render_site_cached(opts, None, None)
}

/// [`render_site`], re-parsing only the content files changed since the cache was filled; with
/// `focus` (site-relative source paths), rendering only the pages made from those files (see
/// [`render::render_focused`]): `outputs` then holds just those.
pub fn render_site_cached(
    opts: &BuildOptions,
    cache: Option<&mut ParseCache>,
    focus: Option<&HashSet<String>>,
) -> Result<Rendered, BuildError> {
    let Prepared {
        config,
        mut site,
        theme,
        schedule,
        build,
        mut warnings,
        ..
    } = prepare(opts, cache, focus.is_some(), parse::Mode::Build)?;
    let (outputs, mut d) =
        render::render_to_map_focused(&mut site, &theme, &config, &schedule, focus);
    warnings.append(&mut d);
    if warnings.iter().any(Diagnostic::is_error) {
        return Err(fail(warnings));
    }
    diagnostic::sort(&mut warnings);
    Ok(Rendered {
        config,
        site,
        outputs,
        build,
        warnings,
    })
}

/// What `check` works on: the site rendered in memory with source marks in its HTML
/// ([`parse::Mode::Check`]), and every diagnostic of the run, errors included.
pub struct CheckInput {
    pub config: SiteConfig,
    pub site: Site,
    pub outputs: Outputs,
    /// For each HTML output made from a template: the source it was made for and the template.
    pub pages: Vec<render::PageOutput>,
    pub templates: Vec<load::TemplateFile>,
    pub schedule: Schedule,
    pub diagnostics: Vec<Diagnostic>,
}

/// Every stage but `write`, for `check`: pages with errors are left out and the rest go on, so
/// that one run reports everything. Fails only when nothing can be rendered at all (site.yaml or
/// the theme are broken) or the disk fails.
pub fn render_for_check(opts: &BuildOptions) -> Result<CheckInput, BuildError> {
    let Prepared {
        config,
        mut site,
        theme,
        schedule,
        mut warnings,
        templates,
        ..
    } = prepare(opts, None, false, parse::Mode::Check)?;
    let pages = render::page_outputs(&site);
    // Rendering moves each page's theme keys into the template values when it is the only
    // holder of its front matter; check's rules still need them, so it holds them too.
    let kept: Vec<std::sync::Arc<parse::front_matter::FrontMatter>> = site
        .pages
        .iter()
        .map(|p| p.page.front.clone())
        .chain(
            site.sections
                .iter()
                .filter_map(|s| Some(s.page.as_ref()?.front.clone())),
        )
        .collect();
    let (outputs, mut d) = render::render_to_map(&mut site, &theme, &config, &schedule);
    drop(kept);
    warnings.append(&mut d);
    Ok(CheckInput {
        config,
        site,
        outputs,
        pages,
        templates,
        schedule,
        diagnostics: warnings,
    })
}

impl Rendered {
    /// Every output with its size and MD5 (hashing them all takes a while on a big site, so
    /// only when asked).
    pub fn manifest(&self) -> Manifest {
        write::manifest(&self.outputs, self.build.clone())
    }
}

/// Builds the site into its output folder: each page is written to a staging folder as soon as
/// it is rendered, and the staging folder replaces the output only when everything succeeded.
/// On any error the output folder is left as it was.
pub fn build(opts: &BuildOptions) -> Result<Built, BuildError> {
    let out = opts.output_dir();
    let env = |e: write::WriteError| match e {
        write::WriteError::Refused(m) => BuildError::Usage(m),
        write::WriteError::Io(m) => BuildError::Environment(m),
    };
    write::check_output_dir(&opts.root, &out).map_err(env)?;
    let Prepared {
        config,
        mut site,
        theme,
        schedule,
        build,
        mut warnings,
        ..
    } = prepare(opts, None, false, parse::Mode::Build)?;
    let stager = write::Stager::begin(&out).map_err(env)?;
    let sink = |path: &str, bytes: &[u8]| stager.put(path, bytes).map_err(|e| e.to_string());
    let mut d = render::render(&mut site, &theme, &config, &schedule, &sink)
        .map_err(BuildError::Environment)?;
    warnings.append(&mut d);
    if warnings.iter().any(Diagnostic::is_error) {
        // Dropping the stager removes what was staged; the output folder is untouched.
        return Err(fail(warnings));
    }
    diagnostic::sort(&mut warnings);
    let manifest = stager.manifest(build);
    let report = stager.finish(&manifest).map_err(env)?;
    Ok(Built {
        config,
        site,
        manifest,
        report,
        warnings,
    })
}

fn fail(mut diagnostics: Vec<Diagnostic>) -> BuildError {
    diagnostic::sort(&mut diagnostics);
    BuildError::Content(diagnostics)
}

/// One page's place in the schedule, for `placard status`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PageStatus {
    /// Site-relative source file.
    pub source: String,
    pub title: String,
    /// `live`, `draft`, `embargoed` or `expired`, at the status's instant.
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_by: Option<String>,
    /// `review_by` is before the status's instant.
    pub past_review: bool,
    /// The section (`content/news/_index.md`) whose own state this page shares: a draft,
    /// embargoed or expired section takes everything under it along.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_by: Option<String>,
}

/// What is live when, for `placard status`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Status {
    /// The instant the states are for.
    pub as_of: String,
    /// The first instant after `as_of` at which the built site changes (a page going live or
    /// expiring; drafts wait for a person, so they never count).
    pub next_change: Option<String>,
    /// The page that changes then, and how.
    pub next_change_reason: Option<String>,
    /// Every page and section page, by source path.
    pub pages: Vec<PageStatus>,
}

/// Reads and parses every page (live or not) and says where each stands at the options'
/// instant (`as_of`, or now). Content errors fail it as they fail a build.
pub fn status(opts: &BuildOptions) -> Result<(Status, Vec<Diagnostic>), BuildError> {
    let config_text =
        match load::read_config(&opts.root).map_err(|e| BuildError::Environment(e.0))? {
            Ok(t) => t,
            Err(d) => return Err(BuildError::Content(vec![d])),
        };
    let config = config::parse(&config_text).map_err(BuildError::Content)?;
    let as_of = match &opts.as_of {
        None => opts.now,
        Some(text) => {
            crate::time::parse_when(text, &config.tz)
                .map_err(|m| BuildError::Usage(format!("--as-of: {m}")))?
                .at
        }
    };
    let mut sources = load::load(&opts.root, config_text, &config.theme)
        .map_err(|e| BuildError::Environment(e.0))?;
    let mut diagnostics = std::mem::take(&mut sources.diagnostics);
    let theme = match Theme::compile(&sources, &config) {
        Ok(t) => t,
        Err(mut e) => {
            diagnostics.append(&mut e);
            return Err(fail(diagnostics));
        }
    };
    let (pages, mut d) = parse::parse_all(
        std::mem::take(&mut sources.content),
        load::read_content,
        &config,
        &theme.manifest,
        &theme,
        parse::Mode::Build,
    )
    .map_err(|e| BuildError::Environment(e.0))?;
    diagnostics.append(&mut d);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(fail(diagnostics));
    }
    let today = config.tz.to_datetime(as_of).date();
    // A draft is a draft whatever its dates say: it waits for a person.
    let own_state = |f: &parse::front_matter::FrontMatter| match crate::schedule::state(f, as_of) {
        _ if f.draft => "draft",
        crate::schedule::State::Live => "live",
        crate::schedule::State::Draft => "draft",
        crate::schedule::State::Embargoed { .. } => "embargoed",
        crate::schedule::State::Expired { .. } => "expired",
    };
    // Sections that are not live, by folder (the home page's `_index.md` hides nothing).
    let held: Vec<(&str, &str, &str)> = pages
        .iter()
        .filter(|p| p.is_section && !p.dir.is_empty())
        .map(|p| (p.dir.as_str(), p.source_path.as_str(), own_state(&p.front)))
        .filter(|(_, _, state)| *state != "live")
        .collect();
    let mut out: Vec<PageStatus> = pages
        .iter()
        .map(|p| {
            let f = &p.front;
            let mut state = own_state(f);
            let mut held_by = None;
            // The outermost section that is not live decides, as it does for a build.
            if let Some((_, source, section_state)) = held
                .iter()
                .filter(|(dir, source, _)| {
                    *source != p.source_path
                        && (p.dir == *dir
                            || p.dir.strip_prefix(dir).is_some_and(|r| r.starts_with('/')))
                })
                .min_by_key(|(dir, _, _)| dir.len())
                && state == "live"
            {
                state = section_state;
                held_by = Some(source.to_string());
            }
            PageStatus {
                source: p.source_path.clone(),
                title: f.title.clone(),
                state,
                publish_at: f.publish_at.as_ref().map(|w| w.at.to_string()),
                expire_at: f.expire_at.as_ref().map(|w| w.at.to_string()),
                review_by: f.review_by.map(|d| d.to_string()),
                past_review: f.review_by.is_some_and(|d| d < today),
                held_by,
            }
        })
        .collect();
    out.sort_by(|a, b| a.source.cmp(&b.source));
    let schedule = Schedule {
        as_of,
        now: opts.now,
        drafts: false,
        preview: false,
    };
    let next = next_change(&pages, &schedule);
    let reason = next.and_then(|t| {
        pages.iter().filter(|p| !p.front.draft).find_map(|p| {
            let f = &p.front;
            if f.publish_at.as_ref().is_some_and(|w| w.at == t) {
                Some(format!("{} goes live", p.source_path))
            } else if f.expire_at.as_ref().is_some_and(|w| w.at == t) {
                Some(format!("{} expires", p.source_path))
            } else {
                None
            }
        })
    });
    diagnostic::sort(&mut diagnostics);
    Ok((
        Status {
            as_of: as_of.to_string(),
            next_change: next.map(|t| t.to_string()),
            next_change_reason: reason,
            pages: out,
        },
        diagnostics,
    ))
}

/// Every page of the site (sections included) with a `publish_at` or `expire_at`.
fn scheduled_pages(site: &Site) -> Vec<write::ScheduledPage> {
    let sections = site
        .sections
        .iter()
        .filter_map(|s| s.page.as_ref().map(|p| (p, &s.path)));
    let pages = site.pages.iter().map(|p| (&p.page, &p.path));
    sections
        .chain(pages)
        .filter(|(p, _)| p.front.publish_at.is_some() || p.front.expire_at.is_some())
        .map(|(p, path)| write::ScheduledPage {
            source: p.source_path.clone(),
            output: crate::slug::output_file(path),
            publish_at: p.front.publish_at.as_ref().map(|w| w.at.to_string()),
            expire_at: p.front.expire_at.as_ref().map(|w| w.at.to_string()),
        })
        .collect()
}

/// The first instant after `as_of` at which some page goes live or expires.
fn next_change(pages: &[parse::Page], schedule: &Schedule) -> Option<Timestamp> {
    let as_of = schedule.as_of;
    pages
        .iter()
        .filter(|p| schedule.drafts || !p.front.draft)
        .flat_map(|p| [p.front.publish_at.as_ref(), p.front.expire_at.as_ref()])
        .flatten()
        .map(|w| w.at)
        .filter(|t| *t > as_of)
        .min()
}
