//! A small S3 client for what publishing needs: list a prefix, read one object's headers, put
//! an object with its headers, delete one. Requests are signed with AWS Signature Version 4
//! in the `Authorization` header (never in the URL, so no credential ends up in a message that
//! quotes one), sent over ureq (blocking; the caller runs several at once on threads), and
//! retried a bounded number of times with exponential backoff and full jitter on 5xx,
//! throttling (429, `SlowDown`) and network failures and timeouts.
//!
//! Why not `object_store`: it cannot set `x-amz-website-redirect-location` (an S3 website's
//! redirect for alias pages), and it does not read AWS profiles; both are needed here, and the
//! S3 calls placard makes are four.
//!
//! The only I/O is HTTP to the target's endpoint.

use super::credentials::Credentials;
use super::store::{Metadata, RemoteObject, Store, StoreError, Upload};
use crate::config::publish::{Target, is_loopback};
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, utf8_percent_encode};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Everything but the unreserved characters is encoded (SigV4's `UriEncode`).
const QUERY: &AsciiSet = crate::text::URL_COMPONENT;
/// The same, keeping `/` between key segments.
const PATH: &AsciiSet = &QUERY.remove(b'/');

/// Up to this much of a response body is read (listings of 1,000 keys are a few hundred KB).
const BODY_LIMIT: u64 = 32 * 1024 * 1024;

/// How failed requests are retried.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The first backoff; doubled each time, up to `max_delay`, with full jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The pause before attempt `n + 1` (after `n` failures): random in `[0, min(max, base·2ⁿ)]`.
    pub fn delay(&self, failures: u32, random: u64) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << failures.min(16))
            .min(self.max_delay);
        let ms = ceiling.as_millis() as u64;
        Duration::from_millis(if ms == 0 { 0 } else { random % (ms + 1) })
    }
}

/// The metadata key under which placard keeps an object's MD5.
pub const MD5_META: &str = "x-amz-meta-placard-md5";

/// A connection to one S3 target.
pub struct S3 {
    agent: ureq::Agent,
    credentials: Credentials,
    /// `https://host[:port]` requests go to.
    origin: String,
    /// `host[:port]`, as signed.
    host: String,
    /// `/bucket` for path-style addressing, empty otherwise.
    bucket_path: String,
    bucket: String,
    prefix: String,
    region: String,
    pub retry: RetryPolicy,
}

