//! Shared pieces of placard's fuzz targets: the site configuration and theme they parse
//! against, a stand-in shortcode set, and the invariant checks more than one target asserts.
//!
//! Every check panics only when placard breaks a promise it makes; problems it reports as
//! diagnostics are not failures.

use placard::config::SiteConfig;
use placard::diagnostic::Diagnostic;
use placard::parse::markdown::{ArgSpec, Link, Links, Shortcodes};
use placard::schema::ThemeManifest;
use std::path::{Component, Path};
use std::sync::OnceLock;

/// The site configuration every target uses (one taxonomy, the default time zone).
pub const CONFIG: &str = "title: T\nbase_url: https://example.org/\ntaxonomies: [priorities]\n";

/// The repository's theme manifest, as the campaign theme ships it.
pub const THEME_YAML: &str = include_str!("../../themes/campaign/theme.yaml");

pub fn config() -> &'static SiteConfig {
    static C: OnceLock<SiteConfig> = OnceLock::new();
    C.get_or_init(|| placard::config::parse(CONFIG).expect("the fuzz site.yaml parses"))
}

pub fn manifest() -> &'static ThemeManifest {
    static M: OnceLock<ThemeManifest> = OnceLock::new();
    M.get_or_init(|| {
        ThemeManifest::parse("themes/campaign/theme.yaml", THEME_YAML)
            .expect("the campaign theme.yaml parses")
    })
}

/// The real campaign theme (Tera templates and all), compiled once from the repository.
pub fn theme() -> &'static placard::render::theme::Theme {
    static T: OnceLock<placard::render::theme::Theme> = OnceLock::new();
    T.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let sources = placard::load::load(&root, CONFIG.to_string(), "campaign")
            .expect("the repository's theme is readable");
        placard::render::theme::Theme::compile(&sources, config())
            .unwrap_or_else(|e| panic!("the campaign theme compiles: {e:?}"))
    })
}

/// The other pages of a fuzzed page: `p.md` is live, `draft.md` is not in the build, anything
/// else is missing.
pub struct FakeLinks;

impl Links for FakeLinks {
    fn resolve(&self, content_path: &str) -> Link {
        match content_path {
            "p.md" => Link::Url("/p/".into()),
            "draft.md" => Link::NotLive,
            _ => Link::Missing { near: None },
        }
    }
}

/// A small shortcode set: a block shortcode with a body and an argument limited to listed
/// values, one with a `url` argument, and one with typed values.
pub struct FakeShortcodes;

fn arg(name: &str, required: bool, ty: &str) -> ArgSpec {
    ArgSpec {
        name: name.into(),
        required,
        ty: ty.into(),
        values: None,
    }
}

impl Shortcodes for FakeShortcodes {
    fn arguments(&self, name: &str) -> Option<Vec<ArgSpec>> {
        match name {
            "note" => Some(vec![
                ArgSpec {
                    values: Some(vec!["info".into(), "warning".into()]),
                    ..arg("kind", false, "string")
                },
                arg("title", false, "string"),
            ]),
            "link" => Some(vec![arg("url", true, "url"), arg("label", true, "string")]),
            "stat" => Some(vec![
                arg("value", true, "string"),
                arg("n", false, "integer"),
                arg("x", false, "number"),
                arg("big", false, "boolean"),
                arg("as_of", false, "date"),
                arg("extra", false, "any"),
            ]),
            "broken" => Some(vec![]),
            _ => None,
        }
    }

    fn names(&self) -> Vec<String> {
        ["broken", "link", "note", "stat"]
            .map(String::from)
            .to_vec()
    }

    fn render(
        &self,
        name: &str,
        args: serde_json::Map<String, serde_json::Value>,
        body: Option<String>,
    ) -> Result<String, Diagnostic> {
        let text = |k: &str| {
            let v = match args.get(k) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            placard::text::escape(&v)
        };
        match name {
            "note" => Ok(format!(
                "<aside class=\"note-{}\" title=\"{}\">{}</aside>",
                text("kind"),
                text("title"),
                body.unwrap_or_default()
            )),
            "link" => Ok(format!(
                "<a class=\"button\" href=\"{}\">{}</a>",
                text("url"),
                text("label")
            )),
            "stat" => Ok(format!(
                "<div class=\"stat\" data-n=\"{}\" data-x=\"{}\" data-big=\"{}\">{}</div>",
                text("n"),
                text("x"),
                text("big"),
                text("value")
            )),
            // A template that fails: the error must come back as a diagnostic.
            _ => Err(Diagnostic::error("the template failed")
                .in_file("templates/shortcodes/broken.html")),
        }
    }
}

