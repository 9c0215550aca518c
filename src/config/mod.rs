//! `site.yaml` → [`SiteConfig`], strictly: every key is known and typed, unknown keys are errors
//! with a "did you mean". Pure: takes the file's text.

pub mod publish;

use crate::diagnostic::Diagnostic;
use crate::yaml::{Doc, Step};
use serde_yaml::Value;

pub const FILE: &str = "site.yaml";

/// The front-matter keys placard itself reads, on every page: part of the content model, so
/// site.yaml's taxonomies may not take these names.
pub const CORE_KEYS: &[&str] = &[
    "title",
    "summary",
    "date",
    "updated",
    "draft",
    "publish_at",
    "expire_at",
    "review_by",
    "slug",
    "aliases",
    "weight",
    "template",
    "image",
    "image_alt",
];
/// Keys only a section's `_index.md` may carry.
pub const SECTION_KEYS: &[&str] = &["sort_by"];

/// The site's settings.
#[derive(Clone, Debug)]
pub struct SiteConfig {
    pub title: String,
    /// Absolute base URL, always ending in `/` (`https://example.org/campaign/`).
    pub base_url: String,
    /// BCP 47 language tag, for `<html lang>` and date formatting (`en-GB`).
    pub language: String,
    /// IANA time zone name in which times without an offset are read.
    pub timezone: String,
    pub tz: jiff::tz::TimeZone,
    pub theme: String,
    pub taxonomies: Vec<Taxonomy>,
    pub markdown: MarkdownOptions,
    pub outputs: OutputOptions,
    /// Free-form settings for the theme, passed to templates as `config.params`.
    pub params: serde_json::Value,
    /// Where `placard publish` sends the site.
    pub publish: publish::PublishConfig,
    /// How `placard check` judges the site.
    pub check: CheckSettings,
}

/// `check:` in site.yaml.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckSettings {
    /// A statistic whose `as_of` is more than this many days old is reported.
    pub stat_max_age_days: u32,
    /// `--external`: seconds per request, requests at a time, tries after the first.
    pub external_timeout: u32,
    pub external_concurrency: u32,
    pub external_retries: u32,
    /// URL prefixes `--external` leaves alone (sites that refuse robots, say).
    pub external_skip: Vec<String>,
}

