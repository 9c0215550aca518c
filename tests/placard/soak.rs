//! Watch soak (issue 7 item 5): `placard serve` runs on a temp copy of the bundled site while a
//! seeded random walk of file operations edits it; at quiescent points every URL is compared
//! with a clean `placard build` of the same tree.
//!
//! The walk: pages and sections (nested up to three deep) created, edited, deleted and renamed
//! under `content/`, assets and asset-only folders, the bundled pages' text, the stylesheet and
//! the templates edited (validly), each save in one of the editors' styles (in place; temp file
//! renamed over; JetBrains `x___jb_tmp___` / `x___jb_old___`; vim's `4913` probe and `x~`
//! backup; emacs' `.#x` lock symlink and `x~` backup), bursts of 2 to 6 operations without
//! waiting for the server, and breakages (a template syntax error, broken front matter, a
//! mistake in site.yaml, a new file whose name is not UTF-8) saved and later fixed.
//!
//! A step is one operation or one burst; after each the test waits until the server is quiet
//! ([`Server::settle`]: a rebuild finished after the step, none is running, nothing printed for
//! [`QUIET`]). Then, at every [`EVERY`]th quiescent point and always at the end:
//! - the tree is built with `placard build -o <tmp> --base-url <the server's URL>`;
//! - when that build succeeds, every output file (but `manifest.json`, which only `build`
//!   writes) is fetched at its URL (`a/b/index.html` → `/a/b/`, `index.html` → `/`, other files
//!   at their path) and must be 200 with the same bytes once the injected live-reload script is
//!   removed; HTML pages must carry that script exactly before their last `</body>` and no
//!   error overlay;
//! - when it fails, the server must still serve the clean build of the last good tree, with the
//!   error overlay on every HTML page. That is well defined because breakages and their fixes
//!   are steps of their own (never inside a burst), and ordinary operations never break the
//!   site (a clean build failing while no breakage is outstanding is reported as a failure, as
//!   is one succeeding while one is);
//! - URLs of earlier clean builds that are not in this one must be 404: those gone since the
//!   last comparison and a sample of 40 older ones (all of them at the end).
//!
//! A mismatch is compared again after a longer quiet period (a late file event on a loaded
//! machine is not a bug; a server that does not converge is): those are counted as retries. A
//! mismatch that remains is a failure; the walk goes on (showing whether the server recovers)
//! and the test fails at the end with the seed, every failure and the op log (also written to
//! `$TMPDIR/placard-soak-<seed>.log`).
//!
//! Environment: `PLACARD_SOAK_SEED` (default 0x5eed; decimal or 0x hex), `PLACARD_SOAK_OPS`
//! (default 100), `PLACARD_SOAK_EVERY` (compare at every k-th quiescent point, default 3),
//! `PLACARD_SOAK_LOG` (a file to write the summary and op log to, pass or fail).
//! `scripts/soak.sh` runs the long walk (10,000 operations).

use crate::serve::{Rebuilds, Server};
use crate::support::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// After a step, how long the server must print nothing before it counts as idle.
const QUIET: Duration = Duration::from_millis(250);
/// After a step, how long to wait for a rebuild to start before deciding none comes.
const FIRST: Duration = Duration::from_secs(3);
const EVERY: usize = 3;
const DEFAULT_OPS: usize = 100;
const DEFAULT_SEED: u64 = 0x5eed;
/// The site is kept near this size so that a long walk does not slow down as it goes.
const MAX_PAGES: usize = 40;
const MAX_SECTIONS: usize = 8;

/// splitmix64: tiny, deterministic, good enough for choosing operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn words(&mut self, n: usize) -> String {
        const WORDS: &[&str] = &[
            "knife",
            "crime",
            "London",
            "youth",
            "grant",
            "borough",
            "police",
            "summit",
            "safer",
            "schools",
            "community",
            "action",
            "plan",
            "officers",
            "funding",
            "prevention",
        ];
        (0..n)
            .map(|_| *self.pick(WORDS))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// How a file is saved.
#[derive(Clone, Copy, Debug)]
enum Save {
    InPlace,
    /// A hidden temp file renamed over the target (many editors, `sed -i`).
    TempRename,
    /// JetBrains safe write: `x___jb_tmp___` written, `x` renamed to `x___jb_old___`, the temp
    /// renamed to `x`, the old copy deleted.
    JetBrains,
    /// vim: the `4913` probe written and deleted, `x` renamed to `x~`, `x` written, `x~` deleted.
    Vim,
    /// emacs: the `.#x` lock symlink, a `x~` backup (kept or not), `x` written, the lock removed.
    Emacs,
}

