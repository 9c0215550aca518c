//! The dev server's HTTP side: every answer comes from the in-memory outputs of the last good
//! build. A request path is decoded, checked and looked up in that map, never joined onto a
//! file-system path. GET and HEAD only; the `Host` header must name this machine (against DNS
//! rebinding); no CORS headers. HTML pages get the live-reload script and, while the last
//! rebuild has failed, an overlay with its errors.

use super::events;
use super::state::{Shared, Signal, Snapshot};
use crate::slug::OutputPath;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Paths under this prefix are the server's own (the script and the event stream).
pub const PREFIX: &str = "/__placard/";
/// Longer request paths are refused with 414.
const MAX_PATH: usize = 2048;

pub async fn handle(State(shared): State<Arc<Shared>>, request: Request<Body>) -> Response {
    let method = request.method().clone();
    if method != Method::GET && method != Method::HEAD {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    if !host_allowed(request.headers(), &shared.hosts) {
        return plain(
            StatusCode::FORBIDDEN,
            "this server answers only requests addressed to this machine (localhost, 127.0.0.1 or [::1])\n",
        );
    }
    if !origin_allowed(request.headers(), &shared.hosts) {
        return plain(
            StatusCode::FORBIDDEN,
            "this server answers only pages it served itself (the Origin is another site)\n",
        );
    }
    let uri = request.uri().clone();
    let mut response = match uri.path() {
        "/__placard/live.js" => asset("text/javascript; charset=utf-8", LIVE_JS.as_bytes()),
        "/__placard/events" => events::stream(&shared),
        _ => page(&shared, &uri),
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if method == Method::HEAD {
        let (mut parts, body) = response.into_parts();
        if let Some(n) = axum::body::HttpBody::size_hint(&body).exact() {
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(n));
        }
        return Response::from_parts(parts, Body::empty());
    }
    response
}

/// Whether the `Host` header names this server: the bound address, `localhost`, `127.0.0.1` or
/// `[::1]`, with or without the port.
fn host_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let host = host.to_ascii_lowercase();
    allowed.contains(&host)
}

/// Whether a request carrying an `Origin` (a script on some page asking) comes from a page of
/// this server: another site's script must not read the preview or its live-reload stream,
/// even where a browser would let it try. No `Origin` (a plain visit, an image) is fine.
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    match origin.to_ascii_lowercase().strip_prefix("http://") {
        Some(host) => allowed.iter().any(|a| a == host),
        None => false,
    }
}

