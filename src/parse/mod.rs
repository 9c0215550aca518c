//! parse: each content file → a [`Page`]: decoded text (UTF-8 checked, BOM and CRLF
//! normalised), typed front matter, rendered body. Pure and run in parallel; every problem of
//! every file comes back as a diagnostic.
//!
//! In two steps, because a body's `@/` links become the URLs of other pages, and a page's URL
//! comes from its front matter: [`read`] splits a file and reads its front matter (a
//! [`Draft`]); once every page's place is settled from the drafts (`assemble::routes`),
//! [`finish`] renders the body with the [`markdown::Links`] at hand, so that each link is
//! written with its URL (or left out) as the HTML is made.

pub mod front_matter;
pub mod markdown;
pub mod placeholders;
pub mod sanitize;
pub mod shortcodes;

use crate::config::SiteConfig;
use crate::diagnostic::Diagnostic;
use crate::load::{ContentFile, IoFailure};
use crate::schema::ThemeManifest;
use front_matter::FrontMatter;
use markdown::{Body, Link, Links, Shortcodes};
use rayon::prelude::*;
use std::sync::Arc;

/// Problems reported per file; past this, one line says how many more there are.
const MAX_PER_FILE: usize = 50;

/// What parsing needs besides the file: the site's settings, the theme's schema and its
/// shortcodes, and what the pages are for.
#[derive(Clone, Copy)]
pub struct Settings<'a> {
    pub config: &'a SiteConfig,
    pub schema: &'a ThemeManifest,
    pub shortcodes: &'a dyn Shortcodes,
    pub mode: Mode,
}

/// Where a page comes from, read off its path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageFile {
    /// Site-relative path of the source (`content/initiatives/x.md`).
    pub source_path: String,
    /// Path relative to `content/` (`initiatives/x.md`): what `@/` links name.
    pub content_path: String,
    /// `_index.md`: the page of a section.
    pub is_section: bool,
    /// `index.md`: a page bundle whose folder's other files belong to it.
    pub is_bundle: bool,
    /// The content-relative folder the file is in (`initiatives`; `` at the root).
    pub dir: String,
    /// The file name without `.md`.
    pub stem: String,
    /// Which schema of the theme applies (the top-level folder, or `default`).
    pub content_type: String,
}

impl PageFile {
    pub fn new(source_path: &str, content_path: &str) -> PageFile {
        let (dir, name) = content_path.rsplit_once('/').unwrap_or(("", content_path));
        let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
        let content_type = match dir.split('/').next() {
            Some(first) if !first.is_empty() => first,
            _ => crate::schema::DEFAULT_TYPE,
        };
        PageFile {
            source_path: source_path.to_string(),
            content_path: content_path.to_string(),
            is_section: stem == "_index",
            is_bundle: stem == "index",
            dir: dir.to_string(),
            stem: stem.to_string(),
            content_type: content_type.to_string(),
        }
    }
}

/// A page or section index, parsed.
#[derive(Clone, Debug)]
pub struct Page {
    pub file: PageFile,
    /// Shared, so that `serve` keeps parsed pages between rebuilds without copying them.
    pub front: Arc<FrontMatter>,
    pub body: Body,
    /// The whole file (BOM and CRLF gone), kept only when parsed for `placard check`, which
    /// shows the lines its findings are on.
    pub text: Option<Arc<str>>,
}

/// A content file with its front matter read and its body not yet rendered.
#[derive(Debug)]
pub struct Draft {
    pub file: PageFile,
    /// `None` when the front matter has errors (they are in `diagnostics`).
    pub front: Option<Arc<FrontMatter>>,
    /// The whole file, decoded.
    text: String,
    /// Where the body starts in `text`.
    body_offset: usize,
    /// What reading the front matter found.
    diagnostics: Vec<Diagnostic>,
    /// Text an archetype or `placard new` put there, still unchanged.
    placeholders: Vec<placeholders::Placeholder>,
}

impl Draft {
    /// Whether the front matter has errors (then the file makes no page).
    pub fn is_broken(&self) -> bool {
        self.front.is_none() || self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The file and, when it has no errors, its front matter: what its route is settled from.
    pub fn head(&self) -> (&PageFile, Option<&FrontMatter>) {
        let front = if self.is_broken() {
            None
        } else {
            self.front.as_deref()
        };
        (&self.file, front)
    }
}

/// What the parsed pages are for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// A build or a preview: just the pages.
    #[default]
    Build,
    /// `placard check`: the HTML also marks where each element came from, and each page keeps
    /// its text and its shortcode calls.
    Check,
}

