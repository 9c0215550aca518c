//! Splits a content file into its YAML front matter and its Markdown body, and reads the front
//! matter into typed [`FrontMatter`]: core keys with their types, keys declared by the theme's
//! schema, and an error (with a "did you mean") for anything else.
//!
//! Pure: text in, values and diagnostics out. Line numbers always refer to the `.md` file.

use crate::config::CORE_KEYS;
use crate::config::SiteConfig;
use crate::diagnostic::Diagnostic;
use crate::schema::{Field, ThemeManifest};
use crate::time::{When, parse_when};
use crate::value::{Data, Place};
use crate::yaml::{Doc, Step};
use std::collections::BTreeMap;

/// Front matter larger than this is refused before the YAML parser sees it.
pub const MAX_FRONT_MATTER: usize = 256 * 1024;

/// A file split into its parts. `body_line` is the 1-based line of the file the body starts on.
#[derive(Debug, PartialEq, Eq)]
pub struct Split<'a> {
    pub front_matter: Option<(&'a str, usize)>,
    pub body: &'a str,
    pub body_line: usize,
}

/// Splits `---` front matter off `text` (already without BOM and with LF line ends).
pub fn split<'a>(path: &str, text: &'a str) -> Result<Split<'a>, Diagnostic> {
    let Some(rest) = text.strip_prefix("---") else {
        return Ok(Split {
            front_matter: None,
            body: text,
            body_line: 1,
        });
    };
    let Some(rest) = rest
        .strip_prefix('\n')
        .or_else(|| rest.trim_start_matches([' ', '\t']).strip_prefix('\n'))
    else {
        if rest.trim().is_empty() {
            return Err(
                Diagnostic::error("front matter opened at line 1 is not closed")
                    .in_file(path)
                    .at(text, 1, 1)
                    .with_hint("end the front matter with a line containing only `---`"),
            );
        }
        return Ok(Split {
            front_matter: None,
            body: text,
            body_line: 1,
        });
    };
    let start = text.len() - rest.len();
    let mut offset = start;
    for (line_no, line) in (2..).zip(rest.split_inclusive('\n')) {
        let bare = line.trim_end_matches('\n').trim_end_matches([' ', '\t']);
        if bare == "---" {
            let block = &text[start..offset];
            if block.len() > MAX_FRONT_MATTER {
                return Err(too_big(path, text));
            }
            let body_start = offset + line.len();
            return Ok(Split {
                front_matter: Some((block, 2)),
                body: &text[body_start..],
                body_line: line_no + 1,
            });
        }
        offset += line.len();
        if offset - start > MAX_FRONT_MATTER {
            return Err(too_big(path, text));
        }
    }
    Err(
        Diagnostic::error("front matter opened at line 1 is not closed")
            .in_file(path)
            .at(text, 1, 1)
            .with_hint("end the front matter with a line containing only `---`"),
    )
}

fn too_big(path: &str, text: &str) -> Diagnostic {
    Diagnostic::error(format!(
        "front matter larger than {} KiB",
        MAX_FRONT_MATTER / 1024
    ))
    .in_file(path)
    .at(text, 1, 1)
    .with_hint("front matter holds a page's settings; move long text into the body")
}

/// The typed front matter of one page or section.
#[derive(Clone, Debug, Default)]
pub struct FrontMatter {
    pub title: String,
    pub summary: Option<String>,
    pub date: Option<When>,
    pub updated: Option<When>,
    pub draft: bool,
    pub publish_at: Option<When>,
    pub expire_at: Option<When>,
    pub review_by: Option<jiff::civil::Date>,
    pub slug: Option<String>,
    pub aliases: Vec<String>,
    pub weight: Option<i64>,
    pub template: Option<String>,
    pub image: Option<String>,
    pub image_alt: Option<String>,
    pub sort_by: Option<SortBy>,
    /// Taxonomy name → terms, for the taxonomies declared in site.yaml.
    pub taxonomies: BTreeMap<String, Vec<String>>,
    /// Keys declared by the theme's schema (every declared key present; none when unset), as
    /// templates read them.
    pub params: Data,
    /// The 1-based line of each top-level key, for later diagnostics (slug, aliases…).
    pub key_lines: BTreeMap<String, usize>,
    /// Every reference to another page in the theme's keys (`related`, `cta.url`…: an `@/`
    /// link or a content path ending in `.md`), in file order: resolved when the page is
    /// finished, like the links in its body.
    pub refs: Vec<Reference>,
}

