//! The recipe: load → parse → assemble → render → write. `build` is the one function that
//! calls the stages in order; `render_site` stops before writing (for `check` and `serve`).

use crate::assemble::{self, Site};
use crate::config::{self, SiteConfig};
use crate::diagnostic::{self, Diagnostic};
use crate::load;
use crate::parse;
use crate::render::{self, Outputs};
use crate::schedule::Schedule;
use crate::theme::Theme;
use crate::write::{self, BuildInfo, Manifest, WriteReport};
use jiff::Timestamp;
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
    pub manifest: Manifest,
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
}

/// load → parse → assemble.
fn prepare(opts: &BuildOptions) -> Result<Prepared, BuildError> {
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
            parse::front_matter::parse_when(text, &config.tz)
                .map_err(|m| BuildError::Usage(format!("--as-of: {m}")))?
                .at
        }
    };
    let schedule = Schedule {
        as_of,
        now: opts.now,
        drafts: opts.drafts,
    };

    let mut sources = load::load(&opts.root, config_text, &config.theme)
        .map_err(|e| BuildError::Environment(e.0))?;
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
    let (pages, mut d) = parse::parse_all(
        std::mem::take(&mut sources.content),
        load::read_content,
        &config,
        &theme,
    )
    .map_err(|e| BuildError::Environment(e.0))?;
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
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(fail(diagnostics));
    }
    let build = BuildInfo {
        drafts: opts.drafts,
        as_of: opts.as_of.as_ref().map(|_| as_of.to_string()),
        next_change: next_change.map(|t| t.to_string()),
    };
    Ok(Prepared {
        config,
        site,
        theme,
        schedule,
        build,
        warnings: diagnostics,
    })
}

/// Runs every stage but `write`, keeping the outputs in memory (for `check` and `serve`).
pub fn render_site(opts: &BuildOptions) -> Result<Rendered, BuildError> {
    let Prepared {
        config,
        mut site,
        theme,
        schedule,
        build,
        mut warnings,
    } = prepare(opts)?;
    let (outputs, mut d) = render::render_to_map(&mut site, &theme, &config, &schedule);
    warnings.append(&mut d);
    if warnings.iter().any(Diagnostic::is_error) {
        return Err(fail(warnings));
    }
    diagnostic::sort(&mut warnings);
    let manifest = write::manifest(&outputs, build);
    Ok(Rendered {
        config,
        site,
        outputs,
        manifest,
        warnings,
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
    let Prepared {
        config,
        mut site,
        theme,
        schedule,
        build,
        mut warnings,
    } = prepare(opts)?;
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
