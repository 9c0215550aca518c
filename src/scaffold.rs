//! Scaffolding: `placard init` (a new site: settings, a home page, an example initiative, the
//! pages the theme links to, and the default theme as embedded in this binary) and
//! `placard new` (a page from its section's archetype, with every field the theme requires
//! present, as a draft).
//!
//! The only writes outside an output folder placard makes; both refuse to overwrite anything.
//! The page text is made by pure functions ([`page_from_archetype`]) and checked with the same
//! parser a build uses before it is written.

use crate::config::{self, SiteConfig};
use crate::diagnostic::Diagnostic;
use crate::schema::{Field, FieldType, ThemeManifest};
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/theme.rs"));

/// The name of the embedded theme.
pub const THEME: &str = "campaign";

/// Why scaffolding refused or failed, by whose fault (which sets the exit code).
#[derive(Debug)]
pub enum ScaffoldError {
    /// The page or site it would make has errors (exit 1).
    Content(Vec<Diagnostic>, String),
    /// A bad name, or something is in the way (exit 2).
    Usage(String),
    /// The disk failed (exit 3).
    Environment(String),
}

impl ScaffoldError {
    /// The process exit code: 1 for errors in the page or site made, 2 for usage, 3 for the
    /// environment.
    pub fn exit_code(&self) -> u8 {
        match self {
            ScaffoldError::Content(..) => 1,
            ScaffoldError::Usage(_) => 2,
            ScaffoldError::Environment(_) => 3,
        }
    }
}

fn io(what: &Path, e: std::io::Error) -> ScaffoldError {
    ScaffoldError::Environment(format!("{}: {e}", what.display()))
}

// ---------------------------------------------------------------------------------------------
// placard init

/// Makes a new site in `dir` (created if missing; otherwise it must be empty but for `.git`).
/// Returns the site-relative paths written, in order.
pub fn init(
    dir: &Path,
    title: Option<&str>,
    today: jiff::civil::Date,
) -> Result<Vec<String>, ScaffoldError> {
    if title.is_some_and(|t| t.trim().is_empty()) {
        return Err(ScaffoldError::Usage(
            "--title is empty; give the site a title, or leave --title out".into(),
        ));
    }
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut found: Vec<String> = entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != ".git")
                .collect();
            if !found.is_empty() {
                found.sort();
                found.truncate(5);
                return Err(ScaffoldError::Usage(format!(
                    "{} is not empty (it holds {}); placard init makes a site only in a new or empty folder, so that nothing is overwritten",
                    dir.display(),
                    found.join(", ")
                )));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
            return Err(ScaffoldError::Usage(format!(
                "{} is a file, not a folder",
                dir.display()
            )));
        }
        Err(e) => return Err(io(dir, e)),
    }
    let title = title.unwrap_or("Our campaign");
    let files = site_files(title, today);
    let mut written = Vec::new();
    let result = (|| {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        for (rel, bytes) in &files {
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
            }
            write_new(&path, bytes)?;
            written.push(rel.clone());
        }
        Ok(())
    })();
    if let Err(e) = result {
        // Leave the folder as it was found: remove what this run wrote.
        for rel in written.iter().rev() {
            let _ = std::fs::remove_file(dir.join(rel));
        }
        return Err(e);
    }
    Ok(written)
}

