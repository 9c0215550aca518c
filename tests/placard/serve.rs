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

const WAIT: Duration = Duration::from_secs(15);

struct Server {
    child: Child,
    port: u16,
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
    fn start(site: &Path) -> Server {
        Server::start_with(site, &[])
    }

    fn start_with(site: &Path, args: &[&str]) -> Server {
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

    fn lines(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }

    fn wait_for_line(&self, needle: &str) -> String {
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
    fn raw(&self, raw: &[u8]) -> (u16, String, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        s.write_all(raw).unwrap();
        let mut bytes = Vec::new();
        let _ = s.read_to_end(&mut bytes);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, head.to_string(), body.to_string())
    }

    fn get(&self, path: &str) -> (u16, String, String) {
        self.raw(
            format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
                self.port
            )
            .as_bytes(),
        )
    }

    /// Waits until `path` is served with `needle` in it (or, with `present` false, without).
    fn wait_for_page(&self, path: &str, needle: &str, present: bool) -> String {
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

    fn events(&self) -> Events {
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

struct Events {
    reader: BufReader<TcpStream>,
}

impl Events {
    /// The next event (name, data), waiting at most [`WAIT`].
    fn next(&mut self) -> Option<(String, String)> {
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
    fn expect(&mut self, name: &str) -> String {
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
    // Without --drafts the draft is not served.
    let plain = Server::start(site.path());
    assert_eq!(plain.get("/news/secret-draft/").0, 404);
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
