//! The recipe: load → parse → assemble → render → write, each stage called once, in order.
//! [`prepare`] runs the stages up to rendering (every command that needs the site starts
//! there); [`build`] renders into the output folder; [`render_site`] renders into memory (for
//! `check` and `serve`). One error type, [`BuildError`], says whose fault a failure is and so
//! which exit code it gets.

use crate::assemble::{self, Routes, Site};
use crate::config::{self, SiteConfig};
use crate::diagnostic::{self, Diagnostic};
use crate::load::{self, ContentFile, TemplateFile};
use crate::parse::markdown::{Link, Links};
use crate::parse::{self, Page};
use crate::render::theme::Theme;
use crate::render::{self, Outputs};
use crate::schedule::Schedule;
use crate::slug::OutputPath;
use crate::write::{self, BuildInfo, Manifest, WriteReport};
use jiff::Timestamp;
use rayon::prelude::*;
use std::collections::HashSet;
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

/// Why a run failed, by whose fault.
#[derive(Debug)]
pub enum BuildError {
    /// Errors in the site's content, settings or templates. Holds warnings too.
    Content(Vec<Diagnostic>),
    /// A bad command-line value or output folder.
    Usage(String),
    /// The disk or the system failed us.
    Environment(String),
}

impl BuildError {
    /// The process exit code: 1 for the site's own errors, 2 for usage, 3 for the environment.
    pub fn exit_code(&self) -> u8 {
        match self {
            BuildError::Content(_) => 1,
            BuildError::Usage(_) => 2,
            BuildError::Environment(_) => 3,
        }
    }
}

impl From<load::IoFailure> for BuildError {
    fn from(e: load::IoFailure) -> Self {
        BuildError::Environment(e.0)
    }
}

/// The site ready to render: what the stages before `render` made.
pub struct Prepared {
    pub config: SiteConfig,
    pub schedule: Schedule,
    pub theme: Theme,
    pub site: Site,
    /// How the build is made, for its manifest.
    pub info: BuildInfo,
    /// Every diagnostic so far: warnings (errors too, for `check`).
    pub diagnostics: Vec<Diagnostic>,
    /// The template files, for `check`, which traces findings back to template lines (empty
    /// otherwise).
    pub templates: Vec<TemplateFile>,
    /// The URL paths of live pages whose files have errors (they make no page; `check` does not
    /// report links to them a second time).
    pub failed: HashSet<String>,
}

/// A site rendered in memory.
pub struct Rendered {
    pub prepared: Prepared,
    pub outputs: Outputs,
}

impl Rendered {
    /// Every output with its size and MD5 (hashing them all takes a while on a big site, so
    /// only when asked).
    pub fn manifest(&self) -> Manifest {
        write::manifest(&self.outputs, self.prepared.info.clone())
    }
}

/// A site written to its output folder.
pub struct Built {
    pub site: Site,
    pub manifest: Manifest,
    pub report: WriteReport,
    pub warnings: Vec<Diagnostic>,
}

/// Parsed pages kept between builds (by `serve`): a content file that has not changed since
/// it was parsed is not read again, and its page is not rendered again unless the pages its
/// links name moved.
pub trait PageCache: Sync {
    /// Forgets everything when what parsing depends on (`inputs`: a hash of site.yaml,
    /// theme.yaml and the templates) is not what it was.
    fn start(&mut self, inputs: u64);
    /// What parsing `file` gave last time, if the file is unchanged since.
    fn get(&self, file: &ContentFile) -> Result<Option<CachedFile>, BuildError>;
    /// Keeps what parsing gave this time (by source path), and forgets the files not in
    /// `present`.
    fn keep(&mut self, parsed: Vec<(String, CachedFile)>, present: &HashSet<String>);
}

/// What parsing one content file gave.
#[derive(Clone, Debug)]
pub struct CachedFile {
    /// The page, when the file has no errors.
    pub page: Option<Page>,
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the page was live, and where each of its `@/` links led, when it was rendered:
    /// while both still hold, the page is as it would be rendered now.
    pub live: bool,
    pub links: Vec<(String, Link)>,
}

