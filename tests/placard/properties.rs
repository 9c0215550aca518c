//! Property tests (proptest) and the superlinear-time guard: for random request paths the dev
//! server never names anything outside the build; for random slugs and aliases no output path
//! leaves the output folder; random Markdown (with shortcodes, in build and check mode) never
//! panics; and nested or repeated constructs render in time growing no faster than about
//! linearly.

use placard::config::MarkdownOptions;
use placard::diagnostic::Diagnostic;
use placard::parse::markdown::{self, ArgSpec, Link, Links, Shortcodes, Source};
use proptest::prelude::*;
use std::path::{Component, Path};
use std::time::{Duration, Instant};

/// A key is safe when joined onto any folder it stays inside it: only plain segments.
fn stays_inside(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with('/')
        && !key.contains(['\\', '\0'])
        && !key.chars().any(char::is_control)
        && Path::new(key)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        && key
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
}

/// Pieces request paths are made of: encodings of dots, slashes, backslashes and NUL, overlong
/// UTF-8, drive letters, device names, Unicode.
fn request_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/".to_string()),
        Just(".".to_string()),
        Just("..".to_string()),
        Just("%2e".to_string()),
        Just("%2E".to_string()),
        Just("%2f".to_string()),
        Just("%2F".to_string()),
        Just("%5c".to_string()),
        Just("\\".to_string()),
        Just("%00".to_string()),
        Just("\0".to_string()),
        Just("%252e".to_string()),
        Just("%c0%ae".to_string()),
        Just("%c0%af".to_string()),
        Just("%ff".to_string()),
        Just("%".to_string()),
        Just(":".to_string()),
        Just("C:".to_string()),
        Just("CON".to_string()),
        Just("NUL".to_string()),
        Just("aux.txt".to_string()),
        Just("é".to_string()),
        Just("%C3%A9".to_string()),
        Just("\u{202e}".to_string()),
        Just("%e2%80%ae".to_string()),
        Just("index.html".to_string()),
        Just("?q=1".to_string()),
        Just("#x".to_string()),
        "[a-z0-9._~-]{1,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn request_paths_never_leave_the_build(pieces in proptest::collection::vec(request_piece(), 0..12)) {
        let raw = format!("/{}", pieces.concat());
        if let Some(key) = placard::serve::http::output_key(&raw) {
            prop_assert!(stays_inside(&key), "{raw:?} → {key:?}");
        }
    }

    #[test]
    fn alias_paths_that_pass_stay_inside(pieces in proptest::collection::vec(request_piece(), 1..10)) {
        let alias = pieces.concat();
        if placard::slug::check_site_path(&alias).is_ok() {
            let out = placard::slug::output_file(&placard::slug::alias_url(&alias));
            prop_assert!(stays_inside(&out), "{alias:?} → {out:?}");
        }
    }

    #[test]
    fn slugs_are_plain(text in "\\PC{0,40}") {
        let s = placard::slug::slugify(&text);
        prop_assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        prop_assert!(!s.starts_with('-') && !s.ends_with('-') && !s.contains("--"));
    }
}

/// Random slugs and aliases through the real pipeline (parse, assemble, render): whatever the
/// front matter says, every output path the build would write stays inside the output folder.
#[test]
fn no_front_matter_slug_or_alias_escapes_the_output() {
    let site = crate::support::site("output-basic");
    let root = site.path().to_path_buf();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(48));
    let strategy = (
        proptest::collection::vec(request_piece(), 1..6),
        proptest::collection::vec(proptest::collection::vec(request_piece(), 1..6), 0..3),
    );
    runner
        .run(&strategy, |(slug, aliases)| {
            let yaml = |s: &str| serde_json::to_string(s).unwrap();
            let slug = slug.concat();
            let aliases: Vec<String> = aliases.iter().map(|a| yaml(&a.concat())).collect();
            let page = format!(
                "---\ntitle: Escape\nslug: {}\naliases: [{}]\n---\nBody.\n",
                yaml(&slug),
                aliases.join(", ")
            );
            crate::support::write(&root.join("content/news/escape.md"), page);
            let mut opts = placard::build::BuildOptions::new(&root);
            opts.as_of = Some("2026-06-01".into());
            if let Ok(rendered) =
                placard::build::render_site(&opts, placard::parse::Mode::Build, None)
            {
                for key in rendered.outputs.keys() {
                    prop_assert!(
                        stays_inside(key),
                        "slug {slug:?}, aliases {aliases:?} → {key:?}"
                    );
                }
            }
            Ok(())
        })
        .unwrap();
}

