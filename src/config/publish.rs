//! The `publish:` part of `site.yaml` → [`PublishConfig`]: named targets (an `s3://bucket/prefix`
//! URL, the endpoint and region of the store, cache rules, a delete cap, a purge command).
//! Strict like the rest of site.yaml, and careful with secrets: credentials are refused here
//! (they come from the environment or an AWS profile), and the line that held one is never
//! shown back.
//!
//! Pure: works on the parsed YAML document.

use crate::diagnostic::Diagnostic;
use crate::yaml::{Doc, Step, describe};
use serde_yaml::{Mapping, Value};

/// Every publish target of the site.
#[derive(Clone, Debug, Default)]
pub struct PublishConfig {
    /// The target used when `--target` is not given (the only one, when there is one).
    pub default: Option<String>,
    /// In file order.
    pub targets: Vec<Target>,
    /// Refuse to publish a build older than the site's files (content, site.yaml, the theme),
    /// rather than only warn.
    pub require_fresh_build: bool,
}

/// Where and how one copy of the site is published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub bucket: String,
    /// Key prefix, empty or ending in `/` (`www/`).
    pub prefix: String,
    /// `scheme://host[:port]` of a non-AWS store; `None` for AWS S3.
    pub endpoint: Option<String>,
    pub region: String,
    /// Path-style addressing (`endpoint/bucket/key`) rather than `bucket.endpoint/key`.
    pub path_style: bool,
    /// AWS profile to read credentials from when the environment has none.
    pub profile: Option<String>,
    /// A preview copy: takes preview builds only (drafts, embargoed pages, noindex on every
    /// page), which live targets refuse.
    pub preview: bool,
    /// Deletes allowed without `--allow-deletes`.
    pub max_deletes: usize,
    /// Parallel uploads.
    pub concurrency: usize,
    /// `max-age` in seconds for everything that is not fingerprinted.
    pub max_age: u64,
    /// Seconds to wait for the store to answer a request (or to take the next part of an
    /// upload) before the try counts as failed and is retried.
    pub timeout: u64,
    /// First matching rule wins over the defaults.
    pub cache: Vec<CacheRule>,
    /// Also mark alias pages with `x-amz-website-redirect-location`.
    pub redirects: bool,
    /// Run after a publish that changed something, with the changed URL paths.
    pub purge: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct CacheRule {
    /// A glob over output paths: `*` and `?` within one folder, `**` across folders.
    pub pattern: String,
    pub cache_control: String,
    matcher: globset::GlobMatcher,
}

impl CacheRule {
    /// Whether the rule applies to an output path.
    pub fn matches(&self, path: &str) -> bool {
        self.matcher.is_match(path)
    }
}

impl PartialEq for CacheRule {
    fn eq(&self, other: &CacheRule) -> bool {
        (&self.pattern, &self.cache_control) == (&other.pattern, &other.cache_control)
    }
}

impl Eq for CacheRule {}

/// Compiles a cache rule's glob: `*` and `?` never cross a `/`, `**` does.
pub fn glob(pattern: &str) -> Result<globset::GlobMatcher, String> {
    globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| e.kind().to_string())
}

impl Target {
    /// `s3://bucket/prefix`, for messages.
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }
}

const KEYS: &[&str] = &["default", "targets", "require_fresh_build"];
const TARGET_KEYS: &[&str] = &[
    "url",
    "endpoint",
    "region",
    "path_style",
    "profile",
    "preview",
    "max_deletes",
    "concurrency",
    "max_age",
    "timeout",
    "cache",
    "redirects",
    "purge",
];
const RULE_KEYS: &[&str] = &["match", "cache_control"];

/// Keys that would hold a credential: refused wherever they appear in a target.
pub fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "secret",
        "password",
        "token",
        "access_key",
        "credential",
        "key_id",
        "authorization",
        "passwd",
    ]
    .iter()
    .any(|s| k.contains(s))
}

