//! Markdown body → HTML, with everything a page needs from its body: unique heading ids with
//! self-links, a table of contents, the summary before `<!-- more -->` (cut between events,
//! with every element open there closed by the HTML writer itself), internal `@/` links written
//! with the URL of the page they name (or left out when it is not live), shortcodes rendered
//! through the theme, and raw HTML sanitised unless the site allows it.
//!
//! Pure: the theme is reached through the [`Shortcodes`] trait and the other pages through the
//! [`Links`] trait, so tests use stand-ins.

use crate::config::MarkdownOptions;
use crate::diagnostic::Diagnostic;
use crate::parse::sanitize::{self, sanitize};
use crate::parse::shortcodes::{self, ArgValue, Call};
use crate::value::{Data, Html};
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::collections::{HashMap, HashSet};

/// What the theme offers to the Markdown renderer.
pub trait Shortcodes: Sync {
    /// The arguments a shortcode accepts (name, required, type name), or `None` when the theme
    /// has no such shortcode.
    fn arguments(&self, name: &str) -> Option<Vec<ArgSpec>>;
    /// Every shortcode name, for "did you mean".
    fn names(&self) -> Vec<String>;
    /// The ids the theme's templates give elements of their own (`partners`, `main`): no
    /// heading of a page takes one of them.
    fn reserved_ids(&self) -> &[String] {
        &[]
    }
    /// Renders one call. The error is a full diagnostic about the template.
    fn render(
        &self,
        name: &str,
        args: serde_json::Map<String, serde_json::Value>,
        body: Option<String>,
    ) -> Result<String, Diagnostic>;
}

/// What the rest of the site tells the Markdown renderer about the pages `@/` links name.
pub trait Links: Sync {
    /// Where a link to this content path (`initiatives/x.md`) leads.
    fn resolve(&self, content_path: &str) -> Link;
    /// Whether the page made from this content path is in this build.
    fn is_live(&self, content_path: &str) -> bool {
        matches!(self.resolve(content_path), Link::Url(_))
    }
}

/// Where an `@/` link leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// To a live page: its URL, the site's base path included (`/campaign/initiatives/x/`).
    Url(String),
    /// To a page that exists but is not in this build (a draft, embargoed or expired): the link
    /// is left out, with a warning.
    NotLive,
    /// To a file that has errors of its own (they are reported there): kept as written.
    Unparsed,
    /// To nothing: an error, with the closest content path if there is one.
    Missing { near: Option<String> },
}

#[derive(Clone, Debug)]
pub struct ArgSpec {
    pub name: String,
    pub required: bool,
    /// `string`, `integer`, `number`, `boolean` or `any`.
    pub ty: String,
    /// The only values a text argument may take, when the theme lists them.
    pub values: Option<Vec<String>>,
}

/// A heading in the table of contents.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub title: String,
    pub children: Vec<Heading>,
}

/// An `@/path.md#anchor` link written in the body.
#[derive(Clone, Debug, PartialEq)]
pub struct InternalLink {
    /// The link as written, `@/initiatives/x.md#funding`.
    pub raw: String,
    pub path: String,
    pub anchor: Option<String>,
    pub line: usize,
    pub column: usize,
    /// The text of that line (clipped when long: see [`crate::diagnostic::clip`]), for the
    /// diagnostic if the link is broken, and how many characters were cut before it.
    pub source_line: String,
    pub source_start: usize,
}

/// The rendered body.
#[derive(Clone, Debug, Default)]
pub struct Body {
    /// Shared: by `serve`'s cache between rebuilds, and by the template values.
    pub html: Html,
    /// HTML before `<!-- more -->`, when the marker is there.
    pub summary_html: Option<Html>,
    /// The text of `summary_html` without its tags.
    pub summary_text: Option<String>,
    /// The headings, nested (each `level`, `id`, `title`, `children`), as templates read them.
    pub toc: Data,
    pub heading_ids: Vec<String>,
    pub links: Vec<InternalLink>,
    pub word_count: usize,
    /// The shortcode calls, when [`Source::markers`] is set.
    pub shortcodes: Vec<ShortcodeUse>,
    /// Problems found but not made into diagnostics: past [`MAX_SCAN_ERRORS`], a file full of
    /// broken shortcodes is summed up by a count (the caller says how many more there were).
    pub unreported: usize,
}

/// Malformed shortcodes reported per page body, at most.
pub const MAX_SCAN_ERRORS: usize = 100;

/// Where the body sits, for diagnostics.
pub struct Source<'a> {
    pub path: &'a str,
    /// The whole file (lines are counted in it).
    pub file_text: &'a str,
    /// Byte offset of the body in `file_text`.
    pub body_offset: usize,
    /// For `placard check`: mark in the HTML where each block, link, image and shortcode came
    /// from (see [`SOURCE_MARK`]), and record the shortcode calls.
    pub markers: bool,
    /// The site's language, which decides how a date written another way is read (in hints).
    pub language: &'a str,
}

/// The comments `placard check` reads to map HTML back to Markdown: `<!--MARKfile PATH-->`
/// opens a page's body (PATH percent-encoded), `<!--MARKLINE:COL-->` says where the next
/// element came from, `<!--MARKend-->` closes the body, MARK being this prefix. It starts with a
/// Unicode noncharacter that parsing replaces in every source, so no page can forge one. Only
/// made when [`Source::markers`] is set, never in a build's output.
pub const SOURCE_MARK: &str = "\u{FDD3}placard:";

/// A shortcode call as written, recorded for `placard check` (its statistics rules).
#[derive(Clone, Debug, PartialEq)]
pub struct ShortcodeUse {
    pub name: String,
    pub args: serde_json::Map<String, serde_json::Value>,
    pub line: usize,
    pub column: usize,
}

pub fn options(smart_punctuation: bool) -> Options {
    let mut o = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES;
    if smart_punctuation {
        o |= Options::ENABLE_SMART_PUNCTUATION;
    }
    o
}

/// A rendered body and what rendering it found.
#[derive(Debug)]
pub struct Rendered {
    pub body: Body,
    /// Problems in the text itself (a broken shortcode, an unsafe link).
    pub problems: Vec<Diagnostic>,
    /// Links to pages that are missing or not in this build: problems of the site rather than
    /// of the text, which do not keep the page from being made (so `check` still looks at it).
    pub link_problems: Vec<Diagnostic>,
}