impl Default for CheckSettings {
    fn default() -> Self {
        CheckSettings {
            stat_max_age_days: 730,
            external_timeout: 10,
            external_concurrency: 8,
            external_retries: 2,
            external_skip: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taxonomy {
    /// The front-matter key and URL segment (`priorities`).
    pub name: String,
    /// The human title (`Priorities`).
    pub title: String,
}

#[derive(Clone, Debug)]
pub struct MarkdownOptions {
    /// Keep raw HTML from Markdown as written. Off by default: raw HTML is sanitised.
    pub raw_html: bool,
    pub smart_punctuation: bool,
}

#[derive(Clone, Debug)]
pub struct OutputOptions {
    pub feeds: bool,
    pub sitemap: bool,
    pub robots: bool,
    /// Number of entries in each Atom feed.
    pub feed_limit: usize,
}

const KEYS: &[&str] = &[
    "title",
    "base_url",
    "language",
    "timezone",
    "theme",
    "taxonomies",
    "markdown",
    "outputs",
    "params",
    "publish",
    "check",
];
const MARKDOWN_KEYS: &[&str] = &["raw_html", "smart_punctuation"];
const OUTPUT_KEYS: &[&str] = &["feeds", "sitemap", "robots", "feed_limit"];
const CHECK_KEYS: &[&str] = &[
    "stat_max_age_days",
    "external_timeout",
    "external_concurrency",
    "external_retries",
    "external_skip",
];

/// Parses `site.yaml`. Returns every problem found, not just the first.
pub fn parse(text: &str) -> Result<SiteConfig, Vec<Diagnostic>> {
    parse_inner(text).map_err(|mut errors| {
        // A line holding a credential is never shown back, whatever the problem with it.
        for d in &mut errors {
            if let Some(hidden) = d.source_line.as_deref().and_then(publish::redact_line) {
                d.source_line = Some(hidden);
            }
        }
        errors
    })
}

fn parse_inner(text: &str) -> Result<SiteConfig, Vec<Diagnostic>> {
    let doc = Doc::parse(FILE, text, text, 1).map_err(|d| vec![d])?;
    let mut errors = doc.unknown_keys(KEYS, "site.yaml");
    errors.extend(doc.control_characters());
    errors.extend(doc.curly_quotes());
    let mut take = |r: Result<Option<String>, Diagnostic>| match r {
        Ok(v) => v,
        Err(d) => {
            errors.push(d);
            None
        }
    };
    let title = take(doc.string("title"));
    let base_url = take(doc.string("base_url"));
    let language = take(doc.string("language")).unwrap_or_else(|| "en".into());
    let timezone = take(doc.string("timezone")).unwrap_or_else(|| "UTC".into());
    let theme = take(doc.string("theme")).unwrap_or_else(|| "campaign".into());

    if title.is_none() {
        errors.push(missing(
            &doc,
            "title",
            "title: \"Tackling serious violent crime\"",
        ));
    }
    let base_url = match base_url {
        None => {
            errors.push(missing(
                &doc,
                "base_url",
                "base_url: \"https://example.org/\"",
            ));
            String::new()
        }
        Some(url) => match normalise_base_url(&url) {
            Ok(u) => u,
            Err(m) => {
                errors.push(
                    doc.error_at(&[Step::Key("base_url")], format!("`base_url`: {m}"))
                        .with_hint(
                            "write an absolute http(s) URL, for example `https://example.org/`",
                        ),
                );
                String::new()
            }
        },
    };
    let tz = match jiff::tz::TimeZone::get(&timezone) {
        Ok(tz) => tz,
        Err(_) => {
            errors.push(
                doc.error_at(
                    &[Step::Key("timezone")],
                    format!("unknown time zone `{timezone}`"),
                )
                .with_hint("use an IANA time zone name such as `Europe/London` or `UTC`"),
            );
            jiff::tz::TimeZone::UTC
        }
    };
    if !valid_language(&language) {
        errors.push(
            doc.error_at(
                &[Step::Key("language")],
                format!("`language`: `{language}` is not a language tag"),
            )
            .with_hint("use a BCP 47 tag such as `en` or `en-GB`"),
        );
    }
    if !theme
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        || theme.is_empty()
    {
        errors.push(
            doc.error_at(
                &[Step::Key("theme")],
                format!("`theme`: `{theme}` is not a theme folder name"),
            )
            .with_hint("name a folder inside `themes/`, for example `theme: campaign`"),
        );
    }
    let taxonomies = taxonomies(&doc, &mut errors);
    let markdown = markdown(&doc, &mut errors);
    let outputs = outputs(&doc, &mut errors);
    let params = match doc.get("params") {
        None => serde_json::Value::Object(Default::default()),
        Some(v @ Value::Mapping(_)) => crate::yaml::to_json(v),
        Some(v) => {
            errors.push(doc.error_at(
                &[Step::Key("params")],
                format!(
                    "`params`: expected a mapping, found {}",
                    crate::yaml::describe(v)
                ),
            ));
            serde_json::Value::Null
        }
    };
    let publish = publish::parse(&doc, &mut errors);
    let check = check_settings(&doc, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(SiteConfig {
        title: title.unwrap_or_default(),
        base_url,
        language,
        timezone,
        tz,
        theme,
        taxonomies,
        markdown,
        outputs,
        params,
        publish,
        check,
    })
}

impl SiteConfig {
    /// The absolute URL of a site path (`/initiatives/` → `https://example.org/initiatives/`).
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path.trim_start_matches('/'))
    }

    /// The path part of the base URL (`/` or `/campaign/`), prefixed to every site URL.
    pub fn base_path(&self) -> &str {
        let after_scheme = self.base_url.find("://").map_or(0, |i| i + 3);
        match self.base_url[after_scheme..].find('/') {
            Some(i) => &self.base_url[after_scheme + i..],
            None => "/",
        }
    }
}

fn missing(doc: &Doc<'_>, key: &str, example: &str) -> Diagnostic {
    Diagnostic::error(format!("site.yaml has no `{key}`"))
        .in_file(doc.path)
        .with_hint(format!("add a line such as `{example}`"))
}

/// Accepts `http(s)://host[/path]`; returns it with exactly one trailing slash.
pub fn normalise_base_url(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("`{url}` is not an absolute http(s) URL"))?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || rest.contains(char::is_whitespace) || rest.contains(['?', '#', '\\']) {
        return Err(format!("`{url}` is not a usable base URL"));
    }
    Ok(format!("{}/", url.trim_end_matches('/')))
}

fn valid_language(tag: &str) -> bool {
    !tag.is_empty()
        && tag.split('-').all(|part| {
            !part.is_empty() && part.len() <= 8 && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

fn taxonomies(doc: &Doc<'_>, errors: &mut Vec<Diagnostic>) -> Vec<Taxonomy> {
    let Some(value) = doc.get("taxonomies") else {
        return Vec::new();
    };
    let Value::Sequence(items) = value else {
        errors.push(
            doc.error_at(&[Step::Key("taxonomies")], "`taxonomies`: expected a list")
                .with_hint("for example `taxonomies: [priorities, boroughs]`"),
        );
        return Vec::new();
    };
    let mut out: Vec<Taxonomy> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = [Step::Key("taxonomies"), Step::Index(i)];
        let (name, title) =
            match item {
                Value::String(s) => (s.clone(), title_case(s)),
                Value::Mapping(m) => {
                    let name = m.get("name").and_then(Value::as_str).map(str::to_string);
                    let title = m.get("title").and_then(Value::as_str).map(str::to_string);
                    let unknown: Vec<_> = m
                        .keys()
                        .filter_map(Value::as_str)
                        .filter(|k| *k != "name" && *k != "title")
                        .collect();
                    if let Some(k) = unknown.first() {
                        errors.push(
                            doc.error_at(&at, format!("unknown key `{k}` in a taxonomy"))
                                .with_hint("a taxonomy has `name` and `title`"),
                        );
                    }
                    match name {
                        Some(n) => {
                            let t = title.unwrap_or_else(|| title_case(&n));
                            (n, t)
                        }
                        None => {
                            errors.push(doc.error_at(&at, "a taxonomy needs a `name`").with_hint(
                                "for example `- { name: priorities, title: Priorities }`",
                            ));
                            continue;
                        }
                    }
                }
                other => {
                    errors.push(doc.error_at(
                        &at,
                        format!(
                            "a taxonomy is a name or a mapping, found {}",
                            crate::yaml::describe(other)
                        ),
                    ));
                    continue;
                }
            };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            errors.push(
                doc.error_at(
                    &at,
                    format!("taxonomy name `{name}` must be lowercase letters, digits, `-` or `_`"),
                )
                .with_hint("the name is used as a front-matter key and a URL segment"),
            );
            continue;
        }
        if let Err(why) = crate::slug::portable_name(&name) {
            errors.push(doc.error_at(
                &at,
                format!("taxonomy name `{name}` cannot be a folder of the built site: {why}"),
            ));
            continue;
        }
        if CORE_KEYS.contains(&name.as_str()) {
            errors.push(doc.error_at(
                &at,
                format!("taxonomy name `{name}` is already a front-matter key"),
            ));
            continue;
        }
        if out.iter().any(|t| t.name == name) {
            errors.push(doc.error_at(&at, format!("taxonomy `{name}` is listed twice")));
            continue;
        }
        out.push(Taxonomy { name, title });
    }
    out
}

fn sub_doc<'a>(
    doc: &Doc<'a>,
    key: &str,
    known: &[&str],
    errors: &mut Vec<Diagnostic>,
) -> Option<serde_yaml::Mapping> {
    let value = doc.get(key)?;
    let Value::Mapping(m) = value else {
        errors.push(doc.error_at(
            &[Step::Key(key)],
            format!(
                "`{key}`: expected a mapping, found {}",
                crate::yaml::describe(value)
            ),
        ));
        return None;
    };
    for k in m.keys() {
        let name = k.as_str().unwrap_or("?");
        if !known.contains(&name) {
            let mut d = doc.error_at(
                &[Step::Key(key), Step::Key(name)],
                format!("unknown key `{name}` in `{key}`"),
            );
            d = match crate::diagnostic::did_you_mean(name, known.iter().copied()) {
                Some(near) => d.with_hint(format!("did you mean `{near}`?")),
                None => d.with_hint(format!("the keys allowed here are: {}", known.join(", "))),
            };
            errors.push(d);
        }
    }
    Some(m.clone())
}

fn sub_bool(
    doc: &Doc<'_>,
    m: &serde_yaml::Mapping,
    parent: &str,
    key: &str,
    default: bool,
    errors: &mut Vec<Diagnostic>,
) -> bool {
    match m.get(key) {
        None | Some(Value::Null) => default,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            errors.push(
                doc.error_at(
                    &[Step::Key(parent), Step::Key(key)],
                    format!(
                        "`{parent}.{key}`: expected true or false, found {}",
                        crate::yaml::describe(v)
                    ),
                )
                .with_hint(format!("write `{key}: true` or `{key}: false`")),
            );
            default
        }
    }
}

