//! One rendered HTML page → a [`Scan`]: every id, every link and resource reference, and the
//! elements the accessibility rules look at (images, headings, link texts, tables, frames,
//! videos), each with where it came from.
//!
//! Where an element came from is read off the source marks `parse` leaves in the HTML when it
//! parses for `check` (see [`crate::parse::markdown::SOURCE_MARK`]): inside a page body each
//! element carries the Markdown file, line and column it was written at; outside, it belongs
//! to the template. Pure: takes the HTML text, reads nothing else. Uses html5ever's tokenizer
//! (already in the tree through ammonia) rather than a DOM: one pass, nothing kept but what the
//! rules need.

use crate::parse::markdown::SOURCE_MARK;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use std::cell::RefCell;
use std::sync::Arc;

/// Where an element of a page came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Written in a content file (in Markdown, or by a shortcode called there).
    Content {
        file: Arc<str>,
        line: usize,
        column: usize,
    },
    /// Made by the page's template (or a template it extends or includes).
    Template,
    /// A line of an HTML file that is itself the source (one copied from `content/`).
    Line(usize),
}

/// Something found on a page, where it came from, and the start tag that made it (for finding
/// a template's line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found<T> {
    pub origin: Origin,
    pub tag: TagSketch,
    pub item: T,
}

/// A start tag's name and attribute values: enough to find it in a template.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TagSketch {
    pub name: String,
    pub values: Vec<String>,
}

/// A URL in an attribute (`href`, `src`, `srcset`, `action`, `poster`, `data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub attribute: &'static str,
    pub url: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// `None` when there is no `alt` attribute at all.
    pub alt: Option<String>,
    pub src: String,
    /// `role="presentation"`/`"none"` or `aria-hidden="true"`: declared decorative.
    pub decorative: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub text: String,
}

/// An `<a href>`, with the name a screen reader gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    pub name: String,
}

/// A video: a `<video>`, an element marked `data-video`, or a frame showing a video host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Video {
    /// A captions or subtitles track, or a transcript link, inside (or beside, for a frame).
    pub accessible: bool,
}

/// Everything the rules need from one page.
#[derive(Clone, Debug, Default)]
pub struct Scan {
    /// Every `id` (and `<a name>`), in order.
    pub ids: Vec<Found<String>>,
    pub references: Vec<Found<Reference>>,
    pub images: Vec<Found<Image>>,
    pub headings: Vec<Found<Heading>>,
    pub links: Vec<Found<Link>>,
    /// Tables, and whether each has a header cell.
    pub tables: Vec<Found<bool>>,
    /// Frames, with their `title`.
    pub frames: Vec<Found<Option<String>>>,
    pub videos: Vec<Found<Video>>,
}

