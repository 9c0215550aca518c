//! parse: each content source → a [`Page`]: decoded text (UTF-8 checked, BOM and CRLF
//! normalised), typed front matter, rendered body. Pure and run in parallel; every problem of
//! every file comes back as a diagnostic.

pub mod front_matter;
pub mod markdown;
pub mod shortcodes;

use crate::config::SiteConfig;
use crate::diagnostic::Diagnostic;
use crate::load::{ContentFile, IoFailure};
use crate::schema::ThemeManifest;
use front_matter::FrontMatter;
use markdown::Body;
use rayon::prelude::*;

/// Problems reported per file; past this, one line says how many more there are.
const MAX_PER_FILE: usize = 50;

/// A parsed page or section index.
#[derive(Clone, Debug)]
pub struct Page {
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
    /// Shared, so that `serve` keeps parsed pages between rebuilds without copying them.
    pub front: std::sync::Arc<FrontMatter>,
    pub body: Body,
    /// The whole file (BOM and CRLF gone), kept only when parsed for `placard check`, which
    /// shows the lines its findings are on.
    pub text: Option<std::sync::Arc<str>>,
}

/// Parses every content file in parallel, getting each file's bytes from `read` just before it
/// is parsed and freeing them just after. Returns the pages that parsed and every diagnostic (a
/// file with errors yields no page); fails only if `read` does.
pub fn parse_all<R>(
    files: Vec<ContentFile>,
    read: R,
    config: &SiteConfig,
    schema: &ThemeManifest,
    shortcodes: &dyn markdown::Shortcodes,
    mode: Mode,
) -> Result<(Vec<Page>, Vec<Diagnostic>), IoFailure>
where
    R: Fn(&ContentFile) -> Result<Vec<u8>, IoFailure> + Sync,
{
    let results: Vec<(Option<Page>, Vec<Diagnostic>)> = files
        .into_par_iter()
        .map(|f| Ok(parse_one(read(&f)?, f, config, schema, shortcodes, mode)))
        .collect::<Result<_, IoFailure>>()?;
    let mut pages = Vec::with_capacity(results.len());
    let mut diagnostics = Vec::new();
    for (page, mut d) in results {
        diagnostics.append(&mut d);
        if let Some(p) = page {
            pages.push(p);
        }
    }
    Ok((pages, diagnostics))
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

/// Parses one content file from its bytes: its page, if it has no errors, and its diagnostics.
pub fn parse_one(
    bytes: Vec<u8>,
    file: ContentFile,
    config: &SiteConfig,
    schema: &ThemeManifest,
    shortcodes: &dyn markdown::Shortcodes,
    mode: Mode,
) -> (Option<Page>, Vec<Diagnostic>) {
    let for_check = mode == Mode::Check;
    let path = file.source_path.as_str();
    let text = match crate::text::decode(path, bytes) {
        Ok(t) => t,
        Err(d) => return (None, vec![d]),
    };
    // Placard marks shortcodes in the HTML with Unicode noncharacters; text must not forge them.
    let text = if text.contains(|c: char| ('\u{FDD0}'..='\u{FDEF}').contains(&c)) {
        text.replace(|c: char| ('\u{FDD0}'..='\u{FDEF}').contains(&c), "\u{FFFD}")
    } else {
        text
    };
    let split = match front_matter::split(path, &text) {
        Ok(s) => s,
        Err(d) => return (None, vec![d]),
    };
    let content_path = file.content_path.clone();
    let (dir, name) = match content_path.rsplit_once('/') {
        Some((d, n)) => (d.to_string(), n.to_string()),
        None => (String::new(), content_path.clone()),
    };
    let stem = name
        .rsplit_once('.')
        .map_or(name.as_str(), |(stem, _)| stem)
        .to_string();
    let is_section = stem == "_index";
    let is_bundle = stem == "index";
    let content_type = match dir.split('/').next() {
        Some(first) if !first.is_empty() => first.to_string(),
        _ => crate::schema::DEFAULT_TYPE.to_string(),
    };
    let mut diagnostics = Vec::new();
    let front = match front_matter::parse(
        path,
        &text,
        split.front_matter,
        is_section,
        &content_type,
        config,
        schema,
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
    let body_offset = text.len() - split.body.len();
    let source = markdown::Source {
        path,
        file_text: &text,
        body_offset,
        markers: for_check,
    };
    let (body, mut d) = markdown::render(
        split.body,
        &source,
        config.markdown.smart_punctuation,
        config.markdown.raw_html,
        shortcodes,
    );
    diagnostics.append(&mut d);
    if diagnostics.len() > MAX_PER_FILE || body.unreported > 0 {
        let more = diagnostics.len().saturating_sub(MAX_PER_FILE) + body.unreported;
        diagnostics.truncate(MAX_PER_FILE);
        diagnostics.push(
            Diagnostic::error(format!("… and {more} more problems in this file")).in_file(path),
        );
    }
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    let page = match front {
        Some(front) if !has_errors => Some(Page {
            source_path: path.to_string(),
            content_path,
            is_section,
            is_bundle,
            dir,
            stem,
            content_type,
            front: std::sync::Arc::new(front),
            body,
            text: for_check.then(|| text.as_str().into()),
        }),
        _ => None,
    };
    (page, diagnostics)
}

/// `slug` and `aliases` can never point outside the output folder.
fn check_paths(path: &str, text: &str, fm: &FrontMatter) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let line_of = |key: &str| fm.key_lines.get(key).copied().unwrap_or(1);
    if let Some(slug) = &fm.slug {
        let problem = if slug.contains(['/', '\\']) {
            Some("a slug is one URL segment; it cannot contain `/` or `\\`")
        } else if slug.trim_matches('.').is_empty() {
            Some("a slug cannot be only dots")
        } else if crate::slug::slugify(slug).is_empty() {
            Some("the slug has no letters or digits")
        } else {
            None
        };
        if let Some(p) = problem {
            out.push(
                Diagnostic::error(format!("`slug: {slug:?}` is not usable: {p}"))
                    .in_file(path)
                    .at(text, line_of("slug"), 7)
                    .with_hint(
                        "use letters, digits and hyphens, for example `slug: young-londoners-fund`",
                    ),
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
