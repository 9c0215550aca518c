//! The compiled theme: Tera 2 templates from `themes/<theme>/templates/` with the site's
//! `templates/` overriding them by path, placard's filters and functions, the schema from
//! `theme.yaml`, the shortcodes, and the static files with content-hashed names.
//!
//! Compiled once per build from [`Sources`]; pure. Templates get data only: the functions
//! look things up in the `__placard` value each render context carries, and nothing here
//! reads the environment or the disk.

use crate::config::SiteConfig;
use crate::diagnostic::Diagnostic;
use crate::load::{Sources, TemplateFile};
use crate::parse::markdown::{ArgSpec, Shortcodes};
use crate::schema::ThemeManifest;
use std::collections::BTreeMap;
use std::sync::Arc;
use tera::value::Key;
use tera::{Error, Kwargs, State, Tera, TeraResult, Value};

/// Templates every theme must have.
pub const REQUIRED_TEMPLATES: &[&str] = &[
    "index.html",
    "section.html",
    "page.html",
    "taxonomy.html",
    "taxonomy_term.html",
    "404.html",
];

/// The name of the context value through which template functions find pages.
pub const INDEX_VAR: &str = "__placard";

pub struct Theme {
    pub manifest: ThemeManifest,
    pub tera: Tera,
    /// Template name → its file, for locating errors.
    templates: BTreeMap<String, TemplateFile>,
    /// Theme static file (`css/main.css`) → its fingerprinted output path and bytes.
    pub assets: Arc<BTreeMap<String, Asset>>,
    shortcodes: BTreeMap<String, Vec<ArgSpec>>,
    /// The ids written literally in the templates (`id="partners"`), which headings avoid.
    reserved_ids: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Asset {
    /// Output path, relative to the output folder (`css/main.3f2a1c9e.css`).
    pub output: String,
    pub bytes: Arc<Vec<u8>>,
}

impl Theme {
    /// Compiles the theme. Every template problem is reported, each at its file:line.
    pub fn compile(sources: &Sources, config: &SiteConfig) -> Result<Theme, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let manifest = match &sources.theme_manifest {
            Some((path, text)) => ThemeManifest::parse(path, text).unwrap_or_else(|mut e| {
                errors.append(&mut e);
                ThemeManifest::default()
            }),
            None => ThemeManifest::default(),
        };
        let assets = Arc::new(fingerprint(sources));
        let mut tera = Tera::new();
        tera.autoescape_on(vec![".html", ".htm", ".xml"]);
        register(&mut tera, config, Arc::clone(&assets));

        let templates: BTreeMap<String, TemplateFile> = sources
            .templates
            .iter()
            .map(|t| (t.name.clone(), t.clone()))
            .collect();
        let mut theme = Theme {
            manifest,
            tera,
            templates,
            assets,
            shortcodes: BTreeMap::new(),
            reserved_ids: Vec::new(),
        };
        theme.reserved_ids = literal_ids(theme.templates.values().map(|t| t.text.as_str()));
        // Add all templates in one batch (Tera re-validates everything on each add); when the
        // batch fails, add them one by one to report every broken template at its own line.
        let batch: Vec<(&str, &str)> = theme
            .templates
            .values()
            .map(|t| (t.name.as_str(), t.text.as_str()))
            .collect();
        if let Err(e) = theme.tera.add_raw_templates(batch.clone()) {
            // Syntax errors show up template by template; validation errors (an unknown
            // filter, a missing include) come as one report per problem in the batch error.
            let mut found = Vec::new();
            for (name, text) in &batch {
                let mut probe = Tera::new();
                register(&mut probe, config, Arc::clone(&theme.assets));
                if let Err(e) = probe.add_raw_template(name, text)
                    && matches!(e.kind(), tera::ErrorKind::SyntaxError(_))
                {
                    found.push(theme.error(&e, None));
                }
            }
            if found.is_empty() {
                found = theme.errors(&e);
            }
            errors.append(&mut found);
        }
        for name in REQUIRED_TEMPLATES {
            if !theme.templates.contains_key(*name) {
                errors.push(
                    Diagnostic::error(format!("the theme has no `{name}` template"))
                        .in_file(format!("{}/templates", sources.theme_dir))
                        .with_hint(format!(
                            "create `{}/templates/{name}` (or `templates/{name}` in the site)",
                            sources.theme_dir
                        )),
                );
            }
        }
        theme.shortcodes = theme.shortcode_specs(sources, &mut errors);
        if errors.is_empty() {
            Ok(theme)
        } else {
            Err(errors)
        }
    }

