//! Tencent Cloud credentials, found the way the official SDKs find them: environment first, then
//! the INI profile file. Never from a flag.
//!
//! Secrets are wrapped in [`Secret`], whose `Debug` and `Display` never show the value; only the
//! signer reads it, through [`Secret::expose`].

use std::fmt;
use std::path::{Path, PathBuf};

pub const ENV_SECRET_ID: &str = "TENCENTCLOUD_SECRET_ID";
pub const ENV_SECRET_KEY: &str = "TENCENTCLOUD_SECRET_KEY";
pub const ENV_SESSION_TOKEN: &str = "TENCENTCLOUD_SESSION_TOKEN";
pub const ENV_CREDENTIALS_FILE: &str = "TENCENTCLOUD_CREDENTIALS_FILE";
pub const ENV_PROFILE: &str = "TENCENTCLOUD_PROFILE";

/// A secret string. Formatting it prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself: only for signing and for the `X-TC-Token` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where credentials came from; named in auth error messages so users know what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `TENCENTCLOUD_SECRET_ID` / `TENCENTCLOUD_SECRET_KEY`.
    Environment,
    /// A profile of an INI credentials file.
    ProfileFile { path: PathBuf, profile: String },
    /// Given in code (the demo's throwaway credentials, tests, library users).
    Explicit(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Environment => {
                write!(f, "environment variables {ENV_SECRET_ID}/{ENV_SECRET_KEY}")
            }
            Source::ProfileFile { path, profile } => {
                write!(f, "profile [{profile}] of {}", path.display())
            }
            Source::Explicit(what) => f.write_str(what),
        }
    }
}

/// A secret id, a secret key and an optional session token, with their source.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub secret_id: String,
    pub secret_key: Secret,
    pub token: Option<Secret>,
    pub source: Source,
}

impl Credentials {
    /// Credentials given in code.
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<String>, source: &str) -> Self {
        Credentials {
            secret_id: secret_id.into(),
            secret_key: Secret::new(secret_key),
            token: None,
            source: Source::Explicit(source.to_string()),
        }
    }

    /// The secret id with its middle hidden, for messages: `AKID…0001`.
    pub fn masked_id(&self) -> String {
        mask(&self.secret_id)
    }
}

fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        return "***".to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("secret_id", &self.masked_id())
            .field("secret_key", &self.secret_key)
            .field("token", &self.token)
            .field("source", &self.source)
            .finish()
    }
}

/// Why no usable credentials were found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "no Tencent Cloud credentials found; looked in: {}. Set {ENV_SECRET_ID} and {ENV_SECRET_KEY}, or write a profile file",
        .looked.join("; ")
    )]
    NotFound { looked: Vec<String> },
    #[error("{present} is set but {missing} is not; set both or neither")]
    Incomplete {
        present: &'static str,
        missing: &'static str,
    },
    #[error("credentials file {path}: {message}")]
    File { path: PathBuf, message: String },
}

/// Finds credentials in the process environment and the home directory.
///
/// # Errors
/// [`CredentialError`] naming every place looked at, or what is wrong with the one found.
pub fn load(profile: Option<&str>) -> Result<Credentials, CredentialError> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    load_from(&|name| std::env::var(name).ok(), home.as_deref(), profile)
}

/// [`load`] with the environment and home directory injected (for tests).
///
/// `profile` (from `--profile`) wins over `TENCENTCLOUD_PROFILE`, which wins over `default`.
///
/// # Errors
/// As [`load`].
pub fn load_from(
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
    profile: Option<&str>,
) -> Result<Credentials, CredentialError> {
    let non_empty = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let mut looked = Vec::new();
    match (non_empty(ENV_SECRET_ID), non_empty(ENV_SECRET_KEY)) {
        (Some(id), Some(key)) => {
            return Ok(Credentials {
                secret_id: id.trim().to_string(),
                secret_key: Secret::new(key.trim()),
                token: non_empty(ENV_SESSION_TOKEN).map(|t| Secret::new(t.trim())),
                source: Source::Environment,
            });
        }
        (Some(_), None) => {
            return Err(CredentialError::Incomplete {
                present: ENV_SECRET_ID,
                missing: ENV_SECRET_KEY,
            });
        }
        (None, Some(_)) => {
            return Err(CredentialError::Incomplete {
                present: ENV_SECRET_KEY,
                missing: ENV_SECRET_ID,
            });
        }
        (None, None) => looked.push(format!("{ENV_SECRET_ID}/{ENV_SECRET_KEY} (not set)")),
    }

    let profile = profile
        .map(str::to_string)
        .or_else(|| non_empty(ENV_PROFILE))
        .unwrap_or_else(|| "default".to_string());
    let explicit_file = non_empty(ENV_CREDENTIALS_FILE).map(PathBuf::from);
    let path = match (&explicit_file, home) {
        (Some(path), _) => path.clone(),
        (None, Some(home)) => home.join(".tencentcloud").join("credentials"),
        (None, None) => {
            looked.push("~/.tencentcloud/credentials (HOME not set)".to_string());
            return Err(CredentialError::NotFound { looked });
        }
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit_file.is_none() => {
            looked.push(format!("{} (not found)", path.display()));
            return Err(CredentialError::NotFound { looked });
        }
        Err(e) => {
            return Err(CredentialError::File {
                path,
                message: format!("cannot read it ({e}); it was named by {ENV_CREDENTIALS_FILE}"),
            });
        }
    };
    parse_profile(&text, &path, &profile)
}