/// Reads every content file in parallel (its bytes from `read_bytes`, just before it is read):
/// the drafts of the files that could be split, and the diagnostics of those that could not.
/// Fails only if `read_bytes` does.
pub fn read_all<R>(
    files: Vec<ContentFile>,
    read_bytes: R,
    settings: &Settings<'_>,
) -> Result<(Vec<Draft>, Vec<Diagnostic>), IoFailure>
where
    R: Fn(&ContentFile) -> Result<Vec<u8>, IoFailure> + Sync,
{
    let results: Vec<Result<Draft, Vec<Diagnostic>>> = files
        .into_par_iter()
        .map(|f| Ok(read(read_bytes(&f)?, &f, settings)))
        .collect::<Result<_, IoFailure>>()?;
    let mut drafts = Vec::with_capacity(results.len());
    let mut diagnostics = Vec::new();
    for r in results {
        match r {
            Ok(d) => drafts.push(d),
            Err(mut d) => diagnostics.append(&mut d),
        }
    }
    Ok((drafts, diagnostics))
}

/// Renders every draft's body in parallel. A page that is live in this build gets its `@/`
/// links resolved through `links` (whether it is live is asked of `links` too); the others keep
/// them as written, unreported, since they are in no output. Returns the pages without errors
/// and every diagnostic.
pub fn finish_all(
    drafts: Vec<Draft>,
    links: &dyn Links,
    settings: &Settings<'_>,
) -> (Vec<Page>, Vec<Diagnostic>) {
    let results: Vec<(Option<Page>, Vec<Diagnostic>)> = drafts
        .into_par_iter()
        .map(|d| {
            let live = links.is_live(&d.file.content_path);
            finish(d, live.then_some(links), settings)
        })
        .collect();
    let mut pages = Vec::with_capacity(results.len());
    let mut diagnostics = Vec::new();
    for (page, mut d) in results {
        diagnostics.append(&mut d);
        pages.extend(page);
    }
    (pages, diagnostics)
}

/// Step one: decodes a content file, splits off its front matter and reads it. `Err` when the
/// file cannot be split at all (not UTF-8, front matter never closed or too big).
pub fn read(
    bytes: Vec<u8>,
    file: &ContentFile,
    settings: &Settings<'_>,
) -> Result<Draft, Vec<Diagnostic>> {
    let path = file.source_path.as_str();
    let text = crate::text::decode(path, bytes).map_err(|d| vec![d])?;
    // Placard marks shortcodes in the HTML with Unicode noncharacters; text must not forge them.
    // (Every such character starts with the byte 0xEF, which ordinary text rarely has: a
    // byte search first, the character scan only when there is one.)
    let text = if text.as_bytes().contains(&0xEF)
        && text.contains(|c: char| ('\u{FDD0}'..='\u{FDEF}').contains(&c))
    {
        text.replace(|c: char| ('\u{FDD0}'..='\u{FDEF}').contains(&c), "\u{FFFD}")
    } else {
        text
    };
    let split = front_matter::split(path, &text).map_err(|d| vec![d])?;
    let mut diagnostics = control_characters(path, &text);
    // One in the front matter stops the YAML parser too; report it once.
    let body_offset = text.len() - split.body.len();
    if diagnostics.iter().any(|d| {
        d.line
            .is_some_and(|l| l < split.body_line && split.front_matter.is_some())
    }) {
        return Err(diagnostics);
    }
    let page_file = PageFile::new(path, &file.content_path);
    let front = match front_matter::parse(
        path,
        &text,
        split.front_matter,
        page_file.is_section,
        &page_file.content_type,
        settings.config,
        settings.schema,
    ) {
        Ok(f) => Some(f),
        Err(mut d) => {
            diagnostics.append(&mut d);
            None
        }
    };
    if let Some(fm) = &front {
        diagnostics.extend(check_paths(path, &text, fm));
    }
    let front_lines = split
        .front_matter
        .map(|(_, first)| (first, split.body_line.saturating_sub(2)));
    let placeholders = placeholders::find(&text, front_lines);
    Ok(Draft {
        file: page_file,
        front: front.map(Arc::new),
        text,
        body_offset,
        diagnostics,
        placeholders,
    })
}