    fn shortcode_specs(
        &self,
        sources: &Sources,
        errors: &mut Vec<Diagnostic>,
    ) -> BTreeMap<String, Vec<ArgSpec>> {
        let mut out = BTreeMap::new();
        for name in self.templates.keys() {
            let Some(short) = name
                .strip_prefix("shortcodes/")
                .and_then(|n| n.strip_suffix(".html"))
            else {
                continue;
            };
            let spec = match self.manifest.shortcodes.get(short) {
                Some(declared) => declared
                    .args
                    .iter()
                    .map(|(n, f)| ArgSpec {
                        name: n.clone(),
                        required: f.required,
                        ty: f.ty.name().to_string(),
                        values: f.values.clone(),
                    })
                    .collect(),
                // Undeclared: the variables the template uses are its arguments.
                None => self
                    .tera
                    .get_template_variables(name)
                    .map(|vars| {
                        vars.into_iter()
                            .filter(|v| *v != "body" && *v != "nth")
                            .map(|v| ArgSpec {
                                name: v.to_string(),
                                required: false,
                                ty: "any".into(),
                                values: None,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            };
            out.insert(short.to_string(), spec);
        }
        for name in self.manifest.shortcodes.keys() {
            if !out.contains_key(name) {
                errors.push(
                    Diagnostic::error(format!("theme.yaml declares the shortcode `{name}` but there is no `shortcodes/{name}.html` template"))
                        .in_file(format!("{}/theme.yaml", sources.theme_dir))
                        .with_hint(format!("create `{}/templates/shortcodes/{name}.html` or remove the declaration", sources.theme_dir)),
                );
            }
        }
        out
    }

    pub fn has_template(&self, name: &str) -> bool {
        self.templates.contains_key(name)
    }

    pub fn template_names(&self) -> impl Iterator<Item = &str> {
        self.templates.keys().map(String::as_str)
    }

    /// Every report in a Tera error (validation errors hold several), as diagnostics.
    pub fn errors(&self, e: &Error) -> Vec<Diagnostic> {
        if let tera::ErrorKind::Msg(text) = e.kind() {
            let reports: Vec<String> = text
                .split("\n\nerror: ")
                .map(|r| {
                    if r.starts_with("error: ") {
                        r.to_string()
                    } else {
                        format!("error: {r}")
                    }
                })
                .collect();
            if reports.len() > 1 {
                return reports
                    .iter()
                    .map(|r| self.error(&Error::message(r.clone()), None))
                    .collect();
            }
        }
        vec![self.error(e, None)]
    }

    /// A Tera error as a diagnostic at the template's file:line; `page` names the content file
    /// being rendered.
    pub fn error(&self, e: &Error, page: Option<&str>) -> Diagnostic {
        let (name, line, col, message) = match e.kind() {
            tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => {
                let s = r.span();
                (
                    Some(r.filename().to_string()),
                    Some(s.start_line),
                    Some(s.start_col + 1),
                    r.message().to_string(),
                )
            }
            _ => {
                let text = e.to_string();
                let message = text
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("error: ")
                    .to_string();
                let loc = text
                    .lines()
                    .find_map(|l| l.trim_start().strip_prefix("--> "))
                    .map(str::to_string);
                match loc.as_deref().and_then(parse_loc) {
                    Some((n, l, c)) => (Some(n), Some(l), Some(c), message),
                    None => (None, None, None, message),
                }
            }
        };
        let message = match page {
            Some(p) => format!("{message} (while rendering {p})"),
            None => message,
        };
        let mut d = Diagnostic::error(message);
        if let Some(file) = name.as_deref().and_then(|n| self.templates.get(n)) {
            d = d.in_file(file.source_path.clone());
            if let (Some(l), Some(c)) = (line, col) {
                d = d.at(&file.text, l, c);
            }
        } else if let Some(n) = name {
            d = d.in_file(n);
        }
        let hint = if d.message.starts_with("Unknown function") {
            "templates get data, not the environment or files; the functions are get_page, get_section, get_taxonomy, get_url, asset_url, range and throw"
        } else if d.message.starts_with("Unknown template")
            || d.message.contains("is inheriting from")
        {
            "templates are found by name in the theme's templates/ folder and the site's templates/ folder; nothing else can be included"
        } else if d.message.starts_with("Unknown filter") {
            "placard adds money, number, date, absolute_url, slugify and json to Tera's built-in filters"
        } else if d.message.contains("is not defined") {
            "a value that may be missing can be read with `a?.b`, tested with `{% if a %}`, or given `| default(value=…)`"
        } else {
            "see the README's template reference for what the context holds"
        };
        d.with_hint(hint)
    }
}

fn parse_loc(loc: &str) -> Option<(String, usize, usize)> {
    let mut parts = loc.rsplitn(3, ':');
    let col = parts.next()?.trim().parse().ok()?;
    let line = parts.next()?.trim().parse().ok()?;
    Some((parts.next()?.to_string(), line, col))
}

impl Shortcodes for Theme {
    fn arguments(&self, name: &str) -> Option<Vec<ArgSpec>> {
        self.shortcodes.get(name).cloned()
    }

    fn names(&self) -> Vec<String> {
        self.shortcodes.keys().cloned().collect()
    }

    fn reserved_ids(&self) -> &[String] {
        &self.reserved_ids
    }

    fn render(
        &self,
        name: &str,
        args: serde_json::Map<String, serde_json::Value>,
        body: Option<String>,
    ) -> Result<String, Diagnostic> {
        let mut ctx = tera::Context::new();
        for (k, v) in &args {
            ctx.insert_value(k.clone(), Value::from_serializable(v));
        }
        if let Some(b) = body {
            ctx.insert_value("body", Value::safe_string(&b));
        }
        let template = format!("shortcodes/{name}.html");
        self.tera
            .render(&template, &ctx)
            .map_err(|e| self.error(&e, None))
    }
}

/// Names each static file `name.<8 hex of md5>.ext`.
fn fingerprint(sources: &Sources) -> BTreeMap<String, Asset> {
    use md5::{Digest, Md5};
    sources
        .static_files
        .iter()
        .map(|f| {
            let hash = format!("{:x}", Md5::digest(f.bytes.as_slice()));
            let short = &hash[..8];
            let (dir, file) = match f.rel.rsplit_once('/') {
                Some((d, n)) => (format!("{d}/"), n),
                None => (String::new(), f.rel.as_str()),
            };
            let output = match file.split_once('.') {
                Some((stem, ext)) => format!("{dir}{stem}.{short}.{ext}"),
                None => format!("{dir}{file}.{short}"),
            };
            (
                f.rel.clone(),
                Asset {
                    output,
                    bytes: Arc::clone(&f.bytes),
                },
            )
        })
        .collect()
}

/// Registers placard's filters and functions on a Tera instance.
fn register(tera: &mut Tera, config: &SiteConfig, assets: Arc<BTreeMap<String, Asset>>) {
    tera.register_filter(
        "money",
        |n: tera::Number, kw: Kwargs, _: &State| -> TeraResult<String> {
            let currency = kw.get::<&str>("currency")?.unwrap_or("GBP");
            let exact = kw.get::<bool>("exact")?.unwrap_or(false);
            crate::format::money(n.as_float(), currency, exact).map_err(Error::message)
        },
    );
    tera.register_filter("number", |n: tera::Number, _: Kwargs, _: &State| {
        crate::format::number(n.as_float())
    });
    let language = config.language.clone();
    let tz = config.tz.clone();
    tera.register_filter(
        "date",
        move |s: &str, kw: Kwargs, _: &State| -> TeraResult<String> {
            let format = kw.get::<&str>("format")?.unwrap_or("long");
            crate::format::date(s, format, &language, &tz).map_err(Error::message)
        },
    );
    let base_url = config.base_url.clone();
    let base_path = config.base_path().to_string();
    tera.register_filter(
        "absolute_url",
        move |s: &str, _: Kwargs, _: &State| -> String {
            if s.starts_with("http://") || s.starts_with("https://") {
                return s.to_string();
            }
            let rel = s
                .strip_prefix(base_path.as_str())
                .unwrap_or(s.trim_start_matches('/'));
            format!("{base_url}{rel}")
        },
    );
    tera.register_filter("slugify", |s: &str, _: Kwargs, _: &State| {
        crate::slug::slugify(s)
    });
    tera.register_filter(
        "json",
        |v: &Value, _: Kwargs, _: &State| -> TeraResult<Value> {
            let text = serde_json::to_string(v).map_err(|e| Error::message(e.to_string()))?;
            // Safe inside <script>: no `<`, `>` or `&` survives as itself.
            Ok(Value::safe_string(
                &text
                    .replace('<', "\\u003c")
                    .replace('>', "\\u003e")
                    .replace('&', "\\u0026"),
            ))
        },
    );

    tera.register_filter("urlencode", |s: &str, _: Kwargs, _: &State| {
        crate::text::url_encode(s)
    });
    tera.register_filter(
        "group_by_term",
        |pages: &[Value], kw: Kwargs, _: &State| -> TeraResult<Value> {
            let taxonomy = kw.must_get::<&str>("taxonomy")?;
            Ok(group_by_term(pages, taxonomy))
        },
    );

    let base_path = config.base_path().to_string();
    tera.register_function("asset_url", move |kw: Kwargs, _: &State| -> TeraResult<String> {
        let path = kw.must_get::<&str>("path")?;
        match assets.get(path.trim_start_matches('/')) {
            Some(a) => Ok(format!("{base_path}{}", a.output)),
            None => Err(Error::message(match crate::diagnostic::did_you_mean(path, assets.keys().map(String::as_str)) {
                Some(near) => format!("asset_url: the theme has no static file `{path}`; did you mean `{near}`?"),
                None => format!("asset_url: the theme has no static file `{path}`"),
            })),
        }
    });
    tera.register_function(
        "get_page",
        |kw: Kwargs, state: &State| -> TeraResult<Value> {
            let path = kw.must_get::<&str>("path")?;
            let key = crate::slug::content_key(path);
            lookup(state, "pages", &key, &key, "get_page", "page")
        },
    );
    tera.register_function(
        "get_section",
        |kw: Kwargs, state: &State| -> TeraResult<Value> {
            let path = kw.must_get::<&str>("path")?;
            let key = section_key(&crate::slug::content_key(path));
            lookup(
                state,
                "sections",
                &key,
                &section_file(&key),
                "get_section",
                "section",
            )
        },
    );
    tera.register_function(
        "get_taxonomy",
        |kw: Kwargs, state: &State| -> TeraResult<Value> {
            let name = kw.must_get::<&str>("name")?;
            lookup(state, "taxonomies", name, "", "get_taxonomy", "taxonomy")
        },
    );
    tera.register_function(
        "get_url",
        |kw: Kwargs, state: &State| -> TeraResult<Value> {
            let path = kw.must_get::<&str>("path")?;
            if !path.starts_with("@/") {
                return Ok(Value::from(path));
            }
            let (file, anchor) = match path.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (path, None),
            };
            let key = crate::slug::content_key(file);
            let found = lookup(state, "pages", &key, &key, "get_url", "page").or_else(|_| {
                let section = section_key(&key);
                lookup(
                    state,
                    "sections",
                    &section,
                    &section_file(&section),
                    "get_url",
                    "page",
                )
                .map_err(|_| missing(state, "pages", &key, "get_url", "page"))
            })?;
            let Some(url) = found
                .as_map()
                .and_then(|m| m.get(&Key::from("url")))
                .and_then(Value::as_str)
            else {
                // A page that is not in this build has no URL.
                return Ok(Value::none());
            };
            Ok(Value::from(match anchor {
                Some(a) => format!("{url}#{a}"),
                None => url.to_string(),
            }))
        },
    );
}

/// Every id a template writes as it is (`id="partners"`, `id='main'`), sorted. Ids made from
/// values (`id="priority-{{ term.slug }}"`) are not known until a page is rendered and are left
/// out.
fn literal_ids<'t>(templates: impl Iterator<Item = &'t str>) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    for text in templates {
        let mut rest = text;
        while let Some(at) = rest.find("id=") {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + 3..];
            // `data-id=`, `aria-labelledby=`: another attribute.
            if before.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_') {
                continue;
            }
            let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            let Some(end) = rest[1..].find(quote) else {
                continue;
            };
            let id = &rest[1..1 + end];
            if !id.is_empty() && !id.contains(['{', '}', ' ']) {
                out.insert(id.to_string());
            }
        }
    }
    out.into_iter().collect()
}

