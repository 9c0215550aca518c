//! Output: an expected tree for a small site (pages, sections, taxonomies, aliases, bundles,
//! feeds, sitemap, fingerprinted assets), determinism, BOM/CRLF, drafts and embargoes.

use crate::support::*;

const AS_OF: &str = "2026-03-01T12:00:00+00:00";

#[test]
fn small_site_gives_the_expected_tree() {
    let site = site("output-basic");
    let out = placard(site.path(), &["build", "--as-of", AS_OF]);
    assert_eq!(stderr(&out), "");
    assert!(out.status.success());
    let got = tree(&site.path().join("public"));
    let expected_dir = fixture_dir("output-basic").join("expected");
    if bless() {
        let _ = std::fs::remove_dir_all(&expected_dir);
        for (path, bytes) in &got {
            write(&expected_dir.join(path), bytes);
        }
    }
    let expected = tree(&expected_dir);
    let names =
        |t: &std::collections::BTreeMap<String, Vec<u8>>| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&got), names(&expected), "the output files differ");
    for (path, bytes) in &expected {
        if path == "manifest.json" {
            // What the build was made from carries the files' times, which a copy of the
            // fixture does not keep: the rest is compared (publish.rs tests what it is for).
            let without_inputs = |bytes: &[u8]| {
                let mut json: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                let inputs = json["build"].as_object_mut().unwrap().remove("inputs");
                (json, inputs)
            };
            let (got_json, inputs) = without_inputs(&got[path]);
            let inputs = inputs.expect("the manifest records what the build was made from");
            assert_eq!(inputs["files"], 21, "{inputs}");
            assert_eq!(got_json, without_inputs(bytes).0, "{path} differs");
            continue;
        }
        assert_eq!(
            String::from_utf8_lossy(&got[path]),
            String::from_utf8_lossy(bytes),
            "{path} differs"
        );
    }
}

