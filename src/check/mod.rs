//! check: everything a build reports, without writing anything, plus the mistakes a comms team
//! must not publish: links and anchors that lead nowhere, accessibility faults in the rendered
//! pages, statistics that are stale or quoted with two values, pages past their review date,
//! and (with `--external`) links to other sites that are broken.
//!
//! Takes the site rendered in memory with source marks (`build::render_site` in check mode);
//! each finding on a rendered page is traced back to the Markdown line it came from, or to the
//! template line that made it. Only [`external`] touches the network, and only when asked.

pub mod external;
pub mod html;

use crate::build::{self, BuildError, BuildOptions};
use crate::config::SiteConfig;
use crate::diagnostic::{self, Diagnostic, Severity};
use crate::load::TemplateFile;
use crate::parse::Page;
use crate::render::{Outputs, PageOutput};
use crate::schedule::Schedule;
use html::{Found, Origin, Scan, TagSketch};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// How to check.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// The build to check (its `drafts` and `as_of` apply).
    pub build: BuildOptions,
    /// Also try every link to another site.
    pub external: bool,
}

/// What a check found.
#[derive(Debug)]
pub struct CheckReport {
    /// Every finding, errors and warnings, sorted by file and line.
    pub findings: Vec<Diagnostic>,
    /// The site's web pages ([`crate::assemble::Site::page_count`]).
    pub pages: usize,
    /// Files the build would write.
    pub files: usize,
    /// Links to other sites tried, when `--external` was given.
    pub external_checked: Option<usize>,
}

impl CheckReport {
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }
}

/// The link texts that say nothing about where a link goes.
const VAGUE: &[&str] = &[
    "here",
    "click here",
    "click",
    "read more",
    "more",
    "learn more",
    "find out more",
    "more info",
    "more information",
    "link",
    "this link",
    "this page",
    "go",
];

/// Longer titles are cut off in search results and browser tabs.
const MAX_TITLE: usize = 65;
/// Longer summaries are cut off in search results and link previews.
const MAX_SUMMARY: usize = 160;

/// Checks the site. Content errors are findings, not failures: only a broken site.yaml or
/// theme (nothing can be rendered) or a failing disk is an `Err`.
pub fn check(opts: &CheckOptions) -> Result<CheckReport, BuildError> {
    let input = CheckInput::render(&opts.build)?;
    let locator = Locator::new(&input);
    let asset_html: HashMap<&str, &str> = input
        .site
        .assets
        .iter()
        .filter(|a| is_html(&a.output))
        .map(|a| (a.output.as_str(), a.source_path.as_str()))
        .collect();
    let scans: BTreeMap<&str, Scan> = input
        .outputs
        .par_iter()
        .filter(|(path, _)| is_html(path))
        .map(|(path, bytes)| {
            let text = String::from_utf8_lossy(bytes);
            let own = asset_html.contains_key(path.as_str());
            (path.as_str(), html::scan(&text, own))
        })
        .collect();
    let templates: HashMap<&str, &str> = input
        .pages
        .iter()
        .map(|p| (p.output.as_str(), p.template.as_str()))
        .collect();
    let sources: HashMap<&str, &str> = input
        .pages
        .iter()
        .map(|p| (p.output.as_str(), p.source.as_str()))
        .collect();
    let known = Known {
        templates,
        assets: asset_html,
        sources,
    };
    let mut findings = Findings::default();
    let links = Links::new(&input, &scans);
    // Links to other sites: URL (without its fragment) → where each is written.
    let mut elsewhere: BTreeMap<String, Vec<(&str, Found<()>)>> = BTreeMap::new();
    for (output, scan) in &scans {
        let page = known.at(output);
        for (found, d) in links.check_page(output, scan) {
            findings.add(&locator, &page, found, d);
        }
        // Template pages and HTML files of the site's own; alias pages are placard's.
        if page.template.is_some() || page.asset.is_some() {
            for (found, d) in accessibility(scan, &|href| links.target_key(output, href)) {
                findings.add(&locator, &page, found, d);
            }
        }
        if opts.external {
            for r in &scan.references {
                if let Some(url) = external::candidate(&r.item.url, &input.config) {
                    elsewhere
                        .entry(url)
                        .or_default()
                        .push((output, r.map_item(())));
                }
            }
        }
    }
    let mut external_checked = None;
    if opts.external {
        let urls: Vec<String> = elsewhere.keys().cloned().collect();
        let outcomes = external::probe(&urls, &input.config.check);
        for (url, places) in elsewhere {
            let Some(d) = outcomes.get(&url).and_then(|o| o.finding(&url)) else {
                continue;
            };
            for (output, found) in places {
                findings.add(&locator, &known.at(output), found, d.clone());
            }
        }
        external_checked = Some(urls.len());
    }
    let mut out = findings.finish();
    out.extend(input.diagnostics.iter().cloned());
    out.extend(content_rules(&input));
    if let Some(previous) = crate::write::read_manifest(&opts.build.output_dir()) {
        out.extend(gone_pages(&input, &previous));
    }
    crate::build::finish(&opts.build.root, &mut out);
    out.dedup();
    Ok(CheckReport {
        findings: out,
        pages: input.site.page_count(),
        files: input.outputs.len(),
        external_checked,
    })
}

