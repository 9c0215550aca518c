//! The outputs placard writes without templates: Atom feeds and the sitemap (written with an XML
//! writer, so that they are well-formed whatever the content holds), robots.txt, and the
//! redirect pages of aliases. A feed's summaries are HTML read by programs outside the site, so
//! their links and images are made absolute: the fragment is read with an HTML tokenizer and
//! written again with `href`, `src` and `srcset` rewritten (never a text search). Pure.

use crate::assemble::{Site, SitePage};
use crate::config::SiteConfig;
use crate::text::{escape, xml_safe};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use std::cell::RefCell;

/// An XML document being written: elements, with the text and attribute values escaped by the
/// writer and every character XML does not allow left out.
struct Xml {
    w: Writer<Vec<u8>>,
}

impl Xml {
    fn new() -> Xml {
        let mut w = Writer::new(Vec::new());
        // Writing into a Vec cannot fail.
        let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)));
        Xml { w }
    }

    fn raw(&mut self, whitespace: &str) {
        let _ = self
            .w
            .write_event(Event::Text(BytesText::from_escaped(whitespace)));
    }

    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let mut start = BytesStart::new(name);
        for (k, v) in attrs {
            start.push_attribute((*k, xml_safe(v).as_ref()));
        }
        let _ = self.w.write_event(Event::Start(start));
    }

    fn close(&mut self, name: &str) {
        let _ = self.w.write_event(Event::End(BytesEnd::new(name)));
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let mut start = BytesStart::new(name);
        for (k, v) in attrs {
            start.push_attribute((*k, xml_safe(v).as_ref()));
        }
        let _ = self.w.write_event(Event::Empty(start));
    }

    /// `<name attrs>text</name>`.
    fn text(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.open(name, attrs);
        let _ = self
            .w
            .write_event(Event::Text(BytesText::new(&xml_safe(text))));
        self.close(name);
    }

    fn finish(self) -> Vec<u8> {
        self.w.into_inner()
    }
}

/// An Atom feed of the dated pages among `pages`, newest first.
pub fn atom(
    config: &SiteConfig,
    site: &Site,
    pages: &[usize],
    self_path: &str,
    title: &str,
) -> Vec<u8> {
    let mut dated: Vec<&SitePage> = pages
        .iter()
        .map(|&p| &site.pages[p])
        .filter(|p| p.page.front.date.is_some())
        .collect();
    dated.sort_by(|a, b| {
        let d = |p: &SitePage| p.page.front.date.as_ref().map(|w| w.at);
        d(b).cmp(&d(a)).then_with(|| a.path.cmp(&b.path))
    });
    dated.truncate(config.outputs.feed_limit);
    let updated_of = |p: &SitePage| {
        let fm = &p.page.front;
        fm.updated.as_ref().or(fm.date.as_ref()).map(|w| w.at)
    };
    let feed_updated = dated
        .iter()
        .filter_map(|p| updated_of(p))
        .max()
        .map_or_else(|| "1970-01-01T00:00:00Z".to_string(), |t| t.to_string());
    let self_url = config.absolute(self_path);
    let home = config.absolute(self_path.trim_end_matches("atom.xml"));
    let mut x = Xml::new();
    x.raw("\n");
    x.open(
        "feed",
        &[
            ("xmlns", "http://www.w3.org/2005/Atom"),
            ("xml:lang", &config.language),
        ],
    );
    x.raw("\n  ");
    x.text("title", &[], title);
    x.raw("\n  ");
    x.empty(
        "link",
        &[
            ("rel", "self"),
            ("type", "application/atom+xml"),
            ("href", &self_url),
        ],
    );
    x.raw("\n  ");
    x.empty(
        "link",
        &[("rel", "alternate"), ("type", "text/html"), ("href", &home)],
    );
    x.raw("\n  ");
    x.text("id", &[], &self_url);
    x.raw("\n  ");
    x.text("updated", &[], &feed_updated);
    for p in dated {
        let fm = &p.page.front;
        let link = config.absolute(&p.path);
        x.raw("\n  ");
        x.open("entry", &[]);
        x.raw("\n    ");
        x.text("title", &[], &fm.title);
        x.raw("\n    ");
        x.empty(
            "link",
            &[("rel", "alternate"), ("type", "text/html"), ("href", &link)],
        );
        x.raw("\n    ");
        x.text("id", &[], &link);
        if let Some(d) = &fm.date {
            x.raw("\n    ");
            x.text("published", &[], &d.at.to_string());
        }
        x.raw("\n    ");
        let updated = updated_of(p).map(|t| t.to_string()).unwrap_or_default();
        x.text("updated", &[], &updated);
        x.raw("\n    ");
        x.open("author", &[]);
        x.text("name", &[], &config.title);
        x.close("author");
        let summary = match (&p.page.body.summary_html, &fm.summary) {
            (Some(html), _) => Some(html.to_string()),
            (None, Some(s)) => Some(format!("<p>{}</p>", escape(s))),
            (None, None) => None,
        };
        if let Some(s) = summary {
            x.raw("\n    ");
            x.text(
                "summary",
                &[("type", "html")],
                &absolutize(&s, config, &link),
            );
        }
        x.raw("\n  ");
        x.close("entry");
    }
    x.raw("\n");
    x.close("feed");
    x.raw("\n");
    x.finish()
}

