//! `placard serve`: the real binary on 127.0.0.1 port 0, serving a temp copy of a fixture site,
//! talked to over raw TCP (hostile requests must reach it exactly as written). Every wait is
//! bounded.

use crate::support::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) const WAIT: Duration = Duration::from_secs(15);

/// A running `placard serve` (killed on drop), shared with `soak.rs`.
pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
    /// Everything the server printed so far, stdout and stderr.
    output: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub(crate) fn start(site: &Path) -> Server {
        Server::start_with(site, &[])
    }

    pub(crate) fn start_with(site: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_placard"))
            .arg("--root")
            .arg(site)
            .args(["serve", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let output = Arc::clone(&output);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    output.lock().unwrap().push(line);
                }
            });
        }
        let mut server = Server {
            child,
            port: 0,
            output,
        };
        let line = server.wait_for_line("Serving the site at http://127.0.0.1:");
        let port = line
            .split("127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        server.port = port;
        server
    }

    /// Whether the process is still alive.
    pub(crate) fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub(crate) fn lines(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }

    pub(crate) fn wait_for_line(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(l) = self.lines().into_iter().find(|l| l.contains(needle)) {
                return l;
            }
            assert!(
                start.elapsed() < WAIT,
                "no {needle:?} from the server; it printed:\n{}",
                self.lines().join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `raw` as is; returns (status, head, body).
    pub(crate) fn raw(&self, raw: &[u8]) -> (u16, String, String) {
        let (status, head, body) = self.raw_bytes(raw);
        (status, head, String::from_utf8_lossy(&body).into_owned())
    }

    /// [`Server::raw`] with the body as bytes (images, fonts).
    pub(crate) fn raw_bytes(&self, raw: &[u8]) -> (u16, String, Vec<u8>) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        s.write_all(raw).unwrap();
        let mut bytes = Vec::new();
        let _ = s.read_to_end(&mut bytes);
        let split = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(bytes.len());
        let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
        let body = bytes.get(split + 4..).unwrap_or_default().to_vec();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, head, body)
    }

    /// GET `path` (already percent-encoded) with the body as bytes.
    pub(crate) fn get_bytes(&self, path: &str) -> (u16, String, Vec<u8>) {
        self.raw_bytes(
            format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
                self.port
            )
            .as_bytes(),
        )
    }

    /// Rebuilds so far: (started after a change, succeeded, failed), the first build included
    /// in the last two (it has no `Changed:` line).
    pub(crate) fn rebuilds(&self) -> Rebuilds {
        let lines = self.lines();
        let count = |p: &str| lines.iter().filter(|l| l.starts_with(p)).count();
        Rebuilds {
            changed: count("Changed: "),
            built: count("Built "),
            failed: count("error: the rebuild failed"),
        }
    }

    /// Waits until the server is idle after changes made since `before`: at least one rebuild
    /// finished after `before` (or `first` passed without one), every rebuild that started has
    /// finished, and nothing was printed for `quiet`. Returns whether a rebuild was seen; panics
    /// after [`WAIT`] of continuous rebuilding.
    pub(crate) fn settle(&self, before: Rebuilds, first: Duration, quiet: Duration) -> bool {
        let start = Instant::now();
        let mut seen = self.lines().len();
        let mut last_change = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(10));
            let n = self.lines().len();
            if n != seen {
                seen = n;
                last_change = Instant::now();
            }
            let now = self.rebuilds();
            let rebuilt = now.done() > before.done();
            let idle = now.changed + 1 == now.done();
            if idle && (rebuilt || start.elapsed() > first) && last_change.elapsed() >= quiet {
                return rebuilt;
            }
            assert!(
                start.elapsed() < WAIT + first,
                "the server did not settle; it printed:\n{}",
                self.lines().join("\n")
            );
        }
    }

    pub(crate) fn get(&self, path: &str) -> (u16, String, String) {
        self.raw(
            format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
                self.port
            )
            .as_bytes(),
        )
    }

    /// Waits until `path` is served with `needle` in it (or, with `present` false, without).
    pub(crate) fn wait_for_page(&self, path: &str, needle: &str, present: bool) -> String {
        let start = Instant::now();
        loop {
            let (status, _, body) = self.get(path);
            if (status == 200 && body.contains(needle)) == present {
                return body;
            }
            assert!(
                start.elapsed() < WAIT,
                "{path} {} {needle:?} (status {status}); the server printed:\n{}",
                if present {
                    "never showed"
                } else {
                    "still shows"
                },
                self.lines().join("\n")
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub(crate) fn events(&self) -> Events {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.write_all(
            format!(
                "GET /__placard/events HTTP/1.1\r\nHost: localhost:{}\r\nAccept: text/event-stream\r\n\r\n",
                self.port
            )
            .as_bytes(),
        )
        .unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut events = Events {
            reader: BufReader::new(s),
        };
        let (name, _) = events.next().expect("no hello event");
        assert_eq!(name, "hello");
        events
    }
}

/// Counts of the server's rebuild lines (see [`Server::rebuilds`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rebuilds {
    pub(crate) changed: usize,
    pub(crate) built: usize,
    pub(crate) failed: usize,
}

impl Rebuilds {
    /// Builds finished, good or failed.
    pub(crate) fn done(&self) -> usize {
        self.built + self.failed
    }
}

pub(crate) struct Events {
    reader: BufReader<TcpStream>,
}

impl Events {
    /// The next event (name, data), waiting at most [`WAIT`].
    pub(crate) fn next(&mut self) -> Option<(String, String)> {
        let start = Instant::now();
        let (mut name, mut data) = (String::new(), String::new());
        let mut line = String::new();
        while start.elapsed() < WAIT {
            line.clear();
            match self.reader.read_line(&mut line) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(_) => continue, // read timeout: try again until WAIT
            }
            // Chunked transfer: size lines are hex numbers; event lines have a colon.
            let l = line.trim_end();
            if let Some(v) = l.strip_prefix("event: ") {
                name = v.to_string();
            } else if let Some(v) = l.strip_prefix("data: ") {
                data = v.to_string();
            } else if l.is_empty() && !name.is_empty() {
                return Some((name, data));
            }
        }
        None
    }

    /// Waits for an event named `name`, skipping others.
    pub(crate) fn expect(&mut self, name: &str) -> String {
        while let Some((n, d)) = self.next() {
            if n == name {
                return d;
            }
        }
        panic!("no {name} event within {WAIT:?}");
    }
}

