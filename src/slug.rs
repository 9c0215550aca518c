//! Slugs and site paths: transliterated, lowercase, never empty, never able to climb out of the
//! output folder, and portable: every output path is an [`OutputPath`], checked once, which
//! any system can hold (Windows refuses names such as `CON` or `aux.txt`, and names ending in
//! a dot or a space). Pure string functions.

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

/// Why a file or folder name could not be held on every system, if it could not: an empty name,
/// `.` or `..`, a control character, a character Windows does not allow in names
/// (`< > : " / \\ | ? *`), a name ending in a dot or a space, or a name Windows keeps for a
/// device (`CON`, `PRN`, `AUX`, `NUL`, `COM0`–`COM9`, `LPT0`–`LPT9`, in any case, with or without
/// an extension: `aux.txt` too).
pub fn portable_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if name == "." || name == ".." {
        return Err(format!("`{name}` is not a name"));
    }
    if name.chars().any(char::is_control) {
        return Err("the name holds a control character".into());
    }
    if let Some(c) = name.chars().find(|c| "<>:\"/\\|?*".contains(*c)) {
        return Err(format!("Windows does not allow `{c}` in a name"));
    }
    if name.ends_with(['.', ' ']) {
        return Err("Windows does not allow a name ending in a dot or a space".into());
    }
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    let upper = stem.to_ascii_uppercase();
    let device = matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || ((upper.starts_with("COM") || upper.starts_with("LPT"))
        && upper.len() == 4
        && upper[3..].chars().all(|c| c.is_ascii_digit()))
        || ((upper.starts_with("COM") || upper.starts_with("LPT"))
            && matches!(&stem[3..], "¹" | "²" | "³"));
    if device {
        return Err(format!(
            "Windows keeps the name `{stem}` for a device, with or without an extension"
        ));
    }
    Ok(())
}

/// A path in the output folder (`initiatives/x/index.html`): relative, `/`-separated, every
/// segment a [`portable_name`]. Checked once, where it is made, and trusted after: by the
/// outputs, the manifest, the dev server and publishing alike.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OutputPath(String);

impl OutputPath {
    pub fn new(path: impl Into<String>) -> Result<OutputPath, String> {
        let path = path.into();
        if path.is_empty() {
            return Err("the path is empty".into());
        }
        if path.starts_with('/') {
            return Err("the path starts with `/`".into());
        }
        for segment in path.split('/') {
            portable_name(segment).map_err(|why| format!("`{segment}`: {why}"))?;
        }
        Ok(OutputPath(path))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for OutputPath {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<std::path::Path> for OutputPath {
    /// A relative path of plain names: joined onto a folder, it names a file inside it.
    fn as_ref(&self) -> &std::path::Path {
        std::path::Path::new(&self.0)
    }
}

impl std::borrow::Borrow<str> for OutputPath {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for OutputPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for OutputPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for OutputPath {
    /// A path read back (from a manifest) is checked like a new one: a doctored manifest cannot
    /// name a file outside the output folder.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<OutputPath, D::Error> {
        let s = String::deserialize(d)?;
        OutputPath::new(s.clone())
            .map_err(|why| serde::de::Error::custom(format!("`{s}` is not an output path: {why}")))
    }
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
        if !segment.is_empty() {
            portable_name(segment).map_err(|why| format!("`{segment}`: {why}"))?;
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

/// The site address of an output that is a page other than the home and 404 pages
/// (`initiatives/x/index.html` → `/initiatives/x/`, `old.html` → `/old.html`); `None` for other
/// files.
pub fn page_address(output: &str) -> Option<String> {
    if output == "index.html" || output == "404.html" {
        return None;
    }
    if let Some(dir) = output.strip_suffix("/index.html") {
        return Some(format!("/{dir}/"));
    }
    output.ends_with(".html").then(|| format!("/{output}"))
}

/// The content path a reference names: `@/initiatives/x.md`, `content/initiatives/x.md`,
/// `/initiatives/x.md` or `initiatives/x.md` → `initiatives/x.md` (what templates' `get_page`
/// and front-matter references both take).
pub fn content_key(path: &str) -> String {
    let p = path.strip_prefix("@/").unwrap_or(path);
    let p = p.strip_prefix("content/").unwrap_or(p);
    p.trim_start_matches('/').to_string()
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
    fn names_any_system_can_hold() {
        for bad in [
            "CON",
            "con",
            "Con.txt",
            "nul",
            "aux.tar.gz",
            "prn",
            "com1",
            "LPT9",
            "lpt1.html",
            "COM¹",
            "conin$",
            "x.",
            "x ",
            "a:b",
            "a?b",
            "a*b",
            "a|b",
            "a\"b",
            "a<b",
            "..",
            "",
        ] {
            assert!(portable_name(bad).is_err(), "{bad:?} accepted");
        }
        for good in [
            "contact",
            "console",
            "auxiliary",
            "com10",
            "lpt",
            "index.html",
            ".well-known",
            "press releases",
            "a.b.c",
        ] {
            assert!(portable_name(good).is_ok(), "{good:?} refused");
        }
        assert!(OutputPath::new("news/con/index.html").is_err());
        assert!(OutputPath::new("/x").is_err());
        assert!(OutputPath::new("a//b").is_err());
        assert!(OutputPath::new("a/../b").is_err());
        assert_eq!(OutputPath::new("a/b.html").unwrap().as_str(), "a/b.html");
        let m: Result<std::collections::BTreeMap<OutputPath, u8>, _> =
            serde_json::from_str("{\"../etc/passwd\": 1}");
        assert!(m.is_err());
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