const SAVES: &[Save] = &[
    Save::InPlace,
    Save::TempRename,
    Save::JetBrains,
    Save::Vim,
    Save::Emacs,
];

fn sibling(path: &Path, name: &str) -> PathBuf {
    path.with_file_name(name)
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Saves `bytes` to `path` the way `style` does; returns what was left behind (an emacs backup).
fn save(path: &Path, bytes: &[u8], style: Save, keep_backup: bool) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let name = file_name(path);
    let exists = path.exists();
    match style {
        Save::InPlace => std::fs::write(path, bytes).unwrap(),
        Save::TempRename => {
            let tmp = sibling(path, &format!(".{name}.tmp"));
            std::fs::write(&tmp, bytes).unwrap();
            std::fs::rename(&tmp, path).unwrap();
        }
        Save::JetBrains => {
            let tmp = sibling(path, &format!("{name}___jb_tmp___"));
            let old = sibling(path, &format!("{name}___jb_old___"));
            std::fs::write(&tmp, bytes).unwrap();
            if exists {
                std::fs::rename(path, &old).unwrap();
            }
            std::fs::rename(&tmp, path).unwrap();
            if exists {
                std::fs::remove_file(&old).unwrap();
            }
        }
        Save::Vim => {
            let probe = sibling(path, "4913");
            std::fs::write(&probe, b"").unwrap();
            std::fs::remove_file(&probe).unwrap();
            let backup = sibling(path, &format!("{name}~"));
            if exists {
                std::fs::rename(path, &backup).unwrap();
            }
            std::fs::write(path, bytes).unwrap();
            if exists {
                std::fs::remove_file(&backup).unwrap();
            }
        }
        Save::Emacs => {
            let lock = sibling(path, &format!(".#{name}"));
            let _ = std::fs::remove_file(&lock);
            std::os::unix::fs::symlink("soak@localhost.4242:1700000000", &lock).unwrap();
            let backup = sibling(path, &format!("{name}~"));
            if exists {
                std::fs::copy(path, &backup).unwrap();
            }
            std::fs::write(path, bytes).unwrap();
            if !keep_backup {
                let _ = std::fs::remove_file(&backup);
            }
            std::fs::remove_file(&lock).unwrap();
        }
    }
}

/// The templates the walk edits and breaks (each has `{% block main %}`).
const TEMPLATES: &[&str] = &[
    "themes/campaign/templates/page.html",
    "themes/campaign/templates/section.html",
    "themes/campaign/templates/index.html",
    "themes/campaign/templates/taxonomy_term.html",
];
const PARTIAL: &str = "themes/campaign/templates/partials/cards.html";
const CSS: &str = "themes/campaign/static/css/main.css";
/// Bundled pages whose body the walk appends to (never moved or deleted: other pages link them).
const BUNDLED: &[&str] = &[
    "content/contact.md",
    "content/accessibility.md",
    "content/_index.md",
    "content/initiatives/_index.md",
    "content/initiatives/knife-crime-strategy.md",
    "content/initiatives/young-londoners-fund.md",
];
const TERMS: &[&str] = &["Soak alpha", "Soak beta", "Preventing future violence"];

/// An outstanding breakage: the file, its good text, what was done.
#[derive(Clone, Debug)]
struct Break {
    path: String,
    good: Vec<u8>,
    what: String,
    /// A file the breakage made (removed to fix it) rather than one it changed.
    made: Option<PathBuf>,
}

struct Walk {
    root: PathBuf,
    rng: Rng,
    next_id: usize,
    /// Outstanding breakages, at most one per file.
    breaks: Vec<Break>,
    log: Vec<String>,
}

impl Walk {
    fn abs(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    fn broken(&self, rel: &str) -> bool {
        self.breaks
            .iter()
            .any(|b| b.path == rel || b.path.starts_with(&format!("{rel}/")))
    }

    /// Generated sections (`content/s3`, `content/s3/s9`), excluding those holding a breakage.
    fn sections(&self) -> Vec<String> {
        let mut out = Vec::new();
        for e in walkdir::WalkDir::new(self.abs("content")).min_depth(1) {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy();
            if e.file_type().is_dir() && is_generated(&name, 's', "") {
                let rel = site_rel(&self.root, e.path());
                if rel.split('/').skip(1).all(|p| is_generated(p, 's', "")) {
                    out.push(rel);
                }
            }
        }
        out.sort();
        out
    }

    /// Generated pages (`content/p4.md`, `content/s3/p7.md`).
    fn pages(&self) -> Vec<String> {
        self.files(|n| is_generated(n, 'p', ".md"))
    }

    fn assets(&self) -> Vec<String> {
        self.files(|n| is_generated(n, 'a', ".txt") || is_generated(n, 'a', ".png"))
    }

    fn files(&self, keep: impl Fn(&str) -> bool) -> Vec<String> {
        let mut out: Vec<String> = walkdir::WalkDir::new(self.abs("content"))
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_type().is_file() && keep(&e.file_name().to_string_lossy()))
            .map(|e| site_rel(&self.root, e.path()))
            .collect();
        out.sort();
        out
    }