/// Step two: renders the draft's body, with `links` resolving its `@/` links (`None`: they are
/// kept as written). The page, if the file has no errors, and every diagnostic of the file.
pub fn finish(
    draft: Draft,
    links: Option<&dyn Links>,
    settings: &Settings<'_>,
) -> (Option<Page>, Vec<Diagnostic>) {
    let Draft {
        file,
        front,
        text,
        body_offset,
        mut diagnostics,
        placeholders,
    } = draft;
    let for_check = settings.mode == Mode::Check;
    let path = file.source_path.as_str();
    let source = markdown::Source {
        path,
        file_text: &text,
        body_offset,
        markers: for_check,
        language: &settings.config.language,
    };
    let config = settings.config;
    let markdown::Rendered {
        mut body,
        mut problems,
        mut link_problems,
    } = markdown::render(
        &text[body_offset..],
        &source,
        &config.markdown,
        settings.shortcodes,
        links,
    );
    diagnostics.append(&mut problems);
    let front = match (front, links) {
        (Some(front), Some(links)) if !front.refs.is_empty() => {
            let (front, mut found) = resolve_references(front, links, path, &text, &mut body);
            link_problems.append(&mut found);
            Some(front)
        }
        (front, _) => front,
    };
    if diagnostics.len() > MAX_PER_FILE || body.unreported > 0 {
        let more = diagnostics.len().saturating_sub(MAX_PER_FILE) + body.unreported;
        diagnostics.truncate(MAX_PER_FILE);
        diagnostics.push(
            Diagnostic::error(format!("… and {more} more problems in this file")).in_file(path),
        );
    }
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    diagnostics.extend(link_problems);
    // Placeholder text in a page that goes out is an error. A draft shown with --drafts may
    // hold placeholders (it is not published): `check` mentions them, a build does not.
    let draft = front.as_ref().is_some_and(|f| f.draft);
    if links.is_some() && (!draft || for_check) {
        diagnostics.extend(
            placeholders
                .iter()
                .map(|p| placeholder_left(path, &text, p, draft)),
        );
    }
    let page = match front {
        Some(front) if !has_errors => Some(Page {
            file,
            front,
            body,
            text: for_check.then(|| text.as_str().into()),
        }),
        _ => None,
    };
    (page, diagnostics)
}

/// Resolves the `@/` references in a live page's theme keys as its body's links are resolved:
/// one to a live page stays (templates look it up) and is recorded among the page's links (for
/// the anchor check and `serve`'s cache); one to a page that exists but is not in this build is
/// left out with a warning, one to no page at all is an error, both at the content line; one to
/// a file with errors of its own is left out silently (they are reported there). A template
/// therefore never meets a reference it cannot follow.
fn resolve_references(
    front: Arc<FrontMatter>,
    links: &dyn Links,
    path: &str,
    text: &str,
    body: &mut Body,
) -> (Arc<FrontMatter>, Vec<Diagnostic>) {
    let mut found = Vec::new();
    let mut out: Vec<&[crate::value::Place]> = Vec::new();
    for r in &front.refs {
        let (target, anchor) = match r.raw.split_once('#') {
            Some((p, a)) => (p, Some(a.to_string())),
            None => (r.raw.as_str(), None),
        };
        let target = crate::slug::content_key(target);
        let target = target.as_str();
        let locate = |d: Diagnostic| d.in_file(path).at(text, r.line, r.column);
        let shown = locate(Diagnostic::warning(""));
        body.links.push(markdown::InternalLink {
            raw: r.raw.clone(),
            path: target.to_string(),
            anchor,
            line: r.line,
            column: r.column,
            source_line: shown.source_line.unwrap_or_default(),
            source_start: shown.source_start,
        });
        match links.resolve(target) {
            Link::Url(_) => {}
            Link::NotLive => {
                out.push(item_of(&r.place));
                found.push(
                    locate(Diagnostic::warning(format!(
                        "`{}` names `{}`, which is not published in this build; it is left out",
                        r.key, r.raw
                    )))
                    .with_hint("it appears once that page is live (rebuild then)"),
                );
            }
            Link::Unparsed => out.push(item_of(&r.place)),
            Link::Missing { near } => {
                out.push(item_of(&r.place));
                let d = locate(Diagnostic::error(format!(
                    "`{}` names a missing page: `{}`",
                    r.key, r.raw
                )));
                found.push(match near {
                    Some(near) => d.with_hint(format!("did you mean `@/{near}`?")),
                    None => d.with_hint(
                        "name a file under content/, such as `@/initiatives/young-londoners-fund.md`",
                    ),
                });
            }
        }
    }
    if out.is_empty() {
        return (front, found);
    }
    let mut kept = (*front).clone();
    kept.params = front.params.without(&out);
    (Arc::new(kept), found)
}

/// What to take out for a reference at `place`: the innermost list item holding it (a related
/// page, or a whole `{page, label}` entry of a list), or the value itself when it is in no list
/// (`cta.url` becomes none, and the theme tests it).
fn item_of(place: &[crate::value::Place]) -> &[crate::value::Place] {
    match place
        .iter()
        .rposition(|p| matches!(p, crate::value::Place::Index(_)))
    {
        Some(i) => &place[..=i],
        None => place,
    }
}