/// What came back.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl S3 {
    pub fn new(target: &Target, credentials: Credentials) -> S3 {
        let base = target
            .endpoint
            .clone()
            .unwrap_or_else(|| format!("https://s3.{}.amazonaws.com", target.region));
        let (scheme, authority) = base.split_once("://").unwrap_or(("https", base.as_str()));
        let (origin, host, bucket_path) = if target.path_style {
            (
                base.clone(),
                authority.to_string(),
                format!("/{}", target.bucket),
            )
        } else {
            let host = format!("{}.{authority}", target.bucket);
            (format!("{scheme}://{host}"), host, String::new())
        };
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(format!("placard/{}", env!("CARGO_PKG_VERSION")))
            .timeout_connect(Some(Duration::from_secs(target.timeout.min(10))))
            .timeout_recv_response(Some(Duration::from_secs(target.timeout)))
            .timeout_recv_body(Some(Duration::from_secs(target.timeout.saturating_mul(2))))
            .timeout_send_body(Some(Duration::from_secs(target.timeout.saturating_mul(5))))
            .max_idle_connections(64)
            .max_idle_connections_per_host(64);
        if is_loopback(authority) {
            config = config.proxy(None);
        }
        S3 {
            agent: config.build().into(),
            credentials,
            origin,
            host,
            bucket_path,
            bucket: target.bucket.clone(),
            prefix: target.prefix.clone(),
            region: target.region.clone(),
            retry: RetryPolicy::default(),
        }
    }

    /// Every header the store answers a HEAD of the object with (what a publish stored: its
    /// type, caching, redirect), or `None` when there is no such object.
    pub fn headers(&self, path: &str) -> Result<Option<Vec<(String, String)>>, StoreError> {
        let key = format!("{}{path}", self.prefix);
        match self.send("HEAD", Some(&key), &[], Vec::new(), &[], path) {
            Ok(r) => Ok(Some(r.headers)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends one request, retrying what is worth retrying. `what` names it in messages.
    fn send(
        &self,
        method: &str,
        key: Option<&str>,
        query: &[(&str, String)],
        headers: Vec<(String, String)>,
        body: &[u8],
        what: &str,
    ) -> Result<Reply, StoreError> {
        let mut failures = 0;
        loop {
            let outcome = self.attempt(method, key, query, &headers, body);
            let retry_reason = match outcome {
                Ok(r) if (200..300).contains(&r.status) => return Ok(r),
                Ok(r) => match classify(&r) {
                    Verdict::Retry(why) => why,
                    Verdict::Fail(e) => return Err(self.describe(e, what)),
                },
                Err(e) => match transport_retryable(&e) {
                    Some(why) => why,
                    None => {
                        return Err(StoreError::Unavailable(self.credentials.scrub(&format!(
                            "{what}: could not reach the store at {}: {e}",
                            self.origin
                        ))));
                    }
                },
            };
            failures += 1;
            if failures >= self.retry.attempts {
                return Err(StoreError::Unavailable(self.credentials.scrub(&format!(
                    "{what}: gave up on the store at {} after {failures} attempts ({retry_reason})",
                    self.origin
                ))));
            }
            std::thread::sleep(self.retry.delay(failures - 1, random()));
        }
    }

    fn describe(&self, e: StoreError, what: &str) -> StoreError {
        let scrub = |m: String| self.credentials.scrub(&m);
        match e {
            StoreError::Credentials(m) => StoreError::Credentials(scrub(format!(
                "the store refused the credentials from {} ({m}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the profile) and that they may write to s3://{}/{}",
                self.credentials.source, self.bucket, self.prefix
            ))),
            StoreError::NoBucket(_) => StoreError::NoBucket(scrub(format!(
                "there is no bucket `{}` at {} (the store answered NoSuchBucket); check the target's `url:` in site.yaml, or create the bucket",
                self.bucket, self.origin
            ))),
            StoreError::NotFound(m) => StoreError::NotFound(scrub(format!("{what}: {m}"))),
            StoreError::Refused(m) => StoreError::Refused(scrub(format!("{what}: {m}"))),
            StoreError::Unavailable(m) => StoreError::Unavailable(scrub(m)),
        }
    }

    fn attempt(
        &self,
        method: &str,
        key: Option<&str>,
        query: &[(&str, String)],
        extra: &[(String, String)],
        body: &[u8],
    ) -> Result<Reply, ureq::Error> {
        let path = format!(
            "{}/{}",
            self.bucket_path,
            key.map(|k| utf8_percent_encode(k, PATH).to_string())
                .unwrap_or_default()
        );
        let mut query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| {
                (
                    utf8_percent_encode(k, QUERY).to_string(),
                    utf8_percent_encode(v, QUERY).to_string(),
                )
            })
            .collect();
        query.sort();
        let query = query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let url = if query.is_empty() {
            format!("{}{path}", self.origin)
        } else {
            format!("{}{path}?{query}", self.origin)
        };
        let now = jiff::Timestamp::now();
        let headers = self.sign(method, &path, &query, extra, body, now);
        let response = match method {
            "PUT" => {
                let mut r = self.agent.put(&url);
                for (k, v) in &headers {
                    r = r.header(k.as_str(), v.as_str());
                }
                r.send(body)
            }
            "GET" | "HEAD" | "DELETE" => {
                let mut r = match method {
                    "GET" => self.agent.get(&url),
                    "HEAD" => self.agent.head(&url),
                    _ => self.agent.delete(&url),
                };
                for (k, v) in &headers {
                    r = r.header(k.as_str(), v.as_str());
                }
                r.call()
            }
            other => {
                return Err(ureq::Error::BadUri(format!(
                    "placard sends only GET, HEAD, PUT and DELETE, not {other}"
                )));
            }
        };
        let mut response = response?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = if method == "HEAD" {
            Vec::new()
        } else {
            response
                .body_mut()
                .with_config()
                .limit(BODY_LIMIT)
                .read_to_vec()?
        };
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// The headers of a request signed with SigV4 (`extra` included).
    fn sign(
        &self,
        method: &str,
        path: &str,
        query: &str,
        extra: &[(String, String)],
        body: &[u8],
        now: jiff::Timestamp,
    ) -> Vec<(String, String)> {
        let amz_date = now.strftime("%Y%m%dT%H%M%SZ").to_string();
        let date = &amz_date[..8];
        let payload = hex(&Sha256::digest(body));
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), self.host.clone()),
            ("x-amz-content-sha256".into(), payload.clone()),
            ("x-amz-date".into(), amz_date.clone()),
        ];
        if let Some(t) = &self.credentials.session_token {
            headers.push(("x-amz-security-token".into(), t.expose().to_string()));
        }
        headers.extend(
            extra
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string())),
        );
        headers.sort();
        let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
        let signed = signed.join(";");
        let canonical_headers: String = headers
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}:{}\n",
                    v.split_whitespace().collect::<Vec<_>>().join(" ")
                )
            })
            .collect();
        let canonical =
            format!("{method}\n{path}\n{query}\n{canonical_headers}\n{signed}\n{payload}");
        let scope = format!("{date}/{}/s3/aws4_request", self.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let secret = format!("AWS4{}", self.credentials.secret_access_key.expose());
        let mut key = hmac(secret.as_bytes(), date.as_bytes());
        for part in [self.region.as_str(), "s3", "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        let signature = hex(&hmac(&key, to_sign.as_bytes()));
        headers.push((
            "authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
                self.credentials.access_key_id
            ),
        ));
        // ureq writes the Host header itself, from the URL.
        headers.retain(|(k, _)| k != "host");
        headers
    }
}