/// The site read and parsed: what [`prepare`] assembles, and what `status` reports on.
pub struct Loaded {
    pub config: SiteConfig,
    pub schedule: Schedule,
    pub theme: Theme,
    pub pages: Pages,
    /// The files from `content/` that are not pages.
    pub assets: Vec<load::AssetFile>,
    /// The template files (for `check`).
    pub templates: Vec<TemplateFile>,
    /// Every diagnostic so far.
    pub diagnostics: Vec<Diagnostic>,
    /// What the site was read from, for the manifest.
    pub inputs: load::InputStamp,
}

/// load → parse: site.yaml and the schedule, the site's files, the theme compiled, every
/// content file parsed. Fails on a broken site.yaml or theme (nothing can be parsed without
/// them); content errors are in the diagnostics.
pub fn load_site(
    opts: &BuildOptions,
    mode: parse::Mode,
    cache: Option<&mut dyn PageCache>,
) -> Result<Loaded, BuildError> {
    let started = std::time::SystemTime::now();
    let (config, schedule, config_text) = read_settings(opts)?;
    let mut sources = load::load(&opts.root, config_text, &config.theme)?;
    let inputs = input_stamp(&mut sources, started);
    let mut diagnostics = std::mem::take(&mut sources.diagnostics);
    if diagnostics
        .iter()
        .any(|d| d.is_error() && d.path.as_deref() == Some(config::FILE))
    {
        return Err(fail(&opts.root, diagnostics));
    }
    let theme = match Theme::compile(&sources, &config) {
        Ok(t) => t,
        Err(mut e) => {
            diagnostics.append(&mut e);
            return Err(fail(&opts.root, diagnostics));
        }
    };
    let settings = parse::Settings {
        config: &config,
        schema: &theme.manifest,
        shortcodes: &theme,
        mode,
    };
    let parse_inputs = inputs_of(&sources);
    let files = std::mem::take(&mut sources.content);
    let mut pages = parse_pages(files, &settings, &schedule, cache, parse_inputs)?;
    diagnostics.append(&mut pages.diagnostics);
    Ok(Loaded {
        config,
        schedule,
        theme,
        pages,
        assets: sources.assets,
        templates: sources.templates,
        diagnostics,
        inputs,
    })
}

/// Runs every stage before `render`. In [`parse::Mode::Check`] content errors do not stop it:
/// the pages without errors go on, so that `check` reports everything in one run.
pub fn prepare(
    opts: &BuildOptions,
    mode: parse::Mode,
    cache: Option<&mut dyn PageCache>,
) -> Result<Prepared, BuildError> {
    let Loaded {
        config,
        schedule,
        theme,
        pages,
        assets,
        templates,
        mut diagnostics,
        inputs,
    } = load_site(opts, mode, cache)?;
    let template_names: HashSet<String> = theme.template_names().map(str::to_string).collect();
    let theme_outputs: Vec<String> = theme.assets.values().map(|a| a.output.clone()).collect();
    let parsed: HashSet<&str> = pages
        .pages
        .iter()
        .map(|p| p.file.content_path.as_str())
        .collect();
    let failed: HashSet<String> = pages
        .routes
        .live()
        .filter(|(content, _)| !parsed.contains(*content))
        .map(|(_, path)| path.to_string())
        .collect();
    let (site, mut d) = assemble::assemble(
        &config,
        pages.pages,
        &pages.routes,
        &assemble::Inputs {
            assets: &assets,
            theme_outputs: &theme_outputs,
            template_names: &template_names,
        },
    );
    diagnostics.append(&mut d);
    if mode == parse::Mode::Build && diagnostics.iter().any(Diagnostic::is_error) {
        return Err(fail(&opts.root, diagnostics));
    }
    let mut info = build_info(
        opts,
        &config,
        &schedule,
        &site,
        pages.next_change,
        theme_outputs,
    );
    info.inputs = Some(inputs);
    let templates = match mode {
        parse::Mode::Check => templates,
        parse::Mode::Build => Vec::new(),
    };
    Ok(Prepared {
        config,
        schedule,
        theme,
        site,
        info,
        diagnostics,
        templates,
        failed,
    })
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
    let prepared = prepare(opts, parse::Mode::Build, None)?;
    let stager = write::Stager::begin(&out).map_err(env)?;
    let sink = |path: &OutputPath, bytes: &[u8]| stager.put(path, bytes).map_err(|e| e.to_string());
    let mut d = render::render(
        &prepared.site,
        &prepared.theme,
        &prepared.config,
        &prepared.schedule,
        &sink,
    )
    .map_err(BuildError::Environment)?;
    let mut warnings = prepared.diagnostics;
    warnings.append(&mut d);
    if warnings.iter().any(Diagnostic::is_error) {
        // Dropping the stager removes what was staged; the output folder is untouched.
        return Err(fail(&opts.root, warnings));
    }
    finish(&opts.root, &mut warnings);
    let manifest = stager.manifest(prepared.info);
    let report = stager.finish(&manifest).map_err(env)?;
    Ok(Built {
        site: prepared.site,
        manifest,
        report,
        warnings,
    })
}