/// A line of YAML with its values hidden when any key on it looks like it holds a credential,
/// or it holds a URL with a user name or password (`https://user:pass@host`), so that no
/// diagnostic ever shows one. `None` when the line is harmless.
pub fn redact_line(line: &str) -> Option<String> {
    let has_userinfo = line.split("://").skip(1).any(|rest| {
        rest.split(['/', ' ', '"', '\'', ',', '}'])
            .next()
            .is_some_and(|a| a.contains('@'))
    });
    // Every `key:` on the line (a flow mapping has several): the word before each colon.
    let mut chunks: Vec<&str> = line.split(':').collect();
    chunks.pop();
    let secret_key = chunks.iter().any(|chunk| {
        let key = chunk
            .trim_end()
            .trim_end_matches(['"', '\''])
            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .next()
            .unwrap_or("");
        looks_secret(key)
    });
    if !has_userinfo && !secret_key {
        return None;
    }
    let indent: String = line
        .chars()
        .take_while(|c| c.is_whitespace() || *c == '-')
        .collect();
    let key = line[indent.len()..]
        .split_once(':')
        .map(|(k, _)| k)
        .filter(|k| !k.contains(['{', '"', '\'']) && !looks_secret(k));
    Some(match key {
        Some(k) => format!("{indent}{k}: <hidden>"),
        None => format!("{indent}<hidden>"),
    })
}

/// Reads `publish:`; problems go to `errors`.
pub fn parse(doc: &Doc<'_>, errors: &mut Vec<Diagnostic>) -> PublishConfig {
    let Some(value) = doc.get("publish") else {
        return PublishConfig::default();
    };
    let Value::Mapping(m) = value else {
        errors.push(
            doc.error_at(
                &[Step::Key("publish")],
                format!("`publish`: expected a mapping, found {}", describe(value)),
            )
            .with_hint("write `publish:` with a `targets:` mapping under it"),
        );
        return PublishConfig::default();
    };
    unknown_keys(doc, m, &[Step::Key("publish")], KEYS, "`publish`", errors);
    let mut config = PublishConfig::default();
    let mut declared: Vec<String> = Vec::new();
    match m.get("targets") {
        None | Some(Value::Null) => {}
        Some(Value::Mapping(targets)) => {
            for (name, body) in targets {
                declared.extend(name.as_str().map(str::to_string));
                let name = name.as_str().unwrap_or_default();
                if let Some(t) = target(doc, name, body, errors) {
                    config.targets.push(t);
                }
            }
        }
        Some(v) => errors.push(
            doc.error_at(
                &[Step::Key("publish"), Step::Key("targets")],
                format!(
                    "`publish.targets`: expected a mapping, found {}",
                    describe(v)
                ),
            )
            .with_hint("name each target: `targets:` then `production:` with its `url:` under it"),
        ),
    }
    for (i, t) in config.targets.iter().enumerate() {
        if let Some(other) = config.targets[..i]
            .iter()
            .find(|o| o.bucket == t.bucket && o.prefix == t.prefix && o.endpoint == t.endpoint)
        {
            errors.push(
                doc.error_at(
                    &[Step::Key("publish"), Step::Key("targets"), Step::Key(&t.name), Step::Key("url")],
                    format!(
                        "publish targets `{}` and `{}` are the same place ({}): publishing one would overwrite the other",
                        other.name,
                        t.name,
                        t.url()
                    ),
                )
                .with_hint("give each target its own bucket or prefix, for example `url: s3://bucket/preview`"),
            );
        }
    }
    match m.get("require_fresh_build") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(b)) => config.require_fresh_build = *b,
        Some(v) => errors.push(
            doc.error_at(
                &[Step::Key("publish"), Step::Key("require_fresh_build")],
                format!(
                    "`publish.require_fresh_build`: expected true or false, found {}",
                    describe(v)
                ),
            )
            .with_hint("write `require_fresh_build: true` (or false)"),
        ),
    }
    match m.get("default") {
        None | Some(Value::Null) => {
            if config.targets.len() == 1 {
                config.default = Some(config.targets[0].name.clone());
            }
        }
        Some(Value::String(d)) if declared.contains(d) => {
            config.default = Some(d.clone());
        }
        Some(v) => {
            let names: Vec<&str> = declared.iter().map(String::as_str).collect();
            errors.push(
                doc.error_at(
                    &[Step::Key("publish"), Step::Key("default")],
                    format!(
                        "`publish.default`: {} is not one of the targets",
                        describe(v)
                    ),
                )
                .with_hint(format!("name one of: {}", names.join(", "))),
            );
        }
    }
    config
}