fn markdown(doc: &Doc<'_>, errors: &mut Vec<Diagnostic>) -> MarkdownOptions {
    let m = sub_doc(doc, "markdown", MARKDOWN_KEYS, errors).unwrap_or_default();
    MarkdownOptions {
        raw_html: sub_bool(doc, &m, "markdown", "raw_html", false, errors),
        smart_punctuation: sub_bool(doc, &m, "markdown", "smart_punctuation", true, errors),
    }
}

fn outputs(doc: &Doc<'_>, errors: &mut Vec<Diagnostic>) -> OutputOptions {
    let m = sub_doc(doc, "outputs", OUTPUT_KEYS, errors).unwrap_or_default();
    let feed_limit = match m.get("feed_limit") {
        None | Some(Value::Null) => 20,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n > 0) => {
            n.as_u64().unwrap_or(20) as usize
        }
        Some(v) => {
            errors.push(doc.error_at(
                &[Step::Key("outputs"), Step::Key("feed_limit")],
                format!(
                    "`outputs.feed_limit`: expected a positive whole number, found {}",
                    crate::yaml::describe(v)
                ),
            ));
            20
        }
    };
    OutputOptions {
        feeds: sub_bool(doc, &m, "outputs", "feeds", true, errors),
        sitemap: sub_bool(doc, &m, "outputs", "sitemap", true, errors),
        robots: sub_bool(doc, &m, "outputs", "robots", true, errors),
        feed_limit,
    }
}