    fn page_text(&mut self, title: Option<&str>) -> String {
        let title = match title {
            Some(t) => t.to_string(),
            None => {
                let w = self.rng.words(3);
                format!("Soak {w} {}", self.rng.below(1000))
            }
        };
        let mut fm = format!(
            "---\ntitle: \"{title}\"\ndate: 20{}-{:02}-{:02}\n",
            20 + self.rng.below(6),
            1 + self.rng.below(12),
            1 + self.rng.below(28)
        );
        if self.rng.chance(40) {
            fm.push_str(&format!("priorities: [\"{}\"]\n", self.rng.pick(TERMS)));
        }
        if self.rng.chance(30) {
            fm.push_str(&format!("weight: {}\n", self.rng.below(100)));
        }
        if self.rng.chance(30) {
            let w = self.rng.words(6);
            fm.push_str(&format!("summary: \"A summary: {w}.\"\n"));
        }
        fm.push_str("---\n\n");
        for _ in 0..1 + self.rng.below(3) {
            let n = 5 + self.rng.below(20);
            let w = self.rng.words(n);
            fm.push_str(&format!("{w}.\n\n"));
        }
        if self.rng.chance(30) {
            let w = self.rng.words(2);
            fm.push_str(&format!("## {w}\n\n- one\n- *two* and **three**\n"));
        }
        fm
    }

    fn section_text(&mut self, name: &str) -> String {
        let w = self.rng.words(8);
        let sort = if self.rng.chance(50) {
            "sort_by: weight\n"
        } else {
            ""
        };
        format!("---\ntitle: \"Section {name}\"\n{sort}---\n\n{w}.\n")
    }

    fn style(&mut self) -> Save {
        *self.rng.pick(SAVES)
    }

    fn save_rel(&mut self, rel: &str, bytes: &[u8]) -> String {
        let style = self.style();
        let keep = self.rng.chance(30);
        save(&self.abs(rel), bytes, style, keep);
        format!("{style:?}")
    }

    /// A parent folder for a new page or section: `content` or a generated section.
    fn parent(&mut self, max_depth: usize) -> String {
        let mut options = vec!["content".to_string()];
        options.extend(
            self.sections()
                .into_iter()
                .filter(|s| s.split('/').count() <= max_depth),
        );
        self.rng.pick(&options).clone()
    }

