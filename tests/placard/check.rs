//! `placard check`: a fixture with one instance of every rule, found at its line and nothing
//! else; the bundled site clean; findings made by a template located in the template; links to
//! other sites tried against a local server on 127.0.0.1.

use crate::support::{
    bless, bundled_site, fixture_dir, placard, read, site, small_site, stderr, stdout,
};
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// Every rule of `check` (the README lists them), but `link-external`, tried below, and
/// `page-gone`, which needs a previous build (writers.rs).
const RULES: &[&str] = &[
    "build",
    "frame-title",
    "heading-h1",
    "heading-order",
    "id-duplicate",
    "img-alt",
    "img-alt-filename",
    "img-alt-generic",
    "img-alt-redundant",
    "link-ambiguous",
    "link-anchor",
    "link-broken",
    "link-empty",
    "link-vague",
    "raw-html-cleaned",
    "review-due",
    "stat-conflict",
    "stat-stale",
    "summary-length",
    "table-headers",
    "title-duplicate",
    "title-length",
    "video-captions",
];

fn findings(json: &str) -> Vec<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(json)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{json}"))
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn every_rule_is_found_at_its_line_and_nothing_else() {
    let dir = site("check-rules");
    let o = placard(
        dir.path(),
        &["check", "--as-of", "2026-06-01", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let json = stdout(&o);
    let expected_file = fixture_dir("check-rules").join("expected-check.json");
    if bless() {
        std::fs::write(&expected_file, &json).unwrap();
    }
    assert_eq!(json, read(&expected_file));
    let found: BTreeSet<String> = findings(&json)
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    let all: BTreeSet<String> = RULES.iter().map(|r| r.to_string()).collect();
    assert_eq!(found, all, "the fixture must hold every rule");
    // One finding per rule, but for the build's own (a missing summary, a video without its
    // transcript).
    let per_rule = |r: &str| findings(&json).iter().filter(|f| f["rule"] == r).count();
    for r in RULES.iter().filter(|r| **r != "build") {
        assert_eq!(per_rule(r), 1, "{r}");
    }
    // The video shortcode without a transcript is the build's error, at the shortcode.
    assert!(
        json.contains(r#""path":"content/video.md","line":6"#),
        "{json}"
    );

    // The same findings for people: file:line:col, the line, a caret, the hint; nothing
    // written.
    let o = placard(dir.path(), &["check", "--as-of", "2026-06-01"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("error[img-alt]: image without alt text\n  --> content/faults.md:8:1\n  |\n8 | ![](/photo.png)\n  | ^\n"),
        "{err}"
    );
    assert!(stdout(&o).contains("errors, 10 warnings"), "{}", stdout(&o));
    assert!(!dir.path().join("public").exists());
}

#[test]
fn the_bundled_site_passes_with_no_errors_and_no_warnings() {
    let dir = bundled_site();
    let o = placard(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    assert!(
        stdout(&o).contains(": 0 errors, 0 warnings"),
        "{}",
        stdout(&o)
    );
    let o = placard(dir.path(), &["check", "--format", "json"]);
    assert_eq!(stdout(&o).trim(), "[]");
    assert!(!dir.path().join("public").exists());
}

#[test]
fn a_template_mistake_is_located_in_the_template_once() {
    let dir = bundled_site();
    let base = dir.path().join("themes/campaign/templates/base.html");
    let text = read(&base);
    let text = text.replacen(
        "<main",
        "<p class=\"promo\"><a href=\"/old-campaign/\">The old campaign</a> <img src=\"/images/social-card.png\"></p>\n<main",
        1,
    );
    std::fs::write(&base, &text).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("old-campaign"))
        .unwrap()
        + 1;
    let o = placard(dir.path(), &["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let all = findings(&stdout(&o));
    assert_eq!(all.len(), 2, "{all:#?}");
    for f in &all {
        assert_eq!(f["path"], "themes/campaign/templates/base.html");
        assert_eq!(f["line"], line);
        let m = f["message"].as_str().unwrap();
        assert!(m.contains("(on / and "), "{m}");
    }
    let rules: BTreeSet<&str> = all.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, BTreeSet::from(["img-alt", "link-broken"]));
}

/// A web server on 127.0.0.1 answering from a table of paths: HEAD and GET get the status;
/// `/flaky` fails once, then works; `/nohead` refuses HEAD. Counts the requests per path.
fn serve_links() -> (u16, Arc<Mutex<HashMap<String, usize>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let counts: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let seen = counts.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    return;
                }
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                        break;
                    }
                }
                let mut parts = request.split_whitespace();
                let method = parts.next().unwrap_or_default().to_string();
                let path = parts.next().unwrap_or_default().to_string();
                let n = {
                    let mut c = seen.lock().unwrap();
                    let n = c.entry(path.clone()).or_insert(0);
                    *n += 1;
                    *n
                };
                let status = match path.as_str() {
                    "/ok" => "200 OK",
                    "/gone" => "404 Not Found",
                    "/flaky" if n == 1 => "503 Service Unavailable",
                    "/flaky" => "200 OK",
                    "/down" => "503 Service Unavailable",
                    "/nohead" if method == "HEAD" => "405 Method Not Allowed",
                    "/nohead" => "200 OK",
                    _ => "404 Not Found",
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            });
        }
    });
    (port, counts)
}