/// Every stage but `write`, the outputs kept in memory. In [`parse::Mode::Build`] any error
/// fails it; in [`parse::Mode::Check`] the diagnostics are handed on with the outputs.
pub fn render_site(
    opts: &BuildOptions,
    mode: parse::Mode,
    cache: Option<&mut dyn PageCache>,
) -> Result<Rendered, BuildError> {
    let mut prepared = prepare(opts, mode, cache)?;
    let (outputs, mut d) = render::render_to_map(
        &prepared.site,
        &prepared.theme,
        &prepared.config,
        &prepared.schedule,
    );
    prepared.diagnostics.append(&mut d);
    if mode == parse::Mode::Build && prepared.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(fail(&opts.root, prepared.diagnostics));
    }
    finish(&opts.root, &mut prepared.diagnostics);
    Ok(Rendered { prepared, outputs })
}

/// site.yaml, read and parsed, with the command line's `--base-url`; the schedule the site is
/// built for (`--as-of`, `--drafts`, `--preview`); and site.yaml's text.
pub fn read_settings(opts: &BuildOptions) -> Result<(SiteConfig, Schedule, String), BuildError> {
    let text = load::read_config(&opts.root)?.map_err(|d| BuildError::Content(vec![d]))?;
    let mut config = config::parse(&text).map_err(BuildError::Content)?;
    if let Some(url) = &opts.base_url {
        config.base_url = config::normalise_base_url(url)
            .map_err(|m| BuildError::Usage(format!("--base-url: {m}")))?;
    }
    let as_of = match &opts.as_of {
        None => opts.now,
        Some(text) => {
            crate::time::parse_when(text, &config.tz)
                .map_err(|m| {
                    BuildError::Usage(match crate::time::date_hint(text, &config.language) {
                        Some(hint) => {
                            format!("--as-of: `{text}` is not written as YYYY-MM-DD; {hint}")
                        }
                        None => format!("--as-of: {m}"),
                    })
                })?
                .at
        }
    };
    let schedule = Schedule {
        as_of,
        now: opts.now,
        drafts: opts.drafts,
        preview: opts.preview,
    };
    Ok((config, schedule, text))
}