/// Every file of a new site: path → bytes.
pub fn site_files(title: &str, today: jiff::civil::Date) -> Vec<(String, Vec<u8>)> {
    let quoted = yaml_quote(title);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (
            "site.yaml".into(),
            format!(
                "# placard site settings: see the README for every key.\n\
                 title: {quoted}\n\
                 base_url: https://example.org/   # where the site will live\n\
                 language: en-GB\n\
                 timezone: Europe/London          # times without an offset are read in it\n\
                 theme: {THEME}\n\
                 taxonomies:\n  - name: priorities\n    title: Priorities\n"
            )
            .into_bytes(),
        ),
        (
            ".gitignore".into(),
            b"# placard's output and the spare folder it builds into\n/public/\n/.public.placard-*\n"
                .to_vec(),
        ),
        (
            "content/_index.md".into(),
            format!(
                "---\ntitle: {quoted}\nsummary: \"What the campaign is doing, and how to take part.\"\n---\n\n\
                 Say in a paragraph or two what the campaign is for and who it is for. The\n\
                 initiatives below are listed from `content/initiatives/`; add one with\n\
                 `placard new initiatives/<name>`.\n"
            )
            .into_bytes(),
        ),
        (
            "content/initiatives/_index.md".into(),
            b"---\ntitle: Initiatives\nsummary: \"Everything the campaign is doing.\"\nsort_by: weight\n---\n".to_vec(),
        ),
        (
            "content/initiatives/example-initiative.md".into(),
            EXAMPLE_PAGE
                .replace("{{ date }}", &today.to_string())
                .into_bytes(),
        ),
        (
            "content/accessibility.md".into(),
            b"---\ntitle: Accessibility statement\nsummary: \"How accessible this website is, and how to tell us about a problem.\"\n---\n\n\
This website is run by the campaign team. We want as many people as possible to be able to use\n\
it: to change colours and fonts, zoom in to 300% without the text spilling off the screen, move\n\
around it using just a keyboard, and listen to it using a screen reader.\n\n\
## Reporting a problem\n\n\
If you find a problem that is not listed here, [contact us](@/contact.md).\n".to_vec(),
        ),
        (
            "content/contact.md".into(),
            b"---\ntitle: Contact us\nsummary: \"How to reach the campaign team.\"\n---\n\n\
Write to the campaign team at `campaign@example.org`.\n\n\
If you are in danger, call **999**.\n".to_vec(),
        ),
    ];
    files.extend(
        THEME_FILES
            .iter()
            .map(|(rel, bytes)| (format!("themes/{THEME}/{rel}"), bytes.to_vec())),
    );
    files
}

const EXAMPLE_PAGE: &str = r#"---
title: "An example initiative"
summary: "One or two plain sentences: what this initiative does and for whom."
date: {{ date }}
weight: 10
priorities: ["Preventing future violence"]
stats:
  - value: "£1m"
    label: "for youth projects"
    source: "City Hall"
    as_of: {{ date }}
cta:
  label: "Get in touch"
  url: "@/contact.md"
---

Replace this page with one of the campaign's initiatives: what it does, who runs it, and what it
has achieved so far.

<!-- more -->

## What it does

Headings like this one appear in the page's table of contents.

{{ stat(value="£1m", label="for youth projects", source="City Hall", as_of="{{ date }}") }}
"#;

// ---------------------------------------------------------------------------------------------
// placard new

/// What `placard new` makes.
pub struct NewPage<'a> {
    pub root: &'a Path,
    /// `initiatives/knife-wands` (a `.md` or a leading `content/` are allowed).
    pub spec: &'a str,
    pub title: Option<&'a str>,
    /// Today, in the site's time zone, for `{{ date }}` (a parameter so tests can fix it).
    pub now: jiff::Timestamp,
}