/// What `check` works on: the site rendered in memory with source marks in its HTML, and
/// every diagnostic of the run, errors included.
struct CheckInput {
    config: SiteConfig,
    site: crate::assemble::Site,
    outputs: Outputs,
    /// For each HTML output made from a template: the source it was made for and the template.
    pages: Vec<PageOutput>,
    templates: Vec<TemplateFile>,
    schedule: Schedule,
    diagnostics: Vec<Diagnostic>,
    /// URL paths of live pages whose files have errors: links to them are not reported again.
    failed: HashSet<String>,
}

impl CheckInput {
    /// Every stage but `write`, in check mode: pages with errors are left out and the rest go
    /// on, so that one run reports everything. Fails only when nothing can be rendered at all
    /// (site.yaml or the theme are broken) or the disk fails.
    fn render(opts: &BuildOptions) -> Result<CheckInput, BuildError> {
        let rendered = build::render_site(opts, crate::parse::Mode::Check, None)?;
        let p = rendered.prepared;
        Ok(CheckInput {
            pages: crate::render::page_outputs(&p.site),
            config: p.config,
            site: p.site,
            outputs: rendered.outputs,
            templates: p.templates,
            schedule: p.schedule,
            diagnostics: p.diagnostics,
            failed: p.failed,
        })
    }
}

fn is_html(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".html") || lower.ends_with(".htm")
}

/// What is known of each output page.
struct Known<'a> {
    templates: HashMap<&'a str, &'a str>,
    assets: HashMap<&'a str, &'a str>,
    sources: HashMap<&'a str, &'a str>,
}

impl<'a> Known<'a> {
    fn at(&self, output: &'a str) -> Where<'a> {
        Where {
            output,
            template: self.templates.get(output).copied(),
            asset: self.assets.get(output).copied(),
            source: self.sources.get(output).copied(),
        }
    }
}

/// The page a finding was made on.
pub struct Where<'a> {
    /// Output path (`initiatives/x/index.html`).
    pub output: &'a str,
    /// The template it was rendered with, for a template page.
    pub template: Option<&'a str>,
    /// The content file it is, for an HTML file copied from `content/`.
    pub asset: Option<&'a str>,
    /// The content file it is made from, for a template page made from one.
    pub source: Option<&'a str>,
}

/// Findings gathered over every page. The same template line breaks every page made with it:
/// such findings are reported once, with the number of pages.
#[derive(Default)]
struct Findings {
    /// The finding → itself, the pages it was seen on, and whether it was made elsewhere than
    /// on the page of the file it points at (by a template, or in a summary shown on a list).
    seen: BTreeMap<FindingKey, (Diagnostic, Vec<String>, bool)>,
}

/// Rule, path, line, column and message: what makes two findings the same.
type FindingKey = (
    Option<&'static str>,
    Option<String>,
    Option<usize>,
    Option<usize>,
    String,
);

impl Findings {
    fn add(&mut self, locator: &Locator<'_>, page: &Where<'_>, found: Found<()>, d: Diagnostic) {
        let elsewhere = match &found.origin {
            Origin::Template => true,
            Origin::Content { file, .. } => page.source != Some(&**file),
            Origin::Line(_) => false,
        };
        let d = locator.locate(d, &found, page);
        let key = (d.rule, d.path.clone(), d.line, d.column, d.message.clone());
        let entry = self
            .seen
            .entry(key)
            .or_insert_with(|| (d, Vec::new(), false));
        entry.1.push(site_path(page.output));
        entry.2 |= elsewhere;
    }

    fn finish(self) -> Vec<Diagnostic> {
        self.seen
            .into_values()
            .map(|(mut d, mut pages, elsewhere)| {
                pages.sort();
                pages.dedup();
                if elsewhere {
                    d.message = match pages.len() {
                        1 => format!("{} (on {})", d.message, pages[0]),
                        n => format!("{} (on {} and {} other pages)", d.message, pages[0], n - 1),
                    };
                }
                d
            })
            .collect()
    }
}

/// `initiatives/x/index.html` → `/initiatives/x/`.
fn site_path(output: &str) -> String {
    match output.strip_suffix("index.html") {
        Some(dir) => format!("/{dir}"),
        None => format!("/{output}"),
    }
}

/// Turns an element's origin into a file, line and column, with the line's text.
pub struct Locator<'a> {
    /// Content file → its text.
    texts: HashMap<&'a str, Arc<str>>,
    templates: &'a [TemplateFile],
    outputs: &'a Outputs,
}

impl<'a> Locator<'a> {
    fn new(input: &'a CheckInput) -> Self {
        let pages = input
            .site
            .pages
            .iter()
            .map(|p| &p.page)
            .chain(input.site.sections.iter().filter_map(|s| s.page.as_ref()));
        let texts = pages
            .filter_map(|p: &Page| Some((p.file.source_path.as_str(), p.text.clone()?)))
            .collect();
        Locator {
            texts,
            templates: &input.templates,
            outputs: &input.outputs,
        }
    }

