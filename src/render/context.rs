//! The template context: what a template can read, as typed values. Each struct here is one
//! kind of value a template sees (`config`, `site`, a page, a section, a taxonomy, a term), with
//! its fields in the order the README's template reference lists them; a test keeps the two
//! the same.
//!
//! The values are built once per build, reading the assembled [`Site`] by reference, and
//! serialised into Tera values that are shared: a page's value is built once and put, by
//! reference count, into every list, neighbour and `get_page` that shows it.
//!
//! Pure: Site + config → Tera values.

use crate::assemble::{Site, SitePage};
use crate::config::SiteConfig;
use crate::parse::Page;
use crate::schedule::{Preview, Schedule};
use crate::time::When;
use crate::value::Data;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use tera::Value;

/// `config`: site.yaml's settings.
#[derive(Serialize)]
pub struct ConfigValue<'a> {
    pub title: &'a str,
    pub base_url: &'a str,
    pub language: &'a str,
    pub timezone: &'a str,
    pub theme: &'a str,
    /// site.yaml's `params`, as written.
    pub params: &'a serde_json::Value,
}

/// `site`: the site as a whole.
#[derive(Serialize)]
pub struct SiteValue<'a> {
    pub title: &'a str,
    pub base_url: &'a str,
    pub language: &'a str,
    /// The home page's URL (the base path).
    pub home_url: String,
    /// The top-level sections, in their order: `title`, `url`.
    pub sections: Vec<Link<'a>>,
    /// Every taxonomy: `name`, `title`, `url`.
    pub taxonomies: Vec<TaxonomyLink<'a>>,
    /// The site's Atom feed, when feeds are on.
    pub feed_url: Option<String>,
    /// Whether the build shows what the live site must not show yet (drafts, a future
    /// `--as-of`, `--preview`).
    pub preview: bool,
    pub drafts: bool,
    /// The instant the site is built as.
    pub as_of: String,
}

#[derive(Serialize)]
pub struct Link<'a> {
    pub title: &'a str,
    pub url: String,
}

#[derive(Serialize)]
pub struct TaxonomyLink<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub url: String,
}

/// A page: what `page` holds in `page.html`, and every entry of a section's `pages`, a term's
/// `pages`, `previous`, `next` and `get_page`.
#[derive(Serialize)]
pub struct PageValue<'a> {
    pub title: &'a str,
    /// With the base path (`/campaign/initiatives/x/`).
    pub url: String,
    /// Absolute (`https://example.org/campaign/initiatives/x/`).
    pub permalink: String,
    /// The source under `content/` (`initiatives/x.md`), as `@/` links name it.
    pub path: &'a str,
    /// The source in the site (`content/initiatives/x.md`).
    pub source_path: &'a str,
    /// `YYYY-MM-DD` when written as a date, RFC 3339 otherwise.
    pub date: Option<String>,
    pub updated: Option<String>,
    pub publish_at: Option<String>,
    pub expire_at: Option<String>,
    pub review_by: Option<String>,
    /// Plain text: the `summary` key, or the text before `<!-- more -->`.
    pub summary: Option<&'a str>,
    /// HTML: the text before `<!-- more -->`, or the `summary` key in a paragraph.
    pub summary_html: Option<Value>,
    /// The body's HTML.
    pub content: Value,
    /// The headings: `level`, `id`, `title`, `children`.
    pub toc: Value,
    pub word_count: usize,
    /// Minutes, at 200 words a minute (at least 1).
    pub reading_time: usize,
    pub weight: Option<i64>,
    pub draft: bool,
    /// None, or why the live site would not show it yet: `kind` (`draft` or `embargoed`)
    /// and `until`.
    pub preview: Option<PreviewValue>,
    pub image: Option<&'a str>,
    pub image_alt: Option<&'a str>,
    /// Taxonomy name → the page's terms (`name`, `slug`, `url`); every taxonomy of the site is
    /// there, with no terms when the page has none.
    pub taxonomies: BTreeMap<&'a str, Vec<TermLink<'a>>>,
    /// The keys the theme's schema declares (none when unset).
    pub params: Value,
    /// The folder of its section (`initiatives`; `` for the home page's).
    pub section: &'a str,
}