/// Renders `body` (a slice of `source.file_text` starting at `source.body_offset`). `links`
/// resolves `@/` links; without it they are kept as written (for a page in no output).
pub fn render(
    body: &str,
    source: &Source<'_>,
    options: &MarkdownOptions,
    shortcodes: &dyn Shortcodes,
    links: Option<&dyn Links>,
) -> Rendered {
    let mut state = State {
        source,
        smart_punctuation: options.smart_punctuation,
        raw_html: options.raw_html,
        shortcodes,
        resolver: links,
        lines: std::cell::OnceCell::new(),
        ids: shortcodes.reserved_ids().iter().cloned().collect(),
        footnotes: HashMap::new(),
        open_footnotes: Vec::new(),
        pasted: std::collections::BTreeMap::new(),
        next_suffix: HashMap::new(),
        headings: Vec::new(),
        links: Vec::new(),
        diagnostics: Vec::new(),
        link_problems: Vec::new(),
        word_count: 0,
        depth: 0,
        uses: Vec::new(),
        scan_errors: 0,
        unreported: 0,
    };
    let (mut html, mut summary) = state.fragment(body, source.body_offset, true);
    // An empty body stays empty, so that templates testing it see what a build gives them.
    if source.markers && !html.trim().is_empty() {
        let open = format!("<!--{SOURCE_MARK}file {}-->", encode_mark_path(source.path));
        let close = format!("<!--{SOURCE_MARK}end-->");
        html = format!("{open}{html}{close}");
        summary = summary.map(|s| format!("{open}{s}{close}"));
    }
    state.report_pasted();
    let toc = Data::new(&nest(&state.headings));
    let heading_ids = state.headings.iter().map(|h| h.id.clone()).collect();
    let summary_text = summary.as_deref().map(crate::text::strip_tags);
    let out = Body {
        html: html.into(),
        summary_html: summary.map(Html::from),
        summary_text,
        toc,
        heading_ids,
        links: state.links,
        word_count: state.word_count,
        shortcodes: state.uses,
        unreported: state.unreported,
    };
    Rendered {
        body: out,
        problems: state.diagnostics,
        link_problems: state.link_problems,
    }
}

const TOKEN_OPEN: char = '\u{FDD0}';
const TOKEN_CLOSE: char = '\u{FDD1}';
/// Shortcodes inside shortcode bodies inside … stop somewhere.
const MAX_DEPTH: usize = 16;

struct State<'s, 'a> {
    source: &'s Source<'a>,
    smart_punctuation: bool,
    raw_html: bool,
    shortcodes: &'s dyn Shortcodes,
    resolver: Option<&'s dyn Links>,
    /// Where each line starts, made the first time a position is asked for (most pages have
    /// nothing to report and no marks to make).
    lines: std::cell::OnceCell<crate::diagnostic::LineIndex<'a>>,
    ids: HashSet<String>,
    /// Footnotes by label: their number, id and how often they were cited so far.
    footnotes: HashMap<String, Footnote>,
    /// The labels of the footnote definitions being written (they nest in the event stream).
    open_footnotes: Vec<String>,
    /// Raw HTML the sanitiser cleans and bullets typed as characters, by the file offset of
    /// the paragraph or HTML block they are in: one warning each.
    pasted: std::collections::BTreeMap<usize, Pasted>,
    /// The next number to try for each repeated heading id (`funding-1`, `funding-2`…).
    next_suffix: HashMap<String, usize>,
    headings: Vec<Heading>,
    links: Vec<InternalLink>,
    diagnostics: Vec<Diagnostic>,
    link_problems: Vec<Diagnostic>,
    word_count: usize,
    depth: usize,
    uses: Vec<ShortcodeUse>,
    scan_errors: usize,
    unreported: usize,
}

/// One replaced span: offsets in the substituted text and in the original.
struct Replacement {
    new_start: usize,
    new_len: usize,
    old_start: usize,
    old_len: usize,
}