    /// Locates `d` at `found`'s origin on `page`.
    fn locate<T>(&self, d: Diagnostic, found: &Found<T>, page: &Where<'_>) -> Diagnostic {
        match &found.origin {
            Origin::Content { file, line, column } => match self.texts.get(&**file) {
                Some(text) => d.in_file(file.to_string()).at(text, *line, *column),
                None => d.in_file(file.to_string()).at_line(*line),
            },
            Origin::Line(line) => {
                let path = page.asset.unwrap_or(page.output).to_string();
                match self.outputs.get(page.output) {
                    Some(bytes) => {
                        let text = String::from_utf8_lossy(bytes);
                        let col = text
                            .lines()
                            .nth(line.saturating_sub(1))
                            .and_then(|l| l.find(&format!("<{}", found.tag.name)))
                            .map_or(1, |c| c + 1);
                        d.in_file(path).at(&text, *line, col)
                    }
                    None => d.in_file(path).at_line(*line),
                }
            }
            Origin::Template => match self.in_templates(&found.tag, page.template) {
                Some((t, line, col)) => d.in_file(t.source_path.clone()).at(&t.text, line, col),
                None => match page.template.and_then(|n| self.template(n)) {
                    Some(t) => d.in_file(t.source_path.clone()),
                    None => d,
                },
            },
        }
    }

    fn template(&self, name: &str) -> Option<&crate::load::TemplateFile> {
        self.templates.iter().find(|t| t.name == name)
    }

    /// The template line most likely to have made `tag`: the one opening such an element with
    /// the most of its attribute values written out literally (templates compute the rest), in
    /// the page's own template first on a tie. `None` when no line holds any of them: then
    /// there is no telling which line it was.
    fn in_templates(
        &self,
        tag: &TagSketch,
        page_template: Option<&str>,
    ) -> Option<(&crate::load::TemplateFile, usize, usize)> {
        let mut order: Vec<&crate::load::TemplateFile> = self.templates.iter().collect();
        order.sort_by_key(|t| {
            (
                Some(t.name.as_str()) != page_template,
                t.name.starts_with("shortcodes/"),
                t.name != "base.html",
                t.name.clone(),
            )
        });
        let open = format!("<{}", tag.name);
        let values: Vec<&str> = tag
            .values
            .iter()
            .map(|v| v.trim())
            .filter(|v| v.len() >= 2)
            .collect();
        let mut best: Option<(usize, &crate::load::TemplateFile, usize, usize)> = None;
        for t in &order {
            for (n, line) in t.text.lines().enumerate() {
                let Some(at) = line.match_indices(&open).map(|(i, _)| i).find(|i| {
                    line[i + open.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| !c.is_ascii_alphanumeric())
                }) else {
                    continue;
                };
                let score = values.iter().filter(|v| line.contains(*v)).count();
                if score > 0 && best.as_ref().is_none_or(|b| score > b.0) {
                    let col = line[..at].chars().count() + 1;
                    best = Some((score, t, n + 1, col));
                }
            }
        }
        best.map(|(_, t, line, col)| (t, line, col))
    }
}

/// Every output path, and the ids on each HTML page: what links can lead to.
struct Links<'a> {
    base_url: &'a str,
    base_path: &'a str,
    outputs: &'a Outputs,
    ids: HashMap<&'a str, HashSet<&'a str>>,
    /// The output files of live pages whose sources have errors (reported there already).
    failed: HashSet<String>,
}

/// Where a reference leads, once resolved.
enum Target {
    /// A file of this site (output path, without the fragment), and the fragment.
    Internal(String, Option<String>),
    /// Another site, or a scheme placard does not follow (mailto:, tel:).
    Elsewhere,
    /// Resolves outside the site (above its root, or outside its base path).
    Outside,
}

impl<'a> Links<'a> {
    fn new(input: &'a CheckInput, scans: &'a BTreeMap<&'a str, Scan>) -> Self {
        Links {
            base_url: &input.config.base_url,
            base_path: input.config.base_path(),
            outputs: &input.outputs,
            failed: input
                .failed
                .iter()
                .map(|path| crate::slug::output_file(path))
                .collect(),
            ids: scans
                .iter()
                .map(|(path, s)| (*path, s.ids.iter().map(|i| i.item.as_str()).collect()))
                .collect(),
        }
    }