/// Groups pages by their first term of `taxonomy`, the groups in the order their first page
/// comes in (so a section sorted by weight gives its groups in the writers' order, which
/// Tera's own `group_by` cannot: it returns a map in no fixed order). Each group is
/// `{term, pages}`; pages without a term come last, in a group whose `term` is none.
fn group_by_term(pages: &[Value], taxonomy: &str) -> Value {
    let first_term = |page: &Value| -> Option<Value> {
        page.as_map()?
            .get(&Key::from("taxonomies"))?
            .as_map()?
            .get(&Key::from(taxonomy.to_string()))?
            .as_array()?
            .first()
            .cloned()
    };
    let slug_of = |term: &Value| -> String {
        term.as_map()
            .and_then(|m| m.get(&Key::from("slug")))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut groups: Vec<(Option<Value>, Vec<Value>)> = Vec::new();
    let mut without = Vec::new();
    for page in pages {
        match first_term(page) {
            Some(term) => {
                let slug = slug_of(&term);
                match groups
                    .iter_mut()
                    .find(|(t, _)| t.as_ref().is_some_and(|t| slug_of(t) == slug))
                {
                    Some((_, members)) => members.push(page.clone()),
                    None => groups.push((Some(term), vec![page.clone()])),
                }
            }
            None => without.push(page.clone()),
        }
    }
    if !without.is_empty() {
        groups.push((None, without));
    }
    Value::from(
        groups
            .into_iter()
            .map(|(term, pages)| {
                let mut group = tera::value::Map::new();
                group.insert(Key::from("term"), term.unwrap_or_else(Value::none));
                group.insert(Key::from("pages"), Value::from(pages));
                Value::from(group)
            })
            .collect::<Vec<_>>(),
    )
}

/// `initiatives/_index.md`, `initiatives/` or `initiatives` → `initiatives` (the home page: ``).
fn section_key(key: &str) -> String {
    key.strip_suffix("/_index.md")
        .or_else(|| key.strip_suffix("_index.md"))
        .unwrap_or(key)
        .trim_end_matches('/')
        .to_string()
}

/// The `_index.md` of a section, as a content path.
fn section_file(section: &str) -> String {
    if section.is_empty() {
        "_index.md".to_string()
    } else {
        format!("{section}/_index.md")
    }
}

/// The value at `key` of one of the index's tables. A page or section that exists but is not
/// in this build (`absent`: its content path) is none, so that templates can skip it; anything
/// else not there is an error.
fn lookup(
    state: &State,
    table: &str,
    key: &str,
    absent: &str,
    function: &str,
    what: &str,
) -> TeraResult<Value> {
    let index = index(state, function)?;
    let map = index
        .as_map()
        .and_then(|m| m.get(&Key::from(table.to_string())))
        .and_then(Value::as_map)
        .ok_or_else(|| Error::message(format!("{function} is not available here")))?;
    if let Some(v) = map.get(&Key::from(key.to_string())) {
        return Ok(v.clone());
    }
    let is_absent = !absent.is_empty()
        && index
            .as_map()
            .and_then(|m| m.get(&Key::from("absent")))
            .and_then(Value::as_map)
            .is_some_and(|m| m.contains_key(&Key::from(absent.to_string())));
    if is_absent {
        return Ok(Value::none());
    }
    Err(missing(state, table, key, function, what))
}

fn index(state: &State, function: &str) -> TeraResult<Value> {
    state
        .get::<Value>(INDEX_VAR)?
        .ok_or_else(|| Error::message(format!("{function} is not available here")))
}

/// The error for a lookup of something that does not exist, with the closest name.
fn missing(state: &State, table: &str, key: &str, function: &str, what: &str) -> Error {
    let names: Vec<String> = index(state, function)
        .ok()
        .and_then(|i| {
            i.as_map()
                .and_then(|m| m.get(&Key::from(table.to_string())))
                .and_then(Value::as_map)
                .map(|m| {
                    m.keys()
                        .filter_map(|k| k.as_str().map(str::to_string))
                        .collect()
                })
        })
        .unwrap_or_default();
    Error::message(
        match if table == "pages" {
            crate::diagnostic::did_you_mean_path(key, names.iter().map(String::as_str))
        } else {
            crate::diagnostic::did_you_mean(key, names.iter().map(String::as_str))
        } {
            Some(near) => format!("{function}: no {what} `{key}` (did you mean `{near}`?)"),
            None => format!("{function}: no {what} `{key}` exists"),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(title: &str, term: Option<&str>) -> Value {
        let terms: Vec<Value> = term
            .map(|t| {
                let mut m = tera::value::Map::new();
                m.insert(Key::from("name"), Value::from(t));
                m.insert(Key::from("slug"), Value::from(crate::slug::slugify(t)));
                Value::from(m)
            })
            .into_iter()
            .collect();
        let mut taxonomies = tera::value::Map::new();
        taxonomies.insert(Key::from("priorities"), Value::from(terms));
        let mut m = tera::value::Map::new();
        m.insert(Key::from("title"), Value::from(title));
        m.insert(Key::from("taxonomies"), Value::from(taxonomies));
        Value::from(m)
    }

    #[test]
    fn literal_ids_are_found_and_made_ones_left() {
        let ids = literal_ids(
            [
                r#"<h2 id="partners">x</h2><main id='main'><p data-id="no" aria-labelledby="partners">"#,
                r#"<li id="priority-{{ t.slug }}"><b id="">"#,
            ]
            .into_iter(),
        );
        assert_eq!(ids, ["main", "partners"]);
    }

    #[test]
    fn urlencode_keeps_only_unreserved_characters() {
        let urlencode = crate::text::url_encode;
        assert_eq!(
            urlencode("https://e.org/a b?x=1&y=£"),
            "https%3A%2F%2Fe.org%2Fa%20b%3Fx%3D1%26y%3D%C2%A3"
        );
        assert_eq!(urlencode("abc-_.~XYZ09"), "abc-_.~XYZ09");
    }

    #[test]
    fn pages_group_by_their_first_term_in_page_order() {
        let pages = [
            page("a", Some("Police")),
            page("b", Some("Prevention")),
            page("c", None),
            page("d", Some("Police")),
        ];
        let mut tera = Tera::default();
        tera.register_filter(
            "group_by_term",
            |pages: &[Value], kw: Kwargs, _: &State| -> TeraResult<Value> {
                Ok(group_by_term(pages, kw.must_get::<&str>("taxonomy")?))
            },
        );
        tera.add_raw_template(
            "t",
            "{% for g in pages | group_by_term(taxonomy='priorities') %}[{% if g.term %}{{ g.term.name }}{% else %}none{% endif %}:{% for p in g.pages %}{{ p.title }}{% endfor %}]{% endfor %}",
        )
        .unwrap();
        let mut ctx = tera::Context::new();
        ctx.insert("pages", &Value::from(pages.to_vec()));
        assert_eq!(
            tera.render("t", &ctx).unwrap(),
            "[Police:ad][Prevention:b][none:c]"
        );
    }
}