fn target(doc: &Doc<'_>, name: &str, body: &Value, errors: &mut Vec<Diagnostic>) -> Option<Target> {
    let at = [Step::Key("publish"), Step::Key("targets"), Step::Key(name)];
    let err = |key: Option<&str>, message: String| {
        let mut path = at.to_vec();
        if let Some(k) = key {
            path.push(Step::Key(k));
        }
        doc.error_at(&path, message)
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        errors.push(
            err(
                None,
                format!("publish target name `{name}` is not a plain name"),
            )
            .with_hint("use letters, digits, `-` or `_`, for example `production`"),
        );
        return None;
    }
    let Value::Mapping(m) = body else {
        errors.push(
            err(
                None,
                format!(
                    "publish target `{name}`: expected a mapping, found {}",
                    describe(body)
                ),
            )
            .with_hint("give the target at least `url: s3://bucket/prefix`"),
        );
        return None;
    };
    let before = errors.len();
    for key in m.keys().filter_map(Value::as_str) {
        if looks_secret(key) {
            let mut d = err(
                Some(key),
                format!("publish target `{name}`: `{key}` looks like a credential, and credentials never go in site.yaml"),
            )
            .with_hint("remove it (and rotate it if this file was shared); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or name an AWS profile with `profile:`");
            d.source_line = d.source_line.as_deref().and_then(redact_line);
            errors.push(d);
        }
    }
    let known: Vec<&str> = TARGET_KEYS.to_vec();
    let unknown: Mapping = m
        .iter()
        .filter(|(k, _)| !k.as_str().is_some_and(looks_secret))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    unknown_keys(
        doc,
        &unknown,
        &at,
        &known,
        &format!("publish target `{name}`"),
        errors,
    );

    let text = |key: &str, errors: &mut Vec<Diagnostic>| -> Option<String> {
        match m.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => {
                errors.push(
                    err(
                        Some(key),
                        format!("`{key}`: expected text, found {}", describe(v)),
                    )
                    .with_hint(format!("quote the value: `{key}: \"…\"`")),
                );
                None
            }
        }
    };
    let flag = |key: &str, errors: &mut Vec<Diagnostic>| -> Option<bool> {
        match m.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(v) => {
                errors.push(
                    err(
                        Some(key),
                        format!("`{key}`: expected true or false, found {}", describe(v)),
                    )
                    .with_hint(format!("write `{key}: true` or `{key}: false`")),
                );
                None
            }
        }
    };
    let number = |key: &str, min: u64, max: u64, errors: &mut Vec<Diagnostic>| -> Option<u64> {
        match m.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_u64().is_some_and(|n| (min..=max).contains(&n)) => {
                n.as_u64()
            }
            Some(v) => {
                errors.push(
                    err(
                        Some(key),
                        format!(
                            "`{key}`: expected a whole number from {min} to {max}, found {}",
                            describe(v)
                        ),
                    )
                    .with_hint(format!("for example `{key}: {}`", min.max(1))),
                );
                None
            }
        }
    };

    let (bucket, prefix) =
        match text("url", errors) {
            None => {
                if !m.contains_key("url") {
                    errors.push(
                        err(None, format!("publish target `{name}` has no `url`"))
                            .with_hint("add `url: s3://bucket-name/optional/prefix`"),
                    );
                }
                (String::new(), String::new())
            }
            Some(url) => match parse_url(&url) {
                Ok(bp) => bp,
                Err(why) => {
                    errors.push(err(Some("url"), format!("`url`: {why}")).with_hint(
                        "write `url: s3://bucket-name` or `url: s3://bucket-name/prefix`",
                    ));
                    (String::new(), String::new())
                }
            },
        };
    let endpoint = match text("endpoint", errors) {
        None => None,
        Some(e) => match parse_endpoint(&e) {
            Ok(e) => Some(e),
            Err(why) => {
                errors.push(err(Some("endpoint"), format!("`endpoint`: {why}")).with_hint(
                    "write the store's address, for example `https://<account>.r2.cloudflarestorage.com`; plain http is only for a store on this machine (127.0.0.1)",
                ));
                None
            }
        },
    };
    let region = text("region", errors).unwrap_or_else(|| "us-east-1".into());
    if region.is_empty()
        || !region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        errors.push(
            err(
                Some("region"),
                format!("`region`: `{region}` is not a region name"),
            )
            .with_hint("for example `region: eu-west-2` (or `auto` for Cloudflare R2)"),
        );
    }
    let path_style =
        flag("path_style", errors).unwrap_or(endpoint.is_some() || bucket.contains('.'));
    let profile = text("profile", errors);
    let preview = flag("preview", errors).unwrap_or(false);
    let max_deletes = number("max_deletes", 0, 1_000_000, errors).unwrap_or(0) as usize;
    let concurrency = number("concurrency", 1, 64, errors).unwrap_or(8) as usize;
    let max_age = number("max_age", 0, 31_536_000, errors).unwrap_or(300);
    let timeout = number("timeout", 1, 3_600, errors).unwrap_or(60);
    let redirects = flag("redirects", errors).unwrap_or(false);
    let cache = cache_rules(doc, &at, m.get("cache"), errors);
    let purge = match m.get("purge") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(items)) if !items.is_empty() && items.iter().all(Value::is_string) => {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        }
        Some(v) => {
            errors.push(
                err(Some("purge"), format!("`purge`: expected a list of text (the command and its arguments), found {}", describe(v)))
                    .with_hint("for example `purge: [\"./scripts/invalidate.sh\", \"{paths}\"]`; `{paths}` becomes the changed paths, which are also given on standard input, one per line"),
            );
            Vec::new()
        }
    };
    (errors.len() == before).then(|| Target {
        name: name.to_string(),
        bucket,
        prefix,
        endpoint,
        region,
        path_style,
        profile,
        preview,
        max_deletes,
        concurrency,
        max_age,
        timeout,
        cache,
        redirects,
        purge,
    })
}

