//! Cases of ../shared/HOSTILE.md not covered in the other modules, each named by its id: the
//! input, and the clear error or defined behaviour it must get. (TESTING.md maps every id to
//! its test.)

use crate::support::{bundled_site, placard, read, site, stderr, stdout, tree, write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The small site with raw HTML allowed, as the fixture has it.
fn tiny_site() -> tempfile::TempDir {
    crate::support::small_site(true)
}

/// T1: a template asking for the environment is an error at its line, and the secret (set
/// for real here) is nowhere: not in the messages, not in any file.
#[test]
fn t1_a_template_cannot_read_the_environment() {
    let dir = site("template-reads-environment");
    let canary = "placard-canary-d41d8cd98f00b204";
    let o = Command::new(env!("CARGO_BIN_EXE_placard"))
        .arg("--root")
        .arg(dir.path())
        .arg("build")
        .env("AWS_SECRET_ACCESS_KEY", canary)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("--> templates/page.html:4:7"), "{err}");
    assert!(!err.contains(canary) && !stdout(&o).contains(canary));
    for (path, bytes) in tree(dir.path()) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(canary),
            "{path} holds the secret"
        );
    }
}

/// T2, T4: templates have no way to read a file: no function loads one, and an include names
/// templates only.
#[test]
fn t2_a_template_cannot_read_files_outside_the_site() {
    for (template, line_col, message) in [
        (
            "{% extends \"base.html\" %}\n{% block main %}\n{{ load_data(path=\"../../.ssh/id_rsa\") }}\n{% endblock main %}\n",
            "templates/page.html:3:4",
            "Unknown function `load_data`",
        ),
        (
            "{% extends \"base.html\" %}\n{% block main %}\n{{ read_file(path=\"/etc/passwd\") }}\n{% endblock main %}\n",
            "templates/page.html:3:4",
            "Unknown function `read_file`",
        ),
        (
            "{% extends \"base.html\" %}\n{% block main %}\n{% include \"/etc/passwd\" %}\n{% endblock main %}\n",
            "templates/page.html:3",
            "/etc/passwd",
        ),
    ] {
        let dir = tiny_site();
        write(&dir.path().join("templates/page.html"), template);
        let o = placard(dir.path(), &["build"]);
        assert_eq!(o.status.code(), Some(1), "{template}");
        let err = stderr(&o);
        assert!(err.contains(message), "{err}");
        assert!(err.contains(&format!("--> {line_col}")), "{err}");
        assert!(!err.contains("root:x:0:0"));
        assert!(!dir.path().join("public").exists());
    }
}