/// A reference in a theme key: `related: ["@/initiatives/x.md"]`, `cta: {url: "@/x.md"}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// The key as a writer reads it: `related`, `cta.url`.
    pub key: String,
    /// Where the value sits in `params`, to leave it out.
    pub place: Vec<Place>,
    /// As written: `@/initiatives/x.md#funding`.
    pub raw: String,
    /// 1-based line and column of the value in the file.
    pub line: usize,
    pub column: usize,
}

/// Whether a text in a theme key names a content file: an `@/` link, or a path ending in `.md`
/// (`initiatives/x.md`, as templates pass to `get_page`).
pub fn is_reference(s: &str) -> bool {
    s.starts_with("@/")
        || (s.ends_with(".md") && !s.contains("://") && !s.contains(char::is_whitespace))
}

/// Every reference to a content file in `params`, located in the file.
fn references(
    doc: &Doc<'_>,
    params: &serde_json::Map<String, serde_json::Value>,
) -> Vec<Reference> {
    fn walk(
        doc: &Doc<'_>,
        v: &serde_json::Value,
        key: &str,
        place: &mut Vec<Place>,
        out: &mut Vec<Reference>,
    ) {
        match v {
            serde_json::Value::String(s) if is_reference(s) => {
                let steps: Vec<Step<'_>> = place
                    .iter()
                    .map(|p| match p {
                        Place::Key(k) => Step::Key(k),
                        Place::Index(i) => Step::Index(*i),
                    })
                    .collect();
                let (line, column) = doc.locate(&steps);
                out.push(Reference {
                    key: key.to_string(),
                    place: place.clone(),
                    raw: s.clone(),
                    line,
                    column,
                });
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    place.push(Place::Index(i));
                    walk(doc, item, key, place, out);
                    place.pop();
                }
            }
            serde_json::Value::Object(m) => {
                for (k, item) in m {
                    place.push(Place::Key(k.clone()));
                    walk(doc, item, &format!("{key}.{k}"), place, out);
                    place.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (k, v) in params {
        let mut place = vec![Place::Key(k.clone())];
        walk(doc, v, k, &mut place, &mut out);
    }
    out.sort_by_key(|r| (r.line, r.column));
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortBy {
    Weight,
    Date,
    Title,
}

/// Reads the front matter block of `path`. `is_section` allows the section-only keys;
/// `content_type` selects the theme's schema.
pub fn parse(
    path: &str,
    file_text: &str,
    block: Option<(&str, usize)>,
    is_section: bool,
    content_type: &str,
    config: &SiteConfig,
    theme: &ThemeManifest,
) -> Result<FrontMatter, Vec<Diagnostic>> {
    let Some((block, first_line)) = block else {
        return Err(vec![
            Diagnostic::error("this page has no front matter")
                .in_file(path)
                .at(file_text, 1, 1)
                .with_hint(
                    "start the file with a `---` line, then `title: …`, then another `---` line",
                ),
        ]);
    };
    let doc = Doc::parse(path, file_text, block, first_line).map_err(|d| vec![d])?;
    let schema = theme.fields_for(content_type);
    let mut errors = doc.control_characters();
    errors.extend(doc.curly_quotes());

    let mut known: Vec<&str> = CORE_KEYS.to_vec();
    if is_section {
        known.extend_from_slice(crate::config::SECTION_KEYS);
    }
    known.extend(config.taxonomies.iter().map(|t| t.name.as_str()));
    known.extend(
        schema
            .keys()
            .map(String::as_str)
            .filter(|k| !CORE_KEYS.contains(k)),
    );
    for mut d in doc.unknown_keys(&known, "front matter") {
        if !is_section && d.hint.is_none() {
            d = d.with_hint("");
        }
        let key = d.message.split('`').nth(1).unwrap_or_default().to_string();
        if !is_section && crate::config::SECTION_KEYS.contains(&key.as_str()) {
            d.message = format!("`{key}` belongs in a section's `_index.md`, not in a page");
            d.hint = Some("move it to the `_index.md` of this folder".into());
        }
        // A key the theme declares for another kind of page: the page is in another folder
        // than the theme expects (after `content/initiatives` was renamed, say).
        let elsewhere: Vec<&str> = theme
            .types
            .iter()
            .filter(|(t, fields)| *t != content_type && fields.contains_key(&key))
            .map(|(t, _)| t.as_str())
            .collect();
        if let Some(first) = elsewhere.first() {
            let folders = elsewhere
                .iter()
                .map(|t| format!("`{t}/`"))
                .collect::<Vec<_>>()
                .join(", ");
            let here = if content_type == crate::schema::DEFAULT_TYPE {
                "at the top of `content/`".to_string()
            } else {
                format!("in `{content_type}/`")
            };
            d.message = format!(
                "`{key}` is declared by the theme for pages in {folders}, and this page is {here}"
            );
            d.hint = Some(format!(
                "move the page to `content/{first}/`, or, if the folder was renamed on purpose, rename the theme's `{first}:` schema in its theme.yaml to match"
            ));
        }
        if let Some("") = d.hint.as_deref() {
            d.hint = None;
        }
        errors.push(d);
    }

    let mut fm = FrontMatter::default();
    for key in doc.keys() {
        let (line, _) = doc.locate(&[Step::Key(key)]);
        fm.key_lines.insert(key.to_string(), line);
        // Lists of records (`stats`) get the line of each item and of each item's fields
        // (`stats[0]`, `stats[0].as_of`), for `check`'s findings about them.
        if let Some(serde_yaml::Value::Sequence(items)) = doc.get(key)
            && items.iter().any(serde_yaml::Value::is_mapping)
        {
            for (i, item) in items.iter().enumerate() {
                let at = [Step::Key(key), Step::Index(i)];
                fm.key_lines
                    .insert(format!("{key}[{i}]"), doc.locate(&at).0);
                if let serde_yaml::Value::Mapping(m) = item {
                    for field in m.keys().filter_map(serde_yaml::Value::as_str) {
                        let (line, _) =
                            doc.locate(&[Step::Key(key), Step::Index(i), Step::Key(field)]);
                        fm.key_lines.insert(format!("{key}[{i}].{field}"), line);
                    }
                }
            }
        }
    }
    macro_rules! take {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(d) => {
                    errors.push(d);
                    None
                }
            }
        };
    }
    match take!(doc.string("title")) {
        Some(t) if !t.trim().is_empty() => fm.title = t,
        Some(_) => errors.push(
            doc.error_at(&[Step::Key("title")], "`title` is empty")
                .with_hint("give the page a title"),
        ),
        None if doc.get("title").is_none() => errors.push(
            Diagnostic::error("`title` is missing")
                .in_file(path)
                .at(file_text, first_line.saturating_sub(1).max(1), 1)
                .with_hint(
                    "add a line such as `title: \"Young Londoners Fund\"` to the front matter",
                ),
        ),
        None => {}
    }
    fm.summary = take!(doc.string("summary"));
    fm.date = take!(when(&doc, "date", config));
    fm.updated = take!(when(&doc, "updated", config));
    fm.draft = take!(doc.bool("draft")).unwrap_or(false);
    fm.publish_at = take!(when(&doc, "publish_at", config));
    fm.expire_at = take!(when(&doc, "expire_at", config));
    fm.review_by = take!(date(&doc, "review_by", &config.language));
    fm.slug = take!(doc.string("slug"));
    fm.aliases = take!(doc.string_list("aliases")).unwrap_or_default();
    fm.weight = take!(doc.integer("weight"));
    fm.template = take!(doc.string("template"));
    fm.image = take!(doc.string("image"));
    fm.image_alt = take!(doc.string("image_alt"));
    if is_section {
        fm.sort_by = match take!(doc.string("sort_by")).as_deref() {
            None => None,
            Some("weight") => Some(SortBy::Weight),
            Some("date") => Some(SortBy::Date),
            Some("title") => Some(SortBy::Title),
            Some(other) => {
                errors.push(
                    doc.error_at(
                        &[Step::Key("sort_by")],
                        format!("`sort_by`: `{other}` is not a sort order"),
                    )
                    .with_hint("use `weight`, `date` or `title`"),
                );
                None
            }
        };
    }
    if let (Some(p), Some(e)) = (&fm.publish_at, &fm.expire_at)
        && e.at <= p.at
    {
        errors.push(
            doc.error_at(
                &[Step::Key("expire_at")],
                "`expire_at` is not after `publish_at`",
            )
            .with_hint("the page would never be live; check both times"),
        );
    }
    if let Some(t) = &fm.template
        && !valid_template_name(t)
    {
        errors.push(
            doc.error_at(
                &[Step::Key("template")],
                format!("`template`: `{t}` is not a template name"),
            )
            .with_hint("name a template file inside the theme, for example `template: page.html`"),
        );
    }
    for tax in &config.taxonomies {
        if let Some(terms) = take!(doc.string_list(&tax.name)) {
            for (i, term) in terms.iter().enumerate() {
                if crate::slug::slugify(term).is_empty() {
                    errors.push(
                        doc.error_at(
                            &[Step::Key(&tax.name), Step::Index(i)],
                            format!("`{}`: the term `{term}` has no letters or digits", tax.name),
                        )
                        .with_hint("give the term a name with letters or digits"),
                    );
                } else if let Err(why) = crate::slug::portable_name(&crate::slug::slugify(term)) {
                    errors.push(
                        doc.error_at(
                            &[Step::Key(&tax.name), Step::Index(i)],
                            format!(
                                "`{}`: the term `{term}` cannot be a page's address: {why}",
                                tax.name
                            ),
                        )
                        .with_hint("name the term differently (its page would be a folder no Windows computer can hold)"),
                    );
                }
            }
            fm.taxonomies.insert(tax.name.clone(), terms);
        }
    }
    let params = check_schema(&doc, &schema, is_section, &config.language, &mut errors);
    fm.refs = references(&doc, &params);
    fm.params = Data::new(&params);
    if errors.is_empty() {
        Ok(fm)
    } else {
        Err(errors)
    }
}

/// Applies the theme's schema: types of declared keys, required keys, lengths of core keys.
/// A section's `_index.md` is checked for the types of what it sets, but the theme's required
/// keys are for pages.
fn check_schema(
    doc: &Doc<'_>,
    schema: &BTreeMap<String, Field>,
    is_section: bool,
    language: &str,
    errors: &mut Vec<Diagnostic>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut params = serde_json::Map::new();
    let present = |k: &str| doc.get(k).is_some();
    for (key, field) in schema {
        let required =
            !is_section && (field.required || field.required_with.as_deref().is_some_and(present));
        if required && !present(key) {
            let why = match &field.required_with {
                Some(other) if !field.required => format!(" when `{other}` is set"),
                _ => " on this kind of page".to_string(),
            };
            let message = format!("the theme requires `{key}`{why}");
            // Point at the key that makes it required, else at the front matter's first line.
            let d = match &field.required_with {
                Some(other) if !field.required => {
                    doc.error_at(&[crate::yaml::Step::Key(other)], message)
                }
                _ => Diagnostic::error(message).in_file(doc.path).at(
                    doc.file_text,
                    doc.first_line.saturating_sub(1).max(1),
                    1,
                ),
            };
            errors.push(d.with_hint(match &field.description {
                Some(d) => format!("add `{key}:` to the front matter ({d})"),
                None => format!("add `{key}:` to the front matter"),
            }));
        }
        let Some(value) = doc.get(key) else {
            if !CORE_KEYS.contains(&key.as_str()) {
                params.insert(key.clone(), serde_json::Value::Null);
            }
            continue;
        };
        if CORE_KEYS.contains(&key.as_str()) {
            // Core keys keep their own types; the schema adds limits.
            if let (Some(max), Some(s)) = (field.max_length, value.as_str()) {
                let n = s.chars().count();
                if n > max {
                    errors.push(
                        doc.error_at(
                            &[Step::Key(key)],
                            format!(
                                "`{key}` is {n} characters long; the theme allows at most {max}"
                            ),
                        )
                        .with_hint("shorten it"),
                    );
                }
            }
            continue;
        }
        let json =
            crate::schema::check_value(doc, &[Step::Key(key)], key, field, value, language, errors);
        params.insert(key.clone(), json);
    }
    params
}

fn valid_template_name(t: &str) -> bool {
    !t.is_empty()
        && !t.starts_with('/')
        && t.split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && !t.contains('\\')
}

/// Reads a time: RFC 3339 with an offset, or a civil date/time read in the site's time zone.
fn when(doc: &Doc<'_>, key: &str, config: &SiteConfig) -> Result<Option<When>, Diagnostic> {
    let Some(text) = doc.string(key)? else {
        return Ok(None);
    };
    parse_when(&text, &config.tz).map(Some).map_err(|m| {
        match crate::time::date_hint(&text, &config.language) {
            Some(hint) => doc
                .error_at(
                    &[Step::Key(key)],
                    format!("`{key}`: `{}` is not written as YYYY-MM-DD", text.trim()),
                )
                .with_hint(hint),
            None => doc.error_at(&[Step::Key(key)], format!("`{key}`: {m}"))
                .with_hint(format!("write `{key}: 2026-03-03` or `{key}: 2026-03-03T09:30` (site time zone) or with an offset, `2026-03-03T09:30:00+00:00`")),
        }
    })
}

fn date(doc: &Doc<'_>, key: &str, language: &str) -> Result<Option<jiff::civil::Date>, Diagnostic> {
    let Some(text) = doc.string(key)? else {
        return Ok(None);
    };
    text.trim()
        .parse::<jiff::civil::Date>()
        .map(Some)
        .map_err(|e| match crate::time::date_hint(&text, language) {
            Some(hint) => doc
                .error_at(
                    &[Step::Key(key)],
                    format!("`{key}`: `{}` is not written as YYYY-MM-DD", text.trim()),
                )
                .with_hint(hint),
            None => doc
                .error_at(
                    &[Step::Key(key)],
                    format!("`{key}`: `{text}` is not a valid date ({e})"),
                )
                .with_hint(format!(
                    "write the date as YYYY-MM-DD, for example `{key}: 2026-06-30`"
                )),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SiteConfig {
        crate::config::parse("title: T\nbase_url: https://e.org/\ntimezone: Europe/London\ntaxonomies: [priorities]\n").unwrap()
    }

    fn fm(text: &str) -> Result<FrontMatter, Vec<Diagnostic>> {
        let s = split("content/p.md", text).map_err(|d| vec![d])?;
        parse(
            "content/p.md",
            text,
            s.front_matter,
            false,
            "default",
            &config(),
            &ThemeManifest::default(),
        )
    }

    #[test]
    fn splits_front_matter_and_counts_lines() {
        let s = split("p.md", "---\ntitle: A\n---\nbody\n").unwrap();
        assert_eq!(s.front_matter, Some(("title: A\n", 2)));
        assert_eq!((s.body, s.body_line), ("body\n", 4));
        let s = split("p.md", "---\ntitle: A\n---").unwrap();
        assert_eq!((s.body, s.front_matter), ("", Some(("title: A\n", 2))));
        let s = split("p.md", "no front matter\n").unwrap();
        assert_eq!(s.front_matter, None);
    }

    #[test]
    fn unclosed_front_matter() {
        let e = split("p.md", "---\ntitle: A\nbody\n").unwrap_err();
        assert_eq!(e.message, "front matter opened at line 1 is not closed");
    }

    #[test]
    fn typed_core_keys() {
        let f = fm("---\ntitle: A\ndate: 2026-03-03\npublish_at: 2026-03-03T09:30\ndraft: true\npriorities: [\"Boosting police power\"]\n---\n").unwrap();
        assert!(f.draft);
        // 09:30 in London in March is 09:30 UTC.
        assert_eq!(f.publish_at.unwrap().at.to_string(), "2026-03-03T09:30:00Z");
        assert_eq!(
            f.taxonomies["priorities"],
            vec!["Boosting police power".to_string()]
        );
    }

    #[test]
    fn bad_values_are_errors() {
        let e = fm("---\ntitle: A\ndate: 2026-02-30\ndraft: no\ntitel: x\n---\n").unwrap_err();
        let msgs: Vec<_> = e.iter().map(|d| (d.line, d.message.clone())).collect();
        assert!(
            msgs.iter()
                .any(|(l, m)| *l == Some(3) && m.contains("`2026-02-30` is not a valid date")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|(l, m)| *l == Some(4) && m.contains("expected true or false")),
            "{msgs:?}"
        );
        assert!(
            e.iter()
                .any(|d| d.line == Some(5) && d.hint.as_deref() == Some("did you mean `title`?")),
            "{msgs:?}"
        );
    }

    #[test]
    fn missing_title() {
        let e = fm("---\n---\nbody").unwrap_err();
        assert_eq!(e[0].message, "`title` is missing");
    }
}