impl<'a> State<'_, 'a> {
    fn lines(&self) -> &crate::diagnostic::LineIndex<'a> {
        self.lines
            .get_or_init(|| crate::diagnostic::LineIndex::new(self.source.file_text))
    }

    fn error_at(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        self.lines()
            .at(Diagnostic::error(message).in_file(self.source.path), offset)
    }

    /// Renders a piece of Markdown found at `base` (file offset). Returns the HTML and, for
    /// the top level, the summary HTML.
    fn fragment(&mut self, text: &str, base: usize, top: bool) -> (String, Option<String>) {
        self.depth += 1;
        let (calls, scan_errors) = shortcodes::scan(text, options(false));
        let room = MAX_SCAN_ERRORS.saturating_sub(self.scan_errors);
        self.scan_errors += scan_errors.len().min(room);
        self.unreported += scan_errors.len().saturating_sub(room);
        for e in scan_errors.into_iter().take(room) {
            let d = self.error_at(base + e.offset, e.message).with_hint(e.hint);
            self.diagnostics.push(d);
        }
        // Render every shortcode, then swap each call for a token Markdown leaves alone.
        let mut rendered: Vec<String> = Vec::with_capacity(calls.len());
        let mut substituted = String::with_capacity(text.len());
        let mut replacements = Vec::with_capacity(calls.len());
        let mut last = 0;
        for (n, call) in calls.iter().enumerate() {
            let html = self.shortcode(call, text, base);
            rendered.push(if self.source.markers {
                let (line, column) = self.lines().locate(base + call.range.start);
                format!("<!--{SOURCE_MARK}{line}:{column}-->{html}")
            } else {
                html
            });
            substituted.push_str(&text[last..call.range.start]);
            let token = format!("{TOKEN_OPEN}{n}{TOKEN_CLOSE}");
            replacements.push(Replacement {
                new_start: substituted.len(),
                new_len: token.len(),
                old_start: call.range.start,
                old_len: call.range.len(),
            });
            substituted.push_str(&token);
            last = call.range.end;
        }
        substituted.push_str(&text[last..]);
        let to_file = |offset: usize| base + original_offset(&replacements, offset);

        let (mut html, mut summary, has_raw_html) = self.markdown(&substituted, &to_file, top);
        if has_raw_html && !self.raw_html {
            // Source marks are comments, kept where they are (inside a table too) in check mode.
            let marks = self.source.markers;
            html = sanitize(&html, marks);
            summary = summary.map(|s| sanitize(&s, marks));
        }
        if !rendered.is_empty() {
            let (done, in_tags) = substitute_tokens(&html, &rendered);
            html = done;
            summary = summary.map(|s| substitute_tokens(&s, &rendered).0);
            for n in in_tags {
                if let Some(call) = calls.get(n) {
                    let d = self
                        .error_at(
                            base + call.range.start,
                            format!("shortcode `{}` is inside an HTML tag", call.name),
                        )
                        .with_hint(
                            "shortcodes work in text only: move it out of the tag's attributes",
                        );
                    self.diagnostics.push(d);
                }
            }
        }
        self.depth -= 1;
        (html, summary)
    }

    fn shortcode(&mut self, call: &Call, text: &str, base: usize) -> String {
        let at = base + call.range.start;
        let Some(spec) = self.shortcodes.arguments(&call.name) else {
            let names = self.shortcodes.names();
            let mut d = self.error_at(at, format!("unknown shortcode `{}`", call.name));
            d = match crate::diagnostic::did_you_mean(&call.name, names.iter().map(String::as_str))
            {
                Some(near) => d.with_hint(format!("did you mean `{near}`?")),
                None if names.is_empty() => d.with_hint("the theme has no shortcodes"),
                None => d.with_hint(format!("the theme's shortcodes are: {}", names.join(", "))),
            };
            self.diagnostics.push(d);
            return String::new();
        };
        let mut ok = true;
        let mut args = serde_json::Map::new();
        for (name, value, offset) in &call.args {
            match spec.iter().find(|a| &a.name == name) {
                None => {
                    let known: Vec<&str> = spec.iter().map(|a| a.name.as_str()).collect();
                    let mut d = self.error_at(
                        base + offset,
                        format!("shortcode `{}` has no argument `{name}`", call.name),
                    );
                    d = match crate::diagnostic::did_you_mean(name, known.iter().copied()) {
                        Some(near) => d.with_hint(format!("did you mean `{near}`?")),
                        None if known.is_empty() => {
                            d.with_hint(format!("`{}` takes no arguments", call.name))
                        }
                        None => d.with_hint(format!("its arguments are: {}", known.join(", "))),
                    };
                    self.diagnostics.push(d);
                    ok = false;
                }
                Some(a) => {
                    let fits = matches!(
                        (a.ty.as_str(), value),
                        ("any", _)
                            | ("string" | "url" | "date", ArgValue::Str(_))
                            | ("integer", ArgValue::Int(_))
                            | ("number", ArgValue::Int(_) | ArgValue::Float(_))
                            | ("boolean", ArgValue::Bool(_))
                    );
                    // A link argument: `@/` links are resolved like Markdown links (to the
                    // page's URL, or none for a page not in this build); other schemes than
                    // http(s), mailto and tel are refused.
                    let mut json = value.to_json();
                    if a.ty == "url"
                        && let ArgValue::Str(v) = value
                    {
                        if v.starts_with("@/") {
                            match self.internal_link(v, base + offset) {
                                Resolved::Url(url) => json = url.into(),
                                Resolved::LeftOut => json = serde_json::Value::Null,
                                Resolved::AsWritten => {}
                            }
                        } else if let Some(scheme) = unsafe_scheme(v) {
                            let d = self
                                .error_at(
                                    base + offset,
                                    format!(
                                        "shortcode `{}`: `{name}` has a `{scheme}:` address",
                                        call.name
                                    ),
                                )
                                .with_hint("use an https:// address, a site path such as `/contact/`, or an internal link such as `@/contact.md`");
                            self.diagnostics.push(d);
                            ok = false;
                        }
                    }
                    if fits
                        && a.ty == "date"
                        && let ArgValue::Str(v) = value
                        && v.parse::<jiff::civil::Date>().is_err()
                    {
                        let d = self.error_at(
                            base + offset,
                            format!("shortcode `{}`: `{name}` is `{v}`, not a date", call.name),
                        );
                        self.diagnostics.push(
                            match crate::time::date_hint(v, self.source.language) {
                                Some(hint) => d.with_hint(hint),
                                None => d.with_hint(
                                    "write the date as YYYY-MM-DD, for example \"2018-05-31\"",
                                ),
                            },
                        );
                        ok = false;
                    }
                    if fits
                        && let (Some(allowed), ArgValue::Str(v)) = (&a.values, value)
                        && !allowed.contains(v)
                    {
                        let d = self.error_at(
                            base + offset,
                            format!(
                                "shortcode `{}`: `{name}` cannot be `{v}`; it is one of {}",
                                call.name,
                                allowed.join(", ")
                            ),
                        );
                        self.diagnostics.push(
                            match crate::diagnostic::did_you_mean(
                                v,
                                allowed.iter().map(String::as_str),
                            ) {
                                Some(near) => d.with_hint(format!("did you mean `{near}`?")),
                                None => d.with_hint(format!("use one of: {}", allowed.join(", "))),
                            },
                        );
                        ok = false;
                    }
                    if !fits {
                        let d = self
                            .error_at(
                                base + offset,
                                format!(
                                    "shortcode `{}`: argument `{name}` should be {}, found {}",
                                    call.name,
                                    a.ty,
                                    value.type_name()
                                ),
                            )
                            .with_hint(if a.ty == "string" {
                                "quote the value".to_string()
                            } else {
                                format!("give a {} value", a.ty)
                            });
                        self.diagnostics.push(d);
                        ok = false;
                    }
                    args.insert(name.clone(), json);
                }
            }
        }
        for a in &spec {
            if a.required && !args.contains_key(&a.name) {
                let d = self
                    .error_at(
                        at,
                        format!("shortcode `{}` needs the argument `{}`", call.name, a.name),
                    )
                    .with_hint(format!("add `{}=\"…\"` inside the parentheses", a.name));
                self.diagnostics.push(d);
                ok = false;
            } else if !args.contains_key(&a.name) {
                args.insert(a.name.clone(), serde_json::Value::Null);
            }
        }
        let body = match &call.body {
            Some(range) if self.depth < MAX_DEPTH => Some(
                self.fragment(&text[range.clone()], base + range.start, false)
                    .0,
            ),
            Some(_) => {
                let d = self
                    .error_at(at, "shortcodes are nested too deeply")
                    .with_hint("nest at most 16 levels");
                self.diagnostics.push(d);
                ok = false;
                None
            }
            None => None,
        };
        if !ok {
            return String::new();
        }
        if self.source.markers {
            let (line, column) = self.lines().locate(at);
            self.uses.push(ShortcodeUse {
                name: call.name.clone(),
                args: args.clone(),
                line,
                column,
            });
        }
        match self.shortcodes.render(&call.name, args, body) {
            Ok(html) => html,
            Err(mut d) => {
                // Say which call in which page made the template fail.
                let (line, col) = self.lines().locate(at);
                d.message = format!(
                    "{} (in shortcode `{}` called at {}:{line}:{col})",
                    d.message, call.name, self.source.path
                );
                self.diagnostics.push(d);
                String::new()
            }
        }
    }

    /// Markdown → HTML over the substituted text. Returns the HTML, the summary (for the top
    /// level, when it has a `<!-- more -->`) and whether raw HTML was seen.
    fn markdown(
        &mut self,
        text: &str,
        to_file: &dyn Fn(usize) -> usize,
        top: bool,
    ) -> (String, Option<String>, bool) {
        let mut parser = Parser::new_ext(text, options(self.smart_punctuation)).into_offset_iter();
        let mut html = String::with_capacity(text.len() * 3 / 2);
        let mut has_raw_html = false;
        let mut dropped_links: Vec<bool> = Vec::new();
        let markers = self.source.markers;
        // The element that follows a source mark.
        let mut after_mark: Option<Event<'_>> = None;
        let mut in_image = 0usize;
        // The file offset of the paragraph or HTML block being written.
        let mut block_at = 0usize;
        // How many events were handed out, and how many came before `<!-- more -->`.
        let mut emitted = 0usize;
        let mut cut: Option<usize> = None;
        // Only a body that may hold the marker is kept as events, to write its summary from.
        let may_cut = top && text.contains("<!--") && text.contains("more");
        // One pass, one HTML writer (footnote numbers and table state span the whole page),
        // nothing buffered but a heading's own events.
        let events = std::iter::from_fn(|| {
            if let Some(e) = after_mark.take() {
                emitted += 1;
                return Some(e);
            }
            loop {
                let (event, range) = parser.next()?;
                // Nothing is marked inside an image: its inner events become its alt text.
                let mark =
                    (markers && in_image == 0 && is_marked(&event)).then(|| to_file(range.start));
                match event {
                    Event::Start(Tag::Image { .. }) => in_image += 1,
                    Event::End(TagEnd::Image) => in_image = in_image.saturating_sub(1),
                    Event::Start(Tag::Paragraph | Tag::HtmlBlock) => {
                        block_at = to_file(range.start);
                        // A bullet typed as a character starts the paragraph's source line
                        // (`·&nbsp;&nbsp;Schools` comes as several text events).
                        if matches!(event, Event::Start(Tag::Paragraph)) {
                            let line = self
                                .source
                                .file_text
                                .get(block_at..)
                                .unwrap_or_default()
                                .split('\n')
                                .next()
                                .unwrap_or_default()
                                .replace("&nbsp;", "\u{a0}")
                                .replace("&#160;", "\u{a0}");
                            if let Some(bullet) = sanitize::typed_bullet(&line) {
                                self.pasted_at(block_at, block_at).bullet = Some(bullet);
                            }
                        }
                    }
                    _ => {}
                }
                let out = match event {
                    Event::Start(Tag::Heading { level, id, .. }) => {
                        let mut inner = Vec::new();
                        let mut title = String::new();
                        for (event, range) in parser.by_ref() {
                            match event {
                                Event::End(TagEnd::Heading(_)) => break,
                                Event::Text(ref t) | Event::Code(ref t) => title.push_str(t),
                                // Raw HTML in a heading is raw HTML: it is sanitised too.
                                Event::Html(_) | Event::InlineHtml(_) => has_raw_html = true,
                                _ => {}
                            }
                            if let Some(e) =
                                self.link_event(event, &range, to_file, &mut dropped_links)
                            {
                                inner.push(e);
                            }
                        }
                        let heading = self.heading(level, id.map(|s| s.to_string()), inner, &title);
                        Some(Event::Html(CowStr::from(heading)))
                    }
                    Event::FootnoteReference(ref label) => Some(Event::InlineHtml(CowStr::from(
                        self.footnote_reference(label),
                    ))),
                    Event::Start(Tag::FootnoteDefinition(ref label)) => {
                        Some(Event::Html(CowStr::from(self.footnote_start(label))))
                    }
                    Event::End(TagEnd::FootnoteDefinition) => {
                        Some(Event::Html(CowStr::from(self.footnote_end())))
                    }
                    Event::Html(ref h) | Event::InlineHtml(ref h) if is_more_marker(h) => {
                        if top && cut.is_none() {
                            cut = Some(emitted);
                        }
                        None
                    }
                    Event::Html(ref h) | Event::InlineHtml(ref h) => {
                        has_raw_html = true;
                        let at = if matches!(event, Event::Html(_)) {
                            block_at
                        } else {
                            to_file(range.start)
                        };
                        self.inspect_html(h, at, block_at);
                        Some(event)
                    }
                    Event::Text(ref t) => {
                        self.word_count += crate::text::count_words(t);
                        Some(event)
                    }
                    other => self.link_event(other, &range, to_file, &mut dropped_links),
                };
                let Some(out) = out else { continue };
                emitted += 1;
                return Some(match mark {
                    Some(offset) => {
                        let (line, column) = self.lines().locate(offset);
                        after_mark = Some(out);
                        Event::Html(CowStr::from(format!("<!--{SOURCE_MARK}{line}:{column}-->")))
                    }
                    None => out,
                });
            }
        });
        if !may_cut {
            pulldown_cmark::html::push_html(&mut html, events);
            return (html, None, has_raw_html);
        }
        let all: Vec<Event<'_>> = events.collect();
        pulldown_cmark::html::push_html(&mut html, all.iter().cloned());
        let summary = cut.map(|n| {
            let mut summary = String::new();
            pulldown_cmark::html::push_html(&mut summary, summary_events(&all, n).into_iter());
            summary
        });
        (html, summary, has_raw_html)
    }

    /// Resolves an `@/` link written at `offset` of the file: records it (for the anchor check),
    /// reports a page that is missing or not live, and says what to write in its place.
    fn internal_link(&mut self, raw: &str, offset: usize) -> Resolved {
        let rest = raw.strip_prefix("@/").unwrap_or(raw);
        let (path, anchor) = match rest.split_once('#') {
            Some((p, a)) => (p.to_string(), Some(a.to_string())),
            None => (rest.to_string(), None),
        };
        let (line, column, source_line, source_start) = self.lines().source(offset);
        let key = path.trim_start_matches('/').to_string();
        self.links.push(InternalLink {
            raw: raw.to_string(),
            path,
            anchor: anchor.clone(),
            line,
            column,
            source_line,
            source_start,
        });
        let Some(links) = self.resolver else {
            return Resolved::AsWritten;
        };
        match links.resolve(&key) {
            Link::Url(url) => Resolved::Url(match anchor {
                Some(a) => format!("{url}#{a}"),
                None => url,
            }),
            Link::NotLive => {
                let d = self
                    .lines()
                    .at(
                        Diagnostic::warning(format!(
                            "link to `{raw}`, which is not published in this build; the link is left out"
                        ))
                        .in_file(self.source.path),
                        offset,
                    )
                    .with_hint("the link text stays; the link appears once the page is live (rebuild then)");
                self.link_problems.push(d);
                Resolved::LeftOut
            }
            Link::Unparsed => Resolved::AsWritten,
            Link::Missing { near } => {
                let d = self.error_at(offset, format!("link to a missing page: `{raw}`"));
                self.link_problems.push(match near {
                    Some(near) => d.with_hint(format!("did you mean `@/{near}`?")),
                    None => d.with_hint("internal links name a file under content/, such as `@/initiatives/young-londoners-fund.md`"),
                });
                Resolved::AsWritten
            }
        }
    }

    /// Resolves `@/` links and neutralises links with unsafe schemes.
    fn link_event<'e>(
        &mut self,
        event: Event<'e>,
        range: &std::ops::Range<usize>,
        to_file: &dyn Fn(usize) -> usize,
        dropped: &mut Vec<bool>,
    ) -> Option<Event<'e>> {
        match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let offset = to_file(range.start);
                let dest_url = match self.destination(dest_url, offset, "link") {
                    Some(d) => d,
                    None => {
                        dropped.push(true);
                        return None;
                    }
                };
                dropped.push(false);
                Some(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }))
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let offset = to_file(range.start);
                match self.destination(dest_url, offset, "image") {
                    Some(dest_url) => Some(Event::Start(Tag::Image {
                        link_type,
                        dest_url,
                        title,
                        id,
                    })),
                    // The image's alt text stays, as text.
                    None => Some(Event::Text(CowStr::Borrowed(""))),
                }
            }
            Event::End(TagEnd::Link) => {
                if dropped.pop() == Some(true) {
                    None
                } else {
                    Some(event)
                }
            }
            other => Some(other),
        }
    }

    /// What a link or image written to `dest` at `offset` points to, or `None` to leave it out
    /// (an unsafe scheme, or a page not in this build).
    fn destination<'e>(
        &mut self,
        dest: CowStr<'e>,
        offset: usize,
        what: &str,
    ) -> Option<CowStr<'e>> {
        if dest.starts_with("@/") {
            return match self.internal_link(&dest, offset) {
                Resolved::Url(url) => Some(CowStr::from(url)),
                Resolved::LeftOut => None,
                Resolved::AsWritten => Some(dest),
            };
        }
        if let Some(scheme) = unsafe_scheme(&dest) {
            let d = self
                .lines()
                .at(
                    Diagnostic::warning(format!("{what} with a `{scheme}:` address removed"))
                        .in_file(self.source.path),
                    offset,
                )
                .with_hint(
                    "only http, https, mailto, tel and site links are kept; the link text stays",
                );
            self.diagnostics.push(d);
            return None;
        }
        Some(dest)
    }

    /// What the sanitiser will take out of a piece of raw HTML (when it runs), and bullets
    /// typed as characters in it, noted for the block the piece is in.
    fn inspect_html(&mut self, piece: &str, at: usize, block: usize) {
        if !self.raw_html {
            let removed = sanitize::removed(piece);
            if !removed.is_empty() {
                let p = self.pasted_at(block, at);
                for r in removed {
                    if !p.removed.contains(&r) {
                        p.removed.push(r);
                    }
                }
            }
        }
        if let Some(bullet) = piece
            .split('>')
            .skip(1)
            .find_map(|text| sanitize::typed_bullet(&text.replace("&nbsp;", "\u{a0}")))
        {
            self.pasted_at(block, at).bullet = Some(bullet);
        }
    }

    fn pasted_at(&mut self, block: usize, at: usize) -> &mut Pasted {
        self.pasted.entry(block).or_insert_with(|| Pasted {
            at,
            removed: Vec::new(),
            bullet: None,
        })
    }

    /// One warning per paragraph or HTML block that had something cleaned out of it or a
    /// bullet typed as a character.
    fn report_pasted(&mut self) {
        let pasted = std::mem::take(&mut self.pasted);
        for p in pasted.into_values() {
            let lists = "write lists in Markdown, one item per line starting with `- `";
            let d = match (p.removed.is_empty(), p.bullet) {
                (false, bullet) => Diagnostic::warning(format!(
                    "HTML pasted here was cleaned: removed {}",
                    join_words(&p.removed)
                ))
                .with_hint(match bullet {
                    Some(_) => format!("the text stays; its bullets are typed characters, so {lists}"),
                    None if p.removed.iter().any(|r| r.ends_with(":` address")) => "the text stays; only http, https, mailto, tel and site addresses are kept".to_string(),
                    None => "the text stays, without them; write formatting in Markdown (`**bold**`, `- ` lists, `[links](https://…)`)".to_string(),
                }),
                (true, Some(b)) => Diagnostic::warning(format!(
                    "a bullet typed as a character (`{b}`) makes a paragraph, not a list"
                ))
                .with_hint(lists),
                (true, None) => continue,
            };
            let d = self
                .lines()
                .at(d.rule("raw-html-cleaned").in_file(self.source.path), p.at);
            self.diagnostics.push(d);
        }
    }

    /// The footnote with this label, numbered in the order footnotes are first met. Its ids
    /// are `fn:<label>` and `fnref:<label>`: a heading id, made of letters, digits and
    /// hyphens, can never be one of them (`[^wards]` beside `## Wards`).
    fn footnote(&mut self, label: &str) -> &mut Footnote {
        let number = self.footnotes.len() + 1;
        let taken: HashSet<&str> = self.footnotes.values().map(|f| f.id.as_str()).collect();
        let base = match crate::slug::slugify(label) {
            s if s.is_empty() => number.to_string(),
            s => s,
        };
        let mut id = base.clone();
        let mut n = 1;
        while !self.footnotes.contains_key(label) && taken.contains(id.as_str()) {
            n += 1;
            id = format!("{base}-{n}");
        }
        self.footnotes
            .entry(label.to_string())
            .or_insert_with(|| Footnote {
                number,
                id,
                cited: 0,
            })
    }

    fn footnote_reference(&mut self, label: &str) -> String {
        let f = self.footnote(label);
        f.cited += 1;
        let own = if f.cited == 1 {
            format!("fnref:{}", f.id)
        } else {
            format!("fnref:{}-{}", f.id, f.cited)
        };
        format!(
            "<sup class=\"footnote-reference\" id=\"{}\"><a href=\"#fn:{}\">{}</a></sup>",
            crate::text::escape(&own),
            crate::text::escape(&f.id),
            f.number
        )
    }

    fn footnote_start(&mut self, label: &str) -> String {
        self.open_footnotes.push(label.to_string());
        let f = self.footnote(label);
        format!(
            "<div class=\"footnote-definition\" id=\"fn:{}\"><sup class=\"footnote-definition-label\">{}</sup>",
            crate::text::escape(&f.id),
            f.number
        )
    }

    /// Closes a footnote with a link back to where it is first cited (when it was cited before
    /// its definition, as footnotes are: a definition written above its first citation gets
    /// none).
    fn footnote_end(&mut self) -> String {
        let back = self
            .open_footnotes
            .pop()
            .and_then(|label| self.footnotes.get(&label))
            .filter(|f| f.cited > 0)
            .map(|f| {
                format!(
                    " <a href=\"#fnref:{}\" class=\"footnote-backref\" aria-label=\"Back to the text of note {}\">↩</a>",
                    crate::text::escape(&f.id),
                    f.number
                )
            })
            .unwrap_or_default();
        format!("{back}</div>\n")
    }

    fn heading(
        &mut self,
        level: HeadingLevel,
        explicit: Option<String>,
        inner: Vec<Event<'_>>,
        text: &str,
    ) -> String {
        let base = explicit.unwrap_or_else(|| {
            let s = crate::slug::slugify(text);
            if s.is_empty() {
                "section".to_string()
            } else {
                s
            }
        });
        let mut id = base.clone();
        if self.ids.contains(&id) {
            let n = self.next_suffix.entry(base.clone()).or_insert(1);
            loop {
                id = format!("{base}-{n}");
                *n += 1;
                if !self.ids.contains(&id) {
                    break;
                }
            }
        }
        self.ids.insert(id.clone());
        let has_link = inner
            .iter()
            .any(|e| matches!(e, Event::Start(Tag::Link { .. })));
        let mut inner_html = String::new();
        pulldown_cmark::html::push_html(&mut inner_html, inner.into_iter());
        let lvl = level as u8;
        let id_attr = crate::text::escape(&id);
        let html = if has_link {
            format!("<h{lvl} id=\"{id_attr}\">{inner_html}</h{lvl}>\n")
        } else {
            format!(
                "<h{lvl} id=\"{id_attr}\"><a class=\"heading-anchor\" href=\"#{id_attr}\">{inner_html}</a></h{lvl}>\n"
            )
        };
        self.headings.push(Heading {
            level: lvl,
            id,
            title: text.trim().to_string(),
            children: Vec::new(),
        });
        html
    }
}