/// The content files, parsed: the pages, where everything goes, and the next instant at which
/// the build would change.
pub struct Pages {
    pub pages: Vec<Page>,
    pub routes: Routes,
    pub next_change: Option<Timestamp>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses every content file in two steps: front matter first (the drafts), from which the
/// routes are settled; then the bodies, with the routes at hand for their `@/` links. Through
/// `cache` (when there is one), unchanged files are not read again.
pub fn parse_pages(
    files: Vec<ContentFile>,
    settings: &parse::Settings<'_>,
    schedule: &Schedule,
    mut cache: Option<&mut dyn PageCache>,
    inputs: u64,
) -> Result<Pages, BuildError> {
    if let Some(c) = cache.as_deref_mut() {
        c.start(inputs);
    }
    let present: HashSet<String> = files.iter().map(|f| f.source_path.clone()).collect();
    // Files parsed before and unchanged since; the others are read now.
    let looked_up: Vec<(ContentFile, Option<CachedFile>)> = match cache.as_deref() {
        Some(c) => files
            .into_par_iter()
            .map(|f| {
                let hit = c.get(&f)?;
                Ok((f, hit))
            })
            .collect::<Result<_, BuildError>>()?,
        None => files.into_iter().map(|f| (f, None)).collect(),
    };
    let mut to_read = Vec::new();
    let mut hits = Vec::new();
    for (f, hit) in looked_up {
        match hit {
            Some(h) => hits.push((f, h)),
            None => to_read.push(f),
        }
    }
    let all_files: Vec<String> = to_read
        .iter()
        .chain(hits.iter().map(|(f, _)| f))
        .map(|f| f.content_path.clone())
        .collect();
    let (mut drafts, mut diagnostics) = parse::read_all(to_read, load::read_content, settings)?;

    // Where everything goes, from the drafts and the pages kept from before.
    let read: HashSet<&str> = drafts
        .iter()
        .map(|d| d.file.content_path.as_str())
        .chain(
            hits.iter()
                .filter_map(|(_, h)| h.page.as_ref().map(|p| p.file.content_path.as_str())),
        )
        .collect();
    // Files that could not even be split, and kept files that made no page.
    let unreadable: Vec<String> = all_files
        .into_iter()
        .filter(|c| !read.contains(c.as_str()))
        .collect();
    let heads: Vec<(&parse::PageFile, Option<&parse::front_matter::FrontMatter>)> = drafts
        .iter()
        .map(parse::Draft::head)
        .chain(
            hits.iter()
                .filter_map(|(_, h)| h.page.as_ref().map(|p| (&p.file, Some(&*p.front)))),
        )
        .collect();
    let next_change = next_change(heads.iter().filter_map(|(_, f)| *f), schedule);
    let (routes, mut d) = assemble::routes(settings.config, heads, &unreadable, schedule);
    diagnostics.append(&mut d);

    // Kept pages whose links now lead elsewhere (or that came or went live) are rendered again.
    let mut kept = Vec::new();
    let mut stale = Vec::new();
    for (f, h) in hits {
        let current = h.page.as_ref().is_none_or(|p| {
            routes.is_live(&p.file.content_path) == h.live
                && h.links.iter().all(|(to, link)| routes.resolve(to) == *link)
        });
        if current {
            kept.push((f, h));
        } else {
            stale.push(f);
        }
    }
    if !stale.is_empty() {
        let (mut more, mut d) = parse::read_all(stale, load::read_content, settings)?;
        drafts.append(&mut more);
        diagnostics.append(&mut d);
    }
    let mut pages = Vec::new();
    let mut fresh = Vec::new();
    if cache.is_some() {
        // One at a time through `finish`, to keep each file's result for the cache.
        let results: Vec<(parse::PageFile, CachedFile)> = drafts
            .into_par_iter()
            .map(|d| {
                let file = d.file.clone();
                let live = routes.is_live(&file.content_path);
                let (page, diagnostics) =
                    parse::finish(d, live.then_some(&routes as &dyn Links), settings);
                let links = page
                    .as_ref()
                    .map(|p| links_used(p, &routes))
                    .unwrap_or_default();
                (
                    file,
                    CachedFile {
                        page,
                        diagnostics,
                        live,
                        links,
                    },
                )
            })
            .collect();
        for (file, parsed) in results {
            diagnostics.extend(parsed.diagnostics.iter().cloned());
            pages.extend(parsed.page.clone());
            fresh.push((file.source_path, parsed));
        }
    } else {
        let (mut p, mut d) = parse::finish_all(drafts, &routes, settings);
        pages.append(&mut p);
        diagnostics.append(&mut d);
    }
    for (_, h) in &kept {
        diagnostics.extend(h.diagnostics.iter().cloned());
        pages.extend(h.page.clone());
    }
    if let Some(c) = cache {
        c.keep(fresh, &present);
    }
    Ok(Pages {
        pages,
        routes,
        next_change,
        diagnostics,
    })
}

/// Where each `@/` link of a page led when it was rendered.
fn links_used(page: &Page, routes: &Routes) -> Vec<(String, Link)> {
    page.body
        .links
        .iter()
        .map(|l| {
            let key = l.path.trim_start_matches('/').to_string();
            let link = routes.resolve(&key);
            (key, link)
        })
        .collect()
}

/// A hash of what every page's parse depends on besides its own file: site.yaml, theme.yaml and
/// the templates (shortcodes).
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

fn build_info(
    opts: &BuildOptions,
    config: &SiteConfig,
    schedule: &Schedule,
    site: &Site,
    next_change: Option<Timestamp>,
    fingerprinted: Vec<String>,
) -> BuildInfo {
    BuildInfo {
        drafts: opts.drafts,
        as_of: opts.as_of.as_ref().map(|_| schedule.as_of.to_string()),
        next_change: next_change.map(|t| t.to_string()),
        preview: schedule.is_preview(),
        scheduled: scheduled_pages(site),
        redirects: site
            .aliases
            .iter()
            .map(|a| {
                let target = format!("{}{}", config.base_path(), a.target.trim_start_matches('/'));
                (crate::slug::output_file(&a.path), target)
            })
            .collect(),
        fingerprinted,
        inputs: None,
    }
}

/// The stamp of what the build was made from, from the files `load` noted as it read them. A
/// file saved while the build read the site may have been read before or after the save: the
/// stamp then says the build is as old as its start, so that `publish` calls it out of date.
fn input_stamp(sources: &mut load::Sources, started: std::time::SystemTime) -> load::InputStamp {
    let noted = std::mem::take(&mut sources.inputs);
    let mut stamp = load::stamp_of(noted, &sources.config_text);
    let ns = |t: std::time::SystemTime| {
        t.duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    };
    let (start, now) = (ns(started), ns(std::time::SystemTime::now()));
    if stamp.newest >= start && stamp.newest <= now {
        stamp.newest = start.saturating_sub(1);
    }
    stamp
}

pub(crate) fn fail(root: &std::path::Path, mut diagnostics: Vec<Diagnostic>) -> BuildError {
    finish(root, &mut diagnostics);
    BuildError::Content(diagnostics)
}

/// Diagnostics ready to show: each with its source line, in a stable order.
pub(crate) fn finish(root: &std::path::Path, diagnostics: &mut [Diagnostic]) {
    load::show_lines(root, diagnostics);
    diagnostic::sort(diagnostics);
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
            source: p.file.source_path.clone(),
            output: crate::slug::output_file(path),
            publish_at: p.front.publish_at.as_ref().map(|w| w.at.to_string()),
            expire_at: p.front.expire_at.as_ref().map(|w| w.at.to_string()),
        })
        .collect()
}

/// The first instant after the schedule's at which some page goes live or expires (drafts count
/// only in a build with drafts).
pub fn next_change<'a>(
    fronts: impl Iterator<Item = &'a parse::front_matter::FrontMatter>,
    schedule: &Schedule,
) -> Option<Timestamp> {
    let as_of = schedule.as_of;
    fronts
        .filter(|f| schedule.drafts || !f.draft)
        .flat_map(|f| [f.publish_at.as_ref(), f.expire_at.as_ref()])
        .flatten()
        .map(|w| w.at)
        .filter(|t| *t > as_of)
        .min()
}
