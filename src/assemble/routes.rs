//! Where every page goes, settled from front matter alone before any body is rendered: which
//! pages are live in this build (the schedule, with hidden sections taking their folders along),
//! the URL path of each live page and section, and of every content folder. The Markdown
//! renderer then writes each `@/` link with the URL found here ([`Routes`] is its
//! [`Links`]). Pure.

use crate::config::SiteConfig;
use crate::diagnostic::Diagnostic;
use crate::parse::PageFile;
use crate::parse::front_matter::FrontMatter;
use crate::parse::markdown::{Link, Links};
use crate::schedule::{HiddenSections, Preview, Schedule};
use crate::slug::slugify;
use std::collections::HashMap;

/// The place of every content file in this build.
#[derive(Debug, Default)]
pub struct Routes {
    /// Content path (`initiatives/x.md`) → its route.
    pages: HashMap<String, Route>,
    /// Content folder → its URL path (`initiatives` → `/initiatives/`; a section's `slug`
    /// renames its folder's segment).
    dirs: HashMap<String, String>,
    pub hidden: HiddenSections,
    /// The base URL's path (`/` or `/campaign/`), which every link starts with.
    base_path: String,
    /// Every content path that makes a page or section, sorted (for "did you mean").
    known: Vec<String>,
    /// The pages and sections not in this build, with the address each would have and why it
    /// is not there (for `serve`, which says so on that address's 404 page).
    pub not_live: Vec<NotLive>,
}

/// A page or section that exists but is not in this build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotLive {
    /// `content/initiatives/x.md`.
    pub source: String,
    /// The URL path it would have (`/initiatives/x/`), without the base path.
    pub path: String,
    pub why: Absence,
}

/// Why a page is not in a build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Absence {
    Draft,
    /// Embargoed until this instant (in the site's time zone, as `status` shows it).
    Embargoed(String),
    Expired,
    /// Its section (`content/news/_index.md`) is not live.
    Section(String),
}

/// Where one content file goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// In this build, at this URL path from the site root (`/initiatives/x/`, no base path).
    Live {
        path: String,
        preview: Option<Preview>,
    },
    /// A page that is not in this build: a draft, embargoed or expired, or under such a
    /// section.
    Hidden,
    /// A file with errors of its own: it makes no page, and links to it are not reported again.
    Unparsed,
}

impl Routes {
    pub fn get(&self, content_path: &str) -> Option<&Route> {
        self.pages.get(content_path)
    }

    /// The URL path of a live page or section.
    pub fn path(&self, content_path: &str) -> Option<&str> {
        match self.pages.get(content_path) {
            Some(Route::Live { path, .. }) => Some(path),
            _ => None,
        }
    }

    /// The URL path of a content folder (for the files in it).
    pub fn dir_path(&self, dir: &str) -> String {
        dir_path(dir, None, &self.dirs)
    }

    /// Every live page and section: (content path, URL path).
    pub fn live(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pages
            .iter()
            .filter_map(|(content, route)| match route {
                Route::Live { path, .. } => Some((content.as_str(), path.as_str())),
                _ => None,
            })
    }

    /// Pages and sections not in this build.
    pub fn left_out(&self) -> usize {
        self.pages.values().filter(|r| **r == Route::Hidden).count()
    }

    /// Every page bundle (a folder with an `index.md` that parsed), with its URL path when it is
    /// live: the files in its folder go where it goes, or stay out with it.
    pub fn bundles(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.pages.iter().filter_map(|(content, route)| {
            let dir = content.strip_suffix("/index.md")?;
            match route {
                Route::Live { path, .. } => Some((dir, Some(path.as_str()))),
                Route::Hidden => Some((dir, None)),
                Route::Unparsed => None,
            }
        })
    }

    /// Every page and section that exists in the content, live or not.
    pub fn known(&self) -> impl Iterator<Item = &str> {
        self.known.iter().map(String::as_str)
    }
}

impl Links for Routes {
    fn resolve(&self, content_path: &str) -> Link {
        match self.pages.get(content_path) {
            Some(Route::Live { path, .. }) => Link::Url(format!(
                "{}{}",
                self.base_path,
                path.trim_start_matches('/')
            )),
            Some(Route::Hidden) => Link::NotLive,
            Some(Route::Unparsed) => Link::Unparsed,
            None => Link::Missing {
                near: crate::diagnostic::did_you_mean_path(content_path, self.known())
                    .map(str::to_string),
            },
        }
    }

    fn is_live(&self, content_path: &str) -> bool {
        matches!(self.pages.get(content_path), Some(Route::Live { .. }))
    }
}