    /// One operation that keeps the site valid; returns its description.
    fn ordinary(&mut self) -> String {
        let pages: Vec<String> = self
            .pages()
            .into_iter()
            .filter(|p| !self.broken(p))
            .collect();
        let sections: Vec<String> = self
            .sections()
            .into_iter()
            .filter(|s| !self.broken(s))
            .collect();
        let many = pages.len() >= MAX_PAGES;
        loop {
            match self.rng.below(100) {
                // Create a page.
                0..=17 if !many => {
                    let parent = self.parent(3);
                    let id = self.id();
                    let rel = format!("{parent}/p{id}.md");
                    let text = self.page_text(None);
                    let how = self.save_rel(&rel, text.as_bytes());
                    return format!("create {rel} ({how})");
                }
                // Edit a page (sometimes keeping its title).
                18..=39 if !pages.is_empty() => {
                    let rel = self.rng.pick(&pages).clone();
                    let text = self.page_text(None);
                    let how = self.save_rel(&rel, text.as_bytes());
                    return format!("edit {rel} ({how})");
                }
                40..=47 if !pages.is_empty() => {
                    let rel = self.rng.pick(&pages).clone();
                    std::fs::remove_file(self.abs(&rel)).unwrap();
                    return format!("delete {rel}");
                }
                48..=55 if !pages.is_empty() => {
                    let rel = self.rng.pick(&pages).clone();
                    let id = self.id();
                    let to = if self.rng.chance(50) {
                        format!("{}/p{id}.md", rel.rsplit_once('/').unwrap().0)
                    } else {
                        let name = rel.rsplit_once('/').unwrap().1.to_string();
                        format!("{}/{name}", self.parent(3))
                    };
                    if to == rel {
                        continue;
                    }
                    std::fs::rename(self.abs(&rel), self.abs(&to)).unwrap();
                    return format!("rename {rel} -> {to}");
                }
                56..=61 if sections.len() < MAX_SECTIONS => {
                    let parent = self.parent(2);
                    let id = self.id();
                    let rel = format!("{parent}/s{id}");
                    let text = self.section_text(&format!("s{id}"));
                    std::fs::create_dir_all(self.abs(&rel)).unwrap();
                    let how = self.save_rel(&format!("{rel}/_index.md"), text.as_bytes());
                    // Pages written at once into the new folder (W2).
                    let mut made = Vec::new();
                    for _ in 0..self.rng.below(3) {
                        let id = self.id();
                        let page = format!("{rel}/p{id}.md");
                        let text = self.page_text(None);
                        write(&self.abs(&page), text);
                        made.push(page);
                    }
                    return format!("create section {rel} ({how}) with {made:?}");
                }
                62..=64 if !sections.is_empty() => {
                    let rel = self.rng.pick(&sections).clone();
                    let name = file_name(Path::new(&rel));
                    let text = self.section_text(&name);
                    let how = self.save_rel(&format!("{rel}/_index.md"), text.as_bytes());
                    return format!("edit {rel}/_index.md ({how})");
                }
                65..=68 if !sections.is_empty() => {
                    let rel = self.rng.pick(&sections).clone();
                    std::fs::remove_dir_all(self.abs(&rel)).unwrap();
                    return format!("rm -rf {rel}");
                }
                69..=74 if !sections.is_empty() => {
                    let rel = self.rng.pick(&sections).clone();
                    let id = self.id();
                    let depth = rel.split('/').count() - 1;
                    // Under the same parent, or under another section that is not inside it.
                    let mut to = format!("{}/s{id}", rel.rsplit_once('/').unwrap().0);
                    if self.rng.chance(40) {
                        let parent = self.parent(3 - depth.min(3));
                        if parent != rel && !parent.starts_with(&format!("{rel}/")) {
                            to = format!("{parent}/s{id}");
                        }
                    }
                    std::fs::rename(self.abs(&rel), self.abs(&to)).unwrap();
                    return format!("mv {rel} {to}");
                }
                75..=80 => {
                    let rel = self.rng.pick(BUNDLED).to_string();
                    if self.broken(&rel) {
                        continue;
                    }
                    let mut text = std::fs::read(self.abs(&rel)).unwrap();
                    let w = self.rng.words(7);
                    text.extend_from_slice(format!("\nSoak edit: {w}.\n").as_bytes());
                    let how = self.save_rel(&rel, &text);
                    return format!("append to {rel} ({how})");
                }
                81..=84 => {
                    let parent = if sections.is_empty() || self.rng.chance(20) {
                        // A folder that only holds a file: not a section, no page.
                        let id = self.id();
                        format!("{}/f{id}", self.parent(3))
                    } else {
                        self.rng.pick(&sections).clone()
                    };
                    let id = self.id();
                    let (rel, bytes) = if self.rng.chance(50) {
                        (
                            format!("{parent}/a{id}.txt"),
                            self.rng.words(5).into_bytes(),
                        )
                    } else {
                        let bytes: Vec<u8> = (0..64 + self.rng.below(512))
                            .map(|_| self.rng.next() as u8)
                            .collect();
                        (format!("{parent}/a{id}.png"), bytes)
                    };
                    let how = self.save_rel(&rel, &bytes);
                    return format!("create asset {rel} ({how})");
                }
                85..=87 => {
                    let assets = self.assets();
                    if assets.is_empty() {
                        continue;
                    }
                    let rel = self.rng.pick(&assets).clone();
                    std::fs::remove_file(self.abs(&rel)).unwrap();
                    return format!("delete asset {rel}");
                }
                88..=91 => {
                    // The stylesheet: its fingerprinted URL changes.
                    let css = read(&self.abs(CSS));
                    let base = css.split("\n/* soak ").next().unwrap().to_string();
                    let n = self.rng.below(1_000_000);
                    let text = format!("{base}\n/* soak {n} */\n");
                    let how = self.save_rel(CSS, text.as_bytes());
                    return format!("edit {CSS} ({how})");
                }
                92..=99 => {
                    // A template changed validly: a comment in its output.
                    let rel = if self.rng.chance(25) {
                        PARTIAL
                    } else {
                        *self.rng.pick(TEMPLATES)
                    };
                    if self.broken(rel) {
                        continue;
                    }
                    let text = read(&self.abs(rel));
                    let n = self.rng.below(1_000_000);
                    let new = match text.split_once("<!-- soak ") {
                        Some((a, b)) => {
                            format!("{a}<!-- soak {n}{}", &b[b.find(" -->").unwrap()..])
                        }
                        None if rel == PARTIAL => format!("<!-- soak {n} -->\n{text}"),
                        None => text.replacen(
                            "{% block main %}",
                            &format!("{{% block main %}}<!-- soak {n} -->"),
                            1,
                        ),
                    };
                    let how = self.save_rel(rel, new.as_bytes());
                    return format!("edit {rel} ({how})");
                }
                _ => continue,
            }
        }
    }

