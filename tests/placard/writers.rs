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

#[test]
fn a_missing_image_names_the_file_looked_for() {
    let site = site_with_page(
        "bins",
        "---\ntitle: Knife bins\nsummary: Bins for knives.\n---\n\n![A knife amnesty bin outside a police station](/images/knife-bin.jpg)\n",
    );
    let out = placard(site.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains("error[link-broken]: the file `/images/knife-bin.jpg` leads to /images/knife-bin.jpg, which the build does not make\n  --> content/initiatives/bins.md:6:1"),
        "{text}"
    );
    assert!(
        text.contains("= help: placard looked for `images/knife-bin.jpg` in the build and found no such file: put it at `content/images/knife-bin.jpg` (or beside the page, in its folder), or fix the path"),
        "{text}"
    );
    assert!(!text.contains("@/section/page.md"), "{text}");
}

#[test]
fn a_stat_shortcode_needs_a_source_as_a_front_matter_stat_does() {
    let site = site_with_page(
        "unsourced",
        "---\ntitle: Unsourced\nsummary: A figure without a source.\n---\n\n{{ stat(value=\"970\", label=\"knives seized\") }}\n",
    );
    let out = placard(site.path(), &["build"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("error: shortcode `stat` needs the argument `source`\n  --> content/initiatives/unsourced.md:6:1"),
        "{err}"
    );
}

#[test]
fn word_html_is_cleaned_and_said_at_its_line() {
    let site = site_with_page(
        "pasted",
        "---\ntitle: Pasted from Word\nsummary: A briefing pasted as it was.\n---\n\n<p class=\"MsoNormal\" style=\"margin-bottom:0cm\">The fund opens in May.<o:p></o:p></p>\n\n<p class=\"MsoListParagraph\">·&nbsp;&nbsp;&nbsp;Schools</p>\n\nRead <a href=\"javascript:alert(1)\">the briefing</a>.\n\n•\u{a0}\u{a0}Youth clubs\n\n·&nbsp;&nbsp;&nbsp;Libraries\n",
    );
    let out = placard(site.path(), &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    for expected in [
        "warning[raw-html-cleaned]: HTML pasted here was cleaned: removed Word's `MsoNormal` class, `style` attributes and the `<o:p>` tag\n  --> content/initiatives/pasted.md:6:1",
        "warning[raw-html-cleaned]: HTML pasted here was cleaned: removed Word's `MsoListParagraph` class\n  --> content/initiatives/pasted.md:8:1",
        "= help: the text stays; its bullets are typed characters, so write lists in Markdown, one item per line starting with `- `",
        "warning[raw-html-cleaned]: HTML pasted here was cleaned: removed a `javascript:` address\n  --> content/initiatives/pasted.md:10:6",
        "warning[raw-html-cleaned]: a bullet typed as a character (`•`) makes a paragraph, not a list\n  --> content/initiatives/pasted.md:12:1",
        // Word's own padding, as entities in Markdown.
        "warning[raw-html-cleaned]: a bullet typed as a character (`·`) makes a paragraph, not a list\n  --> content/initiatives/pasted.md:14:1",
    ] {
        assert!(err.contains(expected), "missing: {expected}\n{err}");
    }
    let html = read(&site.path().join("public/initiatives/pasted/index.html"));
    for gone in ["Mso", "style=\"margin", "o:p", "javascript:"] {
        assert!(!html.contains(gone), "{gone} is still in the page:\n{html}");
    }
    assert!(html.contains("The fund opens in May."), "{html}");
}

#[test]
fn a_term_spelt_two_ways_is_one_term_with_a_warning_naming_both() {
    let site = site("theme-shortcodes");
    let page = |name: &str, term: &str| {
        write(
            &site.path().join(format!("content/initiatives/{name}.md")),
            format!(
                "---\ntitle: {name}\nsummary: About {name}.\nweight: 5\npriorities: [\"{term}\"]\n---\n\nText.\n"
            ),
        );
    };
    page("alpha", "Preventing future violence");
    page("beta", "Preventing Future Violence");
    let out = placard(site.path(), &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    // The wands page of the fixture spells it as alpha does: that spelling wins, 2 to 1.
    assert!(
        err.contains("warning: the `priorities` term `Preventing Future Violence` is spelt `Preventing future violence` elsewhere: `Preventing future violence` in content/initiatives/alpha.md and 1 other page\n  --> content/initiatives/beta.md:5\n  |\n5 | priorities: [\"Preventing Future Violence\"]\n"),
        "{err}"
    );
    let term = read(
        &site
            .path()
            .join("public/priorities/preventing-future-violence/index.html"),
    );
    assert!(
        term.contains("<h1>Preventing future violence</h1>"),
        "{term}"
    );
}

#[test]
fn a_renamed_or_deleted_page_is_found_against_the_last_build_with_the_alias_to_add() {
    let site = site("theme-shortcodes");
    let root = site.path();
    let page = |name: &str, extra: &str| {
        write(
            &root.join(format!("content/initiatives/{name}.md")),
            format!("---\ntitle: {name}\nsummary: About {name}.\nweight: 5\n{extra}---\n\nText.\n"),
        );
    };
    page("old-name", "");
    page("to-delete", "");
    // Its term is its own: the term page goes with it, and is not said either.
    page(
        "expiring",
        "expire_at: 2099-01-01\npriorities: [\"A term of its own\"]\n",
    );
    let o = placard(root, &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));

    // Renamed, deleted, and (as of a later day) expired.
    std::fs::remove_file(root.join("content/initiatives/old-name.md")).unwrap();
    std::fs::remove_file(root.join("content/initiatives/to-delete.md")).unwrap();
    page("new-name", "");
    let o = placard(root, &["check", "--as-of", "2099-06-01"]);
    let err = stderr(&o);
    assert!(
        err.contains("warning[page-gone]: `/initiatives/old-name/` was a page of the last build and no page makes it now: bookmarks and links from other sites to it will break\n  --> content/initiatives/new-name.md:2:1\n"),
        "{err}"
    );
    assert!(
        err.contains("= help: if this page is its new name, add `aliases: [\"/initiatives/old-name/\"]` to its front matter"),
        "{err}"
    );
    // Two pages went and one came: each is said; the expired page is not, it is meant to go.
    assert!(
        err.contains("`/initiatives/to-delete/` was a page of the last build"),
        "{err}"
    );
    assert!(!err.contains("/initiatives/expiring/"), "{err}");
    assert!(!err.contains("a-term-of-its-own"), "{err}");

    // With the alias, the old address is kept: nothing to say about it.
    page("new-name", "aliases: [\"/initiatives/old-name/\"]\n");
    let err = stderr(&placard(root, &["check", "--as-of", "2099-06-01"]));
    assert!(!err.contains("/initiatives/old-name/` was a page"), "{err}");
}