/// The Markdown elements `placard check` wants to trace back to their line.
fn is_marked(event: &Event<'_>) -> bool {
    matches!(
        event,
        Event::Start(
            Tag::Paragraph
                | Tag::Heading { .. }
                | Tag::BlockQuote(_)
                | Tag::CodeBlock(_)
                | Tag::HtmlBlock
                | Tag::List(_)
                | Tag::Item
                | Tag::FootnoteDefinition(_)
                | Tag::Table(_)
                | Tag::Link { .. }
                | Tag::Image { .. }
        ) | Event::InlineHtml(_)
    )
}

/// A site path in a source mark: everything but letters, digits and `/._` percent-encoded, so
/// that no file name can end or confuse the comment.
pub fn encode_mark_path(path: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'.')
        .remove(b'_');
    percent_encoding::utf8_percent_encode(path, KEEP).to_string()
}

fn is_more_marker(h: &str) -> bool {
    let t = h.trim();
    t.strip_prefix("<!--")
        .and_then(|t| t.strip_suffix("-->"))
        .is_some_and(|inner| inner.trim() == "more")
}

/// What was found in one paragraph or HTML block of pasted text.
struct Pasted {
    /// Where to report it (file offset).
    at: usize,
    /// What the sanitiser takes out, in the writer's words.
    removed: Vec<String>,
    bullet: Option<char>,
}