/// The finding for a placeholder still in a page: an error, or a warning in a draft.
fn placeholder_left(
    path: &str,
    text: &str,
    p: &placeholders::Placeholder,
    draft: bool,
) -> Diagnostic {
    let message = format!(
        "{} still holds the placeholder it was made with: \"{}\"",
        p.what, p.text
    );
    let d = if draft {
        Diagnostic::warning(message)
    } else {
        Diagnostic::error(message)
    };
    let hint = if p.in_body {
        "write the page's own text here, then delete the `<!-- placeholder -->` line above it"
    } else {
        "write the page's own value here, then delete the `# placeholder` mark at the end of the line"
    };
    d.rule("placeholder-left")
        .in_file(path)
        .at(text, p.line, p.column)
        .with_hint(hint)
}

/// Control characters (a form feed, a vertical tab pasted from a word processor, a bell) are
/// invisible, and neither HTML nor XML allows them: a file holding one is refused, each one
/// located, rather than changed behind the writer's back. (Written as escapes in front matter,
/// they are found in the parsed values: see `yaml::Doc::control_characters`.)
fn control_characters(path: &str, text: &str) -> Vec<Diagnostic> {
    const SHOWN: usize = 10;
    if crate::text::forbidden_char(text).is_none() {
        return Vec::new();
    }
    let lines = crate::diagnostic::LineIndex::new(text);
    let found: Vec<(usize, char)> = text
        .char_indices()
        .filter(|&(_, c)| crate::text::is_forbidden(c))
        .collect();
    let mut out: Vec<Diagnostic> = found
        .iter()
        .take(SHOWN)
        .map(|&(at, c)| {
            let d = Diagnostic::error(format!(
                "the file holds a control character, {}, which is invisible and not allowed in a web page or a feed",
                crate::text::describe_char(c)
            ))
            .in_file(path);
            lines.at(d, at).with_hint(
                "delete it (it often comes with text pasted from another program); placard refuses it rather than leave it out without telling",
            )
        })
        .collect();
    if found.len() > SHOWN {
        out.push(
            Diagnostic::error(format!(
                "… and {} more control characters in this file",
                found.len() - SHOWN
            ))
            .in_file(path),
        );
    }
    out
}

/// `slug` and `aliases` can never point outside the output folder.
fn check_paths(path: &str, text: &str, fm: &FrontMatter) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let line_of = |key: &str| fm.key_lines.get(key).copied().unwrap_or(1);
    if let Some(slug) = &fm.slug {
        const PLAIN: &str =
            "use letters, digits and hyphens, for example `slug: young-londoners-fund`";
        let problem = if slug.contains(['/', '\\']) {
            Some((
                "a slug is one URL segment; it cannot contain `/` or `\\`".to_string(),
                PLAIN,
            ))
        } else if slug.trim_matches('.').is_empty() {
            Some(("a slug cannot be only dots".to_string(), PLAIN))
        } else if crate::slug::slugify(slug).is_empty() {
            Some(("the slug has no letters or digits".to_string(), PLAIN))
        } else if let Err(why) = crate::slug::portable_name(&crate::slug::slugify(slug)) {
            Some((
                why,
                "choose another slug: the page's folder must be one every computer can hold",
            ))
        } else {
            None
        };
        if let Some((p, hint)) = problem {
            out.push(
                Diagnostic::error(format!("`slug: {slug:?}` is not usable: {p}"))
                    .in_file(path)
                    .at(text, line_of("slug"), 7)
                    .with_hint(hint),
            );
        }
    }
    for alias in &fm.aliases {
        if let Err(p) = crate::slug::check_site_path(alias) {
            let line = text
                .lines()
                .enumerate()
                .skip(line_of("aliases") - 1)
                .find(|(_, l)| l.contains(alias.as_str()))
                .map_or(line_of("aliases"), |(i, _)| i + 1);
            out.push(
                Diagnostic::error(format!("alias {alias:?} is not usable: {p}"))
                    .in_file(path)
                    .at(text, line, 1)
                    .with_hint("an alias is an old path on this site, such as `/old-page/`"),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Place;

    #[test]
    fn a_reference_takes_its_list_item_or_itself_out() {
        let k = |s: &str| Place::Key(s.to_string());
        let related = [k("related"), Place::Index(2)];
        assert_eq!(item_of(&related), &related[..]);
        let entry = [k("links"), Place::Index(1), k("page")];
        assert_eq!(item_of(&entry), &entry[..2]);
        let cta = [k("cta"), k("url")];
        assert_eq!(item_of(&cta), &cta[..]);
    }
}
