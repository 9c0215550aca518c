//! The campaign theme's shortcodes and page parts, on the `theme-shortcodes` fixture (the
//! browser checks run on the same fixture; see `.ci/run`).

use crate::support::*;

#[test]
fn every_campaign_shortcode_renders() {
    let site = site("theme-shortcodes");
    let out = placard(site.path(), &["build"]);
    assert_eq!(stderr(&out), "");
    let html = read(&site.path().join("public/initiatives/wands/index.html"));
    for expected in [
        // stat: the figure, its label and its citation with the date in words
        "<span class=\"stat-value\">150</span> <span class=\"stat-label\">schools so far</span>",
        "Source: Mayor of London, figures to 30 June 2018",
        // cta: an internal link with its anchor, resolved
        "<a class=\"button\" href=\"/contact/#transcripts\">Ask about knife wands</a>",
        // callouts: the kind is said in words, not only by colour
        "<span class=\"callout-kind\">Information: </span>What a knife wand is",
        "<span class=\"callout-kind\">Warning</span>",
        // figure: the alt text and the caption
        "<img src=\"wand.svg\" alt=\"A hand-held knife wand\" loading=\"lazy\">",
        "<figcaption>A knife wand, as offered to schools.</figcaption>",
        // video: a link to the privacy-enhanced player, and the transcript
        "href=\"https://www.youtube-nocookie.com/embed/abcDEF12345\"",
        "<a href=\"/contact/#transcripts\">Read the transcript</a>",
        // quote
        "<blockquote><p>Pupils told us they felt safer.</p>",
        "A head teacher, <span class=\"quote-role\">Secondary school, south London</span>",
        // the page's own image, with its alt text, and its social card
        "<img src=\"wand.svg\" alt=\"A hand-held knife wand, drawn as a simple yellow and navy shape\">",
        "<meta property=\"og:image\" content=\"https://example.org/initiatives/wands/wand.svg\">",
    ] {
        assert!(html.contains(expected), "missing: {expected}\n{html}");
    }
    // Nothing is fetched from the video host until the reader asks: no iframe in the page.
    assert!(!html.contains("<iframe"));
}

#[test]
fn a_video_without_a_title_or_transcript_fails_the_build() {
    let site = site("theme-shortcodes");
    let page = site.path().join("content/initiatives/wands/index.md");
    let text = read(&page).replace(
        "{{ video(youtube=\"abcDEF12345\", title=\"How knife wands are used\", transcript=\"@/contact.md#transcripts\") }}",
        "{{ video(youtube=\"abcDEF12345\") }}",
    );
    write(&page, text);
    let out = placard(site.path(), &["build"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("shortcode `video` needs the argument `title`")
            && err.contains("shortcode `video` needs the argument `transcript`")
            && err.contains("content/initiatives/wands/index.md:29:1"),
        "{err}"
    );
}

/// The README's template reference lists exactly the keys each kind of value has: what every
/// template really gets (each value printed with the `json` filter by templates made for this)
/// against the keys in the tables under "### Context". A home page without `_index.md` has the
/// same keys as any section.
#[test]
fn the_readme_lists_exactly_the_keys_templates_get() {
    use serde_json::Value;
    use std::collections::BTreeSet;
    let documented = readme_keys();
    let site = site("output-basic");
    let root = site.path();
    let dump = |vars: &[&str]| {
        let fields: Vec<String> = vars
            .iter()
            .map(|v| format!("\"{v}\": {{{{ {v} | json }}}}"))
            .collect();
        format!("{{{}}}", fields.join(", "))
    };
    for (template, vars) in [
        ("page.html", &["config", "site", "page", "section"][..]),
        ("section.html", &["section"]),
        ("index.html", &["section"]),
        ("taxonomy.html", &["taxonomy"]),
        ("taxonomy_term.html", &["taxonomy", "term"]),
        ("404.html", &["site"]),
    ] {
        write(&root.join("templates").join(template), dump(vars));
    }
    let out = placard(root, &["build", "--as-of", "2026-03-01T12:00:00+00:00"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json = |path: &str| -> Value {
        serde_json::from_str(&read(&root.join("public").join(path))).unwrap()
    };
    let keys = |v: &Value| -> BTreeSet<String> {
        v.as_object()
            .unwrap_or_else(|| panic!("not an object: {v}"))
            .keys()
            .cloned()
            .collect()
    };
    let page = json("news/first-update/index.html");
    let listed = json("news/index.html");
    let term_page = json("priorities/boosting-police-power/index.html");
    let mut in_lists = documented["page"].clone();
    in_lists.remove("previous");
    in_lists.remove("next");
    for (what, got, want) in [
        ("config", keys(&page["config"]), &documented["config"]),
        ("site", keys(&page["site"]), &documented["site"]),
        (
            "page in page.html",
            keys(&page["page"]),
            &documented["page"],
        ),
        (
            "page in a list",
            keys(&listed["section"]["pages"][0]),
            &in_lists,
        ),
        ("section", keys(&page["section"]), &documented["section"]),
        (
            "home section",
            keys(&json("index.html")["section"]),
            &documented["section"],
        ),
        (
            "taxonomy",
            keys(&json("priorities/index.html")["taxonomy"]),
            &documented["taxonomy"],
        ),
        ("term", keys(&term_page["term"]), &documented["term"]),
    ] {
        assert_eq!(&got, want, "{what}: the README and the templates disagree");
    }
    // Without content/_index.md, the home page has the same keys.
    std::fs::remove_file(root.join("content/_index.md")).unwrap();
    let out = placard(root, &["build", "--as-of", "2026-03-01T12:00:00+00:00"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keys(&json("index.html")["section"]), documented["section"]);
}

/// The keys in each table under the README's "### Context": `#### `config``, `#### a page`… →
/// every `key` in the first column.
fn readme_keys() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let readme = read(&repo().join("README.md"));
    let context = readme
        .split("### Context\n")
        .nth(1)
        .and_then(|s| s.split("\n### ").next())
        .expect("the README has a ### Context section");
    let mut out = std::collections::BTreeMap::new();
    let mut current: Option<String> = None;
    for line in context.lines() {
        if let Some(h) = line.strip_prefix("#### ") {
            let name = h.trim_matches('`').trim_start_matches("a ").to_string();
            current = Some(name);
            continue;
        }
        let (Some(name), Some(row)) = (&current, line.strip_prefix("| `")) else {
            continue;
        };
        let first = row.split(" |").next().unwrap_or("");
        let keys = out
            .entry(name.clone())
            .or_insert_with(std::collections::BTreeSet::new);
        for k in format!("`{first}").split(", ") {
            keys.insert(k.trim().trim_matches('`').to_string());
        }
    }
    out
}