/// Shortcodes for random Markdown: one with a body, one with a link, one with listed values.
struct Fake;

impl Shortcodes for Fake {
    fn arguments(&self, name: &str) -> Option<Vec<ArgSpec>> {
        let arg = |n: &str, ty: &str, values: Option<Vec<String>>| ArgSpec {
            name: n.into(),
            required: false,
            ty: ty.into(),
            values,
        };
        match name {
            "stat" => Some(vec![
                arg("value", "string", None),
                arg("as_of", "date", None),
            ]),
            "cta" => Some(vec![arg("url", "url", None)]),
            "callout" => Some(vec![arg(
                "kind",
                "string",
                Some(vec!["info".into(), "warning".into()]),
            )]),
            _ => None,
        }
    }

    fn names(&self) -> Vec<String> {
        vec!["callout".into(), "cta".into(), "stat".into()]
    }

    fn render(
        &self,
        name: &str,
        args: serde_json::Map<String, serde_json::Value>,
        body: Option<String>,
    ) -> Result<String, Diagnostic> {
        Ok(format!(
            "<div class=\"{name}\">{}{}</div>",
            serde_json::Value::Object(args),
            body.unwrap_or_default()
        ))
    }
}

/// The other pages of random Markdown: `p.md` is live; anything else is missing.
struct Pages;

impl Links for Pages {
    fn resolve(&self, content_path: &str) -> Link {
        match content_path {
            "p.md" => Link::Url("/p/".into()),
            _ => Link::Missing { near: None },
        }
    }
}

fn render(text: &str, markers: bool, raw_html: bool) -> (markdown::Body, Vec<Diagnostic>) {
    let source = Source {
        path: "content/p.md",
        file_text: text,
        body_offset: 0,
        markers,
        language: "en-GB",
    };
    let options = MarkdownOptions {
        raw_html,
        smart_punctuation: true,
    };
    let r = markdown::render(text, &source, &options, &Fake, Some(&Pages));
    let mut d = r.problems;
    d.extend(r.link_problems);
    (r.body, d)
}

fn markdown_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ]{1,8}",
        Just("\n".to_string()),
        Just("\n\n".to_string()),
        Just("# ".to_string()),
        Just("## ".to_string()),
        Just("> ".to_string()),
        Just("- ".to_string()),
        Just("1. ".to_string()),
        Just("    ".to_string()),
        Just("```".to_string()),
        Just("*".to_string()),
        Just("_".to_string()),
        Just("`".to_string()),
        Just("[".to_string()),
        Just("](".to_string()),
        Just(")".to_string()),
        Just("![".to_string()),
        Just("@/p.md#x".to_string()),
        Just("javascript:alert(1)".to_string()),
        Just("| a | b |\n|---|---|\n".to_string()),
        Just("[^1]".to_string()),
        Just("[^1]: note".to_string()),
        Just("<!-- more -->".to_string()),
        Just("<div>".to_string()),
        Just("</div>".to_string()),
        Just("<script>x</script>".to_string()),
        Just("<img src=x onerror=y>".to_string()),
        Just("{{ stat(value=\"1\") }}".to_string()),
        Just("{{ stat(as_of=\"2018-13-45\") }}".to_string()),
        Just("{{ cta(url=\"@/p.md\") }}".to_string()),
        Just("{% callout(kind=\"warning\") %}".to_string()),
        Just("{% end %}".to_string()),
        Just("{{ ".to_string()),
        Just("}}".to_string()),
        Just("{% ".to_string()),
        Just("%}".to_string()),
        Just("(".to_string()),
        Just("=\"".to_string()),
        Just("\u{FDD0}".to_string()),
        Just("\u{FDD3}placard:1:1".to_string()),
        Just("<!--placard:end-->".to_string()),
        Just("é".to_string()),
        Just("\t".to_string()),
        Just("\r\n".to_string()),
        Just("{#id}".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn rendering_random_markdown_never_panics(
        pieces in proptest::collection::vec(markdown_piece(), 0..60),
        markers: bool,
        raw_html: bool,
    ) {
        // As parsing does: noncharacters in a source cannot forge placard's own tokens.
        let text: String = pieces
            .concat()
            .chars()
            .map(|c| if ('\u{FDD0}'..='\u{FDEF}').contains(&c) { '\u{FFFD}' } else { c })
            .collect();
        let (body, _) = render(&text, markers, raw_html);
        if !markers {
            prop_assert!(
                !body.html.contains(placard::parse::markdown::SOURCE_MARK),
                "a source mark in a build: {text:?}"
            );
        }
    }
}

