//! Slugs and site paths: transliterated, lowercase, never empty, and never able to climb out of
//! the output folder. Pure string functions.

/// `"Young Londoners' Fund: £45m"` → `"young-londoners-fund-ps45m"`. May be empty when the text
/// has no letters or digits at all; callers decide what that means.
pub fn slugify(text: &str) -> String {
    let ascii = deunicode::deunicode_with_tofu(text, "-");
    let mut out = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if c == '\'' || c == '\u{2019}' {
            // Apostrophes join words: "Londoners'" → "londoners".
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Why a site path written by a person (an alias) is unusable, if it is.
pub fn check_site_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    if path.contains("://") || path.starts_with("//") {
        return Err("an alias is a path on this site, not a URL".into());
    }
    if path.contains('\\') {
        return Err("the path contains a backslash".into());
    }
    if path.chars().any(|c| c.is_control()) {
        return Err("the path contains a control character".into());
    }
    if path.contains(['?', '#', '%']) {
        return Err("the path contains `?`, `#` or `%`".into());
    }
    for segment in path.split('/') {
        if segment == ".." || segment == "." {
            return Err(format!("the path contains a `{segment}` segment"));
        }
        if segment.starts_with('.') && !segment.is_empty() {
            return Err("path segments may not start with a dot".into());
        }
    }
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return Err("the path is the home page".into());
    }
    if trimmed.split('/').any(str::is_empty) {
        return Err("the path contains an empty segment (`//`)".into());
    }
    Ok(())
}

/// The output file of a site URL path: `/a/b/` → `a/b/index.html`, `/a/b.html` → `a/b.html`.
pub fn output_file(url_path: &str) -> String {
    let trimmed = url_path.trim_start_matches('/');
    if trimmed.is_empty() {
        "index.html".into()
    } else if trimmed.ends_with('/') {
        format!("{trimmed}index.html")
    } else if trimmed
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
    {
        trimmed.to_string()
    } else {
        format!("{trimmed}/index.html")
    }
}

/// The URL path an alias is reachable at: always starting with `/`; a path without an
/// extension ends with `/`.
pub fn alias_url(alias: &str) -> String {
    let trimmed = alias.trim_matches('/');
    if trimmed
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
    {
        format!("/{trimmed}")
    } else {
        format!("/{trimmed}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_transliterated_and_tidy() {
        assert_eq!(slugify("Young Londoners' Fund"), "young-londoners-fund");
        assert_eq!(slugify("  Café Crème — Été  "), "cafe-creme-ete");
        assert_eq!(slugify("Straße"), "strasse");
        assert_eq!(slugify("Ünïcödé 2026!"), "unicode-2026");
        assert_eq!(slugify(".."), "");
        assert_eq!(slugify("北京"), "bei-jing");
    }

    #[test]
    fn site_paths_cannot_escape() {
        for bad in [
            "../x",
            "a/../../x",
            "/./x",
            "a\\b",
            "//host/x",
            "https://e.org/x",
            "",
            "/",
            "a//b",
            "x\0",
            "%2e%2e/x",
            "/.git/config",
        ] {
            assert!(check_site_path(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["/old/path/", "old-page.html", "/2018/06/taskforce"] {
            assert!(check_site_path(good).is_ok(), "{good:?} refused");
        }
    }

    #[test]
    fn output_files() {
        assert_eq!(output_file("/"), "index.html");
        assert_eq!(output_file("/a/b/"), "a/b/index.html");
        assert_eq!(output_file("/old.html"), "old.html");
        assert_eq!(alias_url("old/path"), "/old/path/");
        assert_eq!(alias_url("/x.html"), "/x.html");
    }
}
