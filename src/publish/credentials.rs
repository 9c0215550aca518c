//! Credentials for the object store, from where AWS tools look for them: the environment
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), else a profile in the
//! shared credentials file (`AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`) or config
//! file (`AWS_CONFIG_FILE` or `~/.aws/config`), named by the target's `profile`, `AWS_PROFILE`,
//! or `default`. Never from site.yaml.
//!
//! The secret parts are wrapped in [`Secret`], whose `Debug` and `Display` print nothing of
//! them, so no log line or error can carry one by accident.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

/// A value that must never be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The value itself, for signing requests only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

#[derive(Clone, Debug)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    /// Where they came from, for messages (`the environment`, `profile "campaign"`).
    pub source: String,
}

impl Credentials {
    /// Replaces every occurrence of a secret in `text` (a last guard on messages that quote
    /// something a server or library said).
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in [Some(&self.secret_access_key), self.session_token.as_ref()]
            .into_iter()
            .flatten()
        {
            // A secret of a few characters would match ordinary words; none is that short.
            if s.expose().len() >= 6 {
                out = out.replace(s.expose(), "<hidden>");
            }
        }
        out
    }
}

/// Finds credentials, or says where it looked.
pub fn find(
    profile: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Credentials, String> {
    let get = |k: &str| env(k).filter(|v| !v.is_empty());
    match (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => {
            return Ok(Credentials {
                access_key_id: id,
                secret_access_key: Secret(secret),
                session_token: get("AWS_SESSION_TOKEN").map(Secret),
                source: "the environment".into(),
            });
        }
        (Some(_), None) => {
            return Err(
                "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both".into(),
            );
        }
        (None, Some(_)) => {
            return Err(
                "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not; set both".into(),
            );
        }
        (None, None) => {}
    }
    let name = profile
        .map(str::to_string)
        .or_else(|| get("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    let home = get("HOME").map(PathBuf::from);
    let credentials_file = get("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".aws/credentials")));
    let config_file = get("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".aws/config")));
    // The credentials file names sections `[name]`; the config file `[profile name]`
    // (`[default]` in both).
    let lookups = [
        (credentials_file, name.clone()),
        (
            config_file,
            if name == "default" {
                name.clone()
            } else {
                format!("profile {name}")
            },
        ),
    ];
    for (file, section) in lookups {
        let Some(file) = file else { continue };
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let Some(keys) = ini_section(&text, &section) else {
            continue;
        };
        match (
            keys.get("aws_access_key_id"),
            keys.get("aws_secret_access_key"),
        ) {
            (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
                return Ok(Credentials {
                    access_key_id: id.clone(),
                    secret_access_key: Secret(secret.clone()),
                    session_token: keys.get("aws_session_token").cloned().map(Secret),
                    source: format!("profile \"{name}\" in {}", file.display()),
                });
            }
            _ => {
                return Err(format!(
                    "profile \"{name}\" in {} has no aws_access_key_id and aws_secret_access_key (placard reads static keys only; for single sign-on or roles, export the keys first, e.g. with `aws configure export-credentials --format env`)",
                    file.display()
                ));
            }
        }
    }
    Err(format!(
        "no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile \"{name}\" to ~/.aws/credentials"
    ))
}

/// The `key = value` lines of section `[name]` of an INI file.
fn ini_section(text: &str, name: &str) -> Option<HashMap<String, String>> {
    let mut current: Option<bool> = None;
    let mut found: Option<HashMap<String, String>> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let here = header.split_whitespace().collect::<Vec<_>>().join(" ") == name;
            current = Some(here);
            if here && found.is_none() {
                found = Some(HashMap::new());
            }
            continue;
        }
        if current == Some(true)
            && let (Some(map), Some((k, v))) = (found.as_mut(), line.split_once('='))
        {
            map.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn environment_first() {
        let c = find(
            Some("ignored"),
            &env(&[
                ("AWS_ACCESS_KEY_ID", "AKID"),
                ("AWS_SECRET_ACCESS_KEY", "s3cr3t"),
            ]),
        )
        .unwrap();
        assert_eq!(c.access_key_id, "AKID");
        assert_eq!(format!("{c:?}").matches("s3cr3t").count(), 0);
        assert_eq!(c.scrub("x s3cr3t y"), "x <hidden> y");
        assert!(find(None, &env(&[("AWS_ACCESS_KEY_ID", "AKID")])).is_err());
    }

    #[test]
    fn profiles_from_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credentials");
        let config = dir.path().join("config");
        std::fs::write(
            &creds,
            "[default]\naws_access_key_id = D\naws_secret_access_key = ds\n\n[campaign]\naws_access_key_id=C\naws_secret_access_key=cs\naws_session_token = tok\n",
        )
        .unwrap();
        std::fs::write(
            &config,
            "[profile other]\naws_access_key_id = O\naws_secret_access_key = os\n[profile sso]\nsso_start_url = https://x\n",
        )
        .unwrap();
        let e = env(&[
            ("AWS_SHARED_CREDENTIALS_FILE", creds.to_str().unwrap()),
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ]);
        assert_eq!(find(None, &e).unwrap().access_key_id, "D");
        let c = find(Some("campaign"), &e).unwrap();
        assert_eq!(c.access_key_id, "C");
        assert_eq!(c.session_token.unwrap().expose(), "tok");
        assert_eq!(find(Some("other"), &e).unwrap().access_key_id, "O");
        assert!(
            find(Some("sso"), &e)
                .unwrap_err()
                .contains("static keys only")
        );
        assert!(
            find(Some("missing"), &e)
                .unwrap_err()
                .contains("no credentials found")
        );
    }
}
