//! Slugs and site paths (`placard::slug`): `slugify`, `check_site_path`, `alias_url`,
//! `output_file`, and the dev server's `output_key` for the same URLs.
//!
//! Input: text (invalid UTF-8 replaced), used as a title to slugify and as an alias.
#![no_main]

use libfuzzer_sys::fuzz_target;
use placard::slug::{alias_url, check_site_path, output_file, slugify};
use placard_fuzz::{assert_inside_output, assert_no_escape};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text: &str = &text;

    // slugify: lowercase ASCII letters, digits and single hyphens, none at either end; empty
    // only when the text has no letter or digit (an ASCII one always survives); stable.
    let slug = slugify(text);
    assert!(
        slug.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
        "slugify({text:?}) = {slug:?}"
    );
    assert!(
        !slug.starts_with('-') && !slug.ends_with('-') && !slug.contains("--"),
        "slugify({text:?}) = {slug:?}"
    );
    if text.chars().any(|c| c.is_ascii_alphanumeric()) {
        assert!(!slug.is_empty(), "slugify({text:?}) is empty");
    }
    assert_eq!(slugify(&slug), slug, "slugify is not stable on {slug:?}");

    // Site paths: an accepted alias can only name a file inside the output folder.
    let Ok(()) = check_site_path(text) else {
        return;
    };
    let url = alias_url(text);
    assert!(
        url.starts_with('/') && !url.starts_with("//"),
        "alias_url({text:?}) = {url:?}"
    );
    assert!(
        check_site_path(&url).is_ok(),
        "alias_url({text:?}) = {url:?}, which check_site_path refuses"
    );
    let file = output_file(&url);
    assert_inside_output(&file, "output_file(alias_url(alias))");
    assert!(
        file.ends_with(".html") || file.rsplit('/').next().is_some_and(|l| l.contains('.')),
        "output_file({url:?}) = {file:?}"
    );
    // output_file of the alias as written: never outside the output either.
    assert_no_escape(&output_file(text), "output_file(alias)");
    // The dev server serves the alias's URL from the file the build writes for it.
    assert_eq!(
        placard::serve::http::output_key(&url).as_deref(),
        Some(file.as_str()),
        "the preview looks up alias {text:?} (URL {url:?}) elsewhere than the build writes it"
    );
});