fn cache_rules(
    doc: &Doc<'_>,
    at: &[Step<'_>],
    value: Option<&Value>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<CacheRule> {
    let mut path = at.to_vec();
    path.push(Step::Key("cache"));
    let items = match value {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Sequence(items)) => items,
        Some(v) => {
            errors.push(
                doc.error_at(&path, format!("`cache`: expected a list of rules, found {}", describe(v)))
                    .with_hint("for example `cache: [{ match: \"images/**\", cache_control: \"public, max-age=86400\" }]`"),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut here = path.clone();
        here.push(Step::Index(i));
        let Value::Mapping(m) = item else {
            errors.push(
                doc.error_at(
                    &here,
                    format!("a cache rule is a mapping, found {}", describe(item)),
                )
                .with_hint(
                    "write `- { match: \"images/**\", cache_control: \"public, max-age=86400\" }`",
                ),
            );
            continue;
        };
        unknown_keys(doc, m, &here, RULE_KEYS, "a cache rule", errors);
        let get = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
        match (get("match"), get("cache_control")) {
            (Some(pattern), Some(cache_control)) => {
                if cache_control.contains(['\r', '\n']) || !cache_control.is_ascii() {
                    errors.push(doc.error_at(
                        &here,
                        "`cache_control` must be one line of plain ASCII text",
                    ));
                } else {
                    let pattern = pattern.trim_start_matches('/').to_string();
                    match glob(&pattern) {
                        Ok(matcher) => out.push(CacheRule {
                            pattern,
                            cache_control,
                            matcher,
                        }),
                        Err(why) => errors.push(
                            doc.error_at(
                                &[here.as_slice(), &[Step::Key("match")]].concat(),
                                format!("`match`: `{pattern}` is not a glob ({why})"),
                            )
                            .with_hint("`*` and `?` match within one folder, `**` across folders, `[abc]` one of those characters: for example `images/**` or `**/*.pdf`"),
                        ),
                    }
                }
            }
            _ => errors.push(
                doc.error_at(
                    &here,
                    "a cache rule needs `match` and `cache_control`, both text",
                )
                .with_hint(
                    "write `- { match: \"images/**\", cache_control: \"public, max-age=86400\" }`",
                ),
            ),
        }
    }
    out
}

fn unknown_keys(
    doc: &Doc<'_>,
    m: &Mapping,
    at: &[Step<'_>],
    known: &[&str],
    what: &str,
    errors: &mut Vec<Diagnostic>,
) {
    for key in m.keys() {
        let name = key.as_str().unwrap_or("?");
        if known.contains(&name) {
            continue;
        }
        let mut path = at.to_vec();
        path.push(Step::Key(name));
        let mut d = doc.error_at(&path, format!("unknown key `{name}` in {what}"));
        d = match crate::diagnostic::did_you_mean(name, known.iter().copied()) {
            Some(near) => d.with_hint(format!("did you mean `{near}`?")),
            None => d.with_hint(format!("the keys allowed here are: {}", known.join(", "))),
        };
        errors.push(d);
    }
}

/// `s3://bucket/some/prefix` → (`bucket`, `some/prefix/`).
pub fn parse_url(url: &str) -> Result<(String, String), String> {
    if url.contains('@') {
        return Err("the URL holds a user name or password; credentials never go in site.yaml (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment)".into());
    }
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| format!("`{url}` is not an s3:// URL"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let valid_bucket = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && bucket.as_bytes()[0].is_ascii_alphanumeric()
        && bucket.as_bytes()[bucket.len() - 1].is_ascii_alphanumeric()
        && !bucket.contains("..");
    if !valid_bucket {
        return Err(format!(
            "`{bucket}` is not a bucket name (3 to 63 lowercase letters, digits, `-` or `.`)"
        ));
    }
    let prefix = prefix.trim_end_matches('/');
    if prefix
        .split('/')
        .any(|seg| !prefix.is_empty() && (seg.is_empty() || seg == "." || seg == ".."))
        || prefix.chars().any(|c| c.is_control() || c == '\\')
    {
        return Err(format!(
            "the prefix `{prefix}` has an empty, `.` or `..` segment or a control character"
        ));
    }
    let prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    Ok((bucket.to_string(), prefix))
}

/// `https://host[:port][/]` → `https://host[:port]`; plain `http` only for this machine.
pub fn parse_endpoint(url: &str) -> Result<String, String> {
    if url.contains('@') {
        return Err("the address holds a user name or password; credentials never go in site.yaml (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment)".into());
    }
    let url = url.trim_end_matches('/');
    // A default port is not sent in the Host header, so it must not be signed either.
    let url = url
        .strip_suffix(":443")
        .filter(|_| url.starts_with("https://"))
        .or_else(|| {
            url.strip_suffix(":80")
                .filter(|_| url.starts_with("http://"))
        })
        .unwrap_or(url);
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("`{url}` is not an http(s) URL"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return Err(format!(
            "`{url}` should be just the scheme and host (no path, query or user name)"
        ));
    }
    match scheme {
        "https" => Ok(url.to_string()),
        "http" if is_loopback(rest) => Ok(url.to_string()),
        "http" => Err(format!(
            "`{url}` is plain http to another machine: credentials and pages would travel unencrypted"
        )),
        _ => Err(format!("`{url}` is not an http(s) URL")),
    }
}

/// Whether `host[:port]` names this machine.
pub fn is_loopback(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> (PublishConfig, Vec<Diagnostic>) {
        let doc = Doc::parse("site.yaml", text, text, 1).unwrap();
        let mut errors = Vec::new();
        let c = parse(&doc, &mut errors);
        (c, errors)
    }

    #[test]
    fn urls_and_endpoints() {
        assert_eq!(
            parse_url("s3://my-site").unwrap(),
            ("my-site".into(), String::new())
        );
        assert_eq!(
            parse_url("s3://my.site/www/en/").unwrap(),
            ("my.site".into(), "www/en/".into())
        );
        assert!(parse_url("s3://My_Site").is_err());
        assert!(parse_url("https://bucket").is_err());
        assert!(parse_url("s3://bucket/a//b").is_err());
        assert!(parse_url("s3://bucket/../b").is_err());
        assert_eq!(
            parse_endpoint("http://127.0.0.1:9000/").unwrap(),
            "http://127.0.0.1:9000"
        );
        assert!(parse_endpoint("http://[::1]:9000").is_ok());
        assert!(parse_endpoint("http://localhost").is_ok());
        assert!(parse_endpoint("http://minio.internal:9000").is_err());
        assert!(parse_endpoint("https://x.r2.cloudflarestorage.com/bucket").is_err());
    }

    #[test]
    fn a_full_target() {
        let (c, e) = parse_text(
            "publish:\n  targets:\n    production:\n      url: s3://campaign/www\n      region: eu-west-2\n      max_deletes: 5\n      cache:\n        - { match: \"images/**\", cache_control: \"public, max-age=86400\" }\n      purge: [\"./purge.sh\", \"{paths}\"]\n",
        );
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(c.default.as_deref(), Some("production"));
        let t = &c.targets[0];
        assert_eq!((t.bucket.as_str(), t.prefix.as_str()), ("campaign", "www/"));
        assert_eq!((t.max_deletes, t.concurrency, t.max_age), (5, 8, 300));
        assert!(!t.path_style);
        assert_eq!(t.cache[0].pattern, "images/**");
        assert_eq!(t.purge, ["./purge.sh", "{paths}"]);
    }

    #[test]
    fn credentials_are_refused_and_never_shown() {
        let (_, e) = parse_text(
            "publish:\n  targets:\n    production:\n      url: s3://campaign\n      secret_access_key: CANARY-SECRET-123\n",
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, Some(5));
        let shown = e[0].render();
        assert!(
            shown.contains("credentials never go in site.yaml"),
            "{shown}"
        );
        assert!(!shown.contains("CANARY"), "{shown}");
    }

    #[test]
    fn no_line_holding_a_credential_is_shown() {
        for text in [
            "publish:\n  targets:\n    live: { url: s3://campaign, regon: x, secret_access_key: CANARY }\n",
            "publish:\n  targets:\n    live:\n      url: s3://AKIA:CANARY@campaign\n",
            "publish:\n  targets:\n    live:\n      url: s3://campaign\n      endpoint: https://user:CANARY@store.example\n",
            "publish:\n  targets:\n    live:\n      url: s3://campaign\n      cache:\n        - { match: x, cache_control: y, token: CANARY }\n",
            "publish:\n  targets:\n    live:\n      url: s3://campaign\n      Authorization: CANARY\n",
        ] {
            let full = format!("title: T\nbase_url: https://e.org/\n{text}");
            let e = crate::config::parse(&full).unwrap_err();
            let shown: String = e.iter().map(Diagnostic::render).collect();
            assert!(!shown.contains("CANARY"), "{shown}");
            assert!(e.iter().all(|d| d.line.is_some()), "{e:?}");
        }
        assert_eq!(redact_line("  title: Safe"), None);
        assert_eq!(redact_line("title: \"Password reset: a campaign\""), None);
        assert_eq!(
            redact_line("      secret_key: x").as_deref(),
            Some("      <hidden>")
        );
        assert_eq!(
            redact_line("    live: { url: s3://b, token: x }").as_deref(),
            Some("    live: <hidden>")
        );
    }

    #[test]
    fn two_targets_in_one_place_are_an_error() {
        let (_, e) = parse_text(
            "publish:\n  targets:\n    live:\n      url: s3://campaign/www\n    preview:\n      url: s3://campaign/www/\n      preview: true\n",
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, Some(6));
        assert!(e[0].message.contains("are the same place"), "{e:?}");
        assert_eq!(
            parse_endpoint("https://s3.example.org:443/").unwrap(),
            "https://s3.example.org"
        );
        assert_eq!(
            parse_endpoint("http://127.0.0.1:80").unwrap(),
            "http://127.0.0.1"
        );
        assert_eq!(
            parse_endpoint("https://s3.example.org:8443").unwrap(),
            "https://s3.example.org:8443"
        );
    }

    #[test]
    fn mistakes_are_located() {
        let (_, e) = parse_text(
            "publish:\n  targets:\n    production:\n      url: s3://campaign\n      concurency: 4\n      max_deletes: -1\n",
        );
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].message.contains("concurency")
                && e[0].hint.as_deref() == Some("did you mean `concurrency`?")
        );
        assert_eq!(e[1].line, Some(6));
    }
}
