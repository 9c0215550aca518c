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