    /// Where `url`, written on the page at output path `from`, leads.
    fn resolve(&self, from: &str, url: &str) -> Target {
        let url = url.trim();
        let (rest, fragment) = match url.split_once('#') {
            Some((r, f)) => (r, Some(f)),
            None => (url, None),
        };
        let rest = rest.split('?').next().unwrap_or_default();
        let fragment = fragment.filter(|f| !f.is_empty()).map(|f| {
            percent_encoding::percent_decode_str(f)
                .decode_utf8_lossy()
                .into_owned()
        });
        let lower = rest.to_ascii_lowercase();
        let site_relative: String = if rest.is_empty() {
            // `#x` or `?q`: this page.
            return Target::Internal(from.to_string(), fragment);
        } else if lower.starts_with("http://")
            || lower.starts_with("https://")
            || rest.starts_with("//")
        {
            let absolute = if rest.starts_with("//") {
                format!("https:{rest}")
            } else {
                rest.to_string()
            };
            let base = self.base_url.trim_end_matches('/');
            let base_lower = base.to_ascii_lowercase();
            let absolute_lower = absolute.to_ascii_lowercase();
            let same_site = absolute_lower == base_lower
                || absolute_lower.starts_with(&format!("{base_lower}/"));
            // The same host with the other scheme is this site too.
            let other_scheme = base_lower
                .split_once("://")
                .map(|(_, host)| host.to_string())
                .is_some_and(|host| {
                    absolute_lower
                        .split_once("://")
                        .is_some_and(|(_, a)| a == host || a.starts_with(&format!("{host}/")))
                });
            if !same_site && !other_scheme {
                return Target::Elsewhere;
            }
            let after_host = absolute
                .split_once("://")
                .map(|(_, a)| a.find('/').map_or("/", |i| &a[i..]))
                .unwrap_or("/");
            match after_host.strip_prefix(self.base_path) {
                Some(r) => r.to_string(),
                None if format!("{after_host}/") == self.base_path => String::new(),
                // The same host, but not this site (which lives under its base path).
                None => return Target::Elsewhere,
            }
        } else if crate::text::url_scheme(rest).is_some() {
            return Target::Elsewhere;
        } else if let Some(abs) = rest.strip_prefix('/') {
            match format!("/{abs}").strip_prefix(self.base_path) {
                Some(r) => r.to_string(),
                None if format!("/{abs}/") == self.base_path => String::new(),
                None => return Target::Outside,
            }
        } else {
            let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
            if dir.is_empty() {
                rest.to_string()
            } else {
                format!("{dir}/{rest}")
            }
        };
        let decoded = percent_encoding::percent_decode_str(&site_relative)
            .decode_utf8_lossy()
            .into_owned();
        let mut parts: Vec<&str> = Vec::new();
        for seg in decoded.split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Target::Outside;
                    }
                }
                s => parts.push(s),
            }
        }
        let mut path = parts.join("/");
        let dir = decoded.is_empty()
            || decoded.ends_with('/')
            || decoded.ends_with("/.")
            || decoded.ends_with("/..");
        if dir || path.is_empty() {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str("index.html");
        }
        Target::Internal(path, fragment)
    }

    /// Where `href` on the page `from` leads, as a key: two hrefs with one key lead to one
    /// place.
    fn target_key(&self, from: &str, href: &str) -> String {
        match self.resolve(from, href) {
            Target::Internal(path, fragment) => {
                let path = if !self.outputs.contains_key(path.as_str())
                    && self
                        .outputs
                        .contains_key(format!("{path}/index.html").as_str())
                {
                    format!("{path}/index.html")
                } else {
                    path
                };
                match fragment {
                    Some(f) => format!("{path}#{f}"),
                    None => path,
                }
            }
            Target::Elsewhere | Target::Outside => href.trim().trim_end_matches('/').to_string(),
        }
    }

    fn check_page(&self, output: &str, scan: &Scan) -> Vec<(Found<()>, Diagnostic)> {
        let mut out = Vec::new();
        for r in &scan.references {
            let url = &r.item.url;
            // An `@/` link left as written is one the build already reported.
            if url.starts_with("@/") {
                continue;
            }
            let found = r.map_item(());
            match self.resolve(output, url) {
                Target::Elsewhere => {}
                Target::Outside => out.push((
                    found,
                    Diagnostic::error(format!("the link `{url}` leads outside the site"))
                        .rule("link-broken")
                        .with_hint(format!(
                            "site links start with the base path `{}`; use an internal link such as `@/contact.md`",
                            self.base_path
                        )),
                )),
                Target::Internal(path, fragment) => {
                    let file = if self.outputs.contains_key(path.as_str()) {
                        Some(path.clone())
                    } else if self.outputs.contains_key(format!("{path}/index.html").as_str()) {
                        Some(format!("{path}/index.html"))
                    } else {
                        None
                    };
                    let Some(file) = file else {
                        if self.failed.contains(&path)
                            || self.failed.contains(&format!("{path}/index.html"))
                        {
                            continue;
                        }
                        let what = match r.item.attribute {
                            "href" if r.tag.name == "a" => "link",
                            "href" => "reference",
                            _ => "file",
                        };
                        // A file (an image, a PDF) is looked for by its name; a page is best
                        // named by its source.
                        let is_file = what == "file"
                            || path
                                .rsplit('/')
                                .next()
                                .is_some_and(|n| n.contains('.') && !n.ends_with(".html"));
                        let hint = if is_file {
                            let near = crate::diagnostic::did_you_mean(
                                &path,
                                self.outputs.keys().map(|k| k.as_str()),
                            );
                            match near {
                                Some(near) => format!(
                                    "placard looked for `{path}` in the build and found no such file; did you mean `{}`?",
                                    site_path(near)
                                ),
                                None => format!(
                                    "placard looked for `{path}` in the build and found no such file: put it at `content/{path}` (or beside the page, in its folder), or fix the path"
                                ),
                            }
                        } else {
                            "write internal links as `@/section/page.md` so placard checks them as you build, or fix the path".to_string()
                        };
                        out.push((
                            found,
                            Diagnostic::error(format!(
                                "the {what} `{url}` leads to {}, which the build does not make",
                                site_path(&path)
                            ))
                            .rule("link-broken")
                            .with_hint(hint),
                        ));
                        continue;
                    };
                    if let Some(fragment) = fragment
                        && fragment != "top"
                        && let Some(ids) = self.ids.get(file.as_str())
                        && !ids.contains(fragment.as_str())
                    {
                        let mut known: Vec<&str> = ids.iter().copied().collect();
                        known.sort_unstable();
                        let d = Diagnostic::error(format!(
                            "the link `{url}` leads to #{fragment}, which is not an id on {}",
                            site_path(&file)
                        ))
                        .rule("link-anchor");
                        let d = match diagnostic::did_you_mean(&fragment, known.iter().copied()) {
                            Some(near) => d.with_hint(format!("did you mean `#{near}`?")),
                            None => d.with_hint("link to a heading's id (shown in its self-link) or an element's id"),
                        };
                        out.push((found, d));
                    }
                }
            }
        }
        out
    }
}