/// Settles the routes from every content file's front matter (`None` for a file whose front
/// matter has errors; those, and the `unreadable` files that could not even be split, are
/// [`Route::Unparsed`]). Reports what
/// makes a page impossible to place: a bundle at the site's root, a name without letters.
pub fn routes<'a>(
    config: &SiteConfig,
    heads: impl IntoIterator<Item = (&'a PageFile, Option<&'a FrontMatter>)>,
    unreadable: &[String],
    schedule: &Schedule,
) -> (Routes, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut routes = Routes {
        base_path: config.base_path().to_string(),
        ..Default::default()
    };
    for c in unreadable {
        routes.pages.insert(c.clone(), Route::Unparsed);
    }
    let readable: Vec<(&PageFile, &FrontMatter)> = heads
        .into_iter()
        .filter_map(|(file, front)| match front {
            Some(fm) => Some((file, fm)),
            None => {
                routes
                    .pages
                    .insert(file.content_path.clone(), Route::Unparsed);
                None
            }
        })
        .collect();
    routes.hidden = HiddenSections::new(readable.iter().copied(), |fm| {
        schedule.include(fm).is_some()
    });
    let included = |file: &PageFile, fm: &FrontMatter| match routes.hidden.holder(file) {
        Some(_) => None,
        None => schedule.include(fm),
    };

    let absence = |file: &PageFile, fm: &FrontMatter| -> Absence {
        if let Some(section) = routes.hidden.holder(file) {
            return Absence::Section(section.to_string());
        }
        // A draft waits for a person, whatever its dates say.
        if fm.draft && !schedule.drafts {
            return Absence::Draft;
        }
        match crate::schedule::state(fm, schedule.as_of) {
            crate::schedule::State::Embargoed { until } => {
                Absence::Embargoed(crate::time::in_zone(until, false, &config.tz))
            }
            crate::schedule::State::Expired { .. } => Absence::Expired,
            _ => Absence::Draft,
        }
    };
    let mut not_live = Vec::new();

    // Sections first, outermost first: a folder's URL is its parent's and its own segment.
    let mut sections: Vec<&(&PageFile, &FrontMatter)> =
        readable.iter().filter(|(f, _)| f.is_section).collect();
    sections.sort_by(|a, b| a.0.dir.cmp(&b.0.dir));
    routes.dirs.insert(String::new(), "/".into());
    for (file, fm) in sections {
        match included(file, fm) {
            Some(preview) => {
                let path = dir_path(&file.dir, fm.slug.as_deref(), &routes.dirs);
                routes.dirs.insert(file.dir.clone(), path.clone());
                routes
                    .pages
                    .insert(file.content_path.clone(), Route::Live { path, preview });
            }
            None => {
                // Its pages' addresses start with the folder's, as if it were live.
                let path = dir_path(&file.dir, fm.slug.as_deref(), &routes.dirs);
                routes.dirs.insert(file.dir.clone(), path.clone());
                not_live.push(NotLive {
                    source: file.source_path.clone(),
                    path,
                    why: absence(file, fm),
                });
                routes
                    .pages
                    .insert(file.content_path.clone(), Route::Hidden);
            }
        }
    }
    for (file, fm) in readable.iter().filter(|(f, _)| !f.is_section) {
        let Some(preview) = included(file, fm) else {
            if let Ok(path) = page_path(file, fm, &routes.dirs) {
                not_live.push(NotLive {
                    source: file.source_path.clone(),
                    path,
                    why: absence(file, fm),
                });
            }
            routes
                .pages
                .insert(file.content_path.clone(), Route::Hidden);
            continue;
        };
        match page_path(file, fm, &routes.dirs) {
            Ok(path) => {
                routes
                    .pages
                    .insert(file.content_path.clone(), Route::Live { path, preview });
            }
            Err(d) => {
                diagnostics.push(d);
                routes
                    .pages
                    .insert(file.content_path.clone(), Route::Unparsed);
            }
        }
    }
    routes.known = routes.pages.keys().cloned().collect();
    routes.known.sort();
    not_live.sort_by(|a, b| a.source.cmp(&b.source));
    routes.not_live = not_live;
    (routes, diagnostics)
}

/// The URL path of a page: its folder's, then its slug (a bundle's is its folder's name).
fn page_path(
    file: &PageFile,
    fm: &FrontMatter,
    dirs: &HashMap<String, String>,
) -> Result<String, Diagnostic> {
    if file.is_bundle && file.dir.is_empty() {
        return Err(Diagnostic::error(format!(
            "`{}` cannot be a page: the home page is `content/_index.md`",
            file.source_path
        ))
        .in_file(&file.source_path)
        .with_hint(
            "rename it to `content/_index.md` (the home page's text and title), \
             or give it a name such as `content/about.md`",
        ));
    }
    let (parent_dir, own) = if file.is_bundle {
        match file.dir.rsplit_once('/') {
            Some((d, last)) => (d, last),
            None => ("", file.dir.as_str()),
        }
    } else {
        (file.dir.as_str(), file.stem.as_str())
    };
    let slug = match &fm.slug {
        Some(s) => slugify(s),
        None => slugify(own),
    };
    if slug.is_empty() {
        return Err(Diagnostic::error(format!(
            "cannot make a URL from the file name `{own}`: it has no letters or digits"
        ))
        .in_file(file.source_path.clone())
        .with_hint("rename the file or set `slug:` in the front matter"));
    }
    Ok(format!("{}{slug}/", dir_path(parent_dir, None, dirs)))
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