#[test]
fn two_builds_are_byte_identical() {
    let site = site("output-basic");
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for dir in [&a, &b] {
        let out = placard(
            site.path(),
            &[
                "build",
                "--as-of",
                AS_OF,
                "-o",
                dir.path().join("out").to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert_eq!(tree(&a.path().join("out")), tree(&b.path().join("out")));
}

#[test]
fn bom_and_crlf_give_the_same_page() {
    let site = site("output-basic");
    let build = |name: &str| {
        let out = placard(
            site.path(),
            &[
                "build",
                "--as-of",
                AS_OF,
                "-o",
                site.path().join(name).to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        tree(&site.path().join(name))
    };
    let clean = build("clean");
    let page = site.path().join("content/news/first-update.md");
    let text = read(&page);
    let mut crlf = vec![0xEF, 0xBB, 0xBF];
    crlf.extend(
        text.trim_end_matches('\n')
            .replace('\n', "\r\n")
            .into_bytes(),
    );
    std::fs::write(&page, crlf).unwrap();
    let dirty = build("dirty");
    // The same outputs; only the record of the inputs' sizes differs.
    assert_eq!(without_inputs(clean), without_inputs(dirty));
}

#[test]
fn drafts_and_embargoed_pages_are_absent_everywhere() {
    let site = site("output-basic");
    let out = placard(site.path(), &["build", "--as-of", AS_OF]);
    assert!(out.status.success(), "{}", stderr(&out));
    for (path, bytes) in tree(&site.path().join("public")) {
        let text = String::from_utf8_lossy(&bytes);
        for secret in [
            "Secret draft",
            "secret-draft",
            "Embargoed announcement",
            "embargoed-announcement",
            "embargo-photo",
        ] {
            assert!(!text.contains(secret), "{secret} leaked into {path}");
            assert!(!path.contains(secret), "{secret} leaked as {path}");
        }
    }
    // At the embargo's minute the page, its list entries, feed entry and photo appear.
    let out = placard(
        site.path(),
        &[
            "build",
            "--as-of",
            "2026-03-03T09:30",
            "-o",
            site.path().join("later").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let later = site.path().join("later");
    assert!(
        later
            .join("news/embargoed-announcement/index.html")
            .is_file()
    );
    assert!(
        later
            .join("news/embargoed-announcement/embargo-photo.svg")
            .is_file()
    );
    assert!(read(&later.join("news/index.html")).contains("Embargoed announcement"));
    assert!(read(&later.join("atom.xml")).contains("Embargoed announcement"));
    assert!(read(&later.join("sitemap.xml")).contains("/news/embargoed-announcement/"));
    assert!(
        !read(&later.join("robots.txt")).contains("Disallow"),
        "a past --as-of build is not a preview"
    );
    let out = placard(
        site.path(),
        &[
            "build",
            "--as-of",
            "2099-01-01",
            "-o",
            site.path().join("future").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        read(&site.path().join("future/robots.txt")).contains("Disallow: /"),
        "a future --as-of build is a preview"
    );
    // Drafts only with --drafts, marked as such.
    let out = placard(
        site.path(),
        &[
            "build",
            "--as-of",
            AS_OF,
            "--drafts",
            "-o",
            site.path().join("drafts").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let draft = read(&site.path().join("drafts/news/secret-draft/index.html"));
    assert!(draft.contains("Draft: not published"), "{draft}");
}

#[test]
fn a_deleted_page_vanishes_from_output_lists_feeds_and_sitemap() {
    let site = site("output-basic");
    assert!(
        placard(site.path(), &["build", "--as-of", AS_OF])
            .status
            .success()
    );
    let public = site.path().join("public");
    assert!(public.join("news/first-update/index.html").is_file());
    std::fs::remove_file(site.path().join("content/news/first-update.md")).unwrap();
    let out = placard(site.path(), &["build", "--as-of", AS_OF]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!public.join("news/first-update").exists());
    for f in [
        "news/index.html",
        "atom.xml",
        "news/atom.xml",
        "sitemap.xml",
        "index.html",
        "manifest.json",
    ] {
        assert!(
            !read(&public.join(f)).contains("first-update"),
            "{f} still names the deleted page"
        );
    }
}

#[test]
fn raw_html_is_sanitised_unless_allowed() {
    let site = site("output-basic");
    let page = site.path().join("content/news/raw.md");
    write(
        &page,
        "---\ntitle: Raw\ndate: 2026-01-01\n---\n\n<script>alert(1)</script>\n\n<img src=\"x.png\" onerror=\"alert(2)\" alt=\"x\">\n\n<b>bold</b> [x](javascript:alert(3))\n",
    );
    let out = placard(site.path(), &["build", "--as-of", AS_OF]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("link with a `javascript:` address removed"));
    let html = read(&site.path().join("public/news/raw/index.html"));
    assert!(
        !html.contains("<script>alert")
            && !html.contains("onerror")
            && !html.contains("javascript:"),
        "{html}"
    );
    assert!(html.contains("<b>bold</b>"));
    let config = read(&site.path().join("site.yaml")) + "markdown:\n  raw_html: true\n";
    write(&site.path().join("site.yaml"), config);
    assert!(
        placard(site.path(), &["build", "--as-of", AS_OF])
            .status
            .success()
    );
    assert!(
        read(&site.path().join("public/news/raw/index.html")).contains("<script>alert(1)</script>")
    );
}

#[test]
fn front_matter_values_are_escaped_in_templates() {
    let site = site("output-basic");
    write(
        &site.path().join("content/news/xss.md"),
        "---\ntitle: \"</script><script>alert(1)</script>\"\nsummary: '\"><svg onload=alert(1)>'\ndate: 2026-01-02\n---\nBody\n",
    );
    let out = placard(site.path(), &["build", "--as-of", AS_OF]);
    assert!(out.status.success(), "{}", stderr(&out));
    for (path, bytes) in tree(&site.path().join("public")) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("<script>alert") && !text.contains("<svg onload"),
            "unescaped value in {path}"
        );
    }
}

#[test]
fn a_draft_section_hides_its_pages_files_and_subsections() {
    let site = site("output-basic");
    write(
        &site.path().join("content/plans/_index.md"),
        "---\ntitle: Plans\ndraft: true\n---\nNot yet.\n",
    );
    write(
        &site.path().join("content/plans/hidden-plan.md"),
        "---\ntitle: Hidden plan\ndate: 2026-01-01\n---\nBody\n",
    );
    write(&site.path().join("content/plans/hidden-map.svg"), "<svg/>");
    write(
        &site.path().join("content/plans/phase-two/_index.md"),
        "---\ntitle: Phase two\n---\n",
    );
    write(
        &site.path().join("content/plans/phase-two/deeper-plan.md"),
        "---\ntitle: Deeper plan\n---\nBody\n",
    );
    let out = placard(site.path(), &["build", "--as-of", AS_OF]);
    assert!(out.status.success(), "{}", stderr(&out));
    for (path, bytes) in tree(&site.path().join("public")) {
        assert!(!path.starts_with("plans"), "{path} was written");
        let text = String::from_utf8_lossy(&bytes);
        for secret in ["Hidden plan", "Deeper plan", "Phase two", "hidden-map"] {
            assert!(!text.contains(secret), "{secret} leaked into {path}");
        }
    }
    let drafts = site.path().join("drafts");
    let out = placard(
        site.path(),
        &[
            "build",
            "--as-of",
            AS_OF,
            "--drafts",
            "-o",
            drafts.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(drafts.join("plans/hidden-plan/index.html").is_file());
    assert!(
        drafts
            .join("plans/phase-two/deeper-plan/index.html")
            .is_file()
    );
    assert!(drafts.join("plans/hidden-map.svg").is_file());
}

#[test]
fn markdown_extensions_in_any_case_are_pages_and_files_follow_slugified_sections() {
    let site = site("output-basic");
    write(
        &site.path().join("content/Press Releases/_index.md"),
        "---\ntitle: Press releases\n---\n",
    );
    write(
        &site.path().join("content/Press Releases/Launch Day.MD"),
        "---\ntitle: Launch day\n---\nLaunched.\n",
    );
    write(
        &site.path().join("content/Press Releases/notes.markdown"),
        "---\ntitle: Notes\n---\nNoted.\n",
    );
    write(
        &site.path().join("content/Press Releases/Logo File.svg"),
        "<svg/>",
    );
    let out = placard(site.path(), &["build", "--as-of", AS_OF]);
    assert!(out.status.success(), "{}", stderr(&out));
    let public = site.path().join("public");
    assert!(
        public
            .join("press-releases/launch-day/index.html")
            .is_file()
    );
    assert!(public.join("press-releases/notes/index.html").is_file());
    // A co-located file keeps its name, under its section's URL.
    assert!(public.join("press-releases/Logo File.svg").is_file());
    assert!(!public.join("Press Releases").exists());
}

#[test]
fn a_symlinked_content_folder_outside_the_site_is_refused() {
    let site = site("output-basic");
    let outside = tempfile::tempdir().unwrap();
    copy_tree(&site.path().join("content"), outside.path());
    std::fs::remove_dir_all(site.path().join("content")).unwrap();
    std::os::unix::fs::symlink(outside.path(), site.path().join("content")).unwrap();
    let out = placard(site.path(), &["build", "--as-of", AS_OF]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("content is a symlink to"),
        "{}",
        stderr(&out)
    );
    assert!(!site.path().join("public").exists());
}

#[test]
fn a_file_that_takes_a_feed_url_is_an_error_naming_both() {
    let site = site("output-basic");
    write(&site.path().join("content/news/atom.xml"), "<feed/>");
    let out = placard(site.path(), &["build", "--as-of", AS_OF]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "content/news/atom.xml and the feed of section /news/ both map to the URL /news/atom.xml"
        ),
        "{}",
        stderr(&out)
    );
    assert!(!site.path().join("public").exists());
}

/// A link to a page that is not in this build — in the text, in a `cta` or `video` shortcode —
/// is left out with a warning at its line, keeping its words; the page's URL or name appears
/// nowhere.
#[test]
fn links_to_a_page_not_in_the_build_keep_their_words_and_nothing_of_the_page() {
    let site = crate::support::small_site(false);
    let root = site.path();
    write(
        &root.join("content/soon.md"),
        "---\ntitle: Coming soon\ndraft: true\n---\n\n## Transcript\n\nWords.\n",
    );
    write(
        &root.join("content/teaser.md"),
        "---\ntitle: Teaser\n---\n\nRead [what comes next](@/soon.md).\n\n{{ cta(label=\"Find out first\", url=\"@/soon.md\") }}\n\n{{ video(youtube=\"abc123XYZ_-\", title=\"A film\", transcript=\"@/soon.md#transcript\") }}\n",
    );
    let out = placard(root, &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    for line in [7, 9] {
        assert!(
            err.contains(&format!("--> content/teaser.md:{line}:")),
            "a warning at line {line}:\n{err}"
        );
    }
    assert!(
        err.contains(
            "link to `@/soon.md`, which is not published in this build; the link is left out"
        ) && err.contains("--> content/teaser.md:5:6"),
        "{err}"
    );
    let html = read(&root.join("public/teaser/index.html"));
    assert!(html.contains("Read what comes next."), "{html}");
    assert!(
        html.contains("<p class=\"cta\">Find out first</p>"),
        "the button's words, without a link: {html}"
    );
    assert!(html.contains("Read the transcript"), "{html}");
    for leak in ["soon", "Coming soon", "@/", "href=\"\""] {
        assert!(!html.contains(leak), "`{leak}` in the page: {html}");
    }
}