impl<T> Found<T> {
    fn map_item<U>(&self, item: U) -> Found<U> {
        Found {
            origin: self.origin.clone(),
            tag: self.tag.clone(),
            item,
        }
    }
}

/// The accessibility rules over one rendered page.
fn accessibility(scan: &Scan, target: &dyn Fn(&str) -> String) -> Vec<(Found<()>, Diagnostic)> {
    let mut out = Vec::new();
    for img in &scan.images {
        let found = img.map_item(());
        let from_content = matches!(img.origin, Origin::Content { .. });
        let alt = img.item.alt.as_deref().map(str::trim);
        match alt {
            None if !img.item.decorative => out.push((
                found,
                Diagnostic::error("image without alt text")
                    .rule("img-alt")
                    .with_hint(alt_hint(from_content)),
            )),
            Some("") if from_content && !img.item.decorative => out.push((
                found,
                Diagnostic::error("image without alt text")
                    .rule("img-alt")
                    .with_hint(alt_hint(true)),
            )),
            Some(a) if is_file_name(a, &img.item.src) => out.push((
                found,
                Diagnostic::error(format!("the alt text `{a}` is a file name"))
                    .rule("img-alt-filename")
                    .with_hint(
                        "describe what the image shows, in a sentence a listener would understand",
                    ),
            )),
            Some(a) if says_nothing(a) => out.push((
                found,
                Diagnostic::error(format!(
                    "the alt text `{a}` says only that there is an image, not what it shows"
                ))
                .rule("img-alt-generic")
                .with_hint(
                    "describe what the image shows, in a sentence a listener would understand",
                ),
            )),
            Some(a) if says_image_of(a) => out.push((
                found,
                Diagnostic::warning(format!(
                    "the alt text `{a}` starts by saying it is an image"
                ))
                .rule("img-alt-redundant")
                .with_hint("screen readers already say \"image\"; start with what it shows"),
            )),
            _ => {}
        }
    }

    let mut previous: Option<u8> = None;
    let mut first_h1: Option<&Found<html::Heading>> = None;
    for h in &scan.headings {
        let level = h.item.level;
        if let Some(p) = previous
            && level > p + 1
        {
            out.push((
                h.map_item(()),
                Diagnostic::warning(format!("heading level skipped: h{level} after h{p}"))
                    .rule("heading-order")
                    .with_hint(match h.origin {
                        Origin::Content { .. } => format!(
                            "use {} for a heading under an h{p}",
                            "#".repeat(usize::from(p) + 1)
                        ),
                        _ => format!("use <h{}> here", p + 1),
                    }),
            ));
        }
        previous = Some(level);
        if level == 1 {
            match first_h1 {
                None => first_h1 = Some(h),
                Some(_) => out.push((
                    h.map_item(()),
                    Diagnostic::error("more than one h1 on the page")
                        .rule("heading-h1")
                        .with_hint(match h.origin {
                            Origin::Content { .. } => "the page title is the page's h1: start the Markdown's headings at `##`",
                            _ => "keep one <h1>, the page's title",
                        }),
                )),
            }
        }
    }

    let mut by_name: HashMap<String, (&str, String)> = HashMap::new();
    for link in &scan.links {
        let name = link.item.name.trim();
        let found = link.map_item(());
        if name.is_empty() {
            out.push((
                found,
                Diagnostic::error(format!("the link to `{}` has no text", link.item.href))
                    .rule("link-empty")
                    .with_hint("give the link words that say where it goes (or alt text, if it is an image)"),
            ));
            continue;
        }
        let key = name.to_lowercase();
        let bare = key.trim_end_matches(['.', '…', ':', '!']).trim();
        if VAGUE.contains(&bare) {
            out.push((
                found,
                Diagnostic::warning(format!("the link text `{name}` does not say where it goes"))
                    .rule("link-vague")
                    .with_hint("use words that name the destination, such as `the Young Londoners Fund's grants`"),
            ));
            continue;
        }
        let href = link.item.href.trim();
        let leads_to = target(href);
        match by_name.get(&key) {
            Some((other, there)) if *there != leads_to => out.push((
                found,
                Diagnostic::warning(format!(
                    "the link text `{name}` leads to `{href}` here and to `{other}` elsewhere on the page"
                ))
                .rule("link-ambiguous")
                .with_hint("links with the same words should go to the same place; make each text say where it goes"),
            )),
            Some(_) => {}
            None => {
                by_name.insert(key, (href, leads_to));
            }
        }
    }

    for t in scan.tables.iter().filter(|t| !t.item) {
        out.push((
            t.map_item(()),
            Diagnostic::error("table without header cells")
                .rule("table-headers")
                .with_hint(match t.origin {
                    Origin::Content { .. } => {
                        "give the table a header row: `| Year | Funding |` then `|---|---|`"
                    }
                    _ => "mark the header cells with <th>",
                }),
        ));
    }
    for f in &scan.frames {
        if f.item.as_deref().is_none_or(|t| t.trim().is_empty()) {
            out.push((
                f.map_item(()),
                Diagnostic::error("frame without a title")
                    .rule("frame-title")
                    .with_hint("add title=\"…\" saying what the frame shows, such as title=\"Map of the youth centres\""),
            ));
        }
    }
    for v in scan.videos.iter().filter(|v| !v.item.accessible) {
        out.push((
            v.map_item(()),
            Diagnostic::error("video without captions or a transcript")
                .rule("video-captions")
                .with_hint("add a <track kind=\"captions\"> or a link to a transcript beside it"),
        ));
    }

    let mut ids: HashSet<&str> = HashSet::new();
    for id in &scan.ids {
        match ids.contains(id.item.as_str()) {
            true => out.push((
                id.map_item(()),
                Diagnostic::error(format!("the id `{}` is used twice on the page", id.item))
                    .rule("id-duplicate")
                    .with_hint(match id.origin {
                        Origin::Content { .. } => "change one of the two: a heading's id comes from its text, or give it one with `## Title {#other-id}`",
                        _ => "ids must be unique on a page: links, labels and ARIA rely on them",
                    }),
            )),
            false => {
                ids.insert(&id.item);
            }
        }
    }
    out
}

