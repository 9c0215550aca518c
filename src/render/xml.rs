//! The outputs placard writes without templates: Atom feeds, the sitemap, robots.txt and the
//! redirect pages of aliases. Pure string building.

use crate::assemble::Site;
use crate::config::SiteConfig;
use crate::text::escape;

/// An Atom feed of the dated pages among `pages`, newest first.
pub fn atom(
    config: &SiteConfig,
    site: &Site,
    pages: &[usize],
    self_path: &str,
    title: &str,
) -> String {
    let mut dated: Vec<usize> = pages
        .iter()
        .copied()
        .filter(|&p| site.pages[p].page.front.date.is_some())
        .collect();
    dated.sort_by(|&a, &b| {
        let d = |i: usize| site.pages[i].page.front.date.as_ref().map(|w| w.at);
        d(b).cmp(&d(a))
            .then_with(|| site.pages[a].path.cmp(&site.pages[b].path))
    });
    dated.truncate(config.outputs.feed_limit);
    let updated_of = |i: usize| {
        let fm = &site.pages[i].page.front;
        fm.updated.as_ref().or(fm.date.as_ref()).map(|w| w.at)
    };
    let feed_updated = dated
        .iter()
        .filter_map(|&i| updated_of(i))
        .max()
        .map_or_else(|| "1970-01-01T00:00:00Z".to_string(), |t| t.to_string());
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n",
        escape(&config.language)
    ));
    out.push_str(&format!("  <title>{}</title>\n", escape(title)));
    out.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        escape(&config.absolute(self_path))
    ));
    let home = self_path.trim_end_matches("atom.xml");
    out.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        escape(&config.absolute(home))
    ));
    out.push_str(&format!(
        "  <id>{}</id>\n",
        escape(&config.absolute(self_path))
    ));
    out.push_str(&format!("  <updated>{feed_updated}</updated>\n"));
    for i in dated {
        let p = &site.pages[i];
        let fm = &p.page.front;
        let link = config.absolute(&p.path);
        out.push_str("  <entry>\n");
        out.push_str(&format!("    <title>{}</title>\n", escape(&fm.title)));
        out.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            escape(&link)
        ));
        out.push_str(&format!("    <id>{}</id>\n", escape(&link)));
        if let Some(d) = &fm.date {
            out.push_str(&format!("    <published>{}</published>\n", d.at));
        }
        out.push_str(&format!(
            "    <updated>{}</updated>\n",
            updated_of(i).map(|t| t.to_string()).unwrap_or_default()
        ));
        out.push_str(&format!(
            "    <author><name>{}</name></author>\n",
            escape(&config.title)
        ));
        let summary = p
            .page
            .body
            .summary_html
            .as_deref()
            .map(str::to_string)
            .or_else(|| fm.summary.as_ref().map(|s| format!("<p>{}</p>", escape(s))));
        if let Some(s) = summary {
            out.push_str(&format!(
                "    <summary type=\"html\">{}</summary>\n",
                escape(&absolutize(&s, config, &link))
            ));
        }
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

/// Makes the links and images of an HTML fragment absolute, for readers outside the site:
/// `/campaign/x/` → `https://example.org/campaign/x/`, `photo.svg` → the page's URL + `photo.svg`.
fn absolutize(html: &str, config: &SiteConfig, page_url: &str) -> String {
    let origin_end = config.base_url.len() - config.base_path().len();
    let origin = &config.base_url[..origin_end];
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    loop {
        let next = ["href=\"", "src=\""]
            .iter()
            .filter_map(|a| rest.find(a).map(|i| (i, a.len())))
            .min();
        let Some((i, len)) = next else { break };
        out.push_str(&rest[..i + len]);
        rest = &rest[i + len..];
        let end = rest.find('"').unwrap_or(rest.len());
        let value = &rest[..end];
        if value.starts_with('/') && !value.starts_with("//") {
            out.push_str(origin);
        } else if !value.contains(':') && !value.starts_with('#') && !value.starts_with("//") {
            out.push_str(page_url);
        }
        out.push_str(value);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Every page, section, taxonomy and term page of the build.
pub fn sitemap(config: &SiteConfig, site: &Site) -> String {
    let mut entries: Vec<(String, Option<String>)> = Vec::new();
    let lastmod = |fm: &crate::parse::front_matter::FrontMatter| {
        fm.updated
            .as_ref()
            .or(fm.date.as_ref())
            .map(|w| w.at.to_zoned_datetime(config.tz.clone()).date().to_string())
    };
    for s in &site.sections {
        entries.push((
            s.path.clone(),
            s.page.as_ref().and_then(|p| lastmod(&p.front)),
        ));
    }
    for p in &site.pages {
        entries.push((p.path.clone(), lastmod(&p.page.front)));
    }
    for t in &site.taxonomies {
        entries.push((t.path.clone(), None));
        for term in &t.terms {
            entries.push((term.path.clone(), None));
        }
    }
    entries.sort();
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (path, lm) in entries {
        out.push_str(&format!(
            "  <url>\n    <loc>{}</loc>\n",
            escape(&config.absolute(&path))
        ));
        if let Some(lm) = lm {
            out.push_str(&format!("    <lastmod>{lm}</lastmod>\n"));
        }
        out.push_str("  </url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

/// Allows everything and names the sitemap; a preview build disallows everything.
pub fn robots(config: &SiteConfig, preview: bool) -> String {
    if preview {
        return "# A preview build (drafts or a future --as-of): not for search engines.\nUser-agent: *\nDisallow: /\n".into();
    }
    let mut out = String::from("User-agent: *\nAllow: /\n");
    if config.outputs.sitemap {
        out.push_str(&format!("\nSitemap: {}\n", config.absolute("/sitemap.xml")));
    }
    out
}

/// A page that sends the browser on to `target` (an alias), without JavaScript.
pub fn alias_page(config: &SiteConfig, target: &str) -> String {
    let url = escape(&config.absolute(target));
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<title>Moved</title>\n<link rel=\"canonical\" href=\"{url}\">\n<meta name=\"robots\" content=\"noindex\">\n<meta http-equiv=\"refresh\" content=\"0; url={url}\">\n</head>\n<body>\n<p>This page has moved to <a href=\"{url}\">{url}</a>.</p>\n</body>\n</html>\n",
        lang = escape(&config.language)
    )
}