/// Writes a new draft page from its archetype; returns its site-relative path.
pub fn new_page(opts: &NewPage<'_>) -> Result<String, ScaffoldError> {
    let root = opts.root;
    let config_text =
        match crate::load::read_config(root).map_err(|e| ScaffoldError::Environment(e.0))? {
            Ok(t) => t,
            Err(d) => {
                return Err(ScaffoldError::Content(
                    vec![d],
                    "site.yaml cannot be read".into(),
                ));
            }
        };
    let config = config::parse(&config_text)
        .map_err(|d| ScaffoldError::Content(d, "site.yaml has mistakes".into()))?;
    let (section, slug) = parse_spec(opts.spec)?;
    let content = root.join("content");
    let folder = section.iter().fold(content.clone(), |p, s| p.join(s));
    if !folder.is_dir() {
        let shown = format!("content/{}", section.join("/"));
        let mut m = format!("there is no section folder {shown}");
        let known = section_folders(&content);
        match crate::diagnostic::did_you_mean(&section.join("/"), known.iter().map(String::as_str))
        {
            Some(near) => m.push_str(&format!("; did you mean `{near}/{slug}`?")),
            None => m.push_str(&format!(
                "; make it first (`mkdir -p {shown}`, with an `_index.md`) or use one of: {}",
                if known.is_empty() {
                    "(none yet)".to_string()
                } else {
                    known.join(", ")
                }
            )),
        }
        return Err(ScaffoldError::Usage(m));
    }
    let rel = match section.is_empty() {
        true => format!("content/{slug}.md"),
        false => format!("content/{}/{slug}.md", section.join("/")),
    };
    let target = root.join(&rel);
    for taken in [target.clone(), folder.join(&slug)] {
        if taken.exists() {
            return Err(ScaffoldError::Usage(format!(
                "{} already exists; placard new never overwrites a page (choose another name, or edit that one)",
                taken.strip_prefix(root).unwrap_or(&taken).display()
            )));
        }
    }
    let content_type = section
        .first()
        .cloned()
        .unwrap_or_else(|| crate::schema::DEFAULT_TYPE.to_string());
    let theme_dir = root.join("themes").join(&config.theme);
    let manifest = match std::fs::read_to_string(theme_dir.join("theme.yaml")) {
        Ok(text) => ThemeManifest::parse(&format!("themes/{}/theme.yaml", config.theme), &text)
            .map_err(|d| ScaffoldError::Content(d, "the theme's theme.yaml has mistakes".into()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => ThemeManifest::default(),
        Err(e) => return Err(io(&theme_dir.join("theme.yaml"), e)),
    };
    let (archetype, archetype_path) = find_archetype(root, &config, &content_type)?;
    let title = opts
        .title
        .map(str::to_string)
        .unwrap_or_else(|| title_from_slug(&slug));
    let today = config.tz.to_datetime(opts.now).date();
    let text = page_from_archetype(
        archetype.as_deref(),
        &title,
        &slug,
        today,
        &manifest.fields_for(&content_type),
    );
    verify(root, &config_text, &config, &rel, &text).map_err(|d| {
        ScaffoldError::Content(
            d,
            format!(
                "the page made from {} has errors, so it was not written; fix the archetype",
                archetype_path
                    .as_deref()
                    .unwrap_or("placard's built-in archetype")
            ),
        )
    })?;
    write_new(&target, text.as_bytes())?;
    Ok(rel)
}

/// `initiatives/knife-wands` → (["initiatives"], "knife-wands"), every segment checked.
fn parse_spec(spec: &str) -> Result<(Vec<String>, String), ScaffoldError> {
    let trimmed = spec.trim().trim_matches('/');
    let trimmed = trimmed.strip_prefix("content/").unwrap_or(trimmed);
    let trimmed = trimmed
        .strip_suffix(".md")
        .or_else(|| trimmed.strip_suffix(".markdown"))
        .unwrap_or(trimmed);
    let segments: Vec<String> = trimmed.split('/').map(str::to_string).collect();
    let bad = |why: &str| {
        let suggestion: Vec<String> = segments
            .iter()
            .map(|s| crate::slug::slugify(s))
            .filter(|s| !s.is_empty())
            .collect();
        let mut m = format!("`{spec}` cannot be a page: {why}");
        if !suggestion.is_empty() && suggestion.join("/") != trimmed {
            m.push_str(&format!("; did you mean `{}`?", suggestion.join("/")));
        }
        ScaffoldError::Usage(m)
    };
    if trimmed.is_empty() {
        return Err(bad(
            "give a section and a name, such as `initiatives/knife-wands`",
        ));
    }
    if matches!(
        segments.last().map(String::as_str),
        Some("index" | "_index")
    ) {
        return Err(bad("`index` and `_index` are a folder's own pages"));
    }
    for s in &segments {
        if s.is_empty() || s == "." || s == ".." {
            return Err(bad("each part of the path must be a name"));
        }
        if crate::slug::slugify(s) != *s {
            return Err(bad("names are lowercase letters, digits and hyphens"));
        }
    }
    let slug = segments.last().cloned().unwrap_or_default();
    Ok((segments[..segments.len() - 1].to_vec(), slug))
}

/// Every section folder under `content/`, as `a/b`.
fn section_folders(content: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(content)
        .min_depth(1)
        .max_depth(4)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(content).ok()?;
            let s = rel.to_string_lossy().replace('\\', "/");
            (!s.split('/').any(|p| p.starts_with('.'))).then_some(s)
        })
        .collect();
    out.sort();
    out
}

