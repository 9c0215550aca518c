//! The HTTP headers each published object is stored with: `Content-Type` from the file name
//! (with `charset=utf-8` for text), `Cache-Control` from the target's rules, else immutable for
//! fingerprinted files and a short, revalidated `max-age` for everything else. Pure.

use crate::config::publish::Target;

/// `Content-Type` for an output path.
pub fn content_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => return "application/octet-stream",
    };
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json; charset=utf-8",
        "webmanifest" => "application/manifest+json; charset=utf-8",
        "xml" if name == "atom.xml" => "application/atom+xml; charset=utf-8",
        "xml" | "xsl" => "application/xml; charset=utf-8",
        "atom" => "application/atom+xml; charset=utf-8",
        "rss" => "application/rss+xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "ics" => "text/calendar; charset=utf-8",
        "vtt" => "text/vtt; charset=utf-8",
        "svg" => "image/svg+xml; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "wasm" => "application/wasm",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        _ => "application/octet-stream",
    }
}

/// `Cache-Control` for an output path on `target`.
pub fn cache_control(target: &Target, path: &str, fingerprinted: bool) -> String {
    if let Some(rule) = target.cache.iter().find(|r| glob_match(&r.pattern, path)) {
        return rule.cache_control.clone();
    }
    if fingerprinted {
        "public, max-age=31536000, immutable".into()
    } else {
        format!("public, max-age={}, must-revalidate", target.max_age)
    }
}

/// The publishing phase of a file: assets before the pages that use them, pages before the
/// feeds and sitemap that list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Assets,
    Pages,
    Listings,
}

impl Phase {
    pub fn of(path: &str) -> Phase {
        let name = path.rsplit('/').next().unwrap_or(path);
        if name.ends_with(".html") || name.ends_with(".htm") {
            Phase::Pages
        } else if name == "atom.xml" || name == "sitemap.xml" || name == "robots.txt" {
            Phase::Listings
        } else {
            Phase::Assets
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Phase::Assets => "assets",
            Phase::Pages => "pages",
            Phase::Listings => "feeds and sitemap",
        }
    }
}

/// Glob match over `/`-separated paths: `*` and `?` stay within one folder, `**` spans
/// folders (`images/**` matches everything under `images/`).
pub fn glob_match(pattern: &str, path: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((b'*', rest)) if rest.first() == Some(&b'*') => {
                let rest = &rest[1..];
                // `**/` may also match nothing at all.
                let rest_slash = rest.strip_prefix(b"/").unwrap_or(rest);
                if go(rest_slash, s) {
                    return true;
                }
                (0..s.len()).any(|i| go(rest, &s[i + 1..]) || go(rest_slash, &s[i + 1..]))
            }
            Some((b'*', rest)) => {
                let mut i = 0;
                loop {
                    if go(rest, &s[i..]) {
                        return true;
                    }
                    if i == s.len() || s[i] == b'/' {
                        return false;
                    }
                    i += 1;
                }
            }
            Some((b'?', rest)) => s
                .split_first()
                .is_some_and(|(c, s)| *c != b'/' && go(rest, s)),
            Some((c, rest)) => s.split_first().is_some_and(|(d, s)| c == d && go(rest, s)),
        }
    }
    go(pattern.as_bytes(), path.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_for_every_emitted_extension() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("css/main.1a2b3c4d.css"),
            "text/css; charset=utf-8"
        );
        assert_eq!(
            content_type("js/campaign.1a2b3c4d.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type("favicon.1a2b3c4d.svg"),
            "image/svg+xml; charset=utf-8"
        );
        assert_eq!(content_type("data.json"), "application/json; charset=utf-8");
        assert_eq!(
            content_type("atom.xml"),
            "application/atom+xml; charset=utf-8"
        );
        assert_eq!(
            content_type("initiatives/atom.xml"),
            "application/atom+xml; charset=utf-8"
        );
        assert_eq!(
            content_type("sitemap.xml"),
            "application/xml; charset=utf-8"
        );
        assert_eq!(content_type("robots.txt"), "text/plain; charset=utf-8");
        assert_eq!(content_type("fonts/a.WOFF2"), "font/woff2");
        assert_eq!(content_type("images/x.png"), "image/png");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
        assert_eq!(content_type(".htaccess"), "application/octet-stream");
    }

    #[test]
    fn globs() {
        assert!(glob_match("images/**", "images/a/b.png"));
        assert!(glob_match("images/**", "images/b.png"));
        assert!(!glob_match("images/**", "imagesx/b.png"));
        assert!(glob_match("**/*.pdf", "reports/2026/a.pdf"));
        assert!(glob_match("**/*.pdf", "a.pdf"));
        assert!(glob_match("*.html", "index.html"));
        assert!(!glob_match("*.html", "a/index.html"));
        assert!(glob_match("a/?.txt", "a/b.txt"));
        assert!(!glob_match("a/?.txt", "a//.txt"));
    }

    #[test]
    fn phases() {
        assert_eq!(Phase::of("css/main.1a2b3c4d.css"), Phase::Assets);
        assert_eq!(Phase::of("index.html"), Phase::Pages);
        assert_eq!(Phase::of("404.html"), Phase::Pages);
        assert_eq!(Phase::of("initiatives/atom.xml"), Phase::Listings);
        assert_eq!(Phase::of("sitemap.xml"), Phase::Listings);
        assert!(Phase::Assets < Phase::Pages && Phase::Pages < Phase::Listings);
    }
}