fn served_site() -> (tempfile::TempDir, Server) {
    let site = site("output-basic");
    let server = Server::start(site.path());
    (site, server)
}

/// The dev server and publishing give every file one type, from one table: a spreadsheet, a
/// zip and a Word file (which the server once sent as bytes) are served as they will be
/// published.
#[test]
fn files_are_served_with_the_type_they_are_published_with() {
    let site = site("output-basic");
    for name in ["figures.csv", "pack.zip", "plan.docx", "photo.webp"] {
        write(&site.path().join("content/news").join(name), b"data");
    }
    let server = Server::start(site.path());
    for name in ["figures.csv", "pack.zip", "plan.docx", "photo.webp"] {
        let (status, head, _) = server.get(&format!("/news/{name}"));
        assert_eq!(status, 200, "{head}");
        let want = placard::content_type::of(name);
        assert!(
            head.contains(&format!("content-type: {want}\r\n")),
            "{name}: {head}"
        );
    }
    let (_, head, _) = server.get("/news/figures.csv");
    assert!(
        head.contains("content-type: text/csv; charset=utf-8"),
        "{head}"
    );
}

#[test]
fn pages_come_from_memory_and_hostile_requests_are_refused() {
    let (site, server) = served_site();
    let (status, head, body) = server.get("/");
    assert_eq!(status, 200, "{head}");
    assert!(
        head.contains("content-type: text/html; charset=utf-8"),
        "{head}"
    );
    assert!(
        body.contains("<script src=\"/__placard/live.js\""),
        "{body}"
    );
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("access-control-allow-origin")
    );
    let (status, head, _) = server.get("/style.46f17399.css");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/css"), "{head}");
    // Nothing was written to the site folder.
    assert!(!site.path().join("public").exists());

    let port = server.port;
    let host = format!("127.0.0.1:{port}");
    let long = format!("/{}", "a".repeat(100_000));
    let cases: Vec<(String, &[u16])> = vec![
        (
            format!("GET /../../etc/passwd HTTP/1.1\r\nHost: {host}\r\n"),
            &[400],
        ),
        (
            format!("GET /%2e%2e%2f%2e%2e%2fetc/passwd HTTP/1.1\r\nHost: {host}\r\n"),
            &[400],
        ),
        (
            format!("GET /..%2f..%2fetc/passwd HTTP/1.1\r\nHost: {host}\r\n"),
            &[400],
        ),
        (
            format!("GET /%252e%252e%252fetc/passwd HTTP/1.1\r\nHost: {host}\r\n"),
            &[404],
        ),
        (
            format!("GET /..\\..\\etc\\passwd HTTP/1.1\r\nHost: {host}\r\n"),
            &[400],
        ),
        (
            format!("GET /index.html%00.css HTTP/1.1\r\nHost: {host}\r\n"),
            &[400],
        ),
        (
            format!("GET {long} HTTP/1.1\r\nHost: {host}\r\n"),
            &[414, 431, 400],
        ),
        (
            "GET / HTTP/1.1\r\nHost: evil.example\r\n".to_string(),
            &[403],
        ),
        (
            format!("GET / HTTP/1.1\r\nHost: evil.example:{port}\r\n"),
            &[403],
        ),
        ("GET / HTTP/1.1\r\n".to_string(), &[400, 403]),
        (
            format!("POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n"),
            &[405],
        ),
        (
            format!("DELETE /index.html HTTP/1.1\r\nHost: {host}\r\n"),
            &[405],
        ),
        (
            format!("GET /no/such/page/ HTTP/1.1\r\nHost: {host}\r\n"),
            &[404],
        ),
        // S1, S2, S5 in full: four levels raw, encoded dots with real slashes, encoded
        // backslashes, drive letters, UNC-style doubled slashes, bytes that are not UTF-8.
        (
            format!("GET /../../../../etc/passwd HTTP/1.1\r\nHost: {host}\r\n"),
            &[400],
        ),
        (
            format!("GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: {host}\r\n"),
            &[400],
        ),
        (
            format!("GET /%5c..%5c HTTP/1.1\r\nHost: {host}\r\n"),
            &[400],
        ),
        (
            format!("GET /C:/x HTTP/1.1\r\nHost: {host}\r\n"),
            &[400, 404],
        ),
        (
            format!("GET //host/share/x HTTP/1.1\r\nHost: {host}\r\n"),
            &[400, 404],
        ),
        (format!("GET /%ff%fe HTTP/1.1\r\nHost: {host}\r\n"), &[400]),
        (format!("GET /%00 HTTP/1.1\r\nHost: {host}\r\n"), &[400]),
        // S7: another site's script may not read the preview or its live-reload stream.
        (
            format!(
                "GET /__placard/events HTTP/1.1\r\nHost: {host}\r\nOrigin: https://evil.example\r\n"
            ),
            &[403],
        ),
        (
            format!("GET / HTTP/1.1\r\nHost: {host}\r\nOrigin: http://evil.example:{port}\r\n"),
            &[403],
        ),
        (
            format!("GET / HTTP/1.1\r\nHost: {host}\r\nOrigin: null\r\n"),
            &[403],
        ),
        (
            format!("GET / HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n"),
            &[200],
        ),
    ];
    for (request, allowed) in &cases {
        let (status, head, body) =
            server.raw(format!("{request}Connection: close\r\n\r\n").as_bytes());
        let first = request.lines().next().unwrap_or_default();
        let first = &first[..first.len().min(80)];
        assert!(allowed.contains(&status), "{first}: {status}\n{head}");
        // Nothing from outside the build is ever in an answer, nor a CORS header.
        assert!(!body.contains("root:x:0:0"), "{first}");
        assert!(
            !head
                .to_ascii_lowercase()
                .contains("access-control-allow-origin"),
            "{first}"
        );
    }
    // The theme's 404 page, with status 404.
    let (status, _, body) = server.get("/no/such/page/");
    assert_eq!(status, 404);
    assert!(
        body.contains("<script src=\"/__placard/live.js\""),
        "{body}"
    );
    // localhost and HEAD work; a section without its slash is redirected.
    let (status, head, body) = server.raw(
        format!("HEAD / HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(status, 200);
    assert!(body.is_empty());
    assert!(!head.contains("content-length: 0"), "{head}");
    let (status, head, _) = server.get("/news");
    assert_eq!(status, 301);
    assert!(head.contains("location: /news/"), "{head}");
    // And it still serves.
    assert_eq!(server.get("/").0, 200);
}

#[test]
fn edits_reload_the_page_and_errors_show_until_fixed() {
    let (site, server) = served_site();
    let root = site.path();
    let mut events = server.events();
    let page = root.join("content/news/first-update.md");

    // Write in place.
    let text = read(&page);
    write(&page, text.replace("More text.", "Edited in place."));
    events.expect("reload");
    server.wait_for_page("/news/first-update/", "Edited in place.", true);

    // Atomic save: a temp file renamed over the page.
    let tmp = root.join("content/news/.first-update.md.tmp");
    write(
        &tmp,
        read(&page).replace("Edited in place.", "Saved atomically."),
    );
    std::fs::rename(&tmp, &page).unwrap();
    events.expect("reload");
    server.wait_for_page("/news/first-update/", "Saved atomically.", true);

    // Delete, then create again.
    let saved = read(&page);
    std::fs::remove_file(&page).unwrap();
    server.wait_for_page("/news/first-update/", "Saved atomically.", false);
    write(&page, saved.replace("Saved atomically.", "Created again."));
    server.wait_for_page("/news/first-update/", "Created again.", true);

    // A new nested folder with a page inside, written at once.
    write(
        &root.join("content/news/deep/a/b/new-page.md"),
        "---\ntitle: Deep new page\ndate: 2026-01-20\n---\nFrom deep down.\n",
    );
    server.wait_for_page("/news/deep/a/b/new-page/", "From deep down.", true);

    // A broken template: every page shows the error over the last good version.
    let template = root.join("themes/tiny/templates/page.html");
    let good = read(&template);
    write(
        &template,
        good.replace("{% block main %}", "{% block main %}{{ page.nope( }}"),
    );
    let body = server.wait_for_page("/news/first-update/", "placard-overlay", true);
    assert!(body.contains("themes/tiny/templates/page.html"), "{body}");
    assert!(
        body.contains("Created again."),
        "the last good page is kept"
    );
    write(&template, &good);
    server.wait_for_page("/news/first-update/", "placard-overlay", false);

    // Broken front matter, then fixed.
    write(
        &page,
        read(&page).replace("title: First update", "title: First update\ntitle: Twice"),
    );
    let body = server.wait_for_page("/", "placard-overlay", true);
    assert!(body.contains("duplicate key `title`"), "{body}");
    assert!(body.contains("content/news/first-update.md:"), "{body}");
    write(
        &page,
        read(&page).replace("title: First update\ntitle: Twice", "title: First update"),
    );
    server.wait_for_page("/", "placard-overlay", false);

    // A shortcode template changed: pages that use it are rendered again (parsed pages are
    // kept between rebuilds only while the templates they were made with are unchanged).
    let shortcode = root.join("themes/tiny/templates/shortcodes/stat.html");
    write(
        &shortcode,
        read(&shortcode).replace("class=\"stat\"", "class=\"changed\""),
    );
    server.wait_for_page("/about/", "class=\"changed\"", true);

    // A mistake in site.yaml shows like any other, and goes when fixed.
    let config = root.join("site.yaml");
    let good_config = read(&config);
    write(&config, good_config.replace("title:", "titel:"));
    let body = server.wait_for_page("/", "placard-overlay", true);
    assert!(
        body.contains("site.yaml:1:1") && body.contains("titel"),
        "{body}"
    );
    write(&config, &good_config);
    server.wait_for_page("/", "placard-overlay", false);

    // A new section; rename its folder, then delete it.
    write(
        &root.join("content/press/_index.md"),
        "---\ntitle: Press\n---\n",
    );
    write(
        &root.join("content/press/launch.md"),
        "---\ntitle: Launch\ndate: 2026-01-21\n---\nWe launched.\n",
    );
    server.wait_for_page("/press/launch/", "We launched.", true);
    std::fs::rename(root.join("content/press"), root.join("content/releases")).unwrap();
    server.wait_for_page("/releases/launch/", "We launched.", true);
    assert_eq!(server.get("/press/launch/").0, 404);
    std::fs::remove_dir_all(root.join("content/releases")).unwrap();
    server.wait_for_page("/releases/launch/", "We launched.", false);
    assert_eq!(server.get("/releases/launch/").0, 404);
    // Still live, and the page edited at the start is as last saved.
    server.wait_for_page("/news/first-update/", "Created again.", true);
}

#[test]
fn a_burst_of_saves_gives_few_rebuilds_and_the_last_write_wins() {
    let (site, server) = served_site();
    let page = site.path().join("content/about.md");
    let text = read(&page);
    let before = server
        .lines()
        .iter()
        .filter(|l| l.starts_with("Built "))
        .count();
    let start = Instant::now();
    for i in 0..50 {
        write(&page, format!("{text}\nSave number {i}.\n"));
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(start.elapsed() < Duration::from_secs(3));
    server.wait_for_page("/about/", "Save number 49.", true);
    std::thread::sleep(Duration::from_millis(300));
    let rebuilds = server
        .lines()
        .iter()
        .filter(|l| l.starts_with("Built "))
        .count()
        - before;
    assert!(rebuilds >= 1, "no rebuild");
    // The first save rebuilds at once; the rest of the burst is collected into one more.
    assert!(rebuilds <= 4, "{rebuilds} rebuilds for 50 saves");
}

#[test]
fn a_css_change_swaps_the_stylesheet_without_a_reload() {
    let (site, server) = served_site();
    let mut events = server.events();
    let css = site.path().join("themes/tiny/static/style.css");
    write(&css, read(&css) + "\nbody { color: #111; }\n");
    let data = events.expect("css");
    assert!(
        data.contains("\"/style.46f17399.css\"") && data.contains("/style."),
        "{data}"
    );
}

#[test]
fn previews_show_drafts_and_embargoed_pages_with_their_banner() {
    let site = site("output-basic");
    let server = Server::start_with(site.path(), &["--drafts", "--as-of", "2026-03-01T12:00"]);
    let body = server.wait_for_page("/news/secret-draft/", "Secret draft", true);
    assert!(body.contains("Draft: not published"), "{body}");
    // A preview is not for search engines.
    assert!(server.get("/robots.txt").2.contains("Disallow: /"));
    // Without --drafts the draft is not served: its address is the 404 page, saying which
    // draft it is and how to see it, and so does the terminal at start-up.
    write(
        &site.path().join("content/news/next-year.md"),
        "---\ntitle: Next year\npublish_at: 2099-01-01T09:00\n---\n\nText.\n",
    );
    // A draft with a date: a draft first (at its date it is still one).
    write(
        &site.path().join("content/news/dated-draft.md"),
        "---\ntitle: Dated draft\ndraft: true\npublish_at: 2099-01-01T09:00\n---\n\nText.\n",
    );
    let plain = Server::start(site.path());
    let (status, _, body) = plain.get("/news/secret-draft/");
    assert_eq!(status, 404);
    assert!(
        body.contains("<code>content/news/secret-draft.md</code> is a draft, and drafts are not shown: run <code>placard serve --drafts</code> to see it."),
        "{body}"
    );
    plain.wait_for_line(
        "2 drafts are not shown (content/news/dated-draft.md, content/news/secret-draft.md); `placard serve --drafts` shows them",
    );
    let (_, _, body) = plain.get("/news/next-year/");
    assert!(
        body.contains("<code>content/news/next-year.md</code> is embargoed until 2099-01-01T09:00+00:00: run <code>placard serve --as-of 2099-01-01T09:00+00:00</code>"),
        "{body}"
    );
    let (_, _, body) = plain.get("/news/dated-draft/");
    assert!(
        body.contains(
            "<code>content/news/dated-draft.md</code> is a draft, and drafts are not shown"
        ),
        "{body}"
    );
    // Any other missing address is the plain 404.
    let (status, _, body) = plain.get("/news/no-such-page/");
    assert_eq!(status, 404);
    assert!(!body.contains("placard-not-live"), "{body}");
    // A page made while serving (always a draft) is named when it appears.
    write(
        &site.path().join("content/news/new-idea.md"),
        "---\ntitle: A new idea\ndraft: true\n---\n\nText.\n",
    );
    plain.wait_for_line("content/news/new-idea.md is a draft and is not shown");
}

#[test]
fn editor_leftovers_and_reads_never_rebuild() {
    let (site, server) = served_site();
    let root = site.path();
    let built = || {
        server
            .lines()
            .iter()
            .filter(|l| l.starts_with("Built "))
            .count()
    };
    let before = built();
    for leftover in [
        "content/news/.#first-update.md",
        "content/news/#first-update.md#",
        "content/news/first-update.md~",
        "content/news/.first-update.md.swp",
        "content/news/first-update.md___jb_tmp___",
        "content/.DS_Store",
        "public/index.html",
    ] {
        write(&root.join(leftover), "---\ntitle: x\n---\n");
    }
    // Reading every page (as a build does) is not a change either.
    for entry in walkdir::WalkDir::new(root.join("content")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let _ = std::fs::read(entry.path());
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(built(), before, "{}", server.lines().join("\n"));
    // A real change still does.
    let page = root.join("content/about.md");
    write(&page, read(&page) + "\nStill watching.\n");
    server.wait_for_page("/about/", "Still watching.", true);
}

/// Waits until the server is idle after changes made since `before` (a rebuild must come).
fn settle(server: &Server, before: Rebuilds) {
    assert!(
        server.settle(before, Duration::from_secs(5), Duration::from_millis(300)),
        "no rebuild; the server printed:\n{}",
        server.lines().join("\n")
    );
}

/// W1: each editor's real save sequence is one change: at most one rebuild, and the site served
/// is what a clean build of the tree makes.
#[test]
fn editor_save_sequences_rebuild_once_and_serve_a_clean_build() {
    let (site, server) = served_site();
    let root = site.path();
    let page = root.join("content/news/first-update.md");
    let dir = page.parent().unwrap().to_path_buf();
    let at = |name: &str| dir.join(name);
    let text = read(&page);
    type Save<'a> = &'a dyn Fn(&str);
    let styles: [(&str, Save); 5] = [
        ("vim", &|new| {
            // `:w` with the default 'backupcopy' and 'writebackup': the 4913 probe, the
            // original renamed to its backup, the new file written, the backup deleted.
            write(&at("4913"), "");
            std::fs::remove_file(at("4913")).unwrap();
            std::fs::rename(&page, at("first-update.md~")).unwrap();
            write(&page, new);
            std::fs::remove_file(at("first-update.md~")).unwrap();
        }),
        ("JetBrains (temp renamed over)", &|new| {
            write(&at("first-update.md___jb_tmp___"), new);
            std::fs::rename(at("first-update.md___jb_tmp___"), &page).unwrap();
            write(&at("first-update.md___jb_old___"), &text);
            std::fs::remove_file(at("first-update.md___jb_old___")).unwrap();
        }),
        ("JetBrains (original renamed away)", &|new| {
            write(&at("first-update.md___jb_tmp___"), new);
            std::fs::rename(&page, at("first-update.md___jb_old___")).unwrap();
            std::fs::rename(at("first-update.md___jb_tmp___"), &page).unwrap();
            std::fs::remove_file(at("first-update.md___jb_old___")).unwrap();
        }),
        ("emacs", &|new| {
            // The lock is a dangling symlink; the first save keeps a `~` backup.
            std::os::unix::fs::symlink("me@host.4242:1700000000", at(".#first-update.md")).unwrap();
            std::fs::copy(&page, at("first-update.md~")).unwrap();
            write(&page, new);
            std::fs::remove_file(at(".#first-update.md")).unwrap();
        }),
        ("in place", &|new| write(&page, new)),
    ];
    for (name, save) in styles {
        let before = server.rebuilds();
        let new = text.replace("More text.", &format!("Saved by {name}."));
        save(&new);
        settle(&server, before);
        let after = server.rebuilds();
        assert_eq!(
            after.built - before.built,
            1,
            "{name}: rebuilds {before:?} -> {after:?}; the server printed:\n{}",
            server.lines().join("\n")
        );
        assert_eq!(after.failed, before.failed, "{name}");
        let (_, _, body) = server.get("/news/first-update/");
        assert!(
            body.contains(&format!("Saved by {name}.")),
            "{name}: {body}"
        );
        crate::soak::assert_serves_clean_build(&server, root, &[]);
    }
    // The emacs backup left behind is not a page.
    assert_eq!(server.get("/news/first-update.md~").0, 404);
}

/// W3: a section folder renamed, then a page inside it edited; a section folder deleted.
#[test]
fn a_renamed_section_serves_its_pages_at_the_new_urls_and_takes_edits() {
    let site = site("output-basic");
    let root = site.path();
    // A section nothing links into (a link into it would break the build when it moves).
    write(
        &root.join("content/campaigns/_index.md"),
        "---\ntitle: Campaigns\nsort_by: date\n---\nOur campaigns.\n",
    );
    for (i, name) in ["spring", "summer"].iter().enumerate() {
        write(
            &root.join(format!("content/campaigns/{name}.md")),
            format!(
                "---\ntitle: The {name} campaign\ndate: 2025-0{}-01\n---\nAbout {name}.\n",
                i + 3
            ),
        );
    }
    write(
        &root.join("content/campaigns/autumn/index.md"),
        "---\ntitle: The autumn campaign\ndate: 2025-09-01\n---\n![A leaf](leaf.svg)\n",
    );
    write(
        &root.join("content/campaigns/autumn/leaf.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    );
    let server = Server::start(root);
    let old = crate::soak::assert_serves_clean_build(&server, root, &[]);
    let old_urls: Vec<String> = old
        .keys()
        .filter(|k| k.starts_with("campaigns/"))
        .map(|k| crate::soak::url_of(k))
        .collect();
    assert!(old_urls.len() >= 5, "{old_urls:?}");

    let before = server.rebuilds();
    std::fs::rename(root.join("content/campaigns"), root.join("content/drives")).unwrap();
    settle(&server, before);
    server.wait_for_page("/drives/spring/", "About spring.", true);
    // A later edit inside the moved folder is picked up (the folder is watched under its new
    // name).
    let before = server.rebuilds();
    let page = root.join("content/drives/spring.md");
    write(
        &page,
        read(&page).replace("About spring.", "Edited after the move."),
    );
    settle(&server, before);
    server.wait_for_page("/drives/spring/", "Edited after the move.", true);
    // And a new page in it.
    let before = server.rebuilds();
    write(
        &root.join("content/drives/winter.md"),
        "---\ntitle: The winter campaign\ndate: 2025-12-01\n---\nAfter the move.\n",
    );
    settle(&server, before);
    let (status, _, list) = server.get("/drives/");
    assert_eq!(status, 200);
    for name in ["spring", "summer", "autumn", "winter"] {
        assert!(
            list.contains(&format!("The {name} campaign"))
                && list.contains(&format!("/drives/{name}/")),
            "{name} missing from /drives/:\n{list}"
        );
    }
    assert_eq!(server.get("/drives/autumn/leaf.svg").0, 200);
    for url in &old_urls {
        assert_eq!(server.get(url).0, 404, "{url} still served after the move");
    }
    crate::soak::assert_serves_clean_build(&server, root, &[]);

    // `rm -rf` of the section: its URLs go, lists and feeds follow.
    let before = server.rebuilds();
    std::fs::remove_dir_all(root.join("content/drives")).unwrap();
    settle(&server, before);
    for url in ["/drives/", "/drives/spring/", "/drives/autumn/leaf.svg"] {
        assert_eq!(server.get(url).0, 404, "{url}");
    }
    crate::soak::assert_serves_clean_build(&server, root, &[]);
}

/// W4: edits that land while a long rebuild runs get a follow-up rebuild, and the last one wins.
#[test]
fn an_edit_during_a_long_rebuild_gets_a_follow_up_rebuild_and_the_last_write_wins() {
    let site = site("output-basic");
    let root = site.path();
    // A slow section template (about a second per full build in a debug binary) and a few
    // dozen more pages.
    let section = root.join("themes/tiny/templates/section.html");
    write(
        &section,
        read(&section).replace(
            "{% block main %}",
            "{% block main %}{% for i in range(end=100000) %}{% for j in range(end=8) %}{% endfor %}{% endfor %}",
        ),
    );
    for i in 0..60 {
        write(
            &root.join(format!("content/news/update-{i:03}.md")),
            format!("---\ntitle: Update {i}\ndate: 2025-01-01\n---\nText {i}.\n"),
        );
    }
    let server = Server::start(root);
    let page = root.join("content/news/first-update.md");
    let text = read(&page);
    let mut landed = false;
    for _attempt in 0..3 {
        let before = server.rebuilds();
        write(&page, text.replace("More text.", "Version 1."));
        // The rebuild has started (the changed page is rendered first, then the whole site).
        let start = Instant::now();
        while server.rebuilds().changed == before.changed {
            assert!(start.elapsed() < WAIT, "{}", server.lines().join("\n"));
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(100));
        for v in 2..=5 {
            write(&page, text.replace("More text.", &format!("Version {v}.")));
            std::thread::sleep(Duration::from_millis(20));
        }
        // Still in that first rebuild? Otherwise the machine was too fast: try again.
        let during = server.rebuilds().done() == before.done();
        settle(&server, before);
        let after = server.rebuilds();
        if during {
            assert!(
                after.built - before.built >= 2,
                "no follow-up rebuild after the edits made during one: {before:?} -> {after:?}\n{}",
                server.lines().join("\n")
            );
            landed = true;
            break;
        }
    }
    assert!(
        landed,
        "the rebuild was never slow enough to land an edit in it"
    );
    let body = server.wait_for_page("/news/first-update/", "Version 5.", true);
    assert!(!body.contains("Version 4."), "{body}");
    crate::soak::assert_serves_clean_build(&server, root, &[]);
}

/// S4: a symlink out of the site. At start the site does not build: nothing is served from it;
/// made while serving, the last good version stays served with the error, and the link's
/// target is never served.
#[test]
fn a_symlink_to_etc_is_an_error_and_nothing_behind_it_is_served() {
    let site = site("output-basic");
    let root = site.path();
    std::os::unix::fs::symlink("/etc", root.join("content/leak")).unwrap();
    let server = Server::start(root);
    server.wait_for_line("content/leak is a symlink to /etc, outside the site");
    server.wait_for_line("error: the rebuild failed");
    for path in ["/leak/passwd", "/leak/", "/"] {
        let (status, _, body) = server.get(path);
        // No build has succeeded yet: every address shows the errors with 503.
        assert_eq!(status, 503, "{path}");
        assert!(!body.contains("root:x:0:0"), "{path}: {body}");
        assert!(body.contains("placard-overlay"), "{path}: {body}");
        assert!(
            body.contains("content/leak is a symlink to /etc, outside the site"),
            "{path}: {body}"
        );
    }
    // Removed: the site builds.
    let before = server.rebuilds();
    std::fs::remove_file(root.join("content/leak")).unwrap();
    settle(&server, before);
    crate::soak::assert_serves_clean_build(&server, root, &[]);
    // Made while serving: the last good version, the error on it, 404 for the link.
    let before = server.rebuilds();
    std::os::unix::fs::symlink("/etc", root.join("content/leak")).unwrap();
    settle(&server, before);
    assert_eq!(server.rebuilds().failed, before.failed + 1);
    let (status, _, body) = server.get("/leak/passwd");
    assert_eq!(status, 404);
    assert!(!body.contains("root:x:0:0"), "{body}");
    assert!(body.contains("placard-overlay"), "{body}");
    assert_eq!(server.get("/leak/").0, 404);
    assert_eq!(server.get("/about/").0, 200);
}

/// S8: a folder that holds no index.html is not listed; the server is not reachable on the
/// machine's other addresses.
#[test]
fn a_folder_without_index_is_404_without_a_listing_and_only_loopback_answers() {
    let site = site("output-basic");
    let root = site.path();
    write(
        &root.join("content/pictures/photo-one.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    );
    let server = Server::start(root);
    assert_eq!(server.get("/pictures/photo-one.svg").0, 200);
    for path in [
        "/pictures/",
        "/pictures",
        "/news/bundle-page/photo.svg/",
        "/news/bundle-page/x/",
    ] {
        let (status, _, body) = server.get(path);
        assert_eq!(status, 404, "{path}");
        assert!(
            !body.contains("photo-one") && !body.contains("Index of"),
            "{path}: {body}"
        );
    }
    // A page bundle's folder is its page; its files are not listed there either.
    let (status, _, body) = server.get("/news/bundle-page/");
    assert_eq!(status, 200);
    assert!(!body.contains("Index of"), "{body}");

    // The default bind is 127.0.0.1: the machine's other IPv4 addresses do not answer.
    let others = non_loopback_ipv4();
    if others.is_empty() {
        eprintln!("S8: this machine has no non-loopback IPv4 address; that part is skipped");
    }
    for ip in others {
        let addr = std::net::SocketAddr::new(ip.into(), server.port);
        let r = TcpStream::connect_timeout(&addr, Duration::from_secs(2));
        assert!(r.is_err(), "the server answers on {addr}");
    }
    assert_eq!(server.get("/").0, 200);
}

/// This machine's IPv4 addresses outside 127.0.0.0/8, from `ip -4 -o addr` (or none).
fn non_loopback_ipv4() -> Vec<std::net::Ipv4Addr> {
    let Ok(out) = Command::new("ip").args(["-4", "-o", "addr"]).output() else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            words.find(|w| *w == "inet")?;
            words.next()?.split('/').next()?.parse().ok()
        })
        .filter(|ip: &std::net::Ipv4Addr| !ip.is_loopback())
        .collect()
}

/// S5: many idle connections (and half-sent requests) do not stop the server answering.
#[test]
fn many_idle_connections_do_not_stop_the_server() {
    let (_site, mut server) = served_site();
    let mut idle = Vec::new();
    for i in 0..200 {
        let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        // Every fourth one starts a request and never finishes it.
        if i % 4 == 0 {
            s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .unwrap();
        }
        idle.push(s);
    }
    let start = Instant::now();
    let (status, _, body) = server.get("/about/");
    assert_eq!(status, 200);
    assert!(body.contains("</html>"), "{body}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "answered after {:?} with 200 idle connections open",
        start.elapsed()
    );
    // And again after a while, with them still open.
    std::thread::sleep(Duration::from_secs(1));
    let start = Instant::now();
    assert_eq!(server.get("/").0, 200);
    assert!(start.elapsed() < Duration::from_secs(5));
    drop(idle);
    assert_eq!(server.get("/").0, 200);
    assert!(server.is_running());
}

/// P5: a file whose name is not UTF-8, made while serving: no panic; the error names the path
/// with its bad byte escaped; the server keeps serving and recovers when it goes.
#[test]
fn a_non_utf8_file_name_made_while_serving_is_reported_and_serving_goes_on() {
    use std::os::unix::ffi::OsStrExt;
    let (site, mut server) = served_site();
    let root = site.path();
    let bad = root
        .join("content/news")
        .join(std::ffi::OsStr::from_bytes(b"caf\xe9.md"));
    let before = server.rebuilds();
    write(&bad, "---\ntitle: Caf\n---\n");
    // The new file alone is a change: a rebuild comes, and fails naming it.
    let rebuilt = server.settle(before, Duration::from_secs(3), Duration::from_millis(300));
    assert!(
        rebuilt,
        "creating content/news/caf\\xe9.md caused no rebuild; the server printed:\n{}",
        server.lines().join("\n")
    );
    server.wait_for_line("file name is not valid UTF-8: content/news/caf\\xe9.md");
    let body = server.wait_for_page("/about/", "placard-overlay", true);
    assert!(body.contains("content/news/caf\\xe9.md"), "{body}");
    assert!(server.is_running());
    assert!(!server.lines().iter().any(|l| l.contains("panicked")));
    // Removed: the overlay goes without another edit.
    let before = server.rebuilds();
    std::fs::remove_file(&bad).unwrap();
    settle(&server, before);
    server.wait_for_page("/about/", "placard-overlay", false);
    crate::soak::assert_serves_clean_build(&server, root, &[]);

    // A folder with such a name, made with a page inside at once: one error for the folder.
    let folder = root
        .join("content")
        .join(std::ffi::OsStr::from_bytes(b"r\xe9sum\xe9s"));
    let before = server.rebuilds();
    write(&folder.join("a.md"), "---\ntitle: A\n---\n");
    settle(&server, before);
    // (The folder and its file can come as two changes: two failed rebuilds, no good one.)
    let after = server.rebuilds();
    assert!(
        after.failed > before.failed,
        "{}",
        server.lines().join("\n")
    );
    assert_eq!(after.built, before.built, "{}", server.lines().join("\n"));
    let body = server.wait_for_page("/", "placard-overlay", true);
    assert!(
        body.contains("folder name is not valid UTF-8: content/r\\xe9sum\\xe9s"),
        "{body}"
    );
    let before = server.rebuilds();
    std::fs::remove_dir_all(&folder).unwrap();
    settle(&server, before);
    server.wait_for_page("/", "placard-overlay", false);
    crate::soak::assert_serves_clean_build(&server, root, &[]);
    assert!(server.is_running());
    assert!(!server.lines().iter().any(|l| l.contains("panicked")));
}

/// W4 (found by the soak: seed 0x50a10000, step 1113): a page created and deleted again within
/// a few milliseconds, while a rebuild is reading the site, must not stay served, nor break the
/// site until the next edit.
///
/// Found by the soak: notify-debouncer-full dropped a file's Create and Remove when both fell
/// within one debounce period, so the watcher never heard of the file; when the rebuild's
/// listing of content/ ran between the two, the server kept the page it no longer had, or the
/// build failed with "cannot read content/news/ghost-N.md" and the overlay stayed up, until
/// some other file changed. The watcher now takes every raw event. Timing-dependent: this
/// sweep of 60 moments hit the window in every run on this machine before the fix.
#[test]
fn a_page_created_and_deleted_during_a_rebuild_is_not_left_served() {
    let (site, server) = served_site();
    let root = site.path();
    let about = root.join("content/about.md");
    let text = read(&about);
    for i in 0..60u64 {
        let before = server.rebuilds();
        write(&about, format!("{text}\nEdit {i}.\n"));
        // The rebuild starts about a debounce period after the edit; land the short-lived
        // page at a different moment of it each time.
        std::thread::sleep(Duration::from_micros(i * 500));
        let ghost = root.join(format!("content/news/ghost-{i}.md"));
        write(&ghost, "---\ntitle: Ghost\ndate: 2026-01-01\n---\nBoo.\n");
        std::thread::sleep(Duration::from_millis(2));
        std::fs::remove_file(&ghost).unwrap();
        settle(&server, before);
        let (status, _, _) = server.get(&format!("/news/ghost-{i}/"));
        let (_, _, page) = server.get("/about/");
        assert!(
            status == 404
                && page.contains(&format!("Edit {i}."))
                && !page.contains("placard-overlay"),
            "iteration {i}: content/news/ghost-{i}.md was created and deleted; /news/ghost-{i}/ \
             gives {status}, /about/ {} the overlay; the server printed:\n{}",
            if page.contains("placard-overlay") {
                "has"
            } else {
                "does not have"
            },
            server.lines().join("\n")
        );
    }
    crate::soak::assert_serves_clean_build(&server, root, &[]);
}
