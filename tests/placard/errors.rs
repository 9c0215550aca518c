//! Bad input gets a clear error and nothing is lost: each fixture under tests/fixtures/ with an
//! `expected-stderr.txt` must fail with exit code 1, print exactly that text, and leave the
//! previous output in its folder exactly as it was.

use crate::support::*;

fn check(name: &str) {
    let site = site(name);
    // A previous build in the output folder (another site's: any good build will do), which
    // the failing one must leave exactly as it was.
    let good = crate::support::site("output-basic");
    let public = site.path().join("public");
    let o = placard(good.path(), &["build", "-o", public.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let previous = tree(&public);
    let out = placard(site.path(), &["build"]);
    let got = stderr(&out);
    let expected_file = fixture_dir(name).join("expected-stderr.txt");
    if bless() {
        std::fs::write(&expected_file, &got).unwrap();
    }
    let expected = read(&expected_file);
    assert_eq!(got, expected, "stderr of fixture {name} differs");
    assert_eq!(out.status.code(), Some(1), "exit code of fixture {name}");
    assert!(
        tree(&public) == previous,
        "fixture {name} changed the previous output"
    );
    // Nor is anything left beside it.
    let leftovers: Vec<String> = std::fs::read_dir(site.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.starts_with(".public.placard")
                && n != ".public.placard-spare"
                && n != ".public.placard-lock"
        })
        .collect();
    assert!(leftovers.is_empty(), "fixture {name} left {leftovers:?}");
}

macro_rules! fixtures {
    ($($test:ident => $name:literal,)*) => {
        $( #[test] fn $test() { check($name); } )*
    };
}

fixtures! {
    front_matter_not_closed => "front-matter-not-closed",
    control_characters => "control-characters",
    date_day_first => "date-day-first",
    front_matter_tab_indent => "front-matter-tab-indent",
    front_matter_not_a_mapping => "front-matter-not-a-mapping",
    front_matter_empty => "front-matter-empty",
    duplicate_title => "duplicate-title",
    draft_no => "draft-no",
    date_february_30 => "date-february-30",
    unknown_key => "unknown-key",
    number_into_string => "number-into-string",
    alias_bomb => "alias-bomb",
    deep_nesting => "deep-nesting",
    unclosed_shortcode => "unclosed-shortcode",
    unknown_shortcode => "unknown-shortcode",
    link_to_missing_page => "link-to-missing-page",
    link_to_missing_anchor => "link-to-missing-anchor",
    two_pages_one_url => "two-pages-one-url",
    section_and_page_one_url => "section-and-page-one-url",
    slug_escape => "slug-escape",
    non_utf8_body => "non-utf8-body",
    template_reads_environment => "template-reads-environment",
    template_includes_outside => "template-includes-outside",
    site_yaml_unknown_key => "site-yaml-unknown-key",
    home_page_as_index => "home-index",
    nested_duplicate_key => "nested-duplicate-key",
    huge_integer => "huge-integer",
    schema_bad_initiative => "schema-bad-initiative",
    references_follow_the_schedule => "references-follow-the-schedule",
    curly_quotes => "curly-quotes",
    keys_of_another_section => "keys-of-another-section",
}

#[test]
fn every_fixture_with_expected_stderr_is_listed() {
    let listed = include_str!("errors.rs");
    for entry in std::fs::read_dir(repo().join("tests/fixtures")).unwrap() {
        let entry = entry.unwrap();
        if entry.path().join("expected-stderr.txt").exists() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                listed.contains(&format!("\"{name}\"")),
                "fixture {name} is not run by errors.rs"
            );
        }
    }
}