/// Renders every diagnostic (the text people see), which must not panic, and checks that a
/// located diagnostic points at a line of `text` (or just past its end).
///
/// Known bug `lone-cr`: the YAML parser counts a lone CR as a line break and `decode` keeps
/// lone CRs, so front matter diagnostics in such a file name lines past its end; `yaml` says
/// whether these diagnostics can come from the YAML parser.
pub fn check_diagnostics(diagnostics: &[Diagnostic], text: &str, yaml: bool) {
    let lines = text.split('\n').count();
    let known_bug = yaml && skip_known("lone-cr") && text.contains('\r');
    let check_lines = !known_bug;
    for d in diagnostics {
        let _ = d.render();
        if let Some(line) = d.line
            && check_lines
        {
            assert!(
                line >= 1 && line <= lines + 1,
                "diagnostic at line {line} of a {lines}-line text: {d:?}"
            );
        }
        if let Some(column) = d.column {
            assert!(column >= 1, "diagnostic at column 0: {d:?}");
        }
    }
}

/// Asserts that `rel` (an output path, relative to the output folder) stays inside it: not
/// empty, no leading `/`, no `\`, NUL or other control character, no `.`, `..` or empty
/// segment, and every path component a plain name.
pub fn assert_inside_output(rel: &str, what: &str) {
    assert!(!rel.is_empty(), "{what}: empty output path");
    assert!(!rel.starts_with('/'), "{what}: {rel:?} is absolute");
    assert!(!rel.contains('\\'), "{what}: {rel:?} has a backslash");
    assert!(
        !rel.chars().any(char::is_control),
        "{what}: {rel:?} has a NUL or control character"
    );
    for segment in rel.split('/') {
        assert!(
            !segment.is_empty() && segment != "." && segment != "..",
            "{what}: {rel:?} has the segment {segment:?}"
        );
    }
    assert!(
        Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_))),
        "{what}: {rel:?} has a component that is not a plain name"
    );
}

/// Like [`assert_inside_output`] but for paths that may have empty segments (`a//b`), which
/// the file system reads as one `/`: still no way out of the output folder.
pub fn assert_no_escape(rel: &str, what: &str) {
    assert!(!rel.starts_with('/'), "{what}: {rel:?} is absolute");
    assert!(!rel.contains('\\'), "{what}: {rel:?} has a backslash");
    assert!(!rel.contains('\0'), "{what}: {rel:?} has a NUL");
    assert!(
        !rel.split('/').any(|s| s == ".."),
        "{what}: {rel:?} has a `..` segment"
    );
    assert!(
        Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir)),
        "{what}: {rel:?} has a component that leaves the folder"
    );
}

