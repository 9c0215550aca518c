//! `check --external`: tries each link to another site once (however many pages carry it), a
//! few at a time, with a timeout and a bounded number of retries, and says which are broken.
//!
//! The only part of `check` that touches the network. A link is broken when the other site
//! answers that the page is not there (a 4xx other than 429) or its host does not exist: an
//! error. A site that keeps failing (5xx, 429, timeouts, refused connections) after every
//! retry may only be down for now: a warning.

use crate::config::{CheckSettings, SiteConfig};
use crate::diagnostic::Diagnostic;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// What trying a link gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Fine,
    /// The other site says it is not there.
    Broken(String),
    /// It could not be reached after every try.
    Unreachable(String),
}

impl Outcome {
    /// The finding for a link with this outcome, if any.
    pub fn finding(&self, url: &str) -> Option<Diagnostic> {
        match self {
            Outcome::Fine => None,
            Outcome::Broken(why) => Some(
                Diagnostic::error(format!("the link `{url}` is broken: {why}"))
                    .rule("link-external")
                    .with_hint("find where the page moved to and link there, or remove the link"),
            ),
            Outcome::Unreachable(why) => Some(
                Diagnostic::warning(format!("the link `{url}` could not be checked: {why}"))
                    .rule("link-external")
                    .with_hint("the site may be down for now; try again later, or list it in `check.external_skip`"),
            ),
        }
    }
}

/// The URL to try for a reference written on a page: an http(s) link to another site, without
/// its fragment; `None` for links to this site, other schemes, and skipped prefixes.
pub fn candidate(url: &str, config: &SiteConfig) -> Option<String> {
    let url = url.trim();
    let absolute = if url.starts_with("//") {
        format!("https:{url}")
    } else {
        url.to_string()
    };
    let lower = absolute.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() {
        return None;
    }
    // This site's own pages (under its base URL, in either scheme) are checked as files; the
    // rest of its host is another site.
    let base = config.base_url.to_ascii_lowercase();
    let base_rest = base.split_once("://").map_or(base.as_str(), |(_, r)| r);
    let path_end = rest.find(['?', '#']).unwrap_or(rest.len());
    let with_slash = format!("{}/", rest[..path_end].trim_end_matches('/'));
    if with_slash.starts_with(base_rest) {
        return None;
    }
    let without_fragment = absolute.split('#').next().unwrap_or_default().to_string();
    if config
        .check
        .external_skip
        .iter()
        .any(|p| without_fragment.starts_with(p.as_str()))
    {
        return None;
    }
    Some(without_fragment)
}

/// Tries every URL, `settings.external_concurrency` at a time.
pub fn probe(urls: &[String], settings: &CheckSettings) -> HashMap<String, Outcome> {
    let timeout = Duration::from_secs(u64::from(settings.external_timeout));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(10)
        .user_agent(format!(
            "placard/{} (link check)",
            env!("CARGO_PKG_VERSION")
        ))
        .timeout_global(Some(timeout))
        .build()
        .into();
    let next = AtomicUsize::new(0);
    let results = Mutex::new(HashMap::with_capacity(urls.len()));
    let workers = usize::try_from(settings.external_concurrency)
        .unwrap_or(1)
        .clamp(1, urls.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(url) = urls.get(i) else { break };
                    let outcome = try_url(&agent, url, settings.external_retries);
                    results
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(url.clone(), outcome);
                }
            });
        }
    });
    results.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// What a single request said.
enum Answer {
    Status(u16),
    /// Failed in a way a retry may fix (a timeout, a refused or dropped connection).
    Transient(String),
    /// Failed in a way no retry fixes (no such host, a bad address).
    Permanent(String),
}

fn request(agent: &ureq::Agent, method: &str, url: &str) -> Answer {
    let result = match method {
        "HEAD" => agent.head(url).call(),
        _ => agent.get(url).call(),
    };
    match result {
        // The body is not read: dropping the response closes the connection.
        Ok(r) => Answer::Status(r.status().as_u16()),
        Err(ureq::Error::HostNotFound) => Answer::Permanent("no such host".into()),
        Err(ureq::Error::BadUri(m)) => Answer::Permanent(format!("not a usable address ({m})")),
        Err(
            e @ (ureq::Error::Timeout(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::Io(_)
            | ureq::Error::Protocol(_)
            | ureq::Error::BodyStalled),
        ) => Answer::Transient(e.to_string()),
        Err(e) => Answer::Permanent(e.to_string()),
    }
}

fn try_url(agent: &ureq::Agent, url: &str, retries: u32) -> Outcome {
    let mut last = String::new();
    for attempt in 0..=retries {
        if attempt > 0 {
            std::thread::sleep(backoff(attempt, url));
        }
        // HEAD first; servers that do not answer HEAD properly get a GET.
        let mut answer = request(agent, "HEAD", url);
        if let Answer::Status(403 | 405 | 501) = answer {
            answer = request(agent, "GET", url);
        }
        match answer {
            Answer::Status(s) if s < 400 => return Outcome::Fine,
            Answer::Status(s) if s == 429 || s >= 500 => last = describe(s),
            Answer::Status(s) => return Outcome::Broken(describe(s)),
            Answer::Transient(m) => last = m,
            Answer::Permanent(m) => return Outcome::Broken(m),
        }
    }
    let tries = retries + 1;
    Outcome::Unreachable(format!(
        "{last} (tried {tries} time{})",
        if tries == 1 { "" } else { "s" }
    ))
}

fn describe(status: u16) -> String {
    let reason = match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    };
    if reason.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status} {reason}")
    }
}

/// 250 ms doubling per attempt, at most 4 s, with up to half of it again as jitter (from the
/// URL and the clock, so that links to one host do not retry in step).
fn backoff(attempt: u32, url: &str) -> Duration {
    use std::hash::{Hash, Hasher};
    let base = 250u64.saturating_mul(1 << attempt.min(4)).min(4_000);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    url.hash(&mut h);
    std::time::SystemTime::now().hash(&mut h);
    Duration::from_millis(base + h.finish() % (base / 2 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SiteConfig {
        let mut c = crate::config::parse("title: T\nbase_url: https://example.org/\n").unwrap();
        c.check.external_skip = vec!["https://skip.example/".into()];
        c
    }

    #[test]
    fn candidates_are_other_sites_without_fragments() {
        let c = config();
        assert_eq!(
            candidate("https://other.example/a#b", &c).as_deref(),
            Some("https://other.example/a")
        );
        assert_eq!(
            candidate("//cdn.example/x.js", &c).as_deref(),
            Some("https://cdn.example/x.js")
        );
        let mut c2 = config();
        c2.base_url = "https://example.org/campaign/".into();
        assert_eq!(
            candidate("https://example.org/other/", &c2).as_deref(),
            Some("https://example.org/other/")
        );
        assert_eq!(candidate("http://example.org/campaign", &c2), None);
        assert_eq!(candidate("https://example.org/campaign/x/?q#f", &c2), None);
        for not in [
            "https://example.org/x/",
            "/x/",
            "x.html",
            "mailto:a@example.org",
            "https://skip.example/page",
            "#top",
        ] {
            assert_eq!(candidate(not, &c), None, "{not}");
        }
    }

    #[test]
    fn backoff_is_bounded() {
        for attempt in 1..10 {
            assert!(backoff(attempt, "https://a.example/") <= Duration::from_millis(6_000));
        }
        assert!(backoff(1, "x") >= Duration::from_millis(500));
    }
}