/// The archetype for a content type: the site's `archetypes/<type>.md`, the theme's, then
/// each one's `default.md`; `None` when there is none (the built-in one is used).
fn find_archetype(
    root: &Path,
    config: &SiteConfig,
    content_type: &str,
) -> Result<(Option<String>, Option<String>), ScaffoldError> {
    let theme = format!("themes/{}/archetypes", config.theme);
    for dir in ["archetypes", theme.as_str()] {
        for name in [content_type, "default"] {
            let rel = format!("{dir}/{name}.md");
            match std::fs::read_to_string(root.join(&rel)) {
                Ok(text) => return Ok((Some(text), Some(rel))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&root.join(&rel), e)),
            }
        }
    }
    Ok((None, None))
}

const BUILT_IN: &str =
    "---\ntitle: {{ title }}\ndate: {{ date }}\ndraft: true\n---\n\nWrite the page here.\n";

/// The page text: the archetype with `{{ title }}`, `{{ date }}` and `{{ slug }}` filled in,
/// `draft: true`, and a placeholder for every field the schema requires that the archetype
/// lacks; every placeholder marked, its mark recording its text (see `parse::placeholders`).
/// Pure.
pub fn page_from_archetype(
    archetype: Option<&str>,
    title: &str,
    slug: &str,
    today: jiff::civil::Date,
    schema: &std::collections::BTreeMap<String, Field>,
) -> String {
    let text = archetype.unwrap_or(BUILT_IN);
    let text = text
        .strip_prefix('\u{FEFF}')
        .unwrap_or(text)
        .replace("\r\n", "\n");
    let escaped = yaml_quote(title);
    let date = today.to_string();
    let vars = [("title", title), ("date", date.as_str()), ("slug", slug)];
    // Split off the front matter (an archetype without one gets one).
    let (front, body) = match text.strip_prefix("---\n").and_then(|rest| {
        let end = rest
            .find("\n---\n")
            .map(|i| (i, i + 5))
            .or_else(|| rest.strip_suffix("\n---").map(|r| (r.len(), rest.len())))?;
        Some((rest[..end.0].to_string(), rest[end.1..].to_string()))
    }) {
        Some((f, b)) => (fill(&f, &vars, true), fill(&b, &vars, false)),
        None => (format!("title: {escaped}"), fill(&text, &vars, false)),
    };
    let mut front = front;
    let top_level = |front: &str, key: &str| {
        front
            .lines()
            .position(|l| l.strip_prefix(key).is_some_and(|r| r.starts_with(':')))
    };
    // Always a draft: a new page waits for a person to say it is ready.
    let mut lines: Vec<String> = front.lines().map(str::to_string).collect();
    match top_level(&front, "draft") {
        Some(i) => lines[i] = "draft: true".to_string(),
        None => lines.push("draft: true".to_string()),
    }
    if top_level(&front, "title").is_none() {
        lines.insert(0, format!("title: {escaped}"));
    }
    front = lines.join("\n");
    for (key, field) in schema {
        let needed = field.required
            || field
                .required_with
                .as_deref()
                .is_some_and(|k| top_level(&front, k).is_some());
        if needed && top_level(&front, key).is_none() {
            front.push('\n');
            front.push_str(&placeholder(key, field, 0, today));
        }
    }
    let text = format!("---\n{front}\n---\n{body}");
    // Each marked placeholder's mark records its text, so that it counts as left only while
    // that text is unchanged.
    let front_lines = (2, 1 + front.lines().count());
    crate::parse::placeholders::record(&text, Some(front_lines))
}

/// Fills in `{{ name }}` for each of `vars`, in one pass (a title holding `{{ date }}` stays
/// as written) and leaving any other `{{ … }}` (shortcodes) alone. In front matter a value
/// becomes a YAML string, replacing the quotes around the placeholder if there are any; in the
/// body it is the plain text.
fn fill(text: &str, vars: &[(&str, &str)], yaml: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open..].find("}}").map(|c| open + c) else {
            break;
        };
        let name = rest[open + 2..close].trim();
        let Some((_, value)) = vars.iter().find(|(n, _)| *n == name) else {
            out.push_str(&rest[..close + 2]);
            rest = &rest[close + 2..];
            continue;
        };
        let (mut before, mut after) = (&rest[..open], &rest[close + 2..]);
        let replacement = if yaml {
            for q in ['"', '\''] {
                if before.ends_with(q) && after.starts_with(q) {
                    before = &before[..before.len() - 1];
                    after = &after[1..];
                    break;
                }
            }
            // Dates and slugs are plain YAML scalars; text is quoted.
            if name == "title" {
                yaml_quote(value)
            } else {
                value.to_string()
            }
        } else {
            value.to_string()
        };
        out.push_str(before);
        out.push_str(&replacement);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// YAML lines giving `key` a value that satisfies `field`.