#[test]
fn links_to_other_sites_are_tried_once_each_with_retries() {
    let (port, counts) = serve_links();
    let dir = small_site(true);
    let root = dir.path();
    let site_yaml = read(&root.join("site.yaml")).replace(
        "  stat_max_age_days: 365\n",
        // Only the local server is tried: the theme's share links (https) are skipped, as tests
        // talk to loopback addresses only.
        "  external_timeout: 5\n  external_retries: 1\n  external_skip: [\"http://127.0.0.1:1/\", \"https://\"]\n",
    );
    std::fs::write(root.join("site.yaml"), site_yaml).unwrap();
    let url = |p: &str| format!("http://127.0.0.1:{port}{p}");
    let page = format!(
        "---\ntitle: Elsewhere\nsummary: Links to other sites.\n---\n\n[A working page]({ok}).\n\n[A page that has gone]({gone}).\n\n[A site that fails once]({flaky}).\n\n[A site that is down]({down}).\n\n[A site without HEAD]({nohead}).\n\n[The working page again]({ok}#part).\n\n[Skipped](http://127.0.0.1:1/x).\n",
        ok = url("/ok"),
        gone = url("/gone"),
        flaky = url("/flaky"),
        down = url("/down"),
        nohead = url("/nohead"),
    );
    std::fs::write(root.join("content/elsewhere.md"), page).unwrap();

    // Without --external nothing is fetched.
    let o = placard(root, &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(counts.lock().unwrap().is_empty());

    let o = placard(root, &["check", "--external", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let all = findings(&stdout(&o));
    let summary: Vec<(String, u64, String)> = all
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "error".to_string(),
                8,
                format!("the link `{}` is broken: HTTP 404 Not Found", url("/gone"))
            ),
            (
                "warning".to_string(),
                12,
                format!(
                    "the link `{}` could not be checked: HTTP 503 Service Unavailable (tried 2 times)",
                    url("/down")
                )
            ),
        ]
    );
    assert!(all.iter().all(|f| f["path"] == "content/elsewhere.md"));
    assert!(all.iter().all(|f| f["rule"] == "link-external"));
    let counts = counts.lock().unwrap();
    // Tried once for both links to it; retried once where it failed; GET where HEAD failed.
    assert_eq!(counts["/ok"], 1);
    assert_eq!(counts["/gone"], 1);
    assert_eq!(counts["/flaky"], 2);
    assert_eq!(counts["/down"], 2);
    assert_eq!(counts["/nohead"], 2);
    drop(counts);
    let text = placard(root, &["check", "--external"]);
    assert!(
        stdout(&text).contains("(5 links to other sites)"),
        "{}",
        stdout(&text)
    );
}

#[test]
fn links_are_judged_by_where_they_lead() {
    let dir = small_site(false);
    let root = dir.path();
    let w = |rel: &str, text: &str| crate::support::write(&root.join(rel), text);
    // One place written three ways is not ambiguous; an `@/` link the build reports is not
    // reported again; a srcset URL may hold commas; a link to another part of the same host is
    // another site's.
    w(
        "content/guide/_index.md",
        "---\ntitle: Guides\nsummary: Guides.\n---\n",
    );
    w(
        "content/guide/ways.md",
        "---\ntitle: Ways to contact us\nsummary: Three ways to one page.\n---\n\n[Contact us](/contact/), [Contact us](../../contact/) or [Contact us](https://example.org/contact/index.html).\n\nA [missing page](@/nope.md).\n\n<img src=\"/photo.png\" srcset=\"/photo.png 1x, https://img.example/w_200,h_200/photo.png 2x\" alt=\"A knife wand\">\n",
    );
    w("content/photo.png", "png");
    // Text before `<!-- more -->` is the summary of a page without `summary:`.
    w(
        "content/guide/long-intro.md",
        "---\ntitle: A long introduction\n---\n\nThis introduction goes on for a long while, saying what the campaign is for, who runs it, where it works and how anyone can take part in it, before it gets to the point.\n\n<!-- more -->\n\nThe rest.\n",
    );
    let o = placard(root, &["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let all = findings(&stdout(&o));
    let got: Vec<(String, String, u64)> = all
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "summary-length".to_string(),
                "content/guide/long-intro.md".to_string(),
                7
            ),
            ("build".to_string(), "content/guide/ways.md".to_string(), 8),
            // Raw HTML is sanitised on this site, and the sanitiser drops `srcset`: said.
            (
                "raw-html-cleaned".to_string(),
                "content/guide/ways.md".to_string(),
                10
            ),
        ],
        "{all:#?}"
    );
}

#[test]
fn a_raw_html_table_is_located_at_its_line_when_sanitised_too() {
    for raw in [true, false] {
        let dir = small_site(raw);
        let root = dir.path();
        crate::support::write(
            &root.join("content/table.md"),
            "---\ntitle: A table\nsummary: In raw HTML.\n---\n\n<table>\n\n<tr><td>2018</td>\n\n<td>£45m</td></tr>\n\n</table>\n",
        );
        let o = placard(root, &["check", "--format", "json"]);
        let all = findings(&stdout(&o));
        assert_eq!(all.len(), 1, "{all:#?}");
        assert_eq!(all[0]["rule"], "table-headers");
        assert_eq!(all[0]["line"], 6, "raw_html: {raw}");
    }
}