/// Scans `html`. `own_lines`: the HTML is its own source (a file from `content/`), so
/// elements outside any source mark are located by their line in it.
pub fn scan(html: &str, own_lines: bool) -> Scan {
    let sink = Sink {
        state: RefCell::new(State {
            own_lines,
            ..State::default()
        }),
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let mut state = tokenizer.sink.state.into_inner();
    state.finish();
    state.scan
}

/// Hosts whose frames show a video.
const VIDEO_HOSTS: &[&str] = &[
    "youtube.com",
    "www.youtube.com",
    "youtube-nocookie.com",
    "www.youtube-nocookie.com",
    "player.vimeo.com",
    "vimeo.com",
    "www.dailymotion.com",
    "player.twitch.tv",
];

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// What names a link besides its text.
enum Label {
    /// `aria-label`: the name, whatever the text says.
    Replaces(String),
    /// `title`: the name only when there is no text.
    Fallback(String),
}

/// The URLs of a `srcset`: each candidate is a URL (which may hold commas) then, after
/// whitespace, its descriptors up to a comma.
fn srcset_urls(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if rest.is_empty() {
            break;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let url = &rest[..end];
        rest = &rest[end..];
        // A URL directly followed by a comma has no descriptors.
        let trimmed = url.trim_end_matches(',');
        if trimmed.len() == url.len() {
            rest = rest.find(',').map_or("", |c| &rest[c + 1..]);
        }
        if !trimmed.is_empty() {
            out.push(trimmed);
        }
    }
    out
}

struct Sink {
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    own_lines: bool,
    line: usize,
    /// The content bodies open around the current point, innermost last: file, line, column.
    bodies: Vec<(Arc<str>, usize, usize)>,
    /// Names of the open elements.
    open: Vec<String>,
    /// Links being read: the link, the depth of the open-element stack it was opened at, and
    /// its `aria-label` or `title`.
    links: Vec<(Found<Link>, usize, Option<Label>)>,
    /// The depth at which an `aria-hidden` subtree began: its text names nothing.
    hidden_from: Option<usize>,
    heading: Option<(Found<Heading>, usize)>,
    tables: Vec<(Found<bool>, usize)>,
    /// Videos being read, and the depth at which each one's region ends.
    videos: Vec<(Found<Video>, usize)>,
    scan: Scan,
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, line: u64) -> TokenSinkResult<()> {
        let mut s = self.state.borrow_mut();
        s.line = usize::try_from(line).unwrap_or(usize::MAX);
        match token {
            Token::CommentToken(text) => s.comment(&text),
            Token::CharacterTokens(text) => s.text(&text),
            Token::TagToken(tag) => match tag.kind {
                TagKind::StartTag => {
                    let name = tag.name.to_string();
                    let attrs: Vec<(String, String)> = tag
                        .attrs
                        .iter()
                        .map(|a| (a.name.local.to_string(), a.value.to_string()))
                        .collect();
                    s.start(&name, &attrs, tag.self_closing);
                    return match name.as_str() {
                        "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                        "style" | "xmp" | "noembed" | "noframes" => {
                            TokenSinkResult::RawData(RawKind::Rawtext)
                        }
                        "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
                        "plaintext" => TokenSinkResult::Plaintext,
                        _ => TokenSinkResult::Continue,
                    };
                }
                TagKind::EndTag => s.end(&tag.name),
            },
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

impl State {
    fn origin(&self) -> Origin {
        match self.bodies.last() {
            Some((file, line, column)) => Origin::Content {
                file: file.clone(),
                line: *line,
                column: *column,
            },
            None if self.own_lines => Origin::Line(self.line),
            None => Origin::Template,
        }
    }

    fn comment(&mut self, text: &str) {
        let Some(mark) = text.strip_prefix(SOURCE_MARK) else {
            return;
        };
        if let Some(path) = mark.strip_prefix("file ") {
            let file = percent_encoding::percent_decode_str(path)
                .decode_utf8_lossy()
                .into_owned();
            self.bodies.push((file.into(), 1, 1));
        } else if mark == "end" {
            self.bodies.pop();
        } else if let Some((line, column)) = mark.split_once(':')
            && let (Ok(line), Ok(column)) = (line.parse(), column.parse())
            && let Some(top) = self.bodies.last_mut()
        {
            top.1 = line;
            top.2 = column;
        }
    }

    fn text(&mut self, text: &str) {
        if self.hidden_from.is_none() {
            for (link, _, _) in &mut self.links {
                link.item.name.push_str(text);
            }
            if let Some((h, _)) = &mut self.heading {
                h.item.text.push_str(text);
            }
        }
        if text.to_ascii_lowercase().contains("transcript") {
            for (v, _) in &mut self.videos {
                v.item.accessible = true;
            }
        }
    }

    fn start(&mut self, name: &str, attrs: &[(String, String)], self_closing: bool) {
        let attr = |key: &str| {
            attrs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let origin = self.origin();
        let tag = TagSketch {
            name: name.to_string(),
            values: attrs.iter().map(|(_, v)| v.clone()).collect(),
        };
        macro_rules! found {
            ($item:expr) => {
                Found {
                    origin: origin.clone(),
                    tag: tag.clone(),
                    item: $item,
                }
            };
        }
        if let Some(id) = attr("id") {
            self.scan.ids.push(found!(id.to_string()));
        }
        if name == "a"
            && let Some(n) = attr("name")
            && attr("id") != Some(n)
        {
            self.scan.ids.push(found!(n.to_string()));
        }
        for key in ["href", "src", "action", "poster", "data", "srcset"] {
            let Some(value) = attr(key) else { continue };
            // A `<meta>`/`<link rel=…>` pointing elsewhere is still a reference; `data` only on
            // `<object>`.
            if key == "data" && name != "object" {
                continue;
            }
            let urls: Vec<&str> = if key == "srcset" {
                srcset_urls(value)
            } else {
                vec![value.trim()]
            };
            let attribute = match key {
                "href" => "href",
                "src" => "src",
                "action" => "action",
                "poster" => "poster",
                "data" => "data",
                _ => "srcset",
            };
            for url in urls {
                self.scan.references.push(found!(Reference {
                    attribute,
                    url: url.to_string(),
                }));
            }
        }
        // The picture a link preview shows is a reference too.
        if name == "meta"
            && matches!(
                attr("property").or(attr("name")),
                Some("og:image" | "twitter:image")
            )
            && let Some(url) = attr("content")
        {
            self.scan.references.push(found!(Reference {
                attribute: "content",
                url: url.trim().to_string(),
            }));
        }
        let hidden = attr("aria-hidden") == Some("true");
        if hidden && self.hidden_from.is_none() && !VOID.contains(&name) && !self_closing {
            self.hidden_from = Some(self.open.len());
        }
        let counted = !hidden && self.hidden_from.is_none();
        match name {
            "img" => {
                let alt = attr("alt").map(str::to_string);
                if let Some(alt) = alt.as_ref().filter(|_| counted) {
                    for (link, _, _) in &mut self.links {
                        link.item.name.push(' ');
                        link.item.name.push_str(alt);
                    }
                    if let Some((h, _)) = &mut self.heading {
                        h.item.text.push_str(alt);
                    }
                }
                self.scan.images.push(found!(Image {
                    alt,
                    src: attr("src").unwrap_or_default().to_string(),
                    decorative: hidden || matches!(attr("role"), Some("presentation" | "none")),
                }));
            }
            "a" if attr("href").is_some() => {
                // A screen reader says the label, else the text, else the title.
                let label = attr("aria-label")
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| Label::Replaces(l.to_string()))
                    .or_else(|| {
                        attr("title")
                            .filter(|l| !l.trim().is_empty())
                            .map(|l| Label::Fallback(l.to_string()))
                    });
                let link = found!(Link {
                    href: attr("href").unwrap_or_default().to_string(),
                    name: String::new(),
                });
                if attr("href").is_some_and(|h| h.to_ascii_lowercase().contains("transcript")) {
                    for (v, _) in &mut self.videos {
                        v.item.accessible = true;
                    }
                }
                self.links.push((link, self.open.len(), label));
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.finish_heading();
                let level = name.as_bytes()[1] - b'0';
                let h = found!(Heading {
                    level,
                    text: attr("aria-label").unwrap_or_default().to_string(),
                });
                self.heading = Some((h, self.open.len()));
            }
            "table" => self.tables.push((found!(false), self.open.len())),
            "th" => {
                if let Some((t, _)) = self.tables.last_mut() {
                    t.item = true;
                }
            }
            "iframe" => {
                self.scan
                    .frames
                    .push(found!(attr("title").map(str::to_string)));
                let host = attr("src")
                    .and_then(|s| s.split_once("//"))
                    .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or_default())
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if VIDEO_HOSTS.contains(&host.as_str()) {
                    // The frame's region is its parent: a transcript link beside it counts.
                    self.videos.push((
                        found!(Video { accessible: false }),
                        self.open.len().saturating_sub(1),
                    ));
                }
            }
            "video" => self
                .videos
                .push((found!(Video { accessible: false }), self.open.len())),
            "track" => {
                if matches!(attr("kind"), Some("captions" | "subtitles")) {
                    for (v, _) in &mut self.videos {
                        v.item.accessible = true;
                    }
                }
            }
            _ => {}
        }
        if name != "video" && attr("data-video").is_some() {
            self.videos
                .push((found!(Video { accessible: false }), self.open.len()));
        }
        if !self_closing && !VOID.contains(&name) {
            self.open.push(name.to_string());
        }
    }

    fn end(&mut self, name: &str) {
        let Some(at) = self.open.iter().rposition(|n| n == name) else {
            return;
        };
        self.open.truncate(at);
        self.close_to(at);
    }

    /// Finishes whatever was opened at depth `depth` or deeper.
    fn close_to(&mut self, depth: usize) {
        if self.hidden_from.is_some_and(|h| h >= depth) {
            self.hidden_from = None;
        }
        while let Some((_, d, _)) = self.links.last()
            && *d >= depth
        {
            if let Some((mut link, _, label)) = self.links.pop() {
                link.item.name = link
                    .item
                    .name
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                match label {
                    Some(Label::Replaces(l)) => link.item.name = l,
                    Some(Label::Fallback(l)) if link.item.name.is_empty() => link.item.name = l,
                    _ => {}
                }
                self.scan.links.push(link);
            }
        }
        if self.heading.as_ref().is_some_and(|(_, d)| *d >= depth) {
            self.finish_heading();
        }
        while let Some((_, d)) = self.tables.last()
            && *d >= depth
        {
            if let Some((t, _)) = self.tables.pop() {
                self.scan.tables.push(t);
            }
        }
        while let Some((_, d)) = self.videos.last()
            && *d >= depth
        {
            if let Some((v, _)) = self.videos.pop() {
                self.scan.videos.push(v);
            }
        }
    }

    fn finish_heading(&mut self) {
        if let Some((mut h, _)) = self.heading.take() {
            h.item.text = h.item.text.split_whitespace().collect::<Vec<_>>().join(" ");
            self.scan.headings.push(h);
        }
    }

    fn finish(&mut self) {
        self.open.clear();
        self.close_to(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(line: usize, column: usize) -> Origin {
        Origin::Content {
            file: "content/p.md".into(),
            line,
            column,
        }
    }

    #[test]
    fn marks_locate_content_and_the_rest_is_template() {
        let html = r#"<html><body><h1 id="t">Title</h1><main id="main">
<!--MARKfile content/p.md--><!--MARK3:1--><p>See <!--MARK3:5--><a href="/x/">the <em>fund</em></a>.</p>
<!--MARK5:1--><img src="a.png"><!--placard:end--><!--MARKend-->
<a href="/y/"><img src="i.svg" alt="Home"></a></main></body></html>"#;
        // A mark without its noncharacter (`<!--placard:end-->`, as a page could write) is
        // not one.
        let html = html.replace("MARK", SOURCE_MARK);
        let s = scan(&html, false);
        assert_eq!(
            s.ids.iter().map(|i| i.item.as_str()).collect::<Vec<_>>(),
            ["t", "main"]
        );
        assert_eq!(s.headings[0].origin, Origin::Template);
        assert_eq!(s.headings[0].item.text, "Title");
        assert_eq!(s.links[0].origin, content(3, 5));
        assert_eq!(s.links[0].item.name, "the fund");
        assert_eq!(s.links[1].origin, Origin::Template);
        assert_eq!(s.links[1].item.name, "Home");
        assert_eq!(s.images[0].origin, content(5, 1));
        assert_eq!(s.images[0].item.alt, None);
        assert_eq!(s.images[1].item.alt.as_deref(), Some("Home"));
        let urls: Vec<&str> = s.references.iter().map(|r| r.item.url.as_str()).collect();
        assert_eq!(urls, ["/x/", "a.png", "/y/", "i.svg"]);
    }

    #[test]
    fn tables_frames_videos_and_scripts() {
        let html = r#"<table><tr><td>1</td></tr></table><table><thead><tr><th>A</th></tr></thead></table>
<iframe src="https://www.youtube.com/embed/x"></iframe><iframe src="/map.html" title="Map"></iframe>
<figure data-video><a href="https://v.example/x">Play</a><figcaption><a href="/t/">Read the transcript</a></figcaption></figure>
<video src="v.mp4"></video><video src="w.mp4"><track kind="captions" src="w.vtt"></video>
<script>document.write("<a href='/nowhere/'></a><img>")</script>"#;
        let s = scan(html, false);
        assert_eq!(
            s.tables.iter().map(|t| t.item).collect::<Vec<_>>(),
            [false, true]
        );
        assert_eq!(s.frames[0].item, None);
        assert_eq!(s.frames[1].item.as_deref(), Some("Map"));
        let videos: Vec<bool> = s.videos.iter().map(|v| v.item.accessible).collect();
        assert_eq!(videos, [false, true, false, true]);
        assert!(s.images.is_empty());
        assert!(!s.references.iter().any(|r| r.item.url == "/nowhere/"));
    }

    #[test]
    fn link_names_come_from_labels_text_and_image_alts() {
        let html = r#"<a href="/a/" aria-label="Close the menu"><svg></svg></a><a href="/b/">
  Read   more </a><a href="/c/"></a><a href="/d/"><img src="x.png" alt=""></a>"#;
        let s = scan(html, false);
        let names: Vec<&str> = s.links.iter().map(|l| l.item.name.as_str()).collect();
        assert_eq!(names, ["Close the menu", "Read more", "", ""]);
    }

    #[test]
    fn titles_are_names_only_without_text_and_hidden_text_names_nothing() {
        let html = r#"<a href="/a/" title="Contact the team">click here</a><a href="/b/" title="Contact the team"></a><a href="/c/"><span aria-hidden="true">→</span></a><a href="/d/"><img src="i.svg" alt="Home" aria-hidden="true"> Back</a>"#;
        let s = scan(html, false);
        let names: Vec<&str> = s.links.iter().map(|l| l.item.name.as_str()).collect();
        assert_eq!(names, ["click here", "Contact the team", "", "Back"]);
    }

    #[test]
    fn srcset_urls_may_hold_commas() {
        assert_eq!(
            srcset_urls("https://r.example/w_200,h_200/a.jpg 2x, /b.jpg 480w,/c.jpg"),
            ["https://r.example/w_200,h_200/a.jpg", "/b.jpg", "/c.jpg"]
        );
        assert_eq!(srcset_urls("/a.jpg, /b.jpg 2x"), ["/a.jpg", "/b.jpg"]);
        // Without whitespace a comma belongs to the URL, as browsers read it.
        assert_eq!(srcset_urls("/a.jpg,/b.jpg 2x"), ["/a.jpg,/b.jpg"]);
        assert!(srcset_urls(" , ").is_empty());
    }

    #[test]
    fn unclosed_and_stray_tags_do_not_lose_elements() {
        let s = scan("<p><a href='/a/'>one<p></div><h2>Two<h3>Three", false);
        assert_eq!(s.links.len(), 1);
        let h: Vec<(u8, &str)> = s
            .headings
            .iter()
            .map(|h| (h.item.level, h.item.text.as_str()))
            .collect();
        assert_eq!(h, [(2, "Two"), (3, "Three")]);
    }

    #[test]
    fn a_file_of_its_own_is_located_by_line() {
        let s = scan("<html>\n<body>\n<img src=x.png>\n", true);
        assert_eq!(s.images[0].origin, Origin::Line(3));
    }
}