impl Store for S3 {
    /// Every object under the target's prefix.
    fn list(&self) -> Result<Vec<RemoteObject>, StoreError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![
                ("list-type", "2".to_string()),
                ("prefix", self.prefix.clone()),
            ];
            if let Some(t) = &token {
                query.push(("continuation-token", t.clone()));
            }
            let reply = self.send("GET", None, &query, Vec::new(), &[], "list the bucket")?;
            let text = String::from_utf8_lossy(&reply.body);
            let (objects, next) = parse_listing(&text, &self.prefix).map_err(|e| {
                StoreError::Refused(format!(
                    "the store's listing of s3://{}/{} is not valid XML: {e}",
                    self.bucket, self.prefix
                ))
            })?;
            out.extend(objects);
            match next {
                Truncated::No => break,
                Truncated::Yes(t) if token.as_deref() != Some(t.as_str()) => token = Some(t),
                Truncated::Yes(_) | Truncated::NoToken => {
                    // Stopping here would plan from half a listing.
                    return Err(StoreError::Refused(format!(
                        "the store's listing of s3://{}/{} is cut short without a way to read the rest; it is not safe to publish from it",
                        self.bucket, self.prefix
                    )));
                }
            }
        }
        Ok(out)
    }

    /// The MD5 placard stored with the object, from its `x-amz-meta-placard-md5` header.
    fn head(&self, path: &str) -> Result<Option<Metadata>, StoreError> {
        Ok(self.headers(path)?.map(|headers| Metadata {
            md5: headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(MD5_META))
                .map(|(_, v)| v.to_ascii_lowercase()),
        }))
    }

    fn put(&self, upload: &Upload<'_>) -> Result<(), StoreError> {
        use base64::Engine;
        let key = format!("{}{}", self.prefix, upload.path);
        let md5_raw: Vec<u8> = (0..upload.md5.len() / 2)
            .filter_map(|i| u8::from_str_radix(&upload.md5[2 * i..2 * i + 2], 16).ok())
            .collect();
        let mut headers = object_headers(upload);
        headers.push((
            "content-md5".into(),
            base64::engine::general_purpose::STANDARD.encode(md5_raw),
        ));
        self.send("PUT", Some(&key), &[], headers, upload.bytes, upload.path)
            .map(drop)
    }

    /// CopyObject: a PUT naming the source in `x-amz-copy-source`, its headers replaced by the
    /// upload's (`x-amz-metadata-directive: REPLACE`).
    fn copy(&self, from: &str, upload: &Upload<'_>) -> Result<(), StoreError> {
        let key = format!("{}{}", self.prefix, upload.path);
        let source = format!(
            "/{}/{}",
            self.bucket,
            utf8_percent_encode(&format!("{}{from}", self.prefix), PATH)
        );
        let mut headers = object_headers(upload);
        headers.push(("x-amz-copy-source".into(), source));
        headers.push(("x-amz-metadata-directive".into(), "REPLACE".into()));
        let reply = self.send("PUT", Some(&key), &[], headers, &[], upload.path)?;
        // A copy can fail after the store has answered 200: the error is in the body.
        let (code, message) = error_code(&reply.body);
        match code {
            Some(code) => Err(StoreError::Refused(self.credentials.scrub(&format!(
                "copy {from} to {}: {code}{}",
                upload.path,
                message.map(|m| format!(": {m}")).unwrap_or_default()
            )))),
            None => Ok(()),
        }
    }

    fn delete(&self, path: &str) -> Result<(), StoreError> {
        let key = format!("{}{path}", self.prefix);
        match self.send("DELETE", Some(&key), &[], Vec::new(), &[], path) {
            // Already gone: the goal is reached (but a missing bucket is a real failure).
            Ok(_) | Err(StoreError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// The headers an object is stored with.
fn object_headers(upload: &Upload<'_>) -> Vec<(String, String)> {
    let mut headers = vec![
        ("content-type".to_string(), upload.content_type.to_string()),
        ("cache-control".into(), upload.cache_control.to_string()),
        (MD5_META.into(), upload.md5.to_string()),
    ];
    if let Some(r) = upload.redirect {
        headers.push(("x-amz-website-redirect-location".into(), r.to_string()));
    }
    headers
}

enum Verdict {
    Retry(String),
    Fail(StoreError),
}

/// What an error response means.
fn classify(r: &Reply) -> Verdict {
    let (code, message) = error_code(&r.body);
    let said = match (&code, &message) {
        (Some(c), Some(m)) => format!("{} {c}: {m}", r.status),
        (Some(c), None) => format!("{} {c}", r.status),
        _ => format!("HTTP {}", r.status),
    };
    let code = code.unwrap_or_default();
    if r.status >= 500
        || r.status == 429
        || r.status == 408
        || matches!(
            code.as_str(),
            "SlowDown" | "RequestTimeout" | "InternalError"
        )
    {
        return Verdict::Retry(said);
    }
    match (r.status, code.as_str()) {
        (
            403 | 400 | 401,
            "InvalidAccessKeyId"
            | "SignatureDoesNotMatch"
            | "AccessDenied"
            | "ExpiredToken"
            | "InvalidToken"
            | "TokenRefreshRequired",
        )
        | (401 | 403, "") => Verdict::Fail(StoreError::Credentials(said)),
        (301 | 307 | 400, "PermanentRedirect" | "AuthorizationHeaderMalformed" | "")
            if r.header("x-amz-bucket-region").is_some() =>
        {
            let region = r.header("x-amz-bucket-region").unwrap_or_default();
            Verdict::Fail(StoreError::Refused(format!(
                "{said}: the bucket is in region `{region}`; set `region: {region}` on the target in site.yaml"
            )))
        }
        (404, "NoSuchBucket") => Verdict::Fail(StoreError::NoBucket(said)),
        (404, _) => Verdict::Fail(StoreError::NotFound(said)),
        _ => Verdict::Fail(StoreError::Refused(said)),
    }
}

/// Why a failed request is worth trying again, or `None` when trying again cannot help (a TLS
/// or certificate failure, a bad address, a reply too large): those fail at once.
fn transport_retryable(e: &ureq::Error) -> Option<String> {
    match e {
        ureq::Error::Timeout(t) => Some(format!("timed out ({t})")),
        ureq::Error::Io(_)
        | ureq::Error::ConnectionFailed
        | ureq::Error::HostNotFound
        | ureq::Error::Protocol(_)
        | ureq::Error::BodyStalled => Some(e.to_string()),
        _ => None,
    }
}

/// `<Error><Code>…</Code><Message>…</Message></Error>` → code and message.
fn error_code(body: &[u8]) -> (Option<String>, Option<String>) {
    let text = String::from_utf8_lossy(body);
    let Ok(doc) = roxmltree::Document::parse(&text) else {
        return (None, None);
    };
    let child = |name: &str| {
        doc.root_element()
            .children()
            .find(|n| n.tag_name().name() == name)
            .and_then(|n| n.text())
            .map(|t| t.chars().take(300).collect::<String>())
    };
    (child("Code"), child("Message"))
}

/// Whether a listing page is the last.
#[derive(Debug, PartialEq, Eq)]
enum Truncated {
    No,
    Yes(String),
    NoToken,
}

/// A ListObjectsV2 page → its objects and whether (and where) it goes on.
fn parse_listing(text: &str, prefix: &str) -> Result<(Vec<RemoteObject>, Truncated), String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| e.to_string())?;
    let root = doc.root_element();
    let field = |node: roxmltree::Node<'_, '_>, name: &str| {
        node.children()
            .find(|n| n.tag_name().name() == name)
            .and_then(|n| n.text())
            .map(str::to_string)
    };
    let mut out = Vec::new();
    for node in root
        .children()
        .filter(|n| n.tag_name().name() == "Contents")
    {
        let Some(key) = field(node, "Key") else {
            continue;
        };
        let Some(path) = key.strip_prefix(prefix) else {
            continue;
        };
        // A folder marker (`images/`, made by some consoles) is no file of a build; it is
        // neither compared nor deleted.
        if path.is_empty() || path.ends_with('/') {
            continue;
        }
        out.push(RemoteObject {
            path: path.to_string(),
            etag: field(node, "ETag")
                .unwrap_or_default()
                .trim_matches('"')
                .to_ascii_lowercase(),
            size: field(node, "Size")
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
        });
    }
    if root.tag_name().name() != "ListBucketResult" {
        return Err(format!(
            "expected a ListBucketResult, found {}",
            root.tag_name().name()
        ));
    }
    let truncated = field(root, "IsTruncated").is_some_and(|t| t == "true");
    let next = match (truncated, field(root, "NextContinuationToken")) {
        (false, _) => Truncated::No,
        (true, Some(t)) if !t.is_empty() => Truncated::Yes(t),
        (true, _) => Truncated::NoToken,
    };
    Ok((out, next))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // `new_from_slice` fails only for MACs with a fixed key size; HMAC takes keys of any
    // length (RFC 2104: longer keys are hashed, shorter ones padded), so the error arm is
    // never taken. The empty MAC it would give is not a silent success: the store refuses the
    // signature.
    match <Hmac<Sha256>>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A random number for jitter (std's per-process random hash keys, mixed with the clock).
fn random() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::credentials::Secret;

    fn target(endpoint: Option<&str>, path_style: bool) -> Target {
        Target {
            name: "t".into(),
            bucket: "examplebucket".into(),
            prefix: String::new(),
            endpoint: endpoint.map(str::to_string),
            region: "us-east-1".into(),
            path_style,
            profile: None,
            preview: false,
            max_deletes: 0,
            concurrency: 8,
            max_age: 300,
            timeout: 60,
            cache: Vec::new(),
            redirects: false,
            purge: Vec::new(),
        }
    }

    fn creds() -> Credentials {
        Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            session_token: None,
            source: "test".into(),
        }
    }

    /// AWS's own worked example ("GET Object" in the SigV4 documentation for S3), signed with
    /// the documented example keys.
    #[test]
    fn signature_matches_the_aws_example() {
        let store = S3::new(&target(None, false), creds());
        assert_eq!(store.host, "examplebucket.s3.us-east-1.amazonaws.com");
        let mut store = store;
        store.host = "examplebucket.s3.amazonaws.com".into();
        let now: jiff::Timestamp = "2013-05-24T00:00:00Z".parse().unwrap();
        let headers = store.sign(
            "GET",
            "/test.txt",
            "",
            &[("range".into(), "bytes=0-9".into())],
            &[],
            now,
        );
        let auth = &headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .unwrap()
            .1;
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
        assert!(headers.iter().all(|(_, v)| !v.contains("wJalr")));
    }

    #[test]
    fn listings_with_quoted_and_unquoted_etags() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><Prefix>www/</Prefix><IsTruncated>true</IsTruncated>
  <NextContinuationToken>tok/en=</NextContinuationToken>
  <Contents><Key>www/index.html</Key><ETag>&quot;ABC&quot;</ETag><Size>12</Size></Contents>
  <Contents><Key>www/a &amp; b.css</Key><ETag>def-2</ETag><Size>3</Size></Contents>
  <Contents><Key>www/images/</Key><ETag>d41d8cd98f00b204e9800998ecf8427e</ETag><Size>0</Size></Contents>
  <Contents><Key>www/</Key><ETag>d41d8cd98f00b204e9800998ecf8427e</ETag><Size>0</Size></Contents>
</ListBucketResult>"#;
        let (objects, next) = parse_listing(xml, "www/").unwrap();
        assert_eq!(next, Truncated::Yes("tok/en=".into()));
        let cut = xml.replace("<NextContinuationToken>tok/en=</NextContinuationToken>", "");
        assert_eq!(parse_listing(&cut, "www/").unwrap().1, Truncated::NoToken);
        assert_eq!(
            objects,
            [
                RemoteObject {
                    path: "index.html".into(),
                    etag: "abc".into(),
                    size: 12
                },
                RemoteObject {
                    path: "a & b.css".into(),
                    etag: "def-2".into(),
                    size: 3
                }
            ]
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        assert!(p.delay(0, u64::MAX) <= Duration::from_millis(200));
        assert!(p.delay(3, 1_000_000_007) <= Duration::from_millis(1600));
        assert!(p.delay(30, 123_456_789) <= Duration::from_secs(10));
        assert_eq!(p.delay(5, 0), Duration::ZERO);
    }

    /// A throwaway HTTP server on 127.0.0.1 answering with a scripted list of statuses.
    fn scripted_server(
        statuses: Vec<u16>,
    ) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{BufRead, BufReader, Read, Write};
        use std::sync::atomic::{AtomicUsize, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let count = std::sync::Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let mut reader = BufReader::new(stream);
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let status = statuses.get(n).copied().unwrap_or(200);
                let body = match status {
                    200 => "",
                    403 => {
                        "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
                    }
                    _ => {
                        "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
                    }
                };
                let _ = write!(
                    reader.get_mut(),
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        (format!("http://{addr}"), count)
    }

    #[test]
    fn transient_failures_are_retried_a_bounded_number_of_times() {
        use std::sync::atomic::Ordering;
        let quick = RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        };
        let upload = Upload {
            path: "a.html",
            bytes: b"hi",
            md5: "49f68a5c8493ec2c0bf489821c21fc3b",
            content_type: "text/html; charset=utf-8",
            cache_control: "public, max-age=300, must-revalidate",
            redirect: None,
        };
        // Two 503s then success.
        let (url, count) = scripted_server(vec![503, 503, 200]);
        let mut store = S3::new(&target(Some(&url), true), creds());
        store.retry = quick;
        store.put(&upload).unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 3);
        // Throttled every time: gives up after `attempts`.
        let (url, count) = scripted_server(vec![503; 10]);
        let mut store = S3::new(&target(Some(&url), true), creds());
        store.retry = quick;
        let e = store.put(&upload).unwrap_err();
        assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
        assert!(
            e.to_string()
                .contains(&format!("gave up on the store at {url} after 4 attempts")),
            "{e}"
        );
        assert!(e.to_string().contains("SlowDown"), "{e}");
        assert_eq!(count.load(Ordering::SeqCst), 4);
        // A refusal is not retried.
        let (url, count) = scripted_server(vec![403]);
        let mut store = S3::new(&target(Some(&url), true), creds());
        store.retry = quick;
        assert!(matches!(
            store.put(&upload),
            Err(StoreError::Credentials(_))
        ));
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }
}
