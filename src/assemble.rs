//! assemble: parsed pages → a [`Site`]: what is live (drafts and embargoes applied), sections
//! and their sorted pages, taxonomies and terms, pretty URLs, aliases, co-located files, and the
//! checks that need the whole site: two sources on one URL, internal links to missing pages or
//! anchors. Internal `@/` links are resolved in each page's HTML here. Pure.

use crate::config::SiteConfig;
use crate::diagnostic::Diagnostic;
use crate::load::AssetFile;
use crate::parse::Page;
use crate::parse::front_matter::SortBy;
use crate::schedule::{Preview, Schedule};
use crate::slug::slugify;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// The whole site as it will be built.
#[derive(Debug, Default)]
pub struct Site {
    pub pages: Vec<SitePage>,
    pub sections: Vec<SiteSection>,
    pub taxonomies: Vec<TaxonomyIndex>,
    pub aliases: Vec<Alias>,
    /// Co-located and other non-Markdown files from `content/` that go out as they are.
    pub assets: Vec<SiteAsset>,
    /// Pages left out by the schedule (drafts, embargoed, expired).
    pub left_out: usize,
}

#[derive(Debug)]
pub struct SitePage {
    pub page: Page,
    /// URL path from the site root, without the base path (`/initiatives/x/`).
    pub path: String,
    pub section: usize,
    pub preview: Option<Preview>,
    pub previous: Option<usize>,
    pub next: Option<usize>,
}

#[derive(Debug)]
pub struct SiteSection {
    /// The `_index.md` page, or `None` for a home page the site does not write itself.
    pub page: Option<Page>,
    pub title: String,
    /// Content folder (`initiatives`; `` for the home page).
    pub dir: String,
    pub path: String,
    pub parent: Option<usize>,
    /// Pages, sorted as the section asks.
    pub pages: Vec<usize>,
    pub subsections: Vec<usize>,
    pub preview: Option<Preview>,
}

#[derive(Debug)]
pub struct TaxonomyIndex {
    pub name: String,
    pub title: String,
    pub path: String,
    pub terms: Vec<Term>,
}

#[derive(Debug)]
pub struct Term {
    pub name: String,
    pub slug: String,
    pub path: String,
    /// Pages, newest first.
    pub pages: Vec<usize>,
}

#[derive(Debug)]
pub struct Alias {
    /// The alias's URL path (`/old/`).
    pub path: String,
    /// The content file that declares it, and the line of its `aliases` key.
    pub source: String,
    pub line: Option<usize>,
    /// The page it redirects to (URL path).
    pub target: String,
}

#[derive(Debug, Clone)]
pub struct SiteAsset {
    pub output: String,
    pub source_path: String,
    pub bytes: Arc<Vec<u8>>,
}

/// Output files the build writes itself; no page may take them.
pub const RESERVED: &[&str] = &[
    "404.html",
    "sitemap.xml",
    "robots.txt",
    "atom.xml",
    "manifest.json",
];