fn alt_hint(from_content: bool) -> &'static str {
    if from_content {
        "describe what the image shows: `![A teacher holding a knife wand](wand.jpg)`"
    } else {
        "add alt=\"…\" describing the image, or alt=\"\" if it is only decoration"
    }
}

/// `wand.jpg`, `IMG_2041`, or the image's own file name.
fn is_file_name(alt: &str, src: &str) -> bool {
    let lower = alt.to_ascii_lowercase();
    const EXTENSIONS: &[&str] = &[
        ".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp", ".avif", ".bmp", ".tif", ".tiff", ".heic",
    ];
    if EXTENSIONS.iter().any(|e| lower.ends_with(e)) {
        return true;
    }
    let camera = ["img", "dsc", "dscn", "pxl", "image", "photo", "screenshot"];
    let stripped = lower.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    if camera.iter().any(|c| lower.starts_with(c))
        && !stripped.is_empty()
        && stripped
            .trim_start_matches(['_', '-', ' '])
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '_' | '-'))
    {
        return true;
    }
    let file = src.rsplit('/').next().unwrap_or_default();
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    !stem.is_empty() && (lower == stem.to_ascii_lowercase() || lower == file.to_ascii_lowercase())
}

/// Alt text that is only a word for "image": `image`, `a photo`, `Picture.`
fn says_nothing(alt: &str) -> bool {
    let lower = alt.to_lowercase();
    let word = lower
        .trim()
        .trim_end_matches(['.', '!', ':'])
        .trim_start_matches("a ")
        .trim_start_matches("an ")
        .trim_start_matches("the ")
        .trim();
    [
        "image",
        "picture",
        "photo",
        "photograph",
        "graphic",
        "icon",
        "img",
        "pic",
        "illustration",
        "banner",
        "placeholder",
        "alt",
        "alt text",
    ]
    .contains(&word)
}

fn says_image_of(alt: &str) -> bool {
    let lower = alt.to_lowercase();
    let lower = lower.trim();
    ["image", "picture", "photo", "photograph", "graphic", "icon"]
        .iter()
        .any(|w| {
            lower == *w
                || [
                    format!("{w} of "),
                    format!("a {w} of "),
                    format!("an {w} of "),
                    format!("{w} showing "),
                    format!("{w}: "),
                ]
                .iter()
                .any(|p| lower.starts_with(p.as_str()))
        })
}

/// The rules over front matter: titles, summaries, review dates and statistics.
/// Pages of the last build (the manifest in the output folder) that no page or alias of this
/// one makes, and that are not simply out of the schedule now: their addresses would break
/// (bookmarks, links from other sites, search results). When one new page in the same folder
/// appeared meanwhile, the page was most likely renamed to it: the finding is made there, with
/// the line to add.
fn gone_pages(input: &CheckInput, previous: &crate::write::Manifest) -> Vec<Diagnostic> {
    let not_live: HashSet<String> = input
        .site
        .not_live
        .iter()
        .map(|n| crate::slug::output_file(&n.path))
        .collect();
    let made: HashSet<&str> = input.outputs.keys().map(|k| k.as_str()).collect();
    let taxonomy_bases: Vec<String> = input
        .config
        .taxonomies
        .iter()
        .map(|t| format!("/{}/", crate::slug::slugify(&t.name)))
        .collect();
    let new_pages: Vec<&crate::assemble::SitePage> = input
        .site
        .pages
        .iter()
        .filter(|p| {
            !previous
                .files
                .contains_key(crate::slug::output_file(&p.path).as_str())
        })
        .collect();
    let mut out = Vec::new();
    for old in previous.files.keys() {
        let old = old.as_str();
        if made.contains(old) || not_live.contains(old) {
            continue;
        }
        let Some(address) = crate::slug::page_address(old) else {
            continue;
        };
        // A term page comes and goes with the pages that have the term (one expiring takes
        // its term along): only addresses of the writers' own pages are promised to stay.
        if taxonomy_bases
            .iter()
            .any(|b| address.starts_with(b.as_str()))
        {
            continue;
        }
        let folder = |path: &str| {
            path.trim_end_matches('/')
                .rsplit_once('/')
                .map_or(String::new(), |(f, _)| f.to_string())
        };
        let successors: Vec<&&crate::assemble::SitePage> = new_pages
            .iter()
            .filter(|p| folder(&p.path) == folder(&address))
            .collect();
        let d = Diagnostic::warning(format!(
            "`{address}` was a page of the last build and no page makes it now: bookmarks and links from other sites to it will break"
        ))
        .rule("page-gone");
        let line = format!("aliases: [\"{address}\"]");
        out.push(match successors.as_slice() {
            [one] => {
                let page = &one.page;
                let d = d.with_hint(format!(
                    "if this page is its new name, add `{line}` to its front matter and the old address redirects here; if the old page is gone for good, nothing needs doing"
                ));
                let d = d.in_file(page.file.source_path.clone());
                match (&page.text, page.front.key_lines.get("title")) {
                    (Some(text), Some(&l)) => d.at(text, l, 1),
                    _ => d.at_line(1),
                }
            }
            _ => d.with_hint(format!(
                "if the page moved, add `{line}` to the front matter of the page that replaces it, and the old address redirects there; if it is gone for good, nothing needs doing"
            )),
        });
    }
    out
}