fn placeholder(key: &str, field: &Field, indent: usize, today: jiff::civil::Date) -> String {
    let pad = " ".repeat(indent);
    let text = || {
        let what = field.description.as_deref().unwrap_or(key);
        let mut s = format!("TODO: {what}");
        if let Some(max) = field.max_length {
            s = s.chars().take(max).collect();
        }
        yaml_quote(&s)
    };
    let scalar = match field.ty {
        FieldType::String | FieldType::Any => Some(match &field.values {
            Some(v) if !v.is_empty() => yaml_quote(&v[0]),
            _ => text(),
        }),
        FieldType::Url => Some("\"/\"".to_string()),
        FieldType::Integer | FieldType::Number => Some("0".to_string()),
        FieldType::Boolean => Some("false".to_string()),
        FieldType::Date => Some(today.to_string()),
        FieldType::List => match field.items.as_deref() {
            Some(item) if item.ty == FieldType::Object => {
                let mut out = format!("{pad}{key}:");
                let fields = required_fields(item);
                if fields.is_empty() {
                    return format!("{pad}{key}: []");
                }
                for (i, (k, f)) in fields.iter().enumerate() {
                    let line = placeholder(k, f, indent + 4, today);
                    let line = if i == 0 {
                        format!("{pad}  - {}", line.trim_start())
                    } else {
                        line
                    };
                    out.push('\n');
                    out.push_str(&line);
                }
                return out;
            }
            _ => Some("[]".to_string()),
        },
        FieldType::Object => {
            let mut out = format!("{pad}{key}:");
            for (k, f) in required_fields(field) {
                out.push('\n');
                out.push_str(&placeholder(&k, &f, indent + 2, today));
            }
            return out;
        }
    };
    format!("{pad}{key}: {}  # placeholder", scalar.unwrap_or_default())
}

fn required_fields(field: &Field) -> Vec<(String, Field)> {
    field
        .fields
        .iter()
        .flatten()
        .filter(|(_, f)| f.required)
        .map(|(k, f)| (k.clone(), f.clone()))
        .collect()
}

/// Parses the page as a build would, with the site's theme; its errors, if any.
fn verify(
    root: &Path,
    config_text: &str,
    config: &SiteConfig,
    rel: &str,
    text: &str,
) -> Result<(), Vec<Diagnostic>> {
    let sources = crate::load::load(root, config_text.to_string(), &config.theme)
        .map_err(|e| vec![Diagnostic::error(e.0)])?;
    let theme = crate::render::theme::Theme::compile(&sources, config)?;
    let file = crate::load::ContentFile {
        source_path: rel.to_string(),
        content_path: rel.strip_prefix("content/").unwrap_or(rel).to_string(),
        file: root.join(rel),
    };
    let settings = crate::parse::Settings {
        config,
        schema: &theme.manifest,
        shortcodes: &theme,
        mode: crate::parse::Mode::Build,
    };
    // Its links are not followed: a new page is a draft, in no output.
    let diagnostics = match crate::parse::read(text.as_bytes().to_vec(), &file, &settings) {
        Ok(draft) => crate::parse::finish(draft, None, &settings).1,
        Err(d) => d,
    };
    if diagnostics.iter().any(Diagnostic::is_error) {
        Err(diagnostics)
    } else {
        Ok(())
    }
}