fn parse_profile(text: &str, path: &Path, profile: &str) -> Result<Credentials, CredentialError> {
    let file_error = |message: String| CredentialError::File {
        path: path.to_path_buf(),
        message,
    };
    // Not echoing the parser's message: it may quote a line holding a secret. The parser
    // reports where it gave up (an unclosed `[section` is noticed lines later), so the line is
    // found here when it can be.
    let ini = ini::Ini::load_from_str(text).map_err(|e| {
        let unclosed = text.lines().position(|l| {
            let l = l.trim();
            l.starts_with('[') && !l.contains(']')
        });
        match unclosed {
            Some(i) => file_error(format!(
                "not a valid INI file (line {}: a [section] header without its closing `]`)",
                i + 1
            )),
            None => file_error(format!(
                "not a valid INI file (line {}, column {})",
                e.line, e.col
            )),
        }
    })?;
    let section = ini
        .section(Some(profile))
        .ok_or_else(|| file_error(format!("has no [{profile}] profile")))?;
    let get = |key: &str| section.get(key).map(str::trim).filter(|v| !v.is_empty());
    let secret_id = get("secret_id")
        .ok_or_else(|| file_error(format!("profile [{profile}] has no secret_id")))?;
    let secret_key = get("secret_key")
        .ok_or_else(|| file_error(format!("profile [{profile}] has no secret_key")))?;
    Ok(Credentials {
        secret_id: secret_id.to_string(),
        secret_key: Secret::new(secret_key),
        token: get("token").map(Secret::new),
        source: Source::ProfileFile {
            path: path.to_path_buf(),
            profile: profile.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn environment_wins_and_carries_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_of(&[
            (ENV_SECRET_ID, "AKIDenv"),
            (ENV_SECRET_KEY, "envkey"),
            (ENV_SESSION_TOKEN, "tok"),
        ]);
        let c = load_from(&env, Some(dir.path()), None).unwrap();
        assert_eq!(c.secret_id, "AKIDenv");
        assert_eq!(c.secret_key.expose(), "envkey");
        assert_eq!(c.token.as_ref().map(Secret::expose), Some("tok"));
        assert_eq!(c.source, Source::Environment);
    }

    #[test]
    fn half_set_environment_is_an_error() {
        let env = env_of(&[(ENV_SECRET_ID, "AKIDenv")]);
        let err = load_from(&env, None, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "TENCENTCLOUD_SECRET_ID is set but TENCENTCLOUD_SECRET_KEY is not; set both or neither"
        );
    }

    #[test]
    fn profile_file_in_home_with_named_profile() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".tencentcloud")).unwrap();
        std::fs::write(
            home.path().join(".tencentcloud/credentials"),
            "[default]\nsecret_id = AKIDdef\nsecret_key = defkey\n\n[ci]\nsecret_id=AKIDci\nsecret_key=cikey\ntoken=citok\n",
        )
        .unwrap();
        let env = env_of(&[]);
        let c = load_from(&env, Some(home.path()), None).unwrap();
        assert_eq!(
            (c.secret_id.as_str(), c.secret_key.expose()),
            ("AKIDdef", "defkey")
        );
        let env = env_of(&[(ENV_PROFILE, "ci")]);
        let c = load_from(&env, Some(home.path()), None).unwrap();
        assert_eq!(c.secret_id, "AKIDci");
        assert_eq!(c.token.unwrap().expose(), "citok");
        // --profile beats TENCENTCLOUD_PROFILE.
        let c = load_from(&env, Some(home.path()), Some("default")).unwrap();
        assert_eq!(c.secret_id, "AKIDdef");
        assert_eq!(
            c.source.to_string(),
            format!(
                "profile [default] of {}",
                home.path().join(".tencentcloud/credentials").display()
            )
        );
    }

    #[test]
    fn explicit_credentials_file_and_its_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("creds.ini");
        std::fs::write(&path, "[default]\nsecret_id = AKIDx\n").unwrap();
        let env = env_of(&[(ENV_CREDENTIALS_FILE, path.to_str().unwrap())]);
        let err = load_from(&env, None, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "credentials file {}: profile [default] has no secret_key",
                path.display()
            )
        );
        let err = load_from(&env, None, Some("prod")).unwrap_err();
        assert!(err.to_string().ends_with("has no [prod] profile"), "{err}");
        let missing = dir.path().join("missing.ini");
        let env = env_of(&[(ENV_CREDENTIALS_FILE, missing.to_str().unwrap())]);
        let err = load_from(&env, None, None).unwrap_err();
        assert!(err.to_string().contains("cannot read it"), "{err}");
    }

    #[test]
    fn nothing_found_lists_where_it_looked() {
        let home = tempfile::tempdir().unwrap();
        let err = load_from(&env_of(&[]), Some(home.path()), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "no Tencent Cloud credentials found; looked in: TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY (not set); {} (not found). Set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or write a profile file",
                home.path().join(".tencentcloud/credentials").display()
            )
        );
    }

    #[test]
    fn secrets_never_format() {
        let mut c = Credentials::new("AKIDEXAMPLE0001", "supersecretvalue", "test");
        c.token = Some(Secret::new("tokentokentoken"));
        let shown = format!("{c:?} {} {}", c.secret_key, c.source);
        assert!(!shown.contains("supersecretvalue"), "{shown}");
        assert!(!shown.contains("tokentokentoken"), "{shown}");
        assert!(!shown.contains("AKIDEXAMPLE0001"), "{shown}");
        assert!(shown.contains("AKID…0001"), "{shown}");
    }

    #[test]
    fn bad_ini_does_not_echo_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c");
        std::fs::write(&path, "[default\nsecret_key = hunter2hunter2\n").unwrap();
        let env = env_of(&[(ENV_CREDENTIALS_FILE, path.to_str().unwrap())]);
        let err = load_from(&env, None, None).unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(
            err.ends_with(
                "not a valid INI file (line 1: a [section] header without its closing `]`)"
            ),
            "{err}"
        );
    }
}