fn content_rules(input: &CheckInput) -> Vec<Diagnostic> {
    let settings = &input.config.check;
    let today = input.config.tz.to_datetime(input.schedule.as_of).date();
    let pages: Vec<&Page> = input
        .site
        .sections
        .iter()
        .filter_map(|s| s.page.as_ref())
        .chain(input.site.pages.iter().map(|p| &p.page))
        .collect();
    let mut out = Vec::new();
    let at_key = |p: &Page, key: &str, d: Diagnostic| -> Diagnostic {
        let d = d.in_file(p.file.source_path.clone());
        let Some(&line) = p.front.key_lines.get(key) else {
            return d;
        };
        match &p.text {
            Some(text) => {
                let src = text.lines().nth(line - 1).unwrap_or_default();
                let col = value_column(src);
                d.at(text, line, col)
            }
            None => d.at_line(line),
        }
    };

    let mut titles: BTreeMap<String, &Page> = BTreeMap::new();
    let mut sorted = pages.clone();
    sorted.sort_by(|a, b| a.file.source_path.cmp(&b.file.source_path));
    for p in &sorted {
        let title = p.front.title.trim();
        let n = title.chars().count();
        if n > MAX_TITLE {
            out.push(at_key(
                p,
                "title",
                Diagnostic::warning(format!("the title is {n} characters long; search results and browser tabs show about {MAX_TITLE}"))
                    .rule("title-length")
                    .with_hint("shorten it, keeping the words that matter first"),
            ));
        }
        match titles.get(&title.to_lowercase()) {
            Some(first) => out.push(at_key(
                p,
                "title",
                Diagnostic::warning(format!(
                    "the title `{title}` is also the title of {}",
                    first.file.source_path
                ))
                .rule("title-duplicate")
                .with_hint("give each page its own title, so that tabs, bookmarks and search results can be told apart"),
            )),
            None => {
                titles.insert(title.to_lowercase(), p);
            }
        }
        if let Some(summary) = &p.front.summary {
            let n = summary.trim().chars().count();
            if n > MAX_SUMMARY {
                out.push(at_key(
                    p,
                    "summary",
                    Diagnostic::warning(format!("the summary is {n} characters long; search results and link previews show about {MAX_SUMMARY}"))
                        .rule("summary-length")
                        .with_hint("keep it to one or two plain sentences"),
                ));
            }
        } else if let Some(text) = &p.body.summary_text {
            // The text before `<!-- more -->` is the summary of a page without `summary:`.
            let n = text.chars().count();
            if n > MAX_SUMMARY {
                let d = Diagnostic::warning(format!("the summary (the text before `<!-- more -->`) is {n} characters long; search results and link previews show about {MAX_SUMMARY}"))
                    .rule("summary-length")
                    .with_hint("move `<!-- more -->` up, or give the page a short `summary:`")
                    .in_file(p.file.source_path.clone());
                out.push(match &p.text {
                    Some(text) => match more_marker(text) {
                        Some((line, col)) => d.at(text, line, col),
                        None => d,
                    },
                    None => d,
                });
            }
        }
        if let Some(review_by) = p.front.review_by
            && review_by < today
        {
            out.push(at_key(
                p,
                "review_by",
                Diagnostic::warning(format!("the page was due for review on {review_by}"))
                    .rule("review-due")
                    .with_hint("review the page, then set `review_by` to the next review date"),
            ));
        }
    }

    // Statistics, from front matter (`stats`) and from `stat` shortcodes.
    struct Stat<'p> {
        page: &'p Page,
        id: Option<String>,
        value: String,
        as_of: Option<String>,
        /// Front-matter key (`stats[0]`) or shortcode line and column.
        at: Result<String, (usize, usize)>,
    }
    let mut stats: Vec<Stat<'_>> = Vec::new();
    for p in &sorted {
        if let Some(items) = p.front.params.get("stats").and_then(|v| v.as_array()) {
            for (i, item) in items.iter().enumerate() {
                let text = |k: &str| crate::value::get(item, k).and_then(data_text);
                stats.push(Stat {
                    page: p,
                    id: text("id"),
                    value: text("value").unwrap_or_default(),
                    as_of: text("as_of"),
                    at: Ok(format!("stats[{i}]")),
                });
            }
        }
        for s in p.body.shortcodes.iter().filter(|s| s.name == "stat") {
            let text = |k: &str| s.args.get(k).and_then(stat_text);
            stats.push(Stat {
                page: p,
                id: text("id"),
                value: text("value").unwrap_or_default(),
                as_of: text("as_of"),
                at: Err((s.line, s.column)),
            });
        }
    }
    let locate = |s: &Stat<'_>, field: &str, d: Diagnostic| -> Diagnostic {
        match &s.at {
            Ok(key) => {
                let exact = format!("{key}.{field}");
                if s.page.front.key_lines.contains_key(&exact) {
                    at_key(s.page, &exact, d)
                } else {
                    at_key(s.page, key, d)
                }
            }
            Err((line, col)) => {
                let d = d.in_file(s.page.file.source_path.clone());
                match &s.page.text {
                    Some(t) => d.at(t, *line, *col),
                    None => d.at_line(*line),
                }
            }
        }
    };
    let place = |s: &Stat<'_>| -> String {
        let line = match &s.at {
            Ok(key) => s.page.front.key_lines.get(key).copied(),
            Err((line, _)) => Some(*line),
        };
        match line {
            Some(l) => format!("{}:{l}", s.page.file.source_path),
            None => s.page.file.source_path.clone(),
        }
    };
    let max_age = i64::from(settings.stat_max_age_days);
    for s in &stats {
        let Some(as_of) = &s.as_of else { continue };
        match as_of
            .get(..10)
            .and_then(|d| d.parse::<jiff::civil::Date>().ok())
        {
            Some(date) => {
                let days = today
                    .since(date)
                    .map_or(0, |span| i64::from(span.get_days()));
                if days > max_age {
                    out.push(locate(
                        s,
                        "as_of",
                        Diagnostic::warning(format!(
                            "the figure `{}` is as of {date}, {} days ago (older than {max_age} days)",
                            s.value, days
                        ))
                        .rule("stat-stale")
                        .with_hint("find the latest figure from its source and update `value` and `as_of`, or set `check.stat_max_age_days` in site.yaml"),
                    ));
                }
            }
            None => out.push(locate(
                s,
                "as_of",
                Diagnostic::warning(format!("`as_of` `{as_of}` is not a date"))
                    .rule("stat-stale")
                    .with_hint(
                        "write the date the figure refers to as YYYY-MM-DD, such as `2018-05-31`",
                    ),
            )),
        }
    }
    let mut by_id: BTreeMap<&str, Vec<&Stat<'_>>> = BTreeMap::new();
    for s in &stats {
        if let Some(id) = &s.id {
            by_id.entry(id.as_str()).or_default().push(s);
        }
    }
    for (id, quoted) in by_id {
        let first = quoted[0];
        for s in &quoted[1..] {
            if s.value.trim() != first.value.trim() {
                out.push(locate(
                    s,
                    "value",
                    Diagnostic::error(format!(
                        "the statistic `{id}` is `{}` here but `{}` at {}",
                        s.value,
                        first.value,
                        place(first)
                    ))
                    .rule("stat-conflict")
                    .with_hint("a figure with one id must have one value everywhere: update both, or give them different ids"),
                ));
            }
        }
    }
    out
}

