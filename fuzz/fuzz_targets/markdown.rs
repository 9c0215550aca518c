//! Markdown body + shortcodes → HTML: `parse::markdown::render` as `parse::finish` calls it
//! (noncharacters replaced, front matter split off, the body's offset in the file).
//!
//! Input: the first byte's bits choose `markers` (bit 0, what `placard check` uses),
//! `raw_html` (bit 1), `smart_punctuation` (bit 2) and the shortcodes: the real campaign theme
//! with its Tera templates (bit 3) or a small stand-in set (`note` with a body, `link` with a
//! `url` argument, `stat` with typed values, `broken` whose template fails); bit 4 renders it as
//! a live page, its `@/` links resolved by a stand-in (`p.md` live, `draft.md` not in the
//! build, the rest missing). The rest is the file, read as UTF-8 with invalid bytes replaced.
#![no_main]

use libfuzzer_sys::fuzz_target;
use placard::parse::markdown::{self, Links, SOURCE_MARK, Shortcodes, Source};
use placard_fuzz::{
    FakeLinks, FakeShortcodes, assert_no_script, check_diagnostics, is_nonchar, strip_nonchars,
    theme,
};
use std::collections::HashSet;

const PATH: &str = "content/initiatives/page.md";

fuzz_target!(|data: &[u8]| {
    let Some((&flags, bytes)) = data.split_first() else {
        return;
    };
    let markers = flags & 1 != 0;
    let raw_html = flags & 2 != 0;
    let smart = flags & 4 != 0;
    let shortcodes: &dyn Shortcodes = if flags & 8 != 0 {
        theme()
    } else {
        &FakeShortcodes
    };
    let text = strip_nonchars(String::from_utf8_lossy(bytes).into_owned());
    let body = match placard::parse::front_matter::split(PATH, &text) {
        Ok(split) => split.body,
        Err(_) => text.as_str(),
    };
    let body_offset = text.len() - body.len();
    let source = Source {
        path: PATH,
        file_text: &text,
        body_offset,
        markers,
        language: "en-GB",
    };
    let options = placard::config::MarkdownOptions {
        raw_html,
        smart_punctuation: smart,
    };
    // Bit 4: the page is live, and its `@/` links are resolved (to `p.md`, a live page; to
    // `draft.md`, a page not in the build; anything else is missing).
    let links: Option<&dyn Links> = (flags & 16 != 0).then_some(&FakeLinks as &dyn Links);
    let rendered = markdown::render(body, &source, &options, shortcodes, links);
    let out = rendered.body;
    let mut diagnostics = rendered.problems;
    diagnostics.extend(rendered.link_problems);
    check_diagnostics(&diagnostics, &text, false);

    let html: &str = &out.html;
    for (what, h) in [
        ("html", Some(html)),
        ("summary_html", out.summary_html.as_deref()),
    ] {
        let Some(h) = h else { continue };
        // Placard's internal tokens (shortcode placeholders, the `more` marker) never reach
        // the output; only source marks do, and only when asked for.
        let rest = h.replace(SOURCE_MARK, "");
        assert!(
            !rest.contains(is_nonchar),
            "{what}: an internal token is left in the output:\n{h}"
        );
        if !markers {
            assert!(
                !h.contains(SOURCE_MARK),
                "{what}: a source mark in a build's output"
            );
        }
        // Without `raw_html: true`, no page can run script.
        if !raw_html {
            assert_no_script(h, what);
        }
    }
    // Heading ids are unique, and the table of contents holds every heading once.
    let mut seen = HashSet::new();
    for id in &out.heading_ids {
        assert!(!id.is_empty(), "an empty heading id");
        assert!(seen.insert(id.as_str()), "heading id {id:?} is used twice");
    }
    fn count(toc: &tera::Value) -> usize {
        toc.as_array()
            .unwrap_or_default()
            .iter()
            .map(|h| 1 + placard::value::get(h, "children").map_or(0, count))
            .sum()
    }
    assert_eq!(
        count(out.toc.as_value()),
        out.heading_ids.len(),
        "toc and heading ids disagree"
    );
    // Internal links are located on a line of the file.
    let lines = text.split('\n').count();
    for link in &out.links {
        assert!(
            link.line >= 1 && link.line <= lines,
            "link at line {}",
            link.line
        );
        assert!(link.column >= 1);
        assert!(link.raw.starts_with("@/"), "{link:?}");
    }
    if !markers {
        assert!(
            out.shortcodes.is_empty(),
            "shortcode uses recorded without markers"
        );
    }
});