/// `page` in `page.html`: the page, and its neighbours in its section's order.
#[derive(Serialize)]
pub struct PageWithNeighbours {
    #[serde(flatten)]
    pub page: Value,
    pub previous: Option<Value>,
    pub next: Option<Value>,
}

/// A section: `section` in `index.html`, `section.html` and `page.html`, `subsections`, and
/// `get_section`. The home page is a section, with or without a `content/_index.md`.
#[derive(Serialize)]
pub struct SectionValue<'a> {
    pub title: &'a str,
    pub url: String,
    pub permalink: String,
    /// The `_index.md` under `content/` (`initiatives/_index.md`).
    pub path: String,
    /// `content/initiatives/_index.md`; none for a home page without one.
    pub source_path: Option<&'a str>,
    pub date: Option<String>,
    pub updated: Option<String>,
    pub publish_at: Option<String>,
    pub expire_at: Option<String>,
    pub review_by: Option<String>,
    pub summary: Option<&'a str>,
    pub summary_html: Option<Value>,
    pub content: Value,
    pub toc: Value,
    pub word_count: usize,
    pub reading_time: usize,
    pub weight: Option<i64>,
    pub draft: bool,
    pub preview: Option<PreviewValue>,
    pub image: Option<&'a str>,
    pub image_alt: Option<&'a str>,
    pub params: Value,
    /// The content folder (`initiatives`; `` for the home page).
    pub dir: &'a str,
    pub page_count: usize,
    /// Its pages, sorted as it asks (`sort_by`).
    pub pages: Vec<Value>,
    /// Its sections, by weight then title, each with its own `pages`.
    pub subsections: Vec<Value>,
    /// Its Atom feed, when it has dated pages and feeds are on.
    pub feed_url: Option<String>,
}

#[derive(Serialize)]
pub struct PreviewValue {
    pub kind: &'static str,
    pub until: Option<String>,
}

#[derive(Clone, Serialize)]
pub struct TermLink<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub url: String,
}

/// A taxonomy: `taxonomy` in `taxonomy.html` and `taxonomy_term.html`, and `get_taxonomy`.
#[derive(Serialize)]
pub struct TaxonomyValue<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub url: String,
    pub permalink: String,
    pub terms: Vec<Value>,
}

/// A term: `term` in `taxonomy_term.html`, and each of a taxonomy's `terms`.
#[derive(Serialize)]
pub struct TermValue<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub url: String,
    pub permalink: String,
    pub page_count: usize,
    /// Its pages, newest first.
    pub pages: Vec<Value>,
}

/// Every value templates can reach, built once.
pub struct Values {
    pub config: Value,
    pub site: Value,
    /// What `get_page`, `get_section` and `get_taxonomy` look in.
    pub index: Value,
    /// Per page: its value (without previous/next).
    pub pages: Vec<Value>,
    /// Per section: its value, with its pages and subsections.
    pub sections: Vec<Value>,
    pub taxonomies: Vec<Value>,
    /// Per taxonomy, per term.
    pub terms: Vec<Vec<Value>>,
}

/// The URL of a site path, with the base path.
pub fn url(config: &SiteConfig, path: &str) -> String {
    format!("{}{}", config.base_path(), path.trim_start_matches('/'))
}

fn preview(p: Option<Preview>) -> Option<PreviewValue> {
    p.map(|p| match p {
        Preview::Draft => PreviewValue {
            kind: "draft",
            until: None,
        },
        Preview::Embargoed { until } => PreviewValue {
            kind: "embargoed",
            until: Some(until.to_string()),
        },
    })
}

fn when(config: &SiteConfig, w: &Option<When>) -> Option<String> {
    w.as_ref().map(|w| {
        if w.date_only {
            w.at.to_zoned_datetime(config.tz.clone()).date().to_string()
        } else {
            w.at.to_string()
        }
    })
}

/// The summary as HTML: the text before `<!-- more -->`, else the `summary` key in a paragraph.
fn summary_html(page: &Page) -> Option<Value> {
    match (&page.body.summary_html, &page.front.summary) {
        (Some(html), _) => Some(html.to_value()),
        (None, Some(s)) => Some(Value::safe_string(&format!(
            "<p>{}</p>",
            crate::text::escape(s)
        ))),
        (None, None) => None,
    }
}

