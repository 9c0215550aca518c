//! assemble: parsed pages → a [`Site`]. First, from front matter alone, [`routes`] settles
//! what is live (drafts and embargoes applied, hidden sections taking their folders along) and
//! where every page and folder goes; the bodies are rendered with those routes at hand. Then
//! [`assemble`] puts the live pages into sections sorted as they ask, taxonomies and terms,
//! aliases and the files from `content/`, and runs the checks that need the whole site: two
//! sources on one URL, `@/` links to a heading that is not there, front-matter references to
//! missing pages. Pure.

pub mod routes;

use crate::config::SiteConfig;
use crate::diagnostic::Diagnostic;
use crate::load::AssetFile;
use crate::parse::Page;
use crate::parse::front_matter::SortBy;
use crate::schedule::Preview;
use crate::slug::slugify;
pub use routes::{Route, Routes, routes};
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
    /// The content paths of pages and sections that exist but are not in this site: not live
    /// in this build, or with errors of their own. Templates looking one up get none.
    pub absent: Vec<String>,
    /// The pages and sections not in this build, with their would-be addresses (for `serve`).
    pub not_live: Vec<routes::NotLive>,
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

impl Site {
    /// The web pages the site makes: its pages, its sections and its taxonomy and term pages
    /// (not the 404 page or alias redirects). The one number `build`, `serve` and `check` say.
    pub fn page_count(&self) -> usize {
        self.pages.len()
            + self.sections.len()
            + self
                .taxonomies
                .iter()
                .map(|t| t.terms.len() + 1)
                .sum::<usize>()
    }
}

/// Output files the build writes itself; no page may take them.
pub const RESERVED: &[&str] = &[
    "404.html",
    "sitemap.xml",
    "robots.txt",
    "atom.xml",
    "manifest.json",
];

/// What else the site is assembled with.
pub struct Inputs<'a> {
    /// The files from `content/` that are not pages.
    pub assets: &'a [AssetFile],
    /// The output paths of the theme's files.
    pub theme_outputs: &'a [String],
    /// Every template name, for pages that name their own.
    pub template_names: &'a HashSet<String>,
}

