//! render: Site + compiled theme → [`Outputs`] (output path → bytes): every page, section,
//! taxonomy and term page through the theme's templates (in parallel), `404.html`, alias
//! redirects, Atom feeds, `sitemap.xml`, `robots.txt`, the theme's fingerprinted static files
//! and the files from `content/`. Pure: nothing here touches the disk.

pub mod context;
pub mod theme;

pub mod feeds;

use crate::assemble::Site;
use crate::config::SiteConfig;
use crate::diagnostic::Diagnostic;
use crate::schedule::Schedule;
use crate::slug::OutputPath;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use tera::{Context, Value};
use theme::{INDEX_VAR, Theme};

/// Output path (relative to the output folder, `/`-separated) → content.
pub type Outputs = BTreeMap<OutputPath, Arc<Vec<u8>>>;

/// Template errors grouped by where they are: (file, line, column, message).
type FailureKey = (Option<String>, Option<usize>, Option<usize>, String);

/// Where rendered files go: called from many threads with each output path and its bytes. An
/// `Err` (the disk failed) stops the run.
pub type Sink<'a> = &'a (dyn Fn(&OutputPath, &[u8]) -> Result<(), String> + Sync);

/// Renders the whole site into a map (for `check`, `serve` and tests).
pub fn render_to_map(
    site: &Site,
    theme: &Theme,
    config: &SiteConfig,
    schedule: &Schedule,
) -> (Outputs, Vec<Diagnostic>) {
    let outputs = std::sync::Mutex::new(Outputs::new());
    let sink = |path: &OutputPath, bytes: &[u8]| {
        outputs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path.clone(), Arc::new(bytes.to_vec()));
        Ok(())
    };
    // This sink never fails, so neither does rendering into it.
    let diagnostics = render(site, theme, config, schedule, &sink).unwrap_or_default();
    (
        outputs.into_inner().unwrap_or_else(|p| p.into_inner()),
        diagnostics,
    )
}

/// Renders the whole site, handing each output to `sink` as soon as it is made (so a build
/// never holds the whole site's HTML in memory). Template errors are gathered from every page;
/// one broken line in a template shared by many pages is reported once, with the number of
/// pages it broke.
pub fn render(
    site: &Site,
    theme: &Theme,
    config: &SiteConfig,
    schedule: &Schedule,
    sink: Sink<'_>,
) -> Result<Vec<Diagnostic>, String> {
    // Every output path was checked where it was made (a page's URL, a file's name); one that
    // is not a portable path now is placard's own mistake.
    let emit = |path: &str, bytes: &[u8]| -> Result<(), String> {
        let p = OutputPath::new(path).map_err(|why| {
            format!("placard made an output path it cannot write, {path} ({why}); this is a bug in placard, please report it")
        })?;
        sink(&p, bytes)
    };
    let section_feeds = feed_paths(site, config);
    let values = context::build(site, config, schedule, &section_feeds);
    let failures: std::sync::Mutex<BTreeMap<FailureKey, (Diagnostic, Vec<String>)>> =
        Default::default();
    // Each output's own values are made as it is rendered, and dropped with it.
    page_outputs(site).into_par_iter().try_for_each(|job| {
        let mut ctx = Context::new();
        ctx.insert_value("config", values.config.clone());
        ctx.insert_value("site", values.site.clone());
        ctx.insert_value(INDEX_VAR, values.index.clone());
        ctx.insert_value("current_path", Value::from(job.path.as_str()));
        ctx.insert_value("current_url", Value::from(context::url(config, &job.path)));
        match job.kind {
            OutputKind::Section(i) => ctx.insert_value("section", values.sections[i].clone()),
            OutputKind::Page(i) => {
                ctx.insert_value("page", context::page_with_neighbours(&values, site, i));
                ctx.insert_value("section", values.sections[site.pages[i].section].clone());
            }
            OutputKind::Taxonomy(t) => ctx.insert_value("taxonomy", values.taxonomies[t].clone()),
            OutputKind::Term(t, n) => {
                ctx.insert_value("taxonomy", values.taxonomies[t].clone());
                ctx.insert_value("term", values.terms[t][n].clone());
            }
            OutputKind::NotFound => {}
        }
        match theme.tera.render(&job.template, &ctx) {
            Ok(html) => emit(&job.output, html.as_bytes()),
            Err(e) => {
                let d = theme.error(&e, None);
                let key = (d.path.clone(), d.line, d.column, d.message.clone());
                failures
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(key)
                    .or_insert_with(|| (d, Vec::new()))
                    .1
                    .push(job.source);
                Ok(())
            }
        }
    })?;
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut diagnostics = Vec::new();
    for (_, (mut d, mut sources)) in failures {
        // Pages render in parallel; name the same one on every run.
        sources.sort_unstable();
        d.message = match sources.len() {
            1 => format!("{} (while rendering {})", d.message, sources[0]),
            2 => format!(
                "{} (while rendering {} and 1 other page)",
                d.message, sources[0]
            ),
            n => format!(
                "{} (while rendering {} and {} other pages)",
                d.message,
                sources[0],
                n - 1
            ),
        };
        diagnostics.push(d);
    }
    for a in &site.aliases {
        emit(
            &crate::slug::output_file(&a.path),
            feeds::alias_page(config, &a.target).as_bytes(),
        )?;
    }
    if config.outputs.feeds {
        let all: Vec<usize> = (0..site.pages.len()).collect();
        emit(
            "atom.xml",
            &feeds::atom(config, site, &all, "/atom.xml", &config.title),
        )?;
        for (&s, path) in &section_feeds {
            let section = &site.sections[s];
            let title = format!("{} — {}", section.title, config.title);
            emit(
                path.trim_start_matches('/'),
                &feeds::atom(config, site, &section.pages, path, &title),
            )?;
        }
    }
    if config.outputs.sitemap {
        emit("sitemap.xml", &feeds::sitemap(config, site))?;
    }
    if config.outputs.robots {
        emit(
            "robots.txt",
            feeds::robots(config, schedule.is_preview()).as_bytes(),
        )?;
    }
    for asset in theme.assets.values() {
        emit(&asset.output, &asset.bytes)?;
    }
    for asset in &site.assets {
        emit(&asset.output, &asset.bytes)?;
    }
    Ok(diagnostics)
}