fn page_value<'a>(
    config: &SiteConfig,
    p: &'a SitePage,
    taxonomies: BTreeMap<&'a str, Vec<TermLink<'a>>>,
    section: &'a str,
) -> PageValue<'a> {
    let page = &p.page;
    let fm = &page.front;
    PageValue {
        title: &fm.title,
        url: url(config, &p.path),
        permalink: config.absolute(&p.path),
        path: &page.file.content_path,
        source_path: &page.file.source_path,
        date: when(config, &fm.date),
        updated: when(config, &fm.updated),
        publish_at: when(config, &fm.publish_at),
        expire_at: when(config, &fm.expire_at),
        review_by: fm.review_by.map(|d| d.to_string()),
        summary: fm.summary.as_deref().or(page.body.summary_text.as_deref()),
        summary_html: summary_html(page),
        content: page.body.html.to_value(),
        toc: page.body.toc.to_value(),
        word_count: page.body.word_count,
        reading_time: page.body.word_count.div_ceil(200).max(1),
        weight: fm.weight,
        draft: fm.draft,
        preview: preview(p.preview),
        image: fm.image.as_deref(),
        image_alt: fm.image_alt.as_deref(),
        taxonomies,
        params: fm.params.to_value(),
        section,
    }
}

/// Builds every value once.
pub fn build(
    site: &Site,
    config: &SiteConfig,
    schedule: &Schedule,
    feeds: &BTreeMap<usize, String>,
) -> Values {
    // Term links per page: taxonomy name → [{name, slug, url}].
    let mut links: Vec<BTreeMap<&str, Vec<TermLink<'_>>>> = vec![
        config
            .taxonomies
            .iter()
            .map(|t| (t.name.as_str(), Vec::new()))
            .collect();
        site.pages.len()
    ];
    for t in &site.taxonomies {
        for term in &t.terms {
            let link = TermLink {
                name: &term.name,
                slug: &term.slug,
                url: url(config, &term.path),
            };
            for &p in &term.pages {
                links[p].entry(&t.name).or_default().push(link.clone());
            }
        }
    }
    let pages: Vec<Value> = site
        .pages
        .par_iter()
        .zip(links.into_par_iter())
        .map(|(p, l)| {
            let section = &site.sections[p.section].dir;
            Value::from_serializable(&page_value(config, p, l, section))
        })
        .collect();

    // Sections bottom-up, so each carries its subsections' values.
    let mut sections: Vec<Option<Value>> = vec![None; site.sections.len()];
    let mut order: Vec<usize> = (0..site.sections.len()).collect();
    order.sort_by_key(|&i| {
        std::cmp::Reverse(
            site.sections[i].dir.matches('/').count()
                + usize::from(!site.sections[i].dir.is_empty()),
        )
    });
    for i in order {
        let s = &site.sections[i];
        let page = s.page.as_ref();
        let fm = page.map(|p| &*p.front);
        let body = page.map(|p| &p.body);
        let value = SectionValue {
            title: &s.title,
            url: url(config, &s.path),
            permalink: config.absolute(&s.path),
            path: page.map_or_else(|| "_index.md".to_string(), |p| p.file.content_path.clone()),
            source_path: page.map(|p| p.file.source_path.as_str()),
            date: fm.and_then(|f| when(config, &f.date)),
            updated: fm.and_then(|f| when(config, &f.updated)),
            publish_at: fm.and_then(|f| when(config, &f.publish_at)),
            expire_at: fm.and_then(|f| when(config, &f.expire_at)),
            review_by: fm.and_then(|f| f.review_by).map(|d| d.to_string()),
            summary: fm
                .and_then(|f| f.summary.as_deref())
                .or(body.and_then(|b| b.summary_text.as_deref())),
            summary_html: page.and_then(summary_html),
            content: body.map_or_else(|| Value::safe_string(""), |b| b.html.to_value()),
            toc: body.map_or_else(|| Data::default().to_value(), |b| b.toc.to_value()),
            word_count: body.map_or(0, |b| b.word_count),
            reading_time: body.map_or(0, |b| b.word_count.div_ceil(200).max(1)),
            weight: fm.and_then(|f| f.weight),
            draft: fm.is_some_and(|f| f.draft),
            preview: preview(s.preview),
            image: fm.and_then(|f| f.image.as_deref()),
            image_alt: fm.and_then(|f| f.image_alt.as_deref()),
            params: fm.map_or_else(|| Data::default().to_value(), |f| f.params.to_value()),
            dir: &s.dir,
            page_count: s.pages.len(),
            pages: s.pages.iter().map(|&p| pages[p].clone()).collect(),
            subsections: s
                .subsections
                .iter()
                .filter_map(|&j| sections[j].clone())
                .collect(),
            feed_url: feeds.get(&i).map(|f| url(config, f)),
        };
        sections[i] = Some(Value::from_serializable(&value));
    }
    let sections: Vec<Value> = sections
        .into_iter()
        .map(|v| v.unwrap_or_else(Value::none))
        .collect();

    let mut terms = Vec::new();
    let taxonomies: Vec<Value> = site
        .taxonomies
        .iter()
        .map(|t| {
            let term_values: Vec<Value> = t
                .terms
                .iter()
                .map(|term| {
                    Value::from_serializable(&TermValue {
                        name: &term.name,
                        slug: &term.slug,
                        url: url(config, &term.path),
                        permalink: config.absolute(&term.path),
                        page_count: term.pages.len(),
                        pages: term.pages.iter().map(|&p| pages[p].clone()).collect(),
                    })
                })
                .collect();
            terms.push(term_values.clone());
            Value::from_serializable(&TaxonomyValue {
                name: &t.name,
                title: &t.title,
                url: url(config, &t.path),
                permalink: config.absolute(&t.path),
                terms: term_values,
            })
        })
        .collect();

    let config_value = Value::from_serializable(&ConfigValue {
        title: &config.title,
        base_url: &config.base_url,
        language: &config.language,
        timezone: &config.timezone,
        theme: &config.theme,
        params: &config.params,
    });
    let root = site.sections.iter().position(|s| s.dir.is_empty());
    let site_value = Value::from_serializable(&SiteValue {
        title: &config.title,
        base_url: &config.base_url,
        language: &config.language,
        home_url: url(config, "/"),
        sections: root
            .map(|r| {
                site.sections[r]
                    .subsections
                    .iter()
                    .map(|&i| Link {
                        title: &site.sections[i].title,
                        url: url(config, &site.sections[i].path),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        taxonomies: site
            .taxonomies
            .iter()
            .map(|t| TaxonomyLink {
                name: &t.name,
                title: &t.title,
                url: url(config, &t.path),
            })
            .collect(),
        feed_url: config.outputs.feeds.then(|| url(config, "/atom.xml")),
        preview: schedule.is_preview(),
        drafts: schedule.drafts,
        as_of: schedule.as_of.to_string(),
    });

    let mut page_index: BTreeMap<&str, Value> = BTreeMap::new();
    for (p, v) in site.pages.iter().zip(&pages) {
        page_index.insert(&p.page.file.content_path, v.clone());
    }
    for (s, v) in site.sections.iter().zip(&sections) {
        if let Some(p) = &s.page {
            page_index.insert(&p.file.content_path, v.clone());
        }
    }
    let section_index: BTreeMap<&str, Value> = site
        .sections
        .iter()
        .zip(&sections)
        .map(|(s, v)| (s.dir.as_str(), v.clone()))
        .collect();
    let tax_index: BTreeMap<&str, Value> = site
        .taxonomies
        .iter()
        .zip(&taxonomies)
        .map(|(t, v)| (t.name.as_str(), v.clone()))
        .collect();
    #[derive(Serialize)]
    struct Index<'a> {
        pages: BTreeMap<&'a str, Value>,
        sections: BTreeMap<&'a str, Value>,
        taxonomies: BTreeMap<&'a str, Value>,
        absent: BTreeMap<&'a str, bool>,
    }
    let index = Value::from_serializable(&Index {
        pages: page_index,
        sections: section_index,
        taxonomies: tax_index,
        absent: site.absent.iter().map(|c| (c.as_str(), true)).collect(),
    });

    Values {
        config: config_value,
        site: site_value,
        index,
        pages,
        sections,
        taxonomies,
        terms,
    }
}

/// A page's own value plus its neighbours in its section.
pub fn page_with_neighbours(values: &Values, site: &Site, i: usize) -> Value {
    let p = &site.pages[i];
    Value::from_serializable(&PageWithNeighbours {
        page: values.pages[i].clone(),
        previous: p.previous.map(|j| values.pages[j].clone()),
        next: p.next.map(|j| values.pages[j].clone()),
    })
}