fn check_settings(doc: &Doc<'_>, errors: &mut Vec<Diagnostic>) -> CheckSettings {
    let m = sub_doc(doc, "check", CHECK_KEYS, errors).unwrap_or_default();
    let defaults = CheckSettings::default();
    let mut number =
        |key: &str, default: u32, range: std::ops::RangeInclusive<u32>| match m.get(key) {
            None | Some(Value::Null) => default,
            Some(Value::Number(n))
                if n.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .is_some_and(|n| range.contains(&n)) =>
            {
                n.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(default)
            }
            Some(v) => {
                errors.push(
                    doc.error_at(
                        &[Step::Key("check"), Step::Key(key)],
                        format!(
                            "`check.{key}`: expected a whole number from {} to {}, found {}",
                            range.start(),
                            range.end(),
                            crate::yaml::describe(v)
                        ),
                    )
                    .with_hint(format!("for example `{key}: {default}`")),
                );
                default
            }
        };
    let stat_max_age_days = number("stat_max_age_days", defaults.stat_max_age_days, 1..=36_500);
    let external_timeout = number("external_timeout", defaults.external_timeout, 1..=300);
    let external_concurrency = number(
        "external_concurrency",
        defaults.external_concurrency,
        1..=64,
    );
    let external_retries = number("external_retries", defaults.external_retries, 0..=10);
    let external_skip = match m.get("external_skip") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(v) => {
            errors.push(
                doc.error_at(
                    &[Step::Key("check"), Step::Key("external_skip")],
                    format!(
                        "`check.external_skip`: expected a list of URL prefixes, found {}",
                        crate::yaml::describe(v)
                    ),
                )
                .with_hint("for example `external_skip: [\"https://www.facebook.com/\"]`"),
            );
            Vec::new()
        }
    };
    CheckSettings {
        stat_max_age_days,
        external_timeout,
        external_concurrency,
        external_retries,
        external_skip,
    }
}

fn title_case(s: &str) -> String {
    let mut out = String::new();
    for (i, word) in s.split(['-', '_']).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let mut chars = word.chars();
        if let Some(c) = chars.next() {
            if i == 0 {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            out.push_str(chars.as_str());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_config_gets_defaults() {
        let c = parse("title: T\nbase_url: https://example.org\n").unwrap();
        assert_eq!(c.base_url, "https://example.org/");
        assert_eq!(c.language, "en");
        assert!(!c.markdown.raw_html);
        assert!(c.markdown.smart_punctuation);
        assert_eq!(c.base_path(), "/");
    }

    #[test]
    fn unknown_keys_suggest_the_right_one() {
        let e = parse("titel: T\nbase_url: https://example.org\nmarkdown:\n  raw_htm: true\n")
            .unwrap_err();
        let text: Vec<String> = e.iter().map(Diagnostic::render).collect();
        assert!(
            text.iter()
                .any(|t| t.contains("unknown key `titel`") && t.contains("did you mean `title`?")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("unknown key `raw_htm`") && t.contains("site.yaml:4")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.contains("site.yaml has no `title`")),
            "{text:?}"
        );
    }

    #[test]
    fn bad_values_are_located() {
        let e = parse("title: T\nbase_url: example.org\ntimezone: Mars/Base\n").unwrap_err();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].line, Some(2));
        assert_eq!(e[1].line, Some(3));
    }

    #[test]
    fn taxonomies_by_name_or_mapping() {
        let c = parse("title: T\nbase_url: https://e.org/x/\ntaxonomies:\n  - priorities\n  - { name: boroughs, title: Our boroughs }\n").unwrap();
        assert_eq!(
            c.taxonomies[0],
            Taxonomy {
                name: "priorities".into(),
                title: "Priorities".into()
            }
        );
        assert_eq!(c.taxonomies[1].title, "Our boroughs");
        assert_eq!(c.base_path(), "/x/");
    }
}