/// CPU time this thread has used: unlike wall time, not what the other tests running beside
/// it take.
fn thread_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// The least CPU time of five renders of `text` (after one to warm up).
fn time(text: &str) -> Duration {
    let _ = render(text, false, false);
    (0..5)
        .map(|_| {
            let t = thread_time();
            let _ = render(text, false, false);
            thread_time().saturating_sub(t)
        })
        .min()
        .unwrap_or_default()
}

/// Nested and repeated constructs: ten times the input takes at most fifteen times as long.
/// `PLACARD_RATIOS=1` prints each ratio beside pulldown-cmark's own time for the same input.
#[test]
fn nested_and_repeated_constructs_render_in_near_linear_time() {
    type Maker = Box<dyn Fn(usize) -> String>;
    let cases: Vec<(&str, Maker)> = vec![
        (
            "nested lists",
            Box::new(|n| {
                (0..n)
                    .map(|i| format!("{}- item\n", "  ".repeat(i % 60)))
                    .collect()
            }),
        ),
        (
            "nested quotes",
            Box::new(|n| format!("{} deep\n", ">".repeat(n))),
        ),
        ("emphasis", Box::new(|n| "*a **b ".repeat(n))),
        ("unclosed links", Box::new(|n| "[a](".repeat(n))),
        ("brackets", Box::new(|n| "[".repeat(n))),
        (
            "shortcodes",
            Box::new(|n| "{{ stat(value=\"970\") }}\n".repeat(n)),
        ),
        ("unclosed shortcodes", Box::new(|n| "{{ stat(".repeat(n))),
        (
            "nested shortcode bodies",
            Box::new(|n| {
                format!(
                    "{}text{}",
                    "{% callout() %}".repeat(n),
                    "{% end %}".repeat(n)
                )
            }),
        ),
        ("unmatched ends", Box::new(|n| "{% end %} ".repeat(n))),
        (
            "table rows",
            Box::new(|n| {
                let mut s = String::from("| a | b |\n|---|---|\n");
                s.push_str(&"| `x` | *y* |\n".repeat(n));
                s
            }),
        ),
    ];
    let n = 1000;
    for (name, make) in &cases {
        let small = make(n);
        let large = make(10 * n);
        // Below a millisecond the ratio is noise; such inputs are fast either way. On a shared
        // machine one measurement can be unlucky: the best of three rounds counts (superlinear
        // work is over the bound every time).
        let floor = Duration::from_millis(1);
        let (mut a, mut b, mut ratio) = (Duration::ZERO, Duration::ZERO, f64::MAX);
        for _ in 0..3 {
            let (x, y) = (time(&small), time(&large));
            let r = y.as_secs_f64() / x.max(floor).as_secs_f64();
            if r < ratio {
                (a, b, ratio) = (x, y, r);
            }
            if ratio <= 15.0 {
                break;
            }
        }
        if std::env::var_os("PLACARD_RATIOS").is_some() {
            let t = Instant::now();
            let mut h = String::new();
            pulldown_cmark::html::push_html(
                &mut h,
                pulldown_cmark::Parser::new_ext(&large, markdown::options(true)),
            );
            let raw_large = t.elapsed();
            let t = Instant::now();
            let mut h = String::new();
            pulldown_cmark::html::push_html(
                &mut h,
                pulldown_cmark::Parser::new_ext(&small, markdown::options(true)),
            );
            eprintln!(
                "RATIO {name}: {a:?} → {b:?} ({ratio:.1}×); pulldown alone {:?} → {raw_large:?}",
                t.elapsed()
            );
        }
        assert!(
            ratio <= 15.0,
            "{name}: {a:?} for {} bytes, {b:?} for {} bytes ({ratio:.1}×)",
            small.len(),
            large.len()
        );
    }
}