    /// Breaks one more file: a template, a page's front matter, site.yaml, or a new file whose
    /// name is not UTF-8 (P5).
    fn break_one(&mut self) -> String {
        loop {
            let kind = self.rng.below(4);
            if kind == 3 {
                use std::os::unix::ffi::OsStrExt;
                let parent = self.parent(3);
                let id = self.id();
                let mut name = b"caf\xe9-".to_vec();
                name.extend_from_slice(format!("{id}.md").as_bytes());
                let file = self.abs(&parent).join(std::ffi::OsStr::from_bytes(&name));
                write(&file, "---\ntitle: Not UTF-8\n---\n");
                let rel = format!("{parent}/caf\\xe9-{id}.md");
                self.breaks.push(Break {
                    path: rel.clone(),
                    good: Vec::new(),
                    what: "a file name that is not UTF-8".into(),
                    made: Some(file),
                });
                return format!("BREAK {rel}: a file name that is not UTF-8 (InPlace)");
            }
            let rel = match kind {
                0 => self.rng.pick(TEMPLATES).to_string(),
                1 => {
                    let mut options: Vec<String> = self.pages();
                    options.extend(BUNDLED.iter().map(|s| s.to_string()));
                    self.rng.pick(&options).clone()
                }
                _ => "site.yaml".to_string(),
            };
            if self.breaks.iter().any(|b| b.path == rel) {
                continue;
            }
            let good = std::fs::read(self.abs(&rel)).unwrap();
            let text = String::from_utf8(good.clone()).unwrap();
            let (bad, what) = match kind {
                0 => {
                    let bad =
                        *self
                            .rng
                            .pick(&["{{ page.nope( }}", "{% for x in %}", "{% endif %}"]);
                    (
                        text.replacen("{% block main %}", &format!("{{% block main %}}{bad}"), 1),
                        format!("template syntax error {bad:?}"),
                    )
                }
                1 => match self.rng.below(4) {
                    0 => (
                        text.replacen("title:", "title: Twice\ntitle:", 1),
                        "duplicate title".to_string(),
                    ),
                    1 => (
                        text.replacen("title:", "titel:", 1),
                        "unknown key titel".to_string(),
                    ),
                    2 => (
                        text.replacen("---\n", "---\nweight: [1\n", 1),
                        "unclosed flow list".to_string(),
                    ),
                    _ => {
                        // The closing `---` removed: front matter never closed.
                        let (head, body) = text[4..].split_once("\n---\n").unwrap();
                        (
                            format!("---\n{head}\n{body}"),
                            "front matter not closed".to_string(),
                        )
                    }
                },
                _ => (
                    text.replacen("title:", "titel:", 1),
                    "unknown key titel".to_string(),
                ),
            };
            assert_ne!(bad, text, "{rel}: {what} changed nothing");
            let how = self.save_rel(&rel, bad.as_bytes());
            self.breaks.push(Break {
                path: rel.clone(),
                good,
                what: what.clone(),
                made: None,
            });
            return format!("BREAK {rel}: {what} ({how})");
        }
    }

    fn fix_one(&mut self) -> String {
        let i = self.rng.below(self.breaks.len());
        let b = self.breaks.remove(i);
        if let Some(file) = &b.made {
            std::fs::remove_file(file).unwrap();
            return format!("FIX {} ({}) (removed)", b.path, b.what);
        }
        let how = self.save_rel(&b.path, &b.good);
        format!("FIX {} ({}) ({how})", b.path, b.what)
    }
}

fn is_generated(name: &str, prefix: char, ext: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|r| r.strip_suffix(ext))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn site_rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}

/// The URL of an output file.
pub(crate) fn url_of(output: &str) -> String {
    let path = if output == "index.html" {
        String::new()
    } else if let Some(dir) = output.strip_suffix("/index.html") {
        format!("{dir}/")
    } else {
        output.to_string()
    };
    let mut url = String::from("/");
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn rfind_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .rposition(|w| w.eq_ignore_ascii_case(needle))
}