/// `a`, `a and b`, `a, b and c`.
fn join_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A footnote of the page.
struct Footnote {
    number: usize,
    /// Its label as an id (`wards`), unique among the page's footnotes.
    id: String,
    /// How many times it was cited so far.
    cited: usize,
}

/// What to write for an `@/` link.
enum Resolved {
    Url(String),
    LeftOut,
    AsWritten,
}

/// The events of a summary: the first `n` events of the body, then the end of every element
/// still open there, so that the HTML writer closes them itself. A cut inside raw HTML moves to
/// the end of that HTML block (placard cannot close what it did not open).
fn summary_events<'e>(events: &[Event<'e>], n: usize) -> Vec<Event<'e>> {
    fn open(events: &[Event<'_>]) -> Vec<TagEnd> {
        let mut stack = Vec::new();
        for e in events {
            match e {
                Event::Start(tag) => stack.push(tag.to_end()),
                Event::End(_) => {
                    stack.pop();
                }
                _ => {}
            }
        }
        stack
    }
    let mut n = n.min(events.len());
    let mut stack = open(&events[..n]);
    if let Some(depth) = stack.iter().position(|t| *t == TagEnd::HtmlBlock) {
        let mut level = stack.len();
        for (i, e) in events.iter().enumerate().skip(n) {
            match e {
                Event::Start(_) => level += 1,
                Event::End(_) => {
                    level -= 1;
                    if level == depth {
                        n = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        stack = open(&events[..n]);
    }
    events[..n]
        .iter()
        .cloned()
        .chain(stack.into_iter().rev().map(Event::End))
        .collect()
}

fn original_offset(replacements: &[Replacement], offset: usize) -> usize {
    let mut shift: isize = 0;
    for r in replacements {
        if offset < r.new_start {
            break;
        }
        if offset < r.new_start + r.new_len {
            return r.old_start;
        }
        shift = (r.old_start + r.old_len) as isize - (r.new_start + r.new_len) as isize;
    }
    (offset as isize + shift).max(0) as usize
}

/// Puts the rendered shortcodes in place of their tokens; a token alone in a paragraph takes
/// the paragraph's place (block content must not sit inside `<p>`). A token inside a tag (in
/// an attribute of raw HTML) is dropped, never filled: shortcode HTML there would break out of
/// the attribute. Returns the HTML and the numbers of the dropped tokens.
fn substitute_tokens(html: &str, rendered: &[String]) -> (String, Vec<usize>) {
    let mut out =
        String::with_capacity(html.len() + rendered.iter().map(String::len).sum::<usize>());
    let mut in_tags = Vec::new();
    let mut in_tag = false;
    let mut in_comment = false;
    let mut rest = html;
    // Where the HTML written so far leaves off: inside a tag, or inside a comment (where `>`
    // closes nothing and only `-->` ends it).
    let track = |segment: &str, in_tag: &mut bool, in_comment: &mut bool| {
        let bytes = segment.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if *in_comment {
                if bytes[i..].starts_with(b"-->") {
                    *in_comment = false;
                    i += 3;
                    continue;
                }
            } else if bytes[i..].starts_with(b"<!--") {
                *in_comment = true;
                *in_tag = false;
                i += 4;
                continue;
            } else if bytes[i] == b'<' {
                *in_tag = true;
            } else if bytes[i] == b'>' {
                *in_tag = false;
            }
            i += 1;
        }
    };
    while let Some(start) = rest.find(TOKEN_OPEN) {
        let after_open = start + TOKEN_OPEN.len_utf8();
        let Some(len) = rest[after_open..].find(TOKEN_CLOSE) else {
            break;
        };
        let before = &rest[..start];
        track(before, &mut in_tag, &mut in_comment);
        let end = after_open + len + TOKEN_CLOSE.len_utf8();
        let Ok(n) = rest[after_open..after_open + len].parse::<usize>() else {
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        };
        if in_tag {
            in_tags.push(n);
            out.push_str(before);
            rest = &rest[end..];
            continue;
        }
        // A shortcode in an HTML comment is commented out: nothing of it is written (its HTML,
        // or a source mark, would end the comment early).
        if in_comment {
            out.push_str(before);
            rest = &rest[end..];
            continue;
        }
        let replacement = rendered.get(n).map_or("", String::as_str);
        if before.ends_with("<p>") && rest[end..].starts_with("</p>") {
            out.push_str(&before[..before.len() - 3]);
            out.push_str(replacement);
            rest = &rest[end + 4..];
            in_tag = false;
        } else {
            out.push_str(before);
            out.push_str(replacement);
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    (out, in_tags)
}

/// The scheme of a link the site does not keep: anything but http, https, mailto and tel (see
/// [`crate::text::url_scheme`] for what a scheme is).
fn unsafe_scheme(url: &str) -> Option<String> {
    crate::text::url_scheme(url)
        .filter(|s| !matches!(s.as_str(), "http" | "https" | "mailto" | "tel"))
}

/// Nests a flat list of headings by level.
fn nest(flat: &[Heading]) -> Vec<Heading> {
    fn insert(into: &mut Vec<Heading>, h: Heading) {
        if let Some(last) = into.last_mut()
            && h.level > last.level
        {
            insert(&mut last.children, h);
            return;
        }
        into.push(h);
    }
    let mut out = Vec::new();
    for h in flat {
        insert(&mut out, h.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake;
    impl Shortcodes for Fake {
        fn arguments(&self, name: &str) -> Option<Vec<ArgSpec>> {
            let a = |n: &str, r: bool| ArgSpec {
                name: n.into(),
                required: r,
                ty: "string".into(),
                values: None,
            };
            match name {
                "stat" => Some(vec![a("value", true), a("label", true), a("source", false)]),
                "callout" => Some(vec![ArgSpec {
                    values: Some(vec!["info".into(), "warning".into()]),
                    ..a("kind", false)
                }]),
                _ => None,
            }
        }
        fn names(&self) -> Vec<String> {
            vec!["callout".into(), "stat".into()]
        }
        fn render(
            &self,
            name: &str,
            args: serde_json::Map<String, serde_json::Value>,
            body: Option<String>,
        ) -> Result<String, Diagnostic> {
            Ok(match name {
                "stat" => format!(
                    "<div class=\"stat\">{}</div>",
                    args["value"].as_str().unwrap_or("")
                ),
                _ => format!("<aside>{}</aside>", body.unwrap_or_default()),
            })
        }
    }

    /// The other pages: `initiatives/ylf.md` is live, `draft.md` is not, `broken.md` has
    /// errors of its own; anything else is missing.
    struct Pages;
    impl Links for Pages {
        fn resolve(&self, content_path: &str) -> Link {
            match content_path {
                "initiatives/ylf.md" => Link::Url("/campaign/initiatives/ylf/".into()),
                "draft.md" => Link::NotLive,
                "broken.md" => Link::Unparsed,
                _ => Link::Missing {
                    near: Some("initiatives/ylf.md".into()),
                },
            }
        }
    }

    fn md(text: &str) -> (Body, Vec<Diagnostic>) {
        let src = Source {
            path: "content/p.md",
            file_text: text,
            body_offset: 0,
            markers: false,
            language: "en-GB",
        };
        let options = MarkdownOptions {
            raw_html: false,
            smart_punctuation: true,
        };
        let r = render(text, &src, &options, &Fake, Some(&Pages));
        let mut d = r.problems;
        d.extend(r.link_problems);
        (r.body, d)
    }

    #[test]
    fn headings_get_unique_ids_and_anchors() {
        let (b, d) = md("## Funding\n\n## Funding\n\n### The \"figures\"\n");
        assert!(d.is_empty());
        assert_eq!(b.heading_ids, ["funding", "funding-1", "the-figures"]);
        assert!(
            b.html.contains(
                "<h2 id=\"funding\"><a class=\"heading-anchor\" href=\"#funding\">Funding</a></h2>"
            ),
            "{}",
            b.html
        );
        let toc = b.toc.as_value().as_array().unwrap();
        assert_eq!(toc.len(), 2);
        let child = crate::value::get(&toc[1], "children")
            .unwrap()
            .as_array()
            .unwrap();
        assert_eq!(
            crate::value::get(&child[0], "id").and_then(|v| v.as_str()),
            Some("the-figures")
        );
    }

    #[test]
    fn summary_is_cut_at_more() {
        let (b, _) = md("First para.\n\n<!-- more -->\n\nRest.\n");
        assert_eq!(b.summary_html.as_deref(), Some("<p>First para.</p>\n"));
        assert!(!b.html.contains("more"));
    }

    #[test]
    fn a_summary_cut_mid_paragraph_closes_what_is_open() {
        let (b, _) = md("> Quote with *emphasis <!-- more --> still* on.\n\nRest.\n");
        assert_eq!(
            b.summary_html.as_deref(),
            Some("<blockquote>\n<p>Quote with <em>emphasis </em></p>\n</blockquote>\n")
        );
        assert_eq!(b.summary_text.as_deref(), Some("Quote with emphasis"));
        assert!(
            b.html.contains("<em>emphasis  still</em> on.</p>"),
            "{}",
            b.html
        );
        // In a list item, a link and a table cell: each element is closed in order.
        let (b, _) = md("- one\n- [two <!-- more --> three](https://e.org) four\n");
        assert_eq!(
            b.summary_html.as_deref(),
            Some("<ul>\n<li>one</li>\n<li><a href=\"https://e.org\">two </a></li>\n</ul>\n")
        );
        let (b, _) = md("| a | b |\n|---|---|\n| 1 <!-- more --> | 2 |\n");
        let summary = b.summary_html.unwrap();
        assert!(
            summary.ends_with("<td>1 </td></tr>\n</tbody></table>\n"),
            "{summary}"
        );
    }

    #[test]
    fn a_summary_cut_inside_raw_html_keeps_the_whole_block() {
        let (b, _) = md("Intro.\n\n<div class=\"x\">\n<!-- more -->\n</div>\n\nRest.\n");
        let summary = b.summary_html.unwrap();
        // (Raw HTML is sanitised here: the div is not an allowed tag; its content stays.)
        assert!(summary.starts_with("<p>Intro.</p>"), "{summary}");
        assert!(!summary.contains("Rest"), "{summary}");
    }

    #[test]
    fn internal_links_are_written_with_their_url_or_left_out() {
        let (b, d) = md(
            "[fund](@/initiatives/ylf.md#funding) [soon](@/draft.md) [gone](@/gone.md) [own](@/broken.md) ![map](@/draft.md)\n",
        );
        assert!(
            b.html
                .contains("<a href=\"/campaign/initiatives/ylf/#funding\">fund</a>"),
            "{}",
            b.html
        );
        assert!(b.html.contains(" soon "), "not live: text only: {}", b.html);
        assert!(!b.html.contains("draft.md"), "{}", b.html);
        assert!(
            b.html.contains("<a href=\"@/gone.md\">gone</a>"),
            "{}",
            b.html
        );
        assert!(
            b.html.contains("<a href=\"@/broken.md\">own</a>"),
            "{}",
            b.html
        );
        let msgs: Vec<_> = d
            .iter()
            .map(|d| (d.column, d.message.as_str(), d.hint.as_deref()))
            .collect();
        assert_eq!(
            msgs,
            [
                (
                    Some(38),
                    "link to `@/draft.md`, which is not published in this build; the link is left out",
                    Some(
                        "the link text stays; the link appears once the page is live (rebuild then)"
                    )
                ),
                (
                    Some(57),
                    "link to a missing page: `@/gone.md`",
                    Some("did you mean `@/initiatives/ylf.md`?")
                ),
                (
                    Some(94),
                    "link to `@/draft.md`, which is not published in this build; the link is left out",
                    Some(
                        "the link text stays; the link appears once the page is live (rebuild then)"
                    )
                ),
            ]
        );
        assert_eq!(b.links.len(), 5);
    }

    #[test]
    fn shortcodes_render_and_replace_their_paragraph() {
        let (b, d) = md(
            "Intro {{ stat(value=\"970\", label=\"knives\") }} inline.\n\n{{ stat(value=\"98\", label=\"firearms\") }}\n\n{% callout(kind=\"info\") %}\n**Bold** text\n{% end %}\n\n`{{ stat() }}`\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert!(
            b.html
                .contains("Intro <div class=\"stat\">970</div> inline."),
            "{}",
            b.html
        );
        assert!(
            b.html.contains("\n<div class=\"stat\">98</div>\n") || b.html.starts_with("<p>Intro"),
            "{}",
            b.html
        );
        assert!(!b.html.contains("<p><div"), "{}", b.html);
        assert!(
            b.html
                .contains("<aside><p><strong>Bold</strong> text</p>\n</aside>"),
            "{}",
            b.html
        );
        assert!(b.html.contains("<code>{{ stat() }}</code>"), "{}", b.html);
    }

    #[test]
    fn shortcode_errors_are_located() {
        let (_, d) = md(
            "line one\n\n{{ stta(value=\"1\") }}\n\n{{ stat(value=\"1\", lable=\"x\") }}\n\n{% callout(kind=\"warn\") %}\nx\n{% end %}\n",
        );
        let msgs: Vec<_> = d
            .iter()
            .map(|d| (d.line, d.message.clone(), d.hint.clone()))
            .collect();
        assert!(
            msgs.contains(&(
                Some(3),
                "unknown shortcode `stta`".into(),
                Some("did you mean `stat`?".into())
            )),
            "{msgs:?}"
        );
        assert!(
            msgs.contains(&(
                Some(5),
                "shortcode `stat` has no argument `lable`".into(),
                Some("did you mean `label`?".into())
            )),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(
                |(l, m, _)| *l == Some(5) && m == "shortcode `stat` needs the argument `label`"
            ),
            "{msgs:?}"
        );
        assert!(
            msgs.contains(&(
                Some(7),
                "shortcode `callout`: `kind` cannot be `warn`; it is one of info, warning".into(),
                Some("did you mean `warning`?".into())
            )),
            "{msgs:?}"
        );
    }

    #[test]
    fn shortcodes_cannot_be_injected_into_tags() {
        let (b, d) = md(
            "Hello <img src=\"nope\" alt=\"{{ stat(value=\"1\", label=\"x onerror=alert(1) y\") }}\"> end.\n",
        );
        assert!(!b.html.contains("onerror"), "{}", b.html);
        assert!(
            d.iter()
                .any(|d| d.message == "shortcode `stat` is inside an HTML tag"),
            "{d:?}"
        );
        // The token characters typed into content are not tokens.
        let (b, _) = md("<img alt=\"\u{FDD0}0\u{FDD1}\"> {{ stat(value=\"1\", label=\"x\") }}\n");
        assert!(!b.html.contains("<img alt=\"<div"), "{}", b.html);
    }

    #[test]
    fn internal_links_are_recorded_with_their_line() {
        let (b, _) =
            md("{{ stat(value=\"1\", label=\"x\") }} a\nb [fund](@/initiatives/ylf.md#funding)\n");
        assert_eq!(b.links.len(), 1);
        assert_eq!((b.links[0].line, b.links[0].column), (2, 3));
        assert_eq!(b.links[0].anchor.as_deref(), Some("funding"));
        assert_eq!(b.links[0].path, "initiatives/ylf.md");
    }

    /// CommonMark spec example 500: `foo):` is a relative path (a scheme is a letter followed
    /// by letters, digits, `+`, `-` or `.`), so the link stays.
    #[test]
    fn a_colon_after_other_characters_is_no_scheme() {
        let (b, d) = md("[link](foo\\)\\:)\n");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(&*b.html, "<p><a href=\"foo):\">link</a></p>\n");
        for (url, scheme) in [
            ("javascript:alert(1)", Some("javascript")),
            ("JaVaScRiPt:x", Some("javascript")),
            (" java\tscript:x", Some("javascript")),
            ("vbscript:x", Some("vbscript")),
            ("data:text/html,x", Some("data")),
            ("x-custom+1.0:y", Some("x-custom+1.0")),
            ("https://e.org", None),
            ("MAILTO:a@b.org", None),
            ("foo):", None),
            ("1http:x", None),
            ("a b:c", None),
            ("path/to:file", None),
            ("?q=a:b", None),
            ("#x:y", None),
        ] {
            assert_eq!(unsafe_scheme(url).as_deref(), scheme, "{url:?}");
        }
    }

    #[test]
    fn raw_html_and_unsafe_links_are_neutralised() {
        let (b, d) = md(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1)) [y](data:text/html,hi) [ok](https://e.org)\n",
        );
        assert!(!b.html.contains("<script"), "{}", b.html);
        assert!(!b.html.contains("onerror"), "{}", b.html);
        assert!(!b.html.contains("javascript:"), "{}", b.html);
        assert!(!b.html.contains("data:"), "{}", b.html);
        assert!(
            b.html.contains("<a href=\"https://e.org\">ok</a>"),
            "{}",
            b.html
        );
        let said: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            said,
            [
                "link with a `javascript:` address removed",
                "link with a `data:` address removed",
                "HTML pasted here was cleaned: removed the `<script>` tag",
                "HTML pasted here was cleaned: removed the event handler `onerror`",
            ],
        );
        assert_eq!(d[2].rule, Some("raw-html-cleaned"));
        assert_eq!((d[3].line, d[3].column), (Some(3), Some(1)));
    }

    #[test]
    fn one_writer_for_the_whole_page() {
        // Footnote numbers and definitions stay paired across headings.
        let (b, _) = md("Text[^b] and[^a].\n\n## Notes\n\n[^a]: A.\n[^b]: B.\n");
        assert!(
            b.html.contains("<a href=\"#fn:b\">1</a>")
                && b.html.contains("<a href=\"#fn:a\">2</a>"),
            "{}",
            b.html
        );
        assert!(
            b.html
                .contains("id=\"fn:b\"><sup class=\"footnote-definition-label\">1</sup>"),
            "{}",
            b.html
        );
    }

    #[test]
    fn typography_tables_footnotes_tasks() {
        let (b, _) = md(
            "\"Quoted\" -- text\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\n- [x] done\n\nNote[^1]\n\n[^1]: The note.\n\n~~old~~\n",
        );
        assert!(b.html.contains("“Quoted” – text"), "{}", b.html);
        assert!(b.html.contains("<table>"));
        assert!(b.html.contains("checkbox"));
        assert!(b.html.contains("footnote"));
        assert!(b.html.contains("<del>old</del>"));
    }
}