/// Whether the known bug `name` is to be skipped: `PLACARD_FUZZ_KNOWN` lists them, comma
/// separated, so that a run can go on past a reported bug until it is fixed.
pub fn skip_known(name: &str) -> bool {
    static KNOWN: OnceLock<Vec<String>> = OnceLock::new();
    KNOWN
        .get_or_init(|| {
            std::env::var("PLACARD_FUZZ_KNOWN")
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .iter()
        .any(|k| k == name)
}

/// Placard's internal markers are Unicode noncharacters U+FDD0..=U+FDEF.
pub fn is_nonchar(c: char) -> bool {
    ('\u{FDD0}'..='\u{FDEF}').contains(&c)
}

/// What `parse_one` does to a file's text before splitting it: content cannot forge markers.
pub fn strip_nonchars(text: String) -> String {
    if text.contains(is_nonchar) {
        text.replace(is_nonchar, "\u{FFFD}")
    } else {
        text
    }
}

/// Checks HTML that must be free of script: no script-running element, no `on…` event
/// attribute, no `javascript:`-like address in a URL attribute. A small tag scanner: in
/// placard's output every literal `<` outside an attribute value starts a tag or a comment
/// (text is always escaped), so tags are read with their quoted attribute values.
pub fn assert_no_script(html: &str, what: &str) {
    const ELEMENTS: &[&str] = &[
        "script", "iframe", "object", "embed", "style", "base", "meta", "link", "frame",
        "frameset", "applet", "form", "svg", "math", "template", "noscript",
    ];
    const URL_ATTRS: &[&str] = &[
        "href",
        "src",
        "action",
        "formaction",
        "xlink:href",
        "srcset",
        "poster",
        "data",
    ];
    let b = html.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        if html[i..].starts_with("<!--") {
            i = html[i + 4..].find("-->").map_or(b.len(), |e| i + 4 + e + 3);
            continue;
        }
        let closing = b.get(i + 1) == Some(&b'/');
        let start = i + 1 + usize::from(closing);
        let mut j = start;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-' || b[j] == b':') {
            j += 1;
        }
        let name = html[start..j].to_ascii_lowercase();
        if name.is_empty() {
            // `<` not followed by a name is text (only possible inside markers or attributes).
            i += 1;
            continue;
        }
        assert!(
            !ELEMENTS.contains(&name.as_str()),
            "{what}: a <{name}> element in HTML that must have no raw HTML:\n{html}"
        );
        // Attributes up to `>`.
        loop {
            while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b'/') {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' {
                j += 1;
                break;
            }
            let an = j;
            while j < b.len() && !b[j].is_ascii_whitespace() && !matches!(b[j], b'=' | b'>' | b'/')
            {
                j += 1;
            }
            let attr = html[an..j].to_ascii_lowercase();
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let mut value = String::new();
            if j < b.len() && b[j] == b'=' {
                j += 1;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j < b.len() && (b[j] == b'"' || b[j] == b'\'') {
                    let q = b[j];
                    let vs = j + 1;
                    j = vs;
                    while j < b.len() && b[j] != q {
                        j += 1;
                    }
                    value = html[vs..j.min(b.len())].to_string();
                    j += 1;
                } else {
                    let vs = j;
                    while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                        j += 1;
                    }
                    value = html[vs..j].to_string();
                }
            }
            if closing {
                continue;
            }
            assert!(
                !attr.starts_with("on"),
                "{what}: an event attribute `{attr}` on <{name}>:\n{html}"
            );
            if URL_ATTRS.contains(&attr.as_str()) {
                // As a browser reads it: character references decoded, leading and trailing
                // C0 controls and spaces trimmed, tabs and newlines removed (WHATWG URL).
                let cleaned: String = decode_refs(&value)
                    .trim_matches(|c: char| c <= ' ')
                    .chars()
                    .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                    .collect::<String>()
                    .to_ascii_lowercase();
                for scheme in ["javascript:", "vbscript:", "data:"] {
                    assert!(
                        !cleaned.starts_with(scheme),
                        "{what}: <{name} {attr}=\"{value}\"> runs script:\n{html}"
                    );
                }
            }
        }
        i = j;
    }
}

/// Decodes the character references a browser would in an attribute value (numeric ones and
/// the few named ones that matter in a URL), in one pass.
fn decode_refs(value: &str) -> String {
    const NAMED: &[(&str, char)] = &[
        ("colon;", ':'),
        ("Tab;", '\t'),
        ("NewLine;", '\n'),
        ("amp;", '&'),
        ("quot;", '"'),
        ("apos;", '\''),
        ("lt;", '<'),
        ("gt;", '>'),
    ];
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(num) = rest.strip_prefix('#') {
            let (hex, digits) = match num.strip_prefix(['x', 'X']) {
                Some(h) => (true, h),
                None => (false, num),
            };
            let len = digits
                .find(|c: char| {
                    !(if hex {
                        c.is_ascii_hexdigit()
                    } else {
                        c.is_ascii_digit()
                    })
                })
                .unwrap_or(digits.len());
            if len > 0 {
                let n = u32::from_str_radix(&digits[..len.min(8)], if hex { 16 } else { 10 });
                out.push(n.ok().and_then(char::from_u32).unwrap_or('\u{FFFD}'));
                rest = &digits[len..];
                rest = rest.strip_prefix(';').unwrap_or(rest);
                continue;
            }
        } else if let Some((name, c)) = NAMED.iter().find(|(n, _)| rest.starts_with(n)) {
            out.push(*c);
            rest = &rest[name.len()..];
            continue;
        }
        out.push('&');
    }
    out.push_str(rest);
    out
}