/// An HTML body as served, split into the page as built and what the server injected:
/// (page, at, overlay?) where `at` is where the injection was.
pub(crate) fn strip_injection(body: &[u8]) -> Result<(Vec<u8>, usize, bool), String> {
    let script = rfind(body, b"<script src=\"/__placard/live.js\" data-version=\"")
        .ok_or("no live-reload script")?;
    let end = script
        + find(&body[script..], b"\"></script>\n").ok_or("the live-reload script is not closed")?
        + b"\"></script>\n".len();
    let mut start = script;
    let mut overlay = false;
    if body[..script].ends_with(b"</button></div>\n")
        && let Some(o) = rfind(&body[..script], b"<div id=\"placard-overlay\"")
    {
        start = o;
        overlay = true;
    }
    let mut page = body[..start].to_vec();
    page.extend_from_slice(&body[end..]);
    Ok((page, start, overlay))
}

/// Where two byte strings first differ, with some context of each.
pub(crate) fn first_difference(want: &[u8], got: &[u8]) -> String {
    let at = want
        .iter()
        .zip(got)
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(got.len()));
    let from = at.saturating_sub(80);
    let show = |b: &[u8]| {
        String::from_utf8_lossy(&b[from.min(b.len())..(at + 120).min(b.len())]).into_owned()
    };
    format!(
        "{} bytes expected, {} served; first difference at byte {at}:\n  expected: {:?}\n  served:   {:?}",
        want.len(),
        got.len(),
        show(want),
        show(got)
    )
}

/// Fetches every file of `expected` (a clean build) from the server at its URL; the number of
/// URLs fetched and what differs. HTML pages must carry the live-reload script exactly before
/// their last `</body>`, and the error overlay iff `broken`.
pub(crate) fn served_problems(
    server: &Server,
    expected: &BTreeMap<String, Vec<u8>>,
    broken: bool,
) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    let mut urls = 0;
    for (path, want) in expected {
        let url = url_of(path);
        let (status, head, body) = server.get_bytes(&url);
        urls += 1;
        if status != 200 {
            problems.push(format!("{url}: status {status}, expected 200\n{head}"));
            continue;
        }
        let html = path.ends_with(".html") || path.ends_with(".htm");
        if !html {
            if &body != want {
                problems.push(format!("{url}: {}", first_difference(want, &body)));
            }
            continue;
        }
        match strip_injection(&body) {
            Err(e) => problems.push(format!("{url}: {e}")),
            Ok((page, at, overlay)) => {
                if overlay != broken {
                    problems.push(format!(
                        "{url}: the error overlay is {}",
                        if overlay {
                            "shown while the build is good"
                        } else {
                            "missing while the build is broken"
                        }
                    ));
                }
                let body_at = rfind_ci(want, b"</body>").unwrap_or(want.len());
                if &page != want {
                    problems.push(format!("{url}: {}", first_difference(want, &page)));
                } else if at != body_at {
                    problems.push(format!(
                        "{url}: the live-reload script is at byte {at}, not before </body> at {body_at}"
                    ));
                }
            }
        }
    }
    (urls, problems)
}

/// Asserts that the server serves exactly what a clean build of `root` makes (`args` as given
/// to `serve`: `--drafts`, `--as-of`), and that it builds; returns the clean build.
pub(crate) fn assert_serves_clean_build(
    server: &Server,
    root: &Path,
    args: &[&str],
) -> BTreeMap<String, Vec<u8>> {
    let expected = clean_build(root, server.port, args)
        .unwrap_or_else(|e| panic!("the clean build failed:\n{e}"));
    let (_, problems) = served_problems(server, &expected, false);
    assert!(
        problems.is_empty(),
        "the server does not serve what a clean build makes:\n{}\nthe server printed:\n{}",
        problems.join("\n"),
        server.lines().join("\n")
    );
    expected
}

/// A clean build of `root` for the server's URL: Ok(files by output path) or Err(its stderr).
pub(crate) fn clean_build(
    root: &Path,
    port: u16,
    args: &[&str],
) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("public");
    let base = format!("http://127.0.0.1:{port}/");
    let mut all = vec![
        "build",
        "-o",
        dir.to_str().unwrap(),
        "--base-url",
        &base,
        "--quiet",
    ];
    all.extend_from_slice(args);
    let o = placard(root, &all);
    if !o.status.success() {
        return Err(stderr(&o));
    }
    let mut files = tree(&dir);
    files.remove("manifest.json");
    Ok(files)
}

struct Stats {
    ops: usize,
    steps: usize,
    compared: usize,
    urls: usize,
    gone_checked: usize,
    broken_compared: usize,
    retries: usize,
    no_rebuild: usize,
}

