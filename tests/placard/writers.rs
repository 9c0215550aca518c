//! The everyday slips of a comms team, each caught where it is made: ids that collide through
//! no fault of the writer, right-to-left text, curly quotes from a word processor, Word HTML,
//! alt text that says nothing, taxonomy terms spelt two ways, keys of another section, and the
//! wording of what placard says.

use crate::support::*;
use std::collections::BTreeMap;

/// Every `id="…"` in `html`, with how many times it appears.
fn ids(html: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for part in html.split(" id=\"").skip(1) {
        if let Some(end) = part.find('"') {
            *out.entry(part[..end].to_string()).or_insert(0) += 1;
        }
    }
    out
}

/// The `theme-shortcodes` fixture with one more initiative, written by the test.
fn site_with_page(name: &str, text: &str) -> tempfile::TempDir {
    let site = site("theme-shortcodes");
    write(
        &site.path().join(format!("content/initiatives/{name}.md")),
        text,
    );
    site
}

#[test]
fn headings_and_footnotes_never_take_the_theme_ids_or_each_others() {
    let site = site_with_page(
        "wards",
        "---\ntitle: Ward panels\nsummary: Local panels in every ward.\npartners: [\"Met Police\"]\nrelated: [\"@/initiatives/wands/index.md\"]\nstats:\n  - value: \"630\"\n    label: wards\n    source: Met Police\n---\n\nPanels meet in every ward[^wards], twice a year[^wards].\n\n## Partners\n\nThe police.\n\n## Key figures\n\nSee above.\n\n## Related\n\nMore.\n\n## Wards\n\nThere are 630.\n\n[^wards]: London has 630 wards.\n",
    );
    let out = placard(site.path(), &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = read(&site.path().join("public/initiatives/wards/index.html"));
    let ids = ids(&html);
    let twice: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "ids used twice: {twice:?}\n{html}");
    for id in [
        "partners",
        "partners-1",
        "key-figures",
        "key-figures-1",
        "related",
        "related-1",
        "wards",
        "fn:wards",
        "fnref:wards",
        "fnref:wards-2",
    ] {
        assert!(ids.contains_key(id), "no id {id}: {ids:?}");
    }
    // The note links back to where it is first cited.
    assert!(
        html.contains("<a href=\"#fnref:wards\" class=\"footnote-backref\" aria-label=\"Back to the text of note 1\">↩</a>"),
        "{html}"
    );
    assert!(html.contains("<a href=\"#fn:wards\">1</a>"), "{html}");
}

#[test]
fn right_to_left_text_keeps_its_direction_on_the_page() {
    let site = site_with_page(
        "arabic",
        "---\ntitle: In Arabic\nsummary: A paragraph in Arabic.\n---\n\n<p lang=\"ar\" dir=\"rtl\">اتصل بنا</p>\n\nThe name <bdi>محمد</bdi> stays whole.\n",
    );
    let out = placard(site.path(), &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = read(&site.path().join("public/initiatives/arabic/index.html"));
    assert!(
        html.contains("<p lang=\"ar\" dir=\"rtl\">اتصل بنا</p>"),
        "{html}"
    );
    assert!(html.contains("<bdi>محمد</bdi>"), "{html}");
}