/// One HTML output made through a template.
#[derive(Clone, Debug)]
pub struct PageOutput {
    /// Output path (`initiatives/x/index.html`).
    pub output: String,
    /// The template it is rendered with (`page.html`).
    pub template: String,
    /// The content file it comes from (`content/initiatives/x.md`), or what it is (`the 404
    /// page`) when it comes from none.
    pub source: String,
    /// Its site path (`/initiatives/x/`).
    pub path: String,
    pub kind: OutputKind,
}

/// What an output shows, by its index in the [`Site`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    Section(usize),
    Page(usize),
    Taxonomy(usize),
    Term(usize, usize),
    NotFound,
}

/// Every output rendered through a template: sections, pages, taxonomies, terms and the 404
/// page, with the template each uses.
pub fn page_outputs(site: &Site) -> Vec<PageOutput> {
    let mut out = Vec::new();
    for (i, s) in site.sections.iter().enumerate() {
        let default = if s.dir.is_empty() {
            "index.html"
        } else {
            "section.html"
        };
        let template = s
            .page
            .as_ref()
            .and_then(|p| p.front.template.clone())
            .unwrap_or_else(|| default.to_string());
        out.push(PageOutput {
            output: crate::slug::output_file(&s.path),
            template,
            source: s
                .page
                .as_ref()
                .map_or_else(|| "the home page".into(), |p| p.file.source_path.clone()),
            path: s.path.clone(),
            kind: OutputKind::Section(i),
        });
    }
    for (i, p) in site.pages.iter().enumerate() {
        out.push(PageOutput {
            output: crate::slug::output_file(&p.path),
            template: p
                .page
                .front
                .template
                .clone()
                .unwrap_or_else(|| "page.html".to_string()),
            source: p.page.file.source_path.clone(),
            path: p.path.clone(),
            kind: OutputKind::Page(i),
        });
    }
    for (t, tax) in site.taxonomies.iter().enumerate() {
        out.push(PageOutput {
            output: crate::slug::output_file(&tax.path),
            template: "taxonomy.html".into(),
            source: format!("the `{}` taxonomy page", tax.name),
            path: tax.path.clone(),
            kind: OutputKind::Taxonomy(t),
        });
        for (n, term) in tax.terms.iter().enumerate() {
            out.push(PageOutput {
                output: crate::slug::output_file(&term.path),
                template: "taxonomy_term.html".into(),
                source: format!("the `{}` term `{}`", tax.name, term.name),
                path: term.path.clone(),
                kind: OutputKind::Term(t, n),
            });
        }
    }
    out.push(PageOutput {
        output: "404.html".into(),
        template: "404.html".into(),
        source: "the 404 page".into(),
        path: "/404.html".into(),
        kind: OutputKind::NotFound,
    });
    out
}

/// Sections (other than the home page) with dated pages get their own feed.
fn feed_paths(site: &Site, config: &SiteConfig) -> BTreeMap<usize, String> {
    if !config.outputs.feeds {
        return BTreeMap::new();
    }
    site.sections
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            !s.dir.is_empty()
                && s.pages
                    .iter()
                    .any(|&p| site.pages[p].page.front.date.is_some())
        })
        .map(|(i, s)| (i, format!("{}atom.xml", s.path)))
        .collect()
}