struct Soak {
    server: Server,
    walk: Walk,
    /// The clean build of the last tree that built, by output path.
    last_good: BTreeMap<String, Vec<u8>>,
    /// Every URL of any clean build so far.
    seen: BTreeSet<String>,
    /// The URLs of the last comparison.
    previous: BTreeSet<String>,
    stats: Stats,
    /// The step after which the last comparison ran.
    compared_at: usize,
    failures: Vec<String>,
}

impl Soak {
    /// Waits for the server to be idle after a step that started at `before`.
    fn settle(&mut self, before: Rebuilds) {
        if !self.server.settle(before, FIRST, QUIET) {
            self.stats.no_rebuild += 1;
            self.walk.log.push("  (no rebuild within 3 s)".into());
        }
    }

    /// One comparison of everything the server serves with a clean build; the mismatches.
    fn compare_once(&mut self, all_gone: bool) -> Result<(usize, usize, bool), Vec<String>> {
        let built = clean_build(&self.walk.root, self.server.port, &[]);
        let mut problems = Vec::new();
        let broken = built.is_err();
        if broken == self.walk.breaks.is_empty() {
            problems.push(format!(
                "the clean build {} while {} breakage is outstanding{}",
                if broken { "failed" } else { "succeeded" },
                if self.walk.breaks.is_empty() {
                    "no"
                } else {
                    "a"
                },
                match &built {
                    Err(e) => format!(":\n{e}"),
                    Ok(_) => String::new(),
                }
            ));
        }
        let expected = match built {
            Ok(files) => {
                self.last_good = files.clone();
                files
            }
            Err(_) => self.last_good.clone(),
        };
        let now: BTreeSet<String> = expected.keys().map(|k| url_of(k)).collect();
        let (urls, mut found) = served_problems(&self.server, &expected, broken);
        problems.append(&mut found);
        // URLs that went away: those gone since the last comparison, a sample of older ones.
        let gone: Vec<String> = self.seen.difference(&now).cloned().collect();
        let mut check: Vec<String> = gone
            .iter()
            .filter(|u| all_gone || self.previous.contains(*u))
            .cloned()
            .collect();
        let older: Vec<String> = gone
            .iter()
            .filter(|u| !self.previous.contains(*u))
            .cloned()
            .collect();
        if !all_gone {
            for _ in 0..40.min(older.len()) {
                check.push(self.walk.rng.pick(&older).clone());
            }
        }
        check.push("/s0/never-made/".into());
        for url in &check {
            let (status, _, _) = self.server.get_bytes(url);
            if status != 404 {
                problems.push(format!(
                    "{url}: status {status}, expected 404 (not in the clean build)"
                ));
            }
        }
        if problems.is_empty() {
            self.seen.extend(now.iter().cloned());
            self.previous = now;
            Ok((urls, check.len(), broken))
        } else {
            Err(problems)
        }
    }

    fn compare(&mut self, all_gone: bool) {
        let step = self.stats.steps;
        self.compared_at = step;
        for attempt in 0..3 {
            match self.compare_once(all_gone) {
                Ok((urls, gone, broken)) => {
                    self.stats.compared += 1;
                    self.stats.urls += urls;
                    self.stats.gone_checked += gone;
                    self.stats.broken_compared += usize::from(broken);
                    return;
                }
                Err(problems) if attempt < 2 => {
                    self.stats.retries += 1;
                    self.walk.log.push(format!(
                        "  (step {step}: compared again after a longer wait; first: {})",
                        problems[0].lines().next().unwrap_or_default()
                    ));
                    let before = self.server.rebuilds();
                    self.server
                        .settle(before, Duration::from_millis(500), Duration::from_secs(1));
                }
                Err(problems) => {
                    let shown: Vec<String> = problems.iter().take(5).cloned().collect();
                    self.failures.push(format!(
                        "step {step} ({} more problems not shown):\n{}",
                        problems.len().saturating_sub(5),
                        shown.join("\n")
                    ));
                    self.walk.log.push(format!("  FAILURE at step {step}"));
                }
            }
        }
    }

    fn step(&mut self, f: impl FnOnce(&mut Walk) -> String) {
        let before = self.server.rebuilds();
        self.stats.steps += 1;
        let what = f(&mut self.walk);
        self.walk
            .log
            .push(format!("step {}: {what}", self.stats.steps));
        self.settle(before);
    }
}