/// The bytes for a request path, from the last good build.
fn page(shared: &Shared, uri: &Uri) -> Response {
    let raw = uri.path();
    if raw.len() > MAX_PATH {
        return plain(StatusCode::URI_TOO_LONG, "the address is too long\n");
    }
    let Some(key) = output_key(raw) else {
        return plain(StatusCode::BAD_REQUEST, "not a valid address\n");
    };
    let snapshot = shared.snapshot();
    let outputs = &snapshot.outputs;
    if outputs.is_empty() {
        // No build has succeeded yet: every address shows the errors (or that it is starting).
        let html = b"<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>placard: the site does not build yet</title>\n</head>\n<body>\n<main><h1>The site does not build yet</h1></main>\n</body>\n</html>\n";
        let mut r = Response::new(Body::from(inject(html, &snapshot)));
        *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        return r;
    }
    if let Some(bytes) = outputs.get(&key) {
        return file(&snapshot, &key, bytes, StatusCode::OK);
    }
    // `/initiatives` → `/initiatives/` when that is a page, as static hosts do.
    if !key.is_empty() && !key.ends_with("index.html") {
        let dir = format!("{key}/index.html");
        if outputs.contains_key(dir.as_str()) {
            let location = match uri.query() {
                Some(q) => format!("{raw}/?{q}"),
                None => format!("{raw}/"),
            };
            let mut r = plain(StatusCode::MOVED_PERMANENTLY, "moved\n");
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            return r;
        }
    }
    // The address of a page that is not in this build: say which page and why, on the 404.
    let notice = snapshot.not_live.get(key.as_str()).map(|why| {
        format!(
            "<div id=\"placard-not-live\" role=\"status\" style=\"position:fixed;left:0;right:0;bottom:0;z-index:2147483646;margin:0;padding:1em 1.5em;background:#fff3bf;color:#1a1a1a;border-top:4px solid #1a1a1a;font:16px/1.5 system-ui,sans-serif\"><strong>placard:</strong> {why}</div>\n"
        )
    });
    match (outputs.get("404.html"), notice) {
        (Some(bytes), Some(notice)) => {
            let with = insert_before_body_end(bytes, &notice);
            file(&snapshot, "404.html", &with, StatusCode::NOT_FOUND)
        }
        (Some(bytes), None) => file(&snapshot, "404.html", bytes, StatusCode::NOT_FOUND),
        (None, _) => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// The output path a request path names, or `None` for a path that cannot name one: invalid
/// percent-encoding or UTF-8, a NUL, a backslash, `.` or `..` segments, empty segments, or any
/// name no output can have (see [`OutputPath`]).
pub fn output_key(raw: &str) -> Option<OutputPath> {
    let inner = raw.strip_prefix('/')?;
    let decoded = percent_encoding::percent_decode_str(inner)
        .decode_utf8()
        .ok()?;
    // `/initiatives/` names the folder's page.
    let path = if decoded.is_empty() || decoded.ends_with('/') {
        format!("{decoded}index.html")
    } else {
        decoded.into_owned()
    };
    OutputPath::new(path).ok()
}

fn file(snapshot: &Snapshot, key: &str, bytes: &[u8], status: StatusCode) -> Response {
    let ty = crate::content_type::of(key);
    let body = if ty.starts_with("text/html") {
        Body::from(inject(bytes, snapshot))
    } else {
        Body::from(bytes.to_vec())
    };
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let value = match ty {
        std::borrow::Cow::Borrowed(t) => HeaderValue::from_static(t),
        std::borrow::Cow::Owned(t) => HeaderValue::from_str(&t)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    };
    r.headers_mut().insert(header::CONTENT_TYPE, value);
    r
}

fn asset(ty: &'static str, bytes: &'static [u8]) -> Response {
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    r
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut r = (status, text).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The live-reload script (and the error overlay, while the last rebuild failed) before
/// `</body>`.
fn inject(html: &[u8], snapshot: &Snapshot) -> Vec<u8> {
    let mut extra = String::new();
    if let Some(overlay) = &snapshot.overlay {
        extra.push_str(overlay);
    }
    extra.push_str(&format!(
        "<script src=\"{PREFIX}live.js\" data-version=\"{}\"></script>\n",
        snapshot.version
    ));
    insert_before_body_end(html, &extra)
}

/// `html` with `extra` just before its last `</body>` (at the end when there is none).
fn insert_before_body_end(html: &[u8], extra: &str) -> Vec<u8> {
    let at = find_last_ci(html, b"</body>").unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + extra.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(extra.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

fn find_last_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    (0..=hay.len().checked_sub(needle.len())?)
        .rev()
        .find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

impl Signal {
    /// The event as sent on the stream: (event name, data).
    pub fn sse(&self) -> (&'static str, String) {
        match self {
            Signal::Reload { version, paths } => (
                "reload",
                match paths {
                    None => format!("{{\"version\":{version}}}"),
                    Some(p) => format!(
                        "{{\"version\":{version},\"paths\":{}}}",
                        serde_json::Value::from(p.clone())
                    ),
                },
            ),
            Signal::Css { version, swaps } => {
                let pairs: Vec<String> = swaps
                    .iter()
                    .map(|(old, new)| {
                        format!(
                            "[{},{}]",
                            serde_json::Value::from(old.as_str()),
                            serde_json::Value::from(new.as_str())
                        )
                    })
                    .collect();
                (
                    "css",
                    format!("{{\"version\":{version},\"swaps\":[{}]}}", pairs.join(",")),
                )
            }
        }
    }
}

/// Reloads the page when a rebuild changed it (or fixed or broke the build); swaps stylesheets
/// in place when only CSS changed. Reconnects by itself when the server restarts.
const LIVE_JS: &str = r#"(function () {
  "use strict";
  var me = document.currentScript;
  var version = me ? me.getAttribute("data-version") : null;
  // This page's output path, as the server names it: `news/x/index.html`.
  function here() {
    var p = decodeURIComponent(location.pathname).slice(1);
    return p === "" || p.slice(-1) === "/" ? p + "index.html" : p;
  }
  function connect() {
    var events = new EventSource("/__placard/events");
    events.addEventListener("hello", function (e) {
      if (version !== null && e.data !== version) location.reload();
    });
    // Reload when this page's output changed (or everything did).
    events.addEventListener("reload", function (e) {
      var change = JSON.parse(e.data);
      if (!change.paths || change.paths.indexOf(here()) >= 0) {
        location.reload();
      } else {
        version = String(change.version);
      }
    });
    events.addEventListener("css", function (e) {
      var change = JSON.parse(e.data);
      version = String(change.version);
      change.swaps.forEach(function (pair) {
        document.querySelectorAll('link[rel="stylesheet"]').forEach(function (link) {
          var href = link.getAttribute("href");
          if (href === pair[0] || href.split("?")[0] === pair[0]) {
            var fresh = link.cloneNode();
            fresh.setAttribute("href", pair[1]);
            fresh.addEventListener("load", function () { link.remove(); });
            link.after(fresh);
          }
        });
      });
    });
    events.onerror = function () {
      events.close();
      setTimeout(connect, 1000);
    };
  }
  connect();
  var close = document.getElementById("placard-overlay-close");
  if (close) close.addEventListener("click", function () {
    document.getElementById("placard-overlay").remove();
  });
})();
"#;

#[cfg(test)]
mod tests {
    use super::output_key;

    #[test]
    fn request_paths_map_to_output_keys_or_are_refused() {
        assert_eq!(output_key("/").as_deref(), Some("index.html"));
        assert_eq!(
            output_key("/initiatives/").as_deref(),
            Some("initiatives/index.html")
        );
        assert_eq!(
            output_key("/css/main.1a2b.css").as_deref(),
            Some("css/main.1a2b.css")
        );
        assert_eq!(
            output_key("/press%20releases/").as_deref(),
            Some("press releases/index.html")
        );
        for bad in [
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/..%2fetc%2fpasswd",
            "/a/%2E%2E/b",
            "/a\\..\\b",
            "/a%5c..%5cb",
            "/a%00.html",
            "/a//b",
            "/.",
            "/%ff",
            "relative",
        ] {
            assert_eq!(output_key(bad), None, "{bad}");
        }
        // Double encoding decodes once: a literal `%2e%2e` name, which no output has.
        assert_eq!(output_key("/%252e%252e/x").as_deref(), Some("%2e%2e/x"));
    }
}