/// Assembles the site. `broken` holds the content paths of files that failed to parse (links
/// to them are not reported again); `theme_outputs` the output paths of the theme's files.
pub fn assemble(
    config: &SiteConfig,
    parsed: Vec<Page>,
    assets: &[AssetFile],
    broken: &HashSet<String>,
    theme_outputs: &[String],
    template_names: &HashSet<String>,
    schedule: &Schedule,
) -> (Site, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut site = Site::default();

    // Every page that exists in content, live or not, for link checks.
    // (The heading ids move here: nothing after assembly needs them.)
    let mut all: HashMap<String, (Option<String>, Vec<String>)> =
        HashMap::with_capacity(parsed.len());
    let mut section_pages = Vec::new();
    let mut pages = Vec::with_capacity(parsed.len());
    // A section that is not live (a draft, embargoed, expired) takes everything under it along:
    // its pages, subsections and files. (The home page's _index.md does not hide the site.)
    let hidden: Vec<String> = parsed
        .iter()
        .filter(|p| p.is_section && !p.dir.is_empty() && schedule.include(&p.front).is_none())
        .map(|p| p.dir.clone())
        .collect();
    let under_hidden = |dir: &str| {
        hidden.iter().any(|h| {
            dir == h
                || dir
                    .strip_prefix(h.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    };
    for mut page in parsed {
        if let Some(t) = &page.front.template
            && !template_names.contains(t)
        {
            let line = page.front.key_lines.get("template").copied().unwrap_or(1);
            diagnostics.push(
                    Diagnostic::error(format!("there is no template `{t}`"))
                        .in_file(page.source_path.clone())
                        .at_line(line)
                        .with_hint(match crate::diagnostic::did_you_mean(t, template_names.iter().map(String::as_str)) {
                            Some(near) => format!("did you mean `{near}`?"),
                            None => "name a template file of the theme or of the site's templates/ folder".into(),
                        }),
                );
        }
        let included = if under_hidden(&page.dir) {
            None
        } else {
            schedule.include(&page.front)
        };
        match included {
            None => {
                site.left_out += 1;
                all.insert(
                    page.content_path.clone(),
                    (None, std::mem::take(&mut page.body.heading_ids)),
                );
            }
            Some(preview) => {
                if page.is_section {
                    section_pages.push((page, preview));
                } else {
                    pages.push((page, preview));
                }
            }
        }
    }

    // Sections: one per live _index.md, plus the home page if the site has none.
    section_pages.sort_by(|a, b| a.0.dir.cmp(&b.0.dir));
    let mut section_by_dir: BTreeMap<String, usize> = BTreeMap::new();
    let mut dir_paths: HashMap<String, String> = HashMap::new();
    if !section_pages.iter().any(|(p, _)| p.dir.is_empty()) {
        site.sections.push(SiteSection {
            page: None,
            title: config.title.clone(),
            dir: String::new(),
            path: "/".into(),
            parent: None,
            pages: vec![],
            subsections: vec![],
            preview: None,
        });
        section_by_dir.insert(String::new(), 0);
    }
    dir_paths.insert(String::new(), "/".into());
    for (mut page, preview) in section_pages {
        let path = dir_path(&page.dir, page.front.slug.as_deref(), &dir_paths);
        dir_paths.insert(page.dir.clone(), path.clone());
        all.insert(
            page.content_path.clone(),
            (
                Some(path.clone()),
                std::mem::take(&mut page.body.heading_ids),
            ),
        );
        section_by_dir.insert(page.dir.clone(), site.sections.len());
        site.sections.push(SiteSection {
            title: page.front.title.clone(),
            dir: page.dir.clone(),
            path,
            parent: None,
            pages: vec![],
            subsections: vec![],
            preview,
            page: Some(page),
        });
    }
    for i in 0..site.sections.len() {
        if site.sections[i].dir.is_empty() {
            continue;
        }
        let parent = nearest_section(&site.sections[i].dir, &section_by_dir, true);
        site.sections[i].parent = parent;
        if let Some(p) = parent {
            site.sections[p].subsections.push(i);
        }
    }

    // Pages: URL, owning section.
    pages.sort_by(|a, b| a.0.content_path.cmp(&b.0.content_path));
    site.pages.reserve_exact(pages.len());
    for (mut page, preview) in pages {
        if page.is_bundle && page.dir.is_empty() {
            diagnostics.push(
                Diagnostic::error(format!(
                    "`{}` cannot be a page: the home page is `content/_index.md`",
                    page.source_path
                ))
                .in_file(&page.source_path)
                .with_hint(
                    "rename it to `content/_index.md` (the home page's text and title), \
                     or give it a name such as `content/about.md`",
                ),
            );
            continue;
        }
        let (parent_dir, own) = if page.is_bundle {
            match page.dir.rsplit_once('/') {
                Some((d, last)) => (d.to_string(), last.to_string()),
                None => (String::new(), page.dir.clone()),
            }
        } else {
            (page.dir.clone(), page.stem.clone())
        };
        let slug = match &page.front.slug {
            Some(s) => slugify(s),
            None => slugify(&own),
        };
        if slug.is_empty() {
            diagnostics.push(
                Diagnostic::error(format!(
                    "cannot make a URL from the file name `{own}`: it has no letters or digits"
                ))
                .in_file(page.source_path.clone())
                .with_hint("rename the file or set `slug:` in the front matter"),
            );
            continue;
        }
        let base = dir_path(&parent_dir, None, &dir_paths);
        let path = format!("{base}{slug}/");
        let Some(section) = nearest_section(&page.dir, &section_by_dir, false)
            .or_else(|| section_by_dir.get("").copied())
        else {
            continue;
        };
        all.insert(
            page.content_path.clone(),
            (
                Some(path.clone()),
                std::mem::take(&mut page.body.heading_ids),
            ),
        );
        site.pages.push(SitePage {
            page,
            path,
            section,
            preview,
            previous: None,
            next: None,
        });
    }
    for (i, p) in site.pages.iter().enumerate() {
        site.sections[p.section].pages.push(i);
    }

    // Sorting, with a warning for every page that lacks the key it is sorted by.
    for s in 0..site.sections.len() {
        let sort_by = site.sections[s].page.as_ref().and_then(|p| p.front.sort_by);
        let mut idx = std::mem::take(&mut site.sections[s].pages);
        if let Some(key) = sort_by {
            let section_file = site.sections[s]
                .page
                .as_ref()
                .map(|p| p.source_path.clone())
                .unwrap_or_default();
            for &i in &idx {
                let fm = &site.pages[i].page.front;
                let missing = match key {
                    SortBy::Weight => fm.weight.is_none(),
                    SortBy::Date => fm.date.is_none(),
                    SortBy::Title => false,
                };
                if missing {
                    let k = if key == SortBy::Weight {
                        "weight"
                    } else {
                        "date"
                    };
                    diagnostics.push(
                        Diagnostic::warning(format!("{} has no `{k}`, but {section_file} sorts its pages by {k}; it is listed last", site.pages[i].page.source_path))
                            .in_file(site.pages[i].page.source_path.clone())
                            .with_hint(format!("add `{k}:` to its front matter")),
                    );
                }
            }
        }
        idx.sort_by(|&a, &b| {
            let (pa, pb) = (&site.pages[a].page, &site.pages[b].page);
            let title = || {
                pa.front
                    .title
                    .to_lowercase()
                    .cmp(&pb.front.title.to_lowercase())
                    .then_with(|| pa.content_path.cmp(&pb.content_path))
            };
            let newest = || match (&pa.front.date, &pb.front.date) {
                (Some(x), Some(y)) => y.at.cmp(&x.at),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            match sort_by {
                Some(SortBy::Weight) => match (pa.front.weight, pb.front.weight) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
                .then_with(title),
                Some(SortBy::Title) => title(),
                Some(SortBy::Date) | None => newest().then_with(title),
            }
        });
        for (n, &i) in idx.iter().enumerate() {
            site.pages[i].previous = n.checked_sub(1).map(|p| idx[p]);
            site.pages[i].next = idx.get(n + 1).copied();
        }
        site.sections[s].pages = idx;
    }
    for s in 0..site.sections.len() {
        let mut subs = std::mem::take(&mut site.sections[s].subsections);
        subs.sort_by(|&a, &b| {
            let w = |i: usize| {
                site.sections[i]
                    .page
                    .as_ref()
                    .and_then(|p| p.front.weight)
                    .unwrap_or(i64::MAX)
            };
            w(a).cmp(&w(b))
                .then_with(|| site.sections[a].title.cmp(&site.sections[b].title))
        });
        site.sections[s].subsections = subs;
    }

    site.taxonomies = taxonomies(config, &site.pages);

    // Aliases.
    for p in &site.pages {
        for alias in &p.page.front.aliases {
            site.aliases.push(Alias {
                path: crate::slug::alias_url(alias),
                source: p.page.source_path.clone(),
                line: p.page.front.key_lines.get("aliases").copied(),
                target: p.path.clone(),
            });
        }
    }
    for s in &site.sections {
        if let Some(page) = &s.page {
            for alias in &page.front.aliases {
                site.aliases.push(Alias {
                    path: crate::slug::alias_url(alias),
                    source: page.source_path.clone(),
                    line: page.front.key_lines.get("aliases").copied(),
                    target: s.path.clone(),
                });
            }
        }
    }

    // Files from content/: those inside a page bundle follow their page (and stay out with it).
    // Every page bundle (a folder with index.md): live ones with their URL path, others with none.
    let mut bundles: HashMap<String, Option<String>> = all
        .iter()
        .filter(|(k, (path, _))| path.is_none() && k.ends_with("/index.md"))
        .map(|(k, _)| (k.trim_end_matches("/index.md").to_string(), None))
        .collect();
    for p in site.pages.iter().filter(|p| p.page.is_bundle) {
        bundles.insert(p.page.dir.clone(), Some(p.path.clone()));
    }
    for a in assets {
        let (dir, file) = a
            .content_path
            .rsplit_once('/')
            .unwrap_or(("", a.content_path.as_str()));
        // A file belongs to the innermost bundle that holds it, and goes where its page goes.
        let owner = bundles
            .iter()
            .filter(|(b, _)| {
                a.content_path
                    .strip_prefix(b.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|(b, _)| b.len());
        let output = match owner {
            Some((_, None)) => continue,
            Some((b, Some(path))) => format!(
                "{}{}",
                path.trim_start_matches('/'),
                &a.content_path[b.len() + 1..]
            ),
            None if under_hidden(dir) => continue,
            // Elsewhere a file sits beside the pages of its folder, under the folder's URL.
            None => format!(
                "{}{file}",
                dir_path(dir, None, &dir_paths).trim_start_matches('/')
            ),
        };
        site.assets.push(SiteAsset {
            output,
            source_path: a.source_path.clone(),
            bytes: Arc::clone(&a.bytes),
        });
    }

    diagnostics.extend(collisions(&site, theme_outputs, config.outputs.feeds));
    diagnostics.extend(resolve_links(&mut site, &all, broken, config));
    (site, diagnostics)
}

/// The URL path of a content folder: each segment slugified; a section's `slug` replaces its
/// own last segment.
fn dir_path(dir: &str, own_slug: Option<&str>, known: &HashMap<String, String>) -> String {
    if dir.is_empty() {
        return "/".into();
    }
    if own_slug.is_none()
        && let Some(p) = known.get(dir)
    {
        return p.clone();
    }
    let (parent, last) = match dir.rsplit_once('/') {
        Some((p, l)) => (p, l),
        None => ("", dir),
    };
    let parent_path = dir_path(parent, None, known);
    let seg = own_slug
        .map(slugify)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            let s = slugify(last);
            if s.is_empty() { "section".into() } else { s }
        });
    format!("{parent_path}{seg}/")
}

/// The section a folder belongs to: itself (unless `strict`), else its nearest ancestor.
fn nearest_section(dir: &str, sections: &BTreeMap<String, usize>, strict: bool) -> Option<usize> {
    let mut d = dir.to_string();
    if !strict && let Some(&i) = sections.get(&d) {
        return Some(i);
    }
    loop {
        if d.is_empty() {
            return None;
        }
        d = d
            .rsplit_once('/')
            .map_or(String::new(), |(p, _)| p.to_string());
        if let Some(&i) = sections.get(&d) {
            return Some(i);
        }
    }
}

fn taxonomies(config: &SiteConfig, pages: &[SitePage]) -> Vec<TaxonomyIndex> {
    let mut out = Vec::new();
    for tax in &config.taxonomies {
        let base = format!("/{}/", slugify(&tax.name));
        let mut terms: BTreeMap<String, Term> = BTreeMap::new();
        for (i, p) in pages.iter().enumerate() {
            for name in p.page.front.taxonomies.get(&tax.name).into_iter().flatten() {
                let slug = slugify(name);
                let term = terms.entry(slug.clone()).or_insert_with(|| Term {
                    name: name.clone(),
                    path: format!("{base}{slug}/"),
                    slug,
                    pages: vec![],
                });
                if !term.pages.contains(&i) {
                    term.pages.push(i);
                }
            }
        }
        let mut terms: Vec<Term> = terms.into_values().collect();
        for t in &mut terms {
            t.pages.sort_by(|&a, &b| {
                let (pa, pb) = (&pages[a].page.front, &pages[b].page.front);
                pb.date
                    .as_ref()
                    .map(|d| d.at)
                    .cmp(&pa.date.as_ref().map(|d| d.at))
                    .then_with(|| pa.title.cmp(&pb.title))
            });
        }
        terms.sort_by_key(|a| a.name.to_lowercase());
        out.push(TaxonomyIndex {
            name: tax.name.clone(),
            title: tax.title.clone(),
            path: base,
            terms,
        });
    }
    out
}

/// Two sources on one output file (compared without case: many file systems and CDNs fold it).
fn collisions(site: &Site, theme_outputs: &[String], feeds: bool) -> Vec<Diagnostic> {
    struct Claim {
        who: String,
        /// The content file to point the error at, and the line of the key that made the URL.
        file: Option<(String, Option<usize>)>,
        url: String,
    }
    let mut seen: HashMap<String, Claim> = HashMap::new();
    let mut out = Vec::new();
    let mut claim = |output: String, claim: Claim, out: &mut Vec<Diagnostic>| {
        let key = output.to_lowercase();
        match seen.get(&key) {
            Some(other) => {
                let same = if other.url == claim.url {
                    format!("the URL {}", claim.url)
                } else {
                    format!(
                        "the URLs {} and {}, which differ only in case",
                        other.url, claim.url
                    )
                };
                let mut d = Diagnostic::error(format!(
                    "{} and {} both map to {same}",
                    claim.who, other.who
                ))
                .with_hint("give one of them a different file name or `slug:`");
                if let Some((path, line)) = claim.file.or(other.file.clone()) {
                    d = d.in_file(path);
                    if let Some(l) = line {
                        d = d.at_line(l);
                    }
                }
                out.push(d);
            }
            None => {
                seen.insert(key, claim);
            }
        }
    };
    let page_claim = |page: &Page, key: &str, url: &str| Claim {
        who: page.source_path.clone(),
        file: Some((
            page.source_path.clone(),
            page.front.key_lines.get(key).copied(),
        )),
        url: url.to_string(),
    };
    let own = |who: String, url: String| Claim {
        who,
        file: None,
        url,
    };
    for name in RESERVED {
        claim(
            name.to_string(),
            own(format!("placard's own {name}"), format!("/{name}")),
            &mut out,
        );
    }
    for f in theme_outputs {
        claim(
            f.clone(),
            own(format!("the theme's static file {f}"), format!("/{f}")),
            &mut out,
        );
    }
    for s in &site.sections {
        let c = match &s.page {
            Some(page) => page_claim(page, "slug", &s.path),
            None => own("the home page".into(), s.path.clone()),
        };
        claim(crate::slug::output_file(&s.path), c, &mut out);
        if feeds && !s.dir.is_empty() {
            let feed = format!("{}atom.xml", s.path);
            claim(
                feed.trim_start_matches('/').to_string(),
                own(format!("the feed of section {}", s.path), feed),
                &mut out,
            );
        }
    }
    for p in &site.pages {
        claim(
            crate::slug::output_file(&p.path),
            page_claim(&p.page, "slug", &p.path),
            &mut out,
        );
    }
    for t in &site.taxonomies {
        claim(
            crate::slug::output_file(&t.path),
            own(format!("the `{}` taxonomy", t.name), t.path.clone()),
            &mut out,
        );
        for term in &t.terms {
            claim(
                crate::slug::output_file(&term.path),
                own(
                    format!("the `{}` term `{}`", t.name, term.name),
                    term.path.clone(),
                ),
                &mut out,
            );
        }
    }
    for a in &site.aliases {
        let c = Claim {
            who: format!("the alias {} of {}", a.path, a.source),
            file: Some((a.source.clone(), a.line)),
            url: a.path.clone(),
        };
        claim(crate::slug::output_file(&a.path), c, &mut out);
    }
    for a in &site.assets {
        let c = Claim {
            who: a.source_path.clone(),
            file: Some((a.source_path.clone(), None)),
            url: format!("/{}", a.output),
        };
        claim(a.output.clone(), c, &mut out);
    }
    out
}

/// Checks every `@/` link and front-matter reference, and rewrites links in the HTML.
fn resolve_links(
    site: &mut Site,
    all: &HashMap<String, (Option<String>, Vec<String>)>,
    broken: &HashSet<String>,
    config: &SiteConfig,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let base_path = config.base_path().to_string();
    let known: Vec<&str> = all.keys().map(String::as_str).collect();
    let fix = |page: &mut Page, out: &mut Vec<Diagnostic>| {
        // The escaped `@/…` value as written in the HTML → its URL, or `None` to unlink it.
        let mut rewrites: HashMap<String, Option<String>> = HashMap::new();
        for link in &page.body.links {
            let key = link.path.trim_start_matches('/').to_string();
            let located = |d: Diagnostic| {
                let mut d = d.in_file(page.source_path.clone());
                d.line = Some(link.line);
                d.column = Some(link.column);
                d.with_source(link.source_line.clone(), link.source_start)
            };
            let raw_html = pulldown_cmark_escape_href(&link.raw);
            match all.get(&key) {
                None if broken.contains(&key) => {}
                None => {
                    let d = located(Diagnostic::error(format!(
                        "link to a missing page: `{}`",
                        link.raw
                    )));
                    out.push(match crate::diagnostic::did_you_mean(&key, known.iter().copied()) {
                        Some(near) => d.with_hint(format!("did you mean `@/{near}`?")),
                        None => d.with_hint("internal links name a file under content/, such as `@/initiatives/young-londoners-fund.md`"),
                    });
                }
                Some((None, _)) => {
                    out.push(
                        located(Diagnostic::warning(format!("link to `{}`, which is not published in this build; the link is left out", link.raw)))
                            .with_hint("the link text stays; the link appears once the page is live (rebuild then)"),
                    );
                    rewrites.insert(raw_html, None);
                }
                Some((Some(path), ids)) => {
                    if let Some(anchor) = &link.anchor
                        && !ids.iter().any(|i| i == anchor)
                    {
                        let d = located(Diagnostic::error(format!(
                            "link to a missing anchor: `#{anchor}` is not a heading in {key}"
                        )));
                        out.push(
                            match crate::diagnostic::did_you_mean(
                                anchor,
                                ids.iter().map(String::as_str),
                            ) {
                                Some(near) => d.with_hint(format!("did you mean `#{near}`?")),
                                None if ids.is_empty() => d.with_hint("that page has no headings"),
                                None => {
                                    d.with_hint(format!("its headings are: {}", ids.join(", ")))
                                }
                            },
                        );
                        continue;
                    }
                    let url = format!(
                        "{base_path}{}{}",
                        path.trim_start_matches('/'),
                        link.anchor
                            .as_ref()
                            .map(|a| format!("#{a}"))
                            .unwrap_or_default()
                    );
                    rewrites.insert(raw_html, Some(url));
                }
            }
        }
        if !rewrites.is_empty() {
            page.body.html = rewrite_links(&page.body.html, &rewrites).into();
            if let Some(s) = page.body.summary_html.as_mut() {
                *s = rewrite_links(s, &rewrites);
            }
        }
        // `@/` references in theme fields (`related`, `cta.url`…).
        for (key, value) in &page.front.params {
            let mut refs = Vec::new();
            collect_refs(value, &mut refs);
            for r in refs {
                let target = r
                    .trim_start_matches("@/")
                    .split('#')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                if !all.contains_key(&target) && !broken.contains(&target) {
                    let line = page.front.key_lines.get(key).copied().unwrap_or(1);
                    let d = Diagnostic::error(format!("`{key}` refers to a missing page: `{r}`"))
                        .in_file(page.source_path.clone())
                        .at_line(line);
                    out.push(match crate::diagnostic::did_you_mean(&target, known.iter().copied()) {
                        Some(near) => d.with_hint(format!("did you mean `@/{near}`?")),
                        None => d.with_hint("name a file under content/, such as `@/initiatives/young-londoners-fund.md`"),
                    });
                }
            }
        }
    };
    for p in &mut site.pages {
        fix(&mut p.page, &mut out);
    }
    for s in &mut site.sections {
        if let Some(p) = s.page.as_mut() {
            fix(p, &mut out);
        }
    }
    out
}

fn collect_refs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if s.starts_with("@/") => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        serde_json::Value::Object(m) => m.values().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

/// The href as pulldown-cmark writes it.
fn pulldown_cmark_escape_href(raw: &str) -> String {
    let mut s = String::new();
    let _ = pulldown_cmark_escape::escape_href(&mut s, raw);
    s
}

/// Rewrites every `href="@/…"` and `src="@/…"` in one pass: to its URL, or — for a link to a
/// page that is not live — removing the `<a>` and its `</a>` but keeping the text.
fn rewrite_links(html: &str, rewrites: &HashMap<String, Option<String>>) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut drop_close = false;
    loop {
        let attr = rest.find("=\"@/");
        let close = if drop_close { rest.find("</a>") } else { None };
        if let Some(c) = close.filter(|c| attr.is_none_or(|a| *c < a)) {
            out.push_str(&rest[..c]);
            rest = &rest[c + 4..];
            drop_close = false;
            continue;
        }
        let Some(a) = attr else { break };
        let start = a + 2;
        let Some(len) = rest[start..].find('"') else {
            break;
        };
        let end = start + len;
        match rewrites.get(&rest[start..end]) {
            Some(Some(url)) => {
                out.push_str(&rest[..start]);
                out.push_str(&crate::text::escape(url));
                rest = &rest[end..];
            }
            Some(None)
                if rest[..a]
                    .rfind('<')
                    .is_some_and(|t| rest[t..].starts_with("<a ")) =>
            {
                let tag = rest[..a].rfind('<').unwrap_or(a);
                let Some(tag_end) = rest[end..].find('>') else {
                    break;
                };
                out.push_str(&rest[..tag]);
                rest = &rest[end + tag_end + 1..];
                drop_close = true;
            }
            _ => {
                out.push_str(&rest[..end]);
                rest = &rest[end..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_rewritten_or_unlinked_in_one_pass() {
        let mut map = HashMap::new();
        map.insert("@/a.md".to_string(), Some("/a/".to_string()));
        map.insert("@/b.md#x".to_string(), Some("/b/#x".to_string()));
        map.insert("@/draft.md".to_string(), None);
        let html = "<p><a href=\"@/a.md\">A</a> <img src=\"@/b.md#x\" alt=\"b\"> <a href=\"@/draft.md\" title=\"t\">soon</a> <a href=\"@/other.md\">o</a> <em>x</em></p>";
        assert_eq!(
            rewrite_links(html, &map),
            "<p><a href=\"/a/\">A</a> <img src=\"/b/#x\" alt=\"b\"> soon <a href=\"@/other.md\">o</a> <em>x</em></p>"
        );
    }
}