/// Every page, section, taxonomy and term page of the build.
pub fn sitemap(config: &SiteConfig, site: &Site) -> Vec<u8> {
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
    let mut x = Xml::new();
    x.raw("\n");
    x.open(
        "urlset",
        &[("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9")],
    );
    for (path, lm) in entries {
        x.raw("\n  ");
        x.open("url", &[]);
        x.raw("\n    ");
        x.text("loc", &[], &config.absolute(&path));
        if let Some(lm) = lm {
            x.raw("\n    ");
            x.text("lastmod", &[], &lm);
        }
        x.raw("\n  ");
        x.close("url");
    }
    x.raw("\n");
    x.close("urlset");
    x.raw("\n");
    x.finish()
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

/// Makes the links and images of an HTML fragment absolute, for readers outside the site:
/// `/campaign/x/` → `https://example.org/campaign/x/`, `photo.svg` → the page's URL +
/// `photo.svg`, in `href`, `src` and each candidate of `srcset`. Other attributes (`data-*`)
/// are left as they are; so are fragments (`#x`) and URLs with a scheme.
pub fn absolutize(html: &str, config: &SiteConfig, page_url: &str) -> String {
    let origin_end = config.base_url.len() - config.base_path().len();
    let origin = &config.base_url[..origin_end];
    let absolute = |value: &str| -> String {
        if value.starts_with('/') && !value.starts_with("//") {
            format!("{origin}{value}")
        } else if value.is_empty()
            || value.starts_with('#')
            || value.starts_with("//")
            || crate::text::url_scheme(value).is_some()
        {
            value.to_string()
        } else {
            format!("{page_url}{value}")
        }
    };
    let sink = Rewriter {
        out: RefCell::new(String::with_capacity(html.len() + 64)),
        raw: RefCell::new(None),
        rewrite: &absolute,
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.out.into_inner()
}

/// Writes the tokens of an HTML fragment back out, rewriting URL attributes.
struct Rewriter<'a> {
    out: RefCell<String>,
    /// Inside `<script>` or `<style>`: their text is written as it is.
    raw: RefCell<Option<String>>,
    rewrite: &'a dyn Fn(&str) -> String,
}

impl TokenSink for Rewriter<'_> {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut out = self.out.borrow_mut();
        match token {
            Token::TagToken(tag) => {
                let name = tag.name.to_string();
                match tag.kind {
                    TagKind::StartTag => {
                        out.push('<');
                        out.push_str(&name);
                        for a in &tag.attrs {
                            let key = a.name.local.to_string();
                            let value = match key.as_str() {
                                "href" | "src" => (self.rewrite)(&a.value),
                                "srcset" => srcset(&a.value, self.rewrite),
                                _ => a.value.to_string(),
                            };
                            out.push(' ');
                            out.push_str(&key);
                            out.push_str("=\"");
                            out.push_str(&escape(&value));
                            out.push('"');
                        }
                        if tag.self_closing {
                            out.push_str(" /");
                        }
                        out.push('>');
                        if matches!(name.as_str(), "script" | "style") && !tag.self_closing {
                            *self.raw.borrow_mut() = Some(name.clone());
                            return match name.as_str() {
                                "script" => TokenSinkResult::RawData(
                                    html5ever::tokenizer::states::RawKind::ScriptData,
                                ),
                                _ => TokenSinkResult::RawData(
                                    html5ever::tokenizer::states::RawKind::Rawtext,
                                ),
                            };
                        }
                    }
                    TagKind::EndTag => {
                        *self.raw.borrow_mut() = None;
                        out.push_str("</");
                        out.push_str(&name);
                        out.push('>');
                    }
                }
            }
            Token::CharacterTokens(text) => {
                if self.raw.borrow().is_some() {
                    out.push_str(&text);
                } else {
                    for c in text.chars() {
                        match c {
                            '&' => out.push_str("&amp;"),
                            '<' => out.push_str("&lt;"),
                            '>' => out.push_str("&gt;"),
                            c => out.push(c),
                        }
                    }
                }
            }
            Token::CommentToken(text) => {
                out.push_str("<!--");
                out.push_str(&text);
                out.push_str("-->");
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// A `srcset` with each candidate's URL rewritten and its descriptors kept.
fn srcset(value: &str, rewrite: &dyn Fn(&str) -> String) -> String {
    value
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(
            |candidate| match candidate.split_once(char::is_whitespace) {
                Some((url, descriptors)) => format!("{} {}", rewrite(url), descriptors.trim()),
                None => rewrite(candidate),
            },
        )
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SiteConfig {
        crate::config::parse("title: T\nbase_url: https://example.org/campaign/\n").unwrap()
    }

    #[test]
    fn feed_content_is_made_absolute_in_href_src_and_srcset_only() {
        let page = "https://example.org/campaign/news/x/";
        let html = "<p><a href=\"/campaign/about/\" data-href=\"/campaign/keep/\">About</a> <img src=\"photo.jpg\" srcset=\"photo-320.jpg 320w, /campaign/p-640.jpg 640w\" alt=\"A &quot;photo&quot; &amp; more\"> <a href=\"#top\">top</a> <a href=\"mailto:a@b.org\">mail</a> <a href=\"https://e.org/\">out</a></p>\n";
        let got = absolutize(html, &config(), page);
        assert_eq!(
            got,
            "<p><a href=\"https://example.org/campaign/about/\" data-href=\"/campaign/keep/\">About</a> <img src=\"https://example.org/campaign/news/x/photo.jpg\" srcset=\"https://example.org/campaign/news/x/photo-320.jpg 320w, https://example.org/campaign/p-640.jpg 640w\" alt=\"A &quot;photo&quot; &amp; more\"> <a href=\"#top\">top</a> <a href=\"mailto:a@b.org\">mail</a> <a href=\"https://e.org/\">out</a></p>\n"
        );
    }

    #[test]
    fn a_relative_path_with_a_colon_later_on_is_not_made_absolute_as_if_it_had_a_scheme() {
        let page = "https://example.org/campaign/news/x/";
        let got = absolutize(
            "<a href=\"foo):\">a</a><a href=\"mailto:x@y\">b</a>",
            &config(),
            page,
        );
        assert_eq!(
            got,
            "<a href=\"https://example.org/campaign/news/x/foo):\">a</a><a href=\"mailto:x@y\">b</a>"
        );
    }
}
