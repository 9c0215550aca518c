//! A content file's bytes → `text::decode` → `front_matter::split` → `front_matter::parse`,
//! as `parse::read` calls them, against the campaign theme's schema.
//!
//! Input: the first byte picks the kind of file (page or section `_index.md`, and the content
//! type: `default`, `initiatives` or an undeclared one); the rest is the file's bytes.
//!
//! `PLACARD_FUZZ_KNOWN=lone-cr` skips the line-number checks for files with a lone CR (a
//! reported bug), so that a run goes on to look for others.
#![no_main]

use libfuzzer_sys::fuzz_target;
use placard::parse::front_matter::{self, MAX_FRONT_MATTER};
use placard_fuzz::{
    assert_inside_output, check_diagnostics, config, manifest, skip_known, strip_nonchars,
};

const TYPES: [&str; 4] = ["default", "initiatives", "news", "default"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let is_section = selector & 1 == 1;
    let content_type = TYPES[usize::from(selector >> 1) & 3];
    let path = if is_section {
        "content/initiatives/_index.md"
    } else {
        "content/initiatives/page.md"
    };

    // Decoding: an error exactly when the bytes are not UTF-8, never a panic.
    let text = match placard::text::decode(path, bytes.to_vec()) {
        Ok(t) => {
            assert!(
                std::str::from_utf8(bytes).is_ok(),
                "decode accepted bytes that are not UTF-8"
            );
            t
        }
        Err(d) => {
            assert!(
                std::str::from_utf8(bytes).is_err(),
                "decode refused valid UTF-8: {d:?}"
            );
            assert!(d.is_error() && d.line.is_some_and(|l| l >= 1), "{d:?}");
            let _ = d.render();
            return;
        }
    };
    let text = strip_nonchars(text);

    let split = match front_matter::split(path, &text) {
        Ok(s) => s,
        Err(d) => {
            check_diagnostics(std::slice::from_ref(&d), &text, true);
            return;
        }
    };
    // The body is the end of the text; the front matter block lies between the two `---`
    // lines, starting on line 2; the line numbers are the file's.
    assert!(
        text.ends_with(split.body),
        "the body is not the end of the text"
    );
    let body_start = text.len() - split.body.len();
    if !split.body.is_empty() {
        assert_eq!(
            split.body_line,
            text[..body_start].matches('\n').count() + 1,
            "body_line is not the line the body starts on"
        );
    }
    if let Some((block, first_line)) = split.front_matter {
        assert_eq!(first_line, 2);
        assert!(
            block.len() <= MAX_FRONT_MATTER,
            "front matter over the limit"
        );
        let start = block.as_ptr() as usize - text.as_ptr() as usize;
        assert!(start + block.len() <= body_start, "block overlaps the body");
        assert_eq!(
            text[..start].matches('\n').count(),
            1,
            "block not on line 2"
        );
        assert!(text.starts_with("---"));
    } else {
        assert_eq!(
            split.body, text,
            "no front matter, but the body is not the whole text"
        );
    }

    match front_matter::parse(
        path,
        &text,
        split.front_matter,
        is_section,
        content_type,
        config(),
        manifest(),
    ) {
        Ok(fm) => {
            assert!(
                !fm.title.trim().is_empty(),
                "a page parsed with an empty title"
            );
            if let (Some(p), Some(e)) = (&fm.publish_at, &fm.expire_at) {
                assert!(e.at > p.at, "expire_at not after publish_at was accepted");
            }
            // A template name is looked up among the theme's templates, never opened as a
            // file, but it still must not name a place outside the templates folder.
            if let Some(t) = &fm.template {
                assert!(!t.starts_with('/') && !t.contains('\\'), "template {t:?}");
                assert!(
                    t.split('/').all(|s| !s.is_empty() && s != "." && s != ".."),
                    "template {t:?}"
                );
            }
            if !is_section {
                assert!(fm.sort_by.is_none(), "a page got a section's sort_by");
            }
            for terms in fm.taxonomies.values() {
                for term in terms {
                    assert!(
                        !placard::slug::slugify(term).is_empty(),
                        "taxonomy term {term:?} accepted without letters or digits"
                    );
                }
            }
            let known_bug = skip_known("lone-cr") && text.contains('\r');
            if !known_bug {
                for line in fm.key_lines.values() {
                    assert!(*line >= 1 && *line <= text.split('\n').count());
                }
            }
            // The theme's declared keys are all present in params (null when unset).
            for key in manifest().fields_for(content_type).keys() {
                if !placard::config::CORE_KEYS.contains(&key.as_str()) {
                    assert!(fm.params.keys().any(|k| k == key), "declared key {key} missing");
                }
            }
            // Aliases that pass the check must map to files inside the output.
            for alias in &fm.aliases {
                if placard::slug::check_site_path(alias).is_ok() {
                    let file = placard::slug::output_file(&placard::slug::alias_url(alias));
                    assert_inside_output(&file, "alias output file");
                }
            }
        }
        Err(diagnostics) => {
            assert!(!diagnostics.is_empty(), "an Err without a diagnostic");
            check_diagnostics(&diagnostics, &text, true);
        }
    }
});