/// Assembles the site from the pages that parsed, placed where `routes` says.
pub fn assemble(
    config: &SiteConfig,
    parsed: Vec<Page>,
    routes: &Routes,
    inputs: &Inputs<'_>,
) -> (Site, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut site = Site {
        left_out: routes.left_out(),
        ..Site::default()
    };
    let template_names = inputs.template_names;
    let mut section_pages = Vec::new();
    let mut pages = Vec::with_capacity(parsed.len());
    // The headings of pages not in this build, for links that name one of their anchors.
    let mut hidden_ids: HashMap<String, Vec<String>> = HashMap::new();
    for page in parsed {
        if let Some(t) = &page.front.template
            && !template_names.contains(t)
        {
            let line = page.front.key_lines.get("template").copied().unwrap_or(1);
            diagnostics.push(
                    Diagnostic::error(format!("there is no template `{t}`"))
                        .in_file(page.file.source_path.clone())
                        .at_line(line)
                        .with_hint(match crate::diagnostic::did_you_mean(t, template_names.iter().map(String::as_str)) {
                            Some(near) => format!("did you mean `{near}`?"),
                            None => "name a template file of the theme or of the site's templates/ folder".into(),
                        }),
                );
        }
        let Some(Route::Live { path, preview }) = routes.get(&page.file.content_path).cloned()
        else {
            hidden_ids.insert(page.file.content_path.clone(), page.body.heading_ids);
            continue;
        };
        if page.file.is_section {
            section_pages.push((page, path, preview));
        } else {
            pages.push((page, path, preview));
        }
    }

    // Sections: one per live _index.md, plus the home page if the site has none.
    section_pages.sort_by(|a, b| a.0.file.dir.cmp(&b.0.file.dir));
    let mut section_by_dir: BTreeMap<String, usize> = BTreeMap::new();
    if !section_pages.iter().any(|(p, _, _)| p.file.dir.is_empty()) {
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
    for (page, path, preview) in section_pages {
        section_by_dir.insert(page.file.dir.clone(), site.sections.len());
        site.sections.push(SiteSection {
            title: page.front.title.clone(),
            dir: page.file.dir.clone(),
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

    // Pages, each in its section.
    pages.sort_by(|a, b| a.0.file.content_path.cmp(&b.0.file.content_path));
    site.pages.reserve_exact(pages.len());
    for (page, path, preview) in pages {
        let Some(section) = nearest_section(&page.file.dir, &section_by_dir, false)
            .or_else(|| section_by_dir.get("").copied())
        else {
            continue;
        };
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
                .map(|p| p.file.source_path.clone())
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
                        Diagnostic::warning(format!("{} has no `{k}`, but {section_file} sorts its pages by {k}; it is listed last", site.pages[i].page.file.source_path))
                            .in_file(site.pages[i].page.file.source_path.clone())
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
                    .then_with(|| pa.file.content_path.cmp(&pb.file.content_path))
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

    let (taxonomies, mut spelt) = taxonomies(config, &site.pages);
    site.taxonomies = taxonomies;
    diagnostics.append(&mut spelt);

    // Aliases.
    for p in &site.pages {
        for alias in &p.page.front.aliases {
            site.aliases.push(Alias {
                path: crate::slug::alias_url(alias),
                source: p.page.file.source_path.clone(),
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
                    source: page.file.source_path.clone(),
                    line: page.front.key_lines.get("aliases").copied(),
                    target: s.path.clone(),
                });
            }
        }
    }

    // Files from content/: those inside a page bundle follow their page (and stay out with it).
    // Every page bundle (a folder with index.md): live ones with their URL path, others with none.
    let bundles: HashMap<String, Option<String>> = routes
        .bundles()
        .map(|(dir, path)| (dir.to_string(), path.map(str::to_string)))
        .collect();
    for a in inputs.assets {
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
            None if routes.hidden.holding(dir).is_some() => continue,
            // Elsewhere a file sits beside the pages of its folder, under the folder's URL.
            None => format!("{}{file}", routes.dir_path(dir).trim_start_matches('/')),
        };
        site.assets.push(SiteAsset {
            output,
            source_path: a.source_path.clone(),
            bytes: Arc::clone(&a.bytes),
        });
    }

    diagnostics.extend(collisions(
        &site,
        inputs.theme_outputs,
        config.outputs.feeds,
    ));
    diagnostics.extend(check_anchors(&site, &hidden_ids));
    let present: HashSet<&str> = site
        .pages
        .iter()
        .map(|p| &p.page)
        .chain(site.sections.iter().filter_map(|s| s.page.as_ref()))
        .map(|p| p.file.content_path.as_str())
        .collect();
    site.not_live = routes.not_live.clone();
    site.absent = routes
        .known()
        .filter(|c| !present.contains(c))
        .map(str::to_string)
        .collect();
    (site, diagnostics)
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

/// The taxonomies and their terms. Terms whose names make one slug are one term; when they are
/// spelt differently (`Preventing Future Violence`, `Preventing future violence`) the term takes
/// the spelling most pages use (the first in file order on a tie), and each page with another
/// spelling gets a warning naming both.
fn taxonomies(config: &SiteConfig, pages: &[SitePage]) -> (Vec<TaxonomyIndex>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut diagnostics = Vec::new();
    for tax in &config.taxonomies {
        let base = format!("/{}/", slugify(&tax.name));
        let mut terms: BTreeMap<String, Term> = BTreeMap::new();
        // Per slug: each spelling with the pages that use it.
        let mut spellings: BTreeMap<String, BTreeMap<&str, Vec<usize>>> = BTreeMap::new();
        for (i, p) in pages.iter().enumerate() {
            for name in p.page.front.taxonomies.get(&tax.name).into_iter().flatten() {
                let slug = slugify(name);
                let users = spellings
                    .entry(slug.clone())
                    .or_default()
                    .entry(name.as_str())
                    .or_default();
                if !users.contains(&i) {
                    users.push(i);
                }
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
        let source = |i: usize| pages[i].page.file.source_path.as_str();
        for (slug, names) in &spellings {
            if names.len() < 2 {
                continue;
            }
            let first = |users: &Vec<usize>| users.iter().map(|&i| source(i)).min();
            let Some((chosen, _)) = names.iter().max_by(|a, b| {
                a.1.len()
                    .cmp(&b.1.len())
                    .then_with(|| first(b.1).cmp(&first(a.1)))
            }) else {
                continue;
            };
            if let Some(term) = terms.get_mut(slug) {
                term.name = chosen.to_string();
            }
            let count = names[chosen].len();
            let chosen_at = first(&names[chosen]).unwrap_or_default();
            for (name, users) in names.iter().filter(|(n, _)| *n != chosen) {
                for &i in users {
                    let page = &pages[i].page;
                    let line = page.front.key_lines.get(&tax.name).copied().unwrap_or(1);
                    let others = match count {
                        1 => format!("`{chosen}` in {chosen_at}"),
                        2 => format!("`{chosen}` in {chosen_at} and 1 other page"),
                        n => format!("`{chosen}` in {chosen_at} and {} other pages", n - 1),
                    };
                    diagnostics.push(
                        Diagnostic::warning(format!(
                            "the `{}` term `{name}` is spelt `{chosen}` elsewhere: {others}",
                            tax.name
                        ))
                        .in_file(page.file.source_path.clone())
                        .at_line(line)
                        .with_hint(format!(
                            "they are one term, shown as `{chosen}`; write it that way here too"
                        )),
                    );
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
    (out, diagnostics)
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
        who: page.file.source_path.clone(),
        file: Some((
            page.file.source_path.clone(),
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

/// Checks what only the whole site can tell: that the heading an `@/` link (in a body or a
/// theme key such as `cta.url`) names is on the page it leads to. (Links to missing or hidden
/// pages were reported as each page was finished.)
fn check_anchors(site: &Site, hidden: &HashMap<String, Vec<String>>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let ids: HashMap<&str, &[String]> = site
        .pages
        .iter()
        .map(|p| &p.page)
        .chain(site.sections.iter().filter_map(|s| s.page.as_ref()))
        .map(|p| (p.file.content_path.as_str(), p.body.heading_ids.as_slice()))
        .collect();
    let check = |page: &Page, out: &mut Vec<Diagnostic>| {
        for link in &page.body.links {
            let key = link.path.trim_start_matches('/');
            let Some(anchor) = &link.anchor else {
                continue;
            };
            // A page not in this build: the link is left out now, but would break the build
            // at the moment the page goes live; said now, as a warning.
            let (ids, live) = match (ids.get(key), hidden.get(key)) {
                (Some(ids), _) => (*ids, true),
                (None, Some(ids)) => (ids.as_slice(), false),
                (None, None) => continue,
            };
            if ids.iter().any(|i| i == anchor) {
                continue;
            }
            let mut d = if live {
                Diagnostic::error(format!(
                    "link to a missing anchor: `#{anchor}` is not a heading in {key}"
                ))
            } else {
                Diagnostic::warning(format!(
                    "link to a missing anchor: `#{anchor}` is not a heading in {key}, which is not published in this build; the build will fail when it is"
                ))
            }
            .in_file(page.file.source_path.clone());
            d.line = Some(link.line);
            d.column = Some(link.column);
            let d = d.with_source(link.source_line.clone(), link.source_start);
            out.push(
                match crate::diagnostic::did_you_mean(anchor, ids.iter().map(String::as_str)) {
                    Some(near) => d.with_hint(format!("did you mean `#{near}`?")),
                    None if ids.is_empty() => d.with_hint("that page has no headings"),
                    None => d.with_hint(format!("its headings are: {}", ids.join(", "))),
                },
            );
        }
    };
    for p in &site.pages {
        check(&p.page, &mut out);
    }
    for s in &site.sections {
        if let Some(p) = &s.page {
            check(p, &mut out);
        }
    }
    out
}