#[test]
fn a_random_walk_of_edits_serves_what_a_clean_build_makes() {
    let seed = env_number("PLACARD_SOAK_SEED", DEFAULT_SEED);
    let ops = env_number("PLACARD_SOAK_OPS", DEFAULT_OPS as u64) as usize;
    let every = env_number("PLACARD_SOAK_EVERY", EVERY as u64).max(1) as usize;
    let started = Instant::now();
    let site = bundled_site();
    let root = site.path().canonicalize().unwrap();
    let server = Server::start(&root);
    let mut soak = Soak {
        server,
        walk: Walk {
            root,
            rng: Rng(seed),
            next_id: 0,
            breaks: Vec::new(),
            log: Vec::new(),
        },
        last_good: BTreeMap::new(),
        seen: BTreeSet::new(),
        previous: BTreeSet::new(),
        stats: Stats {
            ops: 0,
            steps: 0,
            compared: 0,
            urls: 0,
            gone_checked: 0,
            broken_compared: 0,
            retries: 0,
            no_rebuild: 0,
        },
        compared_at: usize::MAX,
        failures: Vec::new(),
    };
    soak.compare(false);

    while soak.stats.ops < ops {
        let rng = &mut soak.walk.rng;
        let roll = rng.below(100);
        let broken = !soak.walk.breaks.is_empty();
        // A point right after a breakage or its fix is always compared.
        let mut always = true;
        if broken && roll < 25 {
            soak.step(Walk::fix_one);
            soak.stats.ops += 1;
        } else if roll < 6 && soak.walk.breaks.len() < 2 {
            // The last good tree is the one just before the first breakage: compare it.
            if !broken && soak.compared_at != soak.stats.steps {
                soak.compare(false);
            }
            soak.step(Walk::break_one);
            soak.stats.ops += 1;
        } else if roll < 22 {
            always = false;
            let n = 2 + rng.below(5);
            soak.step(|w| {
                let mut done = Vec::new();
                for _ in 0..n {
                    done.push(w.ordinary());
                    let pause = w.rng.below(4) as u64 * 10;
                    std::thread::sleep(Duration::from_millis(pause));
                }
                format!("burst [{}]", done.join("; "))
            });
            soak.stats.ops += n;
        } else {
            always = false;
            soak.step(Walk::ordinary);
            soak.stats.ops += 1;
        }
        if always || soak.stats.steps.is_multiple_of(every) {
            soak.compare(false);
        }
        if soak.stats.steps.is_multiple_of(500) {
            // Seen with --nocapture (scripts/soak.sh).
            eprintln!(
                "soak: {} operations, {} steps, {} compared, {} failures, {:.0} s",
                soak.stats.ops,
                soak.stats.steps,
                soak.stats.compared,
                soak.failures.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    soak.compare(false);
    // Fix what is still broken; the server recovers without a restart.
    while !soak.walk.breaks.is_empty() {
        soak.step(Walk::fix_one);
        soak.compare(false);
    }
    soak.compare(true);

    let rebuilds = soak.server.rebuilds();
    let s = &soak.stats;
    let summary = format!(
        "soak: seed {seed:#x}, {} operations in {} steps; {} quiescent points compared ({} while broken), \
         {} URLs compared byte for byte, {} gone URLs checked for 404; {} rebuilds ({} failed); \
         {} comparisons retried after a longer wait; {} steps without a rebuild; {} failures; {:.1} s",
        s.ops,
        s.steps,
        s.compared,
        s.broken_compared,
        s.urls,
        s.gone_checked,
        rebuilds.done(),
        rebuilds.failed,
        s.retries,
        s.no_rebuild,
        soak.failures.len(),
        started.elapsed().as_secs_f64()
    );
    eprintln!("{summary}");
    if let Some(path) = std::env::var_os("PLACARD_SOAK_LOG") {
        let text = format!("{summary}\n\nop log:\n{}\n", soak.walk.log.join("\n"));
        std::fs::write(path, text).unwrap();
    }
    // The server is still the same process.
    assert!(soak.server.is_running(), "the server exited");
    if !soak.failures.is_empty() {
        let log_path = std::env::temp_dir().join(format!("placard-soak-{seed:x}.log"));
        let text = format!(
            "{summary}\nreproduce: PLACARD_SOAK_SEED={seed:#x} PLACARD_SOAK_OPS={ops} PLACARD_SOAK_EVERY={every} cargo test --test placard soak::\n\nfailures:\n{}\n\nop log:\n{}\n\nserver output:\n{}\n",
            soak.failures.join("\n\n"),
            soak.walk.log.join("\n"),
            soak.server.lines().join("\n")
        );
        std::fs::write(&log_path, &text).unwrap();
        let tail: Vec<&String> = soak
            .walk
            .log
            .iter()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        panic!(
            "{summary}\nreproduce: PLACARD_SOAK_SEED={seed:#x} PLACARD_SOAK_OPS={ops} PLACARD_SOAK_EVERY={every}\nfull log: {}\n\nfailures:\n{}\n\nlast steps:\n{}",
            log_path.display(),
            soak.failures
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n\n"),
            tail.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