/// A figure as written in front matter: text, or a number.
fn data_text(v: &tera::Value) -> Option<String> {
    match v.as_str() {
        Some(s) => Some(s.to_string()),
        None => v.is_number().then(|| v.to_string()),
    }
}

/// A figure as written in a shortcode: text, or a number.
fn stat_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Line and column of the first `<!-- more -->` in a page's text.
fn more_marker(text: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(n, line)| {
        let at = line.find("<!--")?;
        let inner = line[at + 4..].split("-->").next()?;
        (inner.trim() == "more").then(|| (n + 1, line[..at].chars().count() + 1))
    })
}

/// The column where a `key: value` line's value starts (1 when there is none).
fn value_column(line: &str) -> usize {
    match line.find(':') {
        Some(c) => {
            let after = &line[c + 1..];
            let skip = after.len() - after.trim_start().len();
            if after.trim().is_empty() {
                1
            } else {
                line[..c + 1 + skip].chars().count() + 1
            }
        }
        None => 1,
    }
}

/// Renders findings as JSON: an array with one object per finding (`severity`, `rule`,
/// `path`, `line`, `column`, `message`, `hint`), one per line.
pub fn to_json(findings: &[Diagnostic]) -> String {
    #[derive(serde::Serialize)]
    struct Finding<'a> {
        severity: Severity,
        rule: &'a str,
        path: Option<&'a str>,
        line: Option<usize>,
        column: Option<usize>,
        message: &'a str,
        hint: Option<&'a str>,
    }
    let objects: Vec<String> = findings
        .iter()
        .map(|d| {
            serde_json::to_string(&Finding {
                severity: d.severity,
                rule: d.rule.unwrap_or("build"),
                path: d.path.as_deref(),
                line: d.line,
                column: d.column,
                message: &d.message,
                hint: d.hint.as_deref(),
            })
            .unwrap_or_default()
        })
        .collect();
    if objects.is_empty() {
        "[]".to_string()
    } else {
        format!("[\n{}\n]", objects.join(",\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_and_image_of() {
        assert!(is_file_name("wand.jpg", "/x/wand.jpg"));
        assert!(is_file_name("IMG_2041", "/x/a.png"));
        assert!(is_file_name("DSC-0042", "/x/a.png"));
        assert!(is_file_name("wand", "/x/wand.jpg"));
        assert!(!is_file_name(
            "A teacher holding a knife wand",
            "/x/wand.jpg"
        ));
        assert!(!is_file_name("Image", "/x/a.png") || says_image_of("Image"));
        assert!(says_image_of("Image of a teacher"));
        assert!(says_image_of("a photo of the team"));
        assert!(!says_image_of("Imagery from the campaign's posters"));
    }

    #[test]
    fn columns_of_values() {
        assert_eq!(value_column("title: Hello"), 8);
        assert_eq!(value_column("  - value: \"£45m\""), 12);
        assert_eq!(value_column("stats:"), 1);
    }
}
