//! The HTTP headers each published object is stored with, besides its `Content-Type` (from
//! [`crate::content_type`], shared with the dev server): `Cache-Control` from the target's
//! rules, else immutable for fingerprinted files and a short, revalidated `max-age` for
//! everything else. Pure.

use crate::config::publish::Target;

/// `Cache-Control` for an output path on `target`.
pub fn cache_control(target: &Target, path: &str, fingerprinted: bool) -> String {
    if let Some(rule) = target.cache.iter().find(|r| r.matches(path)) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let glob_match =
            |p: &str, path: &str| crate::config::publish::glob(p).unwrap().is_match(path);
        assert!(glob_match("images/**", "images/a/b.png"));
        assert!(glob_match("images/**", "images/b.png"));
        assert!(!glob_match("images/**", "imagesx/b.png"));
        assert!(glob_match("**/*.pdf", "reports/2026/a.pdf"));
        assert!(glob_match("**/*.pdf", "a.pdf"));
        assert!(glob_match("*.html", "index.html"));
        assert!(!glob_match("*.html", "a/index.html"));
        assert!(glob_match("a/?.txt", "a/b.txt"));
        assert!(!glob_match("a/?.txt", "a//.txt"));
        assert!(crate::config::publish::glob("a/[b").is_err());
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