/// T5: slugs and aliases that climb out of the output are errors, and nothing is written
/// anywhere outside the site: the folders around it stay as they were.
#[test]
fn t5_no_file_is_created_outside_the_output() {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("sites/site");
    crate::support::copy_tree(&crate::support::fixture_dir("slug-escape"), &root);
    crate::support::copy_tree(&crate::support::repo().join("themes"), &root.join("themes"));
    let before = tree(base.path());
    let o = placard(&root, &["build"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(tree(base.path()), before);
    assert!(!Path::new("/tmp/pwned").exists());
}

/// T7: a `data:` link is neutralised like `javascript:` (end to end, through the binary).
#[test]
fn t7_data_urls_are_neutralised() {
    let dir = tiny_site();
    write(
        &dir.path().join("content/xss.md"),
        "---\ntitle: Links\nsummary: Unsafe links.\n---\n\n[y](data:text/html,<script>alert(1)</script>) and ![z](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)\n",
    );
    let o = placard(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("link with a `data:` address removed"), "{err}");
    assert!(
        err.contains("image with a `data:` address removed"),
        "{err}"
    );
    let page = read(&dir.path().join("public/xss/index.html"));
    assert!(!page.contains("data:"), "{page}");
    assert!(page.contains(">y<") || page.contains("y and"), "{page}");
}

/// T8: front-matter values are escaped in text and in attributes.
#[test]
fn t8_values_are_escaped_in_attributes_too() {
    let dir = tiny_site();
    write(
        &dir.path().join("templates/page.html"),
        "{% extends \"base.html\" %}\n{% block main %}\n<h1 title=\"{{ page.title }}\">{{ page.title }}</h1>\n<a href=\"/\" data-summary='{{ page.summary }}'>Home</a>\n{% endblock main %}\n",
    );
    write(
        &dir.path().join("content/xss.md"),
        "---\ntitle: \"</script><script>alert(1)</script>\"\nsummary: '\"><svg onload=alert(1)> '' onmouseover=alert(2) x='\n---\n\nBody.\n",
    );
    let o = placard(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (path, bytes) in tree(&dir.path().join("public")) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("<script>alert") && !text.contains("<svg onload"),
            "unescaped value in {path}"
        );
        assert!(
            !text.contains("' onmouseover"),
            "attribute broken out in {path}"
        );
    }
    let page = read(&dir.path().join("public/xss/index.html"));
    assert!(
        page.contains("title=\"&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""),
        "{page}"
    );
    assert!(
        page.contains("data-summary='&quot;&gt;&lt;svg onload=alert(1)&gt; &#x27; onmouseover")
            || page
                .contains("data-summary='&quot;&gt;&lt;svg onload=alert(1)&gt; &#39; onmouseover"),
        "{page}"
    );
}

/// Y2: a site whose every file has a BOM and CRLF line ends, and whose pages end on their
/// closing `---` with no newline, builds exactly as its clean twin.
#[test]
fn y2_bom_and_crlf_everywhere_give_the_same_site() {
    let clean = tiny_site();
    write(
        &clean.path().join("content/plain.md"),
        "---\ntitle: Only front matter\nsummary: Nothing after it.\n---",
    );
    let messy = tempfile::tempdir().unwrap();
    for (rel, bytes) in tree(clean.path()) {
        // Static files are copied as they are (and named by their bytes): leave them be.
        let is_text =
            [".md", ".yaml", ".html"].iter().any(|e| rel.ends_with(e)) && !rel.contains("/static/");
        let bytes = if is_text {
            let text = String::from_utf8(bytes).unwrap().replace('\n', "\r\n");
            let mut out = "\u{feff}".as_bytes().to_vec();
            out.extend_from_slice(text.as_bytes());
            out
        } else {
            bytes
        };
        write(&messy.path().join(&rel), bytes);
    }
    for dir in [clean.path(), messy.path()] {
        let o = placard(dir, &["build"]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let a = tree(&clean.path().join("public"));
    let b = tree(&messy.path().join("public"));
    // Templates and CSS keep their own bytes (a BOM, CRLF): compare the pages' text.
    let pages = |t: &std::collections::BTreeMap<String, Vec<u8>>| -> Vec<(String, String)> {
        t.iter()
            .filter(|(k, _)| k.ends_with(".html") || k.ends_with(".xml"))
            .map(|(k, v)| {
                let s = String::from_utf8_lossy(v)
                    .replace("\r\n", "\n")
                    .replace('\u{feff}', "");
                (k.clone(), s)
            })
            .collect()
    };
    assert_eq!(pages(&a), pages(&b));
    assert!(a.contains_key("plain/index.html"));
}

/// Peak resident memory of a process (kB), read from /proc while it runs; its high-water
/// mark only grows, so the last reading before it exits is its peak. With the wall time.
fn measure(root: &Path, args: &[&str]) -> (std::process::ExitStatus, Duration, u64) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_placard"))
        .arg("--root")
        .arg(root)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, started.elapsed(), peak);
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

/// Y5, Y9: an alias bomb, 100,000 nested `[`, and 20 MB of front matter are refused at once:
/// each costs under 100 ms and 50 MB more than a build of the same site without it (the
/// fastest of three runs each, on a shared machine).
#[test]
fn y5_y9_hostile_yaml_is_refused_fast_and_small() {
    let mut bomb = String::from(
        "---\ntitle: Bomb\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (i, c) in "bcdefghi".chars().enumerate() {
        let p = (b'a' + i as u8) as char;
        bomb.push_str(&format!(
            "{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
        ));
    }
    bomb.push_str("---\n");
    let nested = format!("---\ntitle: Deep\nx: {}\n---\n", "[".repeat(100_000));
    let mut huge = String::from("---\ntitle: Huge\nnotes: |\n");
    while huge.len() < 20 << 20 {
        huge.push_str("  a line of front matter that goes on and on and on and on\n");
    }
    huge.push_str("---\n");
    let baseline_site = tiny_site();
    let best = |root: &Path| {
        (0..3)
            .map(|_| measure(root, &["build", "-o", root.join("out").to_str().unwrap()]))
            .map(|(s, t, kb)| (s.code(), t, kb))
            .min_by_key(|(_, t, _)| *t)
            .unwrap()
    };
    let (code, base_time, base_kb) = best(baseline_site.path());
    assert_eq!(code, Some(0));
    for (name, text, message) in [
        ("bomb", bomb, "more than 32 aliases"),
        ("nested", nested, "nested too deeply"),
        ("huge", huge, "larger than"),
    ] {
        let dir = tiny_site();
        write(&dir.path().join(format!("content/{name}.md")), &text);
        let o = placard(dir.path(), &["build"]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        let err = stderr(&o);
        assert!(
            err.contains(message),
            "{name}: {}",
            &err[..err.len().min(600)]
        );
        let (code, time, kb) = best(dir.path());
        assert_eq!(code, Some(1));
        assert!(
            time < base_time + Duration::from_millis(100),
            "{name}: {time:?} against {base_time:?} without it"
        );
        assert!(
            kb < base_kb + 50 * 1024,
            "{name}: peak {kb} kB against {base_kb} kB without it"
        );
    }
}

/// P6 (memory): 50 MB of Markdown is refused before it is read whole.
#[test]
fn p6_a_huge_markdown_file_is_refused_in_little_memory() {
    let dir = tiny_site();
    let mut text = String::from("---\ntitle: Huge\n---\n");
    while text.len() < 50 << 20 {
        text.push_str("A paragraph of Markdown that repeats, *again* and **again**.\n\n");
    }
    write(&dir.path().join("content/huge.md"), &text);
    let (status, time, kb) = measure(dir.path(), &["build"]);
    assert_eq!(status.code(), Some(1));
    assert!(kb < 50 * 1024, "peak {kb} kB");
    assert!(time < Duration::from_secs(10), "{time:?}");
}

/// Y3, Y6: `draft: yes` is not a boolean; a scalar is not front matter.
#[test]
fn y3_y6_yes_is_not_true_and_a_scalar_is_not_a_mapping() {
    let dir = tiny_site();
    write(
        &dir.path().join("content/yes.md"),
        "---\ntitle: Yes\ndraft: yes\n---\n",
    );
    write(
        &dir.path().join("content/scalar.md"),
        "---\njust some words\n---\n",
    );
    let o = placard(dir.path(), &["build"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(
            "error: `draft`: expected true or false, found the text `yes`\n  --> content/yes.md:3:8"
        ),
        "{err}"
    );
    assert!(
        err.contains("expected a mapping of `key: value` lines, found the text `just some words`\n  --> content/scalar.md:2:1"),
        "{err}"
    );
}

/// P4: a page that is a symlink to a secret outside the site (`~/.ssh/id_rsa`) is refused and
/// its text is nowhere.
#[test]
fn p4_a_page_linked_to_a_secret_is_refused() {
    let home = tempfile::tempdir().unwrap();
    write(
        &home.path().join(".ssh/id_rsa"),
        "-----BEGIN OPENSSH PRIVATE KEY-----\nplacard-canary\n",
    );
    let dir = bundled_site();
    std::os::unix::fs::symlink(
        home.path().join(".ssh/id_rsa"),
        dir.path().join("content/x.md"),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_placard"))
        .arg("--root")
        .arg(dir.path())
        .arg("build")
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("content/x.md"), "{err}");
    assert!(err.contains("outside the site"), "{err}");
    assert!(!err.contains("placard-canary"));
    assert!(!dir.path().join("public").exists());
}

/// T7, found by fuzzing (fuzz/README.md): raw HTML inside a heading went out unsanitised,
/// script and all.
#[test]
fn t7_raw_html_in_a_heading_is_sanitised_too() {
    let dir = crate::support::small_site(false);
    write(
        &dir.path().join("content/x.md"),
        "---\ntitle: X\nsummary: Headings with HTML.\n---\n\n# Hello <img src=x onerror=alert(1)>\n\n## <script>alert(2)</script> there\n\n### A <em>kept</em> word\n",
    );
    let o = placard(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = read(&dir.path().join("public/x/index.html"));
    assert!(
        !page.contains("onerror") && !page.contains("<script>alert"),
        "{page}"
    );
    assert!(page.contains("<em>kept</em>"), "{page}");
}

/// Found by fuzzing: a shortcode inside an HTML comment is commented out, in a build and in
/// `check` (whose source marks would otherwise end the comment early and bring its text to
/// life).
#[test]
fn a_shortcode_in_an_html_comment_is_commented_out() {
    let dir = crate::support::small_site(false);
    write(
        &dir.path().join("content/x.md"),
        "---\ntitle: X\nsummary: A comment.\n---\n\nBefore.\n\n<!-- a > b {{ stat(value=\"970\", label=\"knives\", source=\"Met\") }} <script>alert(1)</script> -->\n\nAfter.\n",
    );
    let o = placard(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = read(&dir.path().join("public/x/index.html"));
    assert!(
        !page.contains("stat-value") && !page.contains("<script>alert"),
        "{page}"
    );
    let o = placard(dir.path(), &["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

/// Y2, found by fuzzing: a lone carriage return (old Mac line ends) is a line end to the YAML
/// parser; placard counts it as one too, so a mistake is reported at its real line, with the
/// line shown, and a page saved with CR line ends is the same page.
#[test]
fn y2_lone_carriage_returns_are_line_ends() {
    let dir = tiny_site();
    write(
        &dir.path().join("content/p.md"),
        "---\ntitle: x\r\r\r\rbad\n---\n",
    );
    let o = placard(dir.path(), &["build"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    // (`bad` could still become a key; the parser gives up on the closing line.)
    assert!(
        err.contains("--> content/p.md:7:1\n  |\n7 | ---\n"),
        "{err}"
    );
    write(
        &dir.path().join("content/p.md"),
        "---\rtitle: Classic Mac\rsummary: Saved with CR line ends.\r---\r\rText.\r",
    );
    let o = placard(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = read(&dir.path().join("public/p/index.html"));
    assert!(
        page.contains("<h1>Classic Mac</h1>") && page.contains("<p>Text.</p>"),
        "{page}"
    );
}

/// Every XML output parses with a strict XML parser whatever the content holds: markup
/// characters, `]]>`, quotes, a line separator, a byte-order mark mid-text, right-to-left marks
/// and emoji in titles, summaries, bodies and site.yaml. (Control characters, which XML does
/// not allow, are refused where they are written: `errors::control_characters`, and below.)
#[test]
fn every_xml_output_is_well_formed_whatever_the_content_holds() {
    let site = crate::support::small_site(false);
    let root = site.path();
    let yaml = read(&root.join("site.yaml")).replacen(
        "title: ",
        "title: \"<Campaign> & ]]> 'quotes' \\u2028 \\u202e\\ufeff\" # was: ",
        1,
    );
    write(&root.join("site.yaml"), yaml);
    write(
        &root.join("content/news.md"),
        "---\ntitle: \"Tom & Jerry's <b>\\\"war\\\"</b> ]]> \\u2028 😀 \\u202e\"\ndate: 2026-01-02\nsummary: \"A & B < C > D ]]> \\ufeff 'E'\"\n---\n\nBody with <script> & ]]> and a [link](/x/?a=1&b=2).\n",
    );
    write(
        &root.join("content/more.md"),
        "---\ntitle: More\ndate: 2026-01-03\n---\n\nFirst & <em>raw</em> ]]> \u{2028} 😀\n\n<!-- more -->\n\nRest.\n",
    );
    let out = placard(root, &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut parsed = 0;
    for (path, bytes) in tree(&root.join("public")) {
        if !path.ends_with(".xml") {
            continue;
        }
        let text = String::from_utf8(bytes).unwrap();
        if let Err(e) = roxmltree::Document::parse(&text) {
            panic!("{path} is not well-formed XML ({e}):\n{text}");
        }
        parsed += 1;
    }
    assert!(parsed >= 2, "atom.xml and sitemap.xml at least");
    let atom = read(&root.join("public/atom.xml"));
    assert!(atom.contains("Tom &amp; Jerry"), "{atom}");

    // A control character written as an escape in site.yaml is refused at its line.
    let yaml = read(&root.join("site.yaml")).replacen("title: \"", "title: \"\\x0c", 1);
    write(&root.join("site.yaml"), yaml);
    let out = placard(root, &["build"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("`title` holds a control character, U+000C (a form feed)")
            && err.contains("--> site.yaml:"),
        "{err}"
    );
}

/// Every output path is one any system can hold: a name Windows keeps for a device (`CON`,
/// `aux`, `nul.pdf`, `LPT1`), or one ending in a dot or a space, is refused with a located error
/// wherever it is written: a file or folder name in `content/`, a `slug`, an alias, a taxonomy
/// term. (The files are made here, not kept in the repository, so that it stays clonable on
/// Windows itself.) The previous output stays as it was.
#[test]
fn names_windows_cannot_hold_are_refused_where_they_are_written() {
    let site = crate::support::small_site(false);
    let root = site.path();
    let good = placard(root, &["build"]);
    assert!(good.status.success(), "{}", stderr(&good));
    let before = tree(&root.join("public"));
    write(
        &root.join("content/con.md"),
        "---\ntitle: Contact\n---\nx\n",
    );
    write(
        &root.join("content/notes./x.md"),
        "---\ntitle: Notes\n---\nx\n",
    );
    write(&root.join("content/news/nul.pdf"), b"%PDF");
    write(
        &root.join("content/news/_index.md"),
        "---\ntitle: News\n---\n",
    );
    write(
        &root.join("content/news/a.md"),
        "---\ntitle: A\nslug: AUX\n---\nx\n",
    );
    write(
        &root.join("content/news/b.md"),
        "---\ntitle: B\naliases: [\"/old/lpt1/\"]\n---\nx\n",
    );
    write(
        &root.join("content/news/c.md"),
        "---\ntitle: C\npriorities: [\"Prn\"]\n---\nx\n",
    );
    let yaml = read(&root.join("site.yaml"));
    write(
        &root.join("site.yaml"),
        format!("{yaml}taxonomies: [priorities]\n"),
    );
    let out = placard(root, &["build"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    for (place, what) in [
        (
            "--> content/con.md\n",
            "the file name `con.md` cannot be used: Windows keeps the name `con` for a device",
        ),
        (
            "--> content/notes.\n",
            "the folder name `notes.` cannot be used: Windows does not allow a name ending in a dot or a space",
        ),
        (
            "--> content/news/nul.pdf\n",
            "the file name `nul.pdf` cannot be used",
        ),
        (
            "--> content/news/a.md:3:7",
            "`slug: \"AUX\"` is not usable: Windows keeps the name `aux` for a device",
        ),
        (
            "--> content/news/b.md:3:1",
            "alias \"/old/lpt1/\" is not usable: `lpt1`: Windows keeps the name `lpt1` for a device",
        ),
        (
            "--> content/news/c.md:3:",
            "`priorities`: the term `Prn` cannot be a page's address",
        ),
    ] {
        assert!(
            err.contains(what) && err.contains(place),
            "`{what}` at {place}:\n{err}"
        );
    }
    assert_eq!(tree(&root.join("public")), before);
}
