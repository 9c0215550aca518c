//! The template context: plain values built once per build and shared (Tera values are
//! reference-counted, so putting a page's value into many lists and contexts costs nothing).
//! This file is the reference for what templates can read; the README documents it.
//!
//! Pure: Site + config → tera values.

use crate::assemble::Site;
use crate::config::SiteConfig;
use crate::parse::Page;
use crate::schedule::{Preview, Schedule};
use std::collections::BTreeMap;
use tera::Value;

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

fn map(entries: Vec<(&'static str, Value)>) -> Value {
    Value::from(
        entries
            .into_iter()
            .collect::<BTreeMap<&'static str, Value>>(),
    )
}

fn opt_str(s: Option<&str>) -> Value {
    s.map_or_else(Value::none, Value::from)
}

pub fn url(config: &SiteConfig, path: &str) -> String {
    format!("{}{}", config.base_path(), path.trim_start_matches('/'))
}

fn preview_value(p: Option<Preview>) -> Value {
    match p {
        None => Value::none(),
        Some(Preview::Draft) => map(vec![("kind", "draft".into()), ("until", Value::none())]),
        Some(Preview::Embargoed { until }) => map(vec![
            ("kind", "embargoed".into()),
            ("until", until.to_string().into()),
        ]),
    }
}

fn page_fields(
    config: &SiteConfig,
    page: &Page,
    path: &str,
    preview: Option<Preview>,
    taxonomy_links: Value,
) -> Vec<(&'static str, Value)> {
    let params = Value::from_serializable(&page.front.params);
    let fm = &page.front;
    let when = |w: &Option<crate::time::When>| {
        w.as_ref().map_or_else(Value::none, |w| {
            if w.date_only {
                Value::from(w.at.to_zoned_datetime(config.tz.clone()).date().to_string())
            } else {
                Value::from(w.at.to_string())
            }
        })
    };
    let summary_text = fm.summary.clone().or_else(|| {
        page.body
            .summary_html
            .as_deref()
            .map(crate::text::strip_tags)
    });
    let summary_html = page.body.summary_html.clone().or_else(|| {
        fm.summary
            .as_ref()
            .map(|s| format!("<p>{}</p>", crate::text::escape(s)))
    });
    vec![
        ("title", fm.title.clone().into()),
        ("url", url(config, path).into()),
        ("permalink", config.absolute(path).into()),
        ("path", page.file.content_path.clone().into()),
        ("source_path", page.file.source_path.clone().into()),
        ("date", when(&fm.date)),
        ("updated", when(&fm.updated)),
        ("publish_at", when(&fm.publish_at)),
        ("expire_at", when(&fm.expire_at)),
        (
            "review_by",
            fm.review_by
                .map_or_else(Value::none, |d| d.to_string().into()),
        ),
        ("summary", opt_str(summary_text.as_deref())),
        (
            "summary_html",
            summary_html.map_or_else(Value::none, |s| Value::safe_string(&s)),
        ),
        ("content", Value::safe_string(&page.body.html)),
        ("toc", Value::from_serializable(&page.body.toc)),
        ("word_count", page.body.word_count.into()),
        (
            "reading_time",
            page.body.word_count.div_ceil(200).max(1).into(),
        ),
        ("weight", fm.weight.map_or_else(Value::none, Value::from)),
        ("draft", fm.draft.into()),
        ("preview", preview_value(preview)),
        ("image", opt_str(fm.image.as_deref())),
        ("image_alt", opt_str(fm.image_alt.as_deref())),
        ("taxonomies", taxonomy_links),
        ("params", params),
    ]
}

/// Builds every value once.
pub fn build(
    site: &Site,
    config: &SiteConfig,
    schedule: &Schedule,
    feeds: &BTreeMap<usize, String>,
) -> Values {
    // Term links per page: taxonomy name → [{name, url}].
    let mut links: Vec<BTreeMap<String, Vec<Value>>> = vec![BTreeMap::new(); site.pages.len()];
    for t in &site.taxonomies {
        for term in &t.terms {
            let v = map(vec![
                ("name", term.name.clone().into()),
                ("slug", term.slug.clone().into()),
                ("url", url(config, &term.path).into()),
            ]);
            for &p in &term.pages {
                links[p].entry(t.name.clone()).or_default().push(v.clone());
            }
        }
    }
    let section_dirs: Vec<String> = site.sections.iter().map(|s| s.dir.clone()).collect();
    use rayon::prelude::*;
    let pages: Vec<Value> = site
        .pages
        .par_iter()
        .zip(links.into_par_iter())
        .map(|(p, l)| {
            let mut tax: BTreeMap<String, Value> = config
                .taxonomies
                .iter()
                .map(|t| (t.name.clone(), Value::from(Vec::<Value>::new())))
                .collect();
            for (k, v) in l {
                tax.insert(k, Value::from(v));
            }
            let mut fields = page_fields(config, &p.page, &p.path, p.preview, Value::from(tax));
            fields.push(("section", section_dirs[p.section].clone().into()));
            map(fields)
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
        let page_values: Vec<Value> = s.pages.iter().map(|&p| pages[p].clone()).collect();
        let subs: Vec<Value> = s
            .subsections
            .iter()
            .filter_map(|&j| sections[j].clone())
            .collect();
        let mut fields = match &s.page {
            Some(page) => page_fields(config, page, &s.path, s.preview, Value::none()),
            None => vec![
                ("title", s.title.clone().into()),
                ("url", url(config, &s.path).into()),
                ("permalink", config.absolute(&s.path).into()),
                ("path", "_index.md".into()),
                ("summary", Value::none()),
                ("summary_html", Value::none()),
                ("content", Value::safe_string("")),
                ("toc", Value::from(Vec::<Value>::new())),
                ("preview", Value::none()),
                ("params", Value::from(BTreeMap::<String, Value>::new())),
            ],
        };
        fields.push(("dir", s.dir.clone().into()));
        fields.push(("page_count", s.pages.len().into()));
        fields.push(("pages", Value::from(page_values)));
        fields.push(("subsections", Value::from(subs)));
        fields.push((
            "feed_url",
            feeds
                .get(&i)
                .map_or_else(Value::none, |f| url(config, f).into()),
        ));
        sections[i] = Some(map(fields));
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
                    map(vec![
                        ("name", term.name.clone().into()),
                        ("slug", term.slug.clone().into()),
                        ("url", url(config, &term.path).into()),
                        ("permalink", config.absolute(&term.path).into()),
                        ("page_count", term.pages.len().into()),
                        (
                            "pages",
                            Value::from(
                                term.pages
                                    .iter()
                                    .map(|&p| pages[p].clone())
                                    .collect::<Vec<_>>(),
                            ),
                        ),
                    ])
                })
                .collect();
            terms.push(term_values.clone());
            map(vec![
                ("name", t.name.clone().into()),
                ("title", t.title.clone().into()),
                ("url", url(config, &t.path).into()),
                ("permalink", config.absolute(&t.path).into()),
                ("terms", Value::from(term_values)),
            ])
        })
        .collect();

    let config_value = map(vec![
        ("title", config.title.clone().into()),
        ("base_url", config.base_url.clone().into()),
        ("language", config.language.clone().into()),
        ("timezone", config.timezone.clone().into()),
        ("theme", config.theme.clone().into()),
        ("params", Value::from_serializable(&config.params)),
    ]);
    let root = site.sections.iter().position(|s| s.dir.is_empty());
    let nav: Vec<Value> = root
        .map(|r| {
            site.sections[r]
                .subsections
                .iter()
                .map(|&i| {
                    map(vec![
                        ("title", site.sections[i].title.clone().into()),
                        ("url", url(config, &site.sections[i].path).into()),
                    ])
                })
                .collect()
        })
        .unwrap_or_default();
    let site_value = map(vec![
        ("title", config.title.clone().into()),
        ("base_url", config.base_url.clone().into()),
        ("language", config.language.clone().into()),
        ("home_url", url(config, "/").into()),
        ("sections", Value::from(nav)),
        (
            "taxonomies",
            Value::from(
                site.taxonomies
                    .iter()
                    .map(|t| {
                        map(vec![
                            ("name", t.name.clone().into()),
                            ("title", t.title.clone().into()),
                            ("url", url(config, &t.path).into()),
                        ])
                    })
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            "feed_url",
            if config.outputs.feeds {
                url(config, "/atom.xml").into()
            } else {
                Value::none()
            },
        ),
        ("preview", schedule.is_preview().into()),
        ("drafts", schedule.drafts.into()),
        ("as_of", schedule.as_of.to_string().into()),
    ]);

    let mut page_index: BTreeMap<String, Value> = BTreeMap::new();
    for (p, v) in site.pages.iter().zip(&pages) {
        page_index.insert(p.page.file.content_path.clone(), v.clone());
    }
    for (s, v) in site.sections.iter().zip(&sections) {
        if let Some(p) = &s.page {
            page_index.insert(p.file.content_path.clone(), v.clone());
        }
    }
    let section_index: BTreeMap<String, Value> = site
        .sections
        .iter()
        .zip(&sections)
        .map(|(s, v)| (s.dir.clone(), v.clone()))
        .collect();
    let tax_index: BTreeMap<String, Value> = site
        .taxonomies
        .iter()
        .zip(&taxonomies)
        .map(|(t, v)| (t.name.clone(), v.clone()))
        .collect();
    let index = map(vec![
        ("pages", Value::from(page_index)),
        ("sections", Value::from(section_index)),
        ("taxonomies", Value::from(tax_index)),
    ]);

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
    let mut m: BTreeMap<String, Value> = BTreeMap::new();
    if let Some(own) = values.pages[i].as_map() {
        for (k, v) in own {
            if let Some(k) = k.as_str() {
                m.insert(k.to_string(), v.clone());
            }
        }
    }
    m.insert(
        "previous".into(),
        p.previous
            .map_or_else(Value::none, |j| values.pages[j].clone()),
    );
    m.insert(
        "next".into(),
        p.next.map_or_else(Value::none, |j| values.pages[j].clone()),
    );
    Value::from(m)
}