/// `knife-wands-for-schools` → `Knife wands for schools`.
fn title_from_slug(slug: &str) -> String {
    let words = slug.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A YAML double-quoted string.
fn yaml_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Creates `path` with `bytes`; never replaces a file that is there.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), ScaffoldError> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => ScaffoldError::Usage(format!(
                "{} already exists; nothing is overwritten",
                path.display()
            )),
            _ => io(path, e),
        })?;
    f.write_all(bytes).map_err(|e| io(path, e))?;
    f.sync_all().map_err(|e| io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn day() -> jiff::civil::Date {
        jiff::civil::date(2026, 12, 1)
    }

    #[test]
    fn specs_are_checked_segment_by_segment() {
        assert_eq!(
            parse_spec("initiatives/knife-wands").unwrap(),
            (vec!["initiatives".to_string()], "knife-wands".to_string())
        );
        assert_eq!(
            parse_spec("content/initiatives/knife-wands.md").unwrap().1,
            "knife-wands"
        );
        assert_eq!(parse_spec("about").unwrap(), (vec![], "about".to_string()));
        let e = |s: &str| match parse_spec(s) {
            Err(ScaffoldError::Usage(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(e("initiatives/Knife Wands").contains("did you mean `initiatives/knife-wands`?"));
        assert!(e("../etc/passwd").contains("must be a name"));
        assert!(e("initiatives/_index").contains("folder's own pages"));
        assert!(e("").contains("give a section"));
    }

    #[test]
    fn archetypes_are_filled_in_and_always_drafts() {
        let a = "---\ntitle: \"{{ title }}\"\ndate: {{ date }}\ndraft: false\n---\n\nBody.\n";
        let page = page_from_archetype(
            Some(a),
            "Say \"no\" to knives",
            "x",
            day(),
            &BTreeMap::new(),
        );
        assert_eq!(
            page,
            "---\ntitle: \"Say \\\"no\\\" to knives\"\ndate: 2026-12-01\ndraft: true\n---\n\nBody.\n"
        );
        let page = page_from_archetype(None, "Plain: a title", "x", day(), &BTreeMap::new());
        assert!(
            page.starts_with(
                "---\ntitle: \"Plain: a title\"\ndate: 2026-12-01\ndraft: true\n---\n"
            )
        );
    }

    #[test]
    fn placeholders_are_filled_once_and_in_context() {
        let a = "\u{FEFF}---\r\ntitle: '{{ title }}'\r\nslug: {{ slug }}\r\n---\r\n\r\nAbout {{ title }}, {{ date }}. {{ stat(value=\"1\") }}\r\n";
        let page = page_from_archetype(Some(a), "It's {{ date }}", "its", day(), &BTreeMap::new());
        assert_eq!(
            page,
            "---\ntitle: \"It's {{ date }}\"\nslug: its\ndraft: true\n---\n\nAbout It's {{ date }}, 2026-12-01. {{ stat(value=\"1\") }}\n"
        );
    }

    #[test]
    fn required_fields_get_placeholders() {
        let manifest = ThemeManifest::parse(
            "themes/t/theme.yaml",
            "name: t\nschema:\n  default:\n    summary: { required: true, max_length: 20 }\n    kind: { type: string, required: true, values: [a, b] }\n    stats:\n      type: list\n      required: true\n      items:\n        type: object\n        fields:\n          value: { type: string, required: true }\n          label: { type: string, required: true }\n          note: { type: string }\n    cta:\n      type: object\n      required: true\n      fields:\n        url: { type: url, required: true }\n",
        )
        .unwrap();
        let page = page_from_archetype(None, "T", "t", day(), &manifest.fields_for("default"));
        // Each placeholder is marked, its mark recording its text.
        let marked =
            |v: &str| format!("{v}  # placeholder {}", crate::parse::placeholders::hash(v));
        assert!(
            page.contains(&format!("\nsummary: {}\n", marked("\"TODO: summary\""))),
            "{page}"
        );
        assert!(
            page.contains(&format!("\nkind: {}\n", marked("\"a\""))),
            "{page}"
        );
        assert!(
            page.contains(&format!(
                "\nstats:\n  - label: {}\n    value: {}\n",
                marked("\"TODO: label\""),
                marked("\"TODO: value\"")
            )),
            "{page}"
        );
        assert!(
            page.contains(&format!("\ncta:\n  url: {}\n", marked("\"/\""))),
            "{page}"
        );
        let front = page.split("---\n").nth(1).unwrap();
        let v: serde_yaml::Value = serde_yaml::from_str(front).unwrap();
        assert_eq!(v["stats"][0]["label"].as_str(), Some("TODO: label"));
    }

    #[test]
    fn the_embedded_theme_is_the_repository_s() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/campaign");
        let mut on_disk: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(&dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e
                    .path()
                    .strip_prefix(&dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                (rel, std::fs::read(e.path()).unwrap())
            })
            .collect();
        on_disk.sort();
        let embedded: Vec<(String, Vec<u8>)> = THEME_FILES
            .iter()
            .map(|(r, b)| (r.to_string(), b.to_vec()))
            .collect();
        assert_eq!(embedded, on_disk);
    }
}
