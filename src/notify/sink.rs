//! Sinks: where notifications go, one URL each (`https://…`, `wecom+https://…`,
//! `feishu+https://…`, `dingtalk+https://…`, `slack+https://…`), parsed and checked
//! ([`Sink::parse`], [`parse_sinks`]), and the redacted form that names a sink everywhere
//! ([`Sink::display`], [`redact`]).
//!
//! A sink URL carries its credential (a `key=`, an `access_token=`, a token in the path, a
//! signing `secret=`): nothing here ever puts the URL as given into an error, a log line or a
//! `Debug` output.

use std::fmt;

use url::Url;

use crate::notify::sign::Secret;

/// The service a sink speaks to, from its URL's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SinkKind {
    /// `https://…`: a JSON document of the `mnpsync.notification/v1` schema.
    Generic,
    /// `wecom+https://…`: a WeCom (WeChat Work) group robot.
    WeCom,
    /// `feishu+https://…`: a Feishu / Lark custom bot.
    Feishu,
    /// `dingtalk+https://…`: a DingTalk custom robot.
    DingTalk,
    /// `slack+https://…`: a Slack incoming webhook.
    Slack,
}

impl SinkKind {
    /// The URL prefix (`wecom+` …), empty for [`SinkKind::Generic`].
    pub fn prefix(self) -> &'static str {
        match self {
            SinkKind::Generic => "",
            SinkKind::WeCom => "wecom+",
            SinkKind::Feishu => "feishu+",
            SinkKind::DingTalk => "dingtalk+",
            SinkKind::Slack => "slack+",
        }
    }

    /// A short name for logs and metrics (`generic`, `wecom` …).
    pub fn as_str(self) -> &'static str {
        match self {
            SinkKind::Generic => "generic",
            SinkKind::WeCom => "wecom",
            SinkKind::Feishu => "feishu",
            SinkKind::DingTalk => "dingtalk",
            SinkKind::Slack => "slack",
        }
    }

    /// Whether the service signs with a `secret=` taken from the sink URL.
    pub fn takes_secret(self) -> bool {
        matches!(self, SinkKind::Feishu | SinkKind::DingTalk)
    }
}

/// Why a sink URL is refused. Every variant names the sink by its redacted form or by its
/// position, never by the URL as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    #[error("notification sink #{position} is not a valid URL: {reason}")]
    Invalid { position: usize, reason: String },
    #[error(
        "notification sink #{position} has an unknown prefix {prefix:?}; use https://… (a JSON webhook) or wecom+, feishu+, dingtalk+ or slack+ before https://"
    )]
    Prefix { position: usize, prefix: String },
    #[error(
        "notification sink {0} uses plain http to a non-loopback host; its token would cross the network unencrypted (use https, or http only to 127.0.0.1/localhost)"
    )]
    PlainHttp(String),
    #[error("notification sink {0} must use https (or http to a loopback host)")]
    Scheme(String),
    #[error("notification sink {0} has an empty secret= (remove it, or give the signing secret)")]
    EmptySecret(String),
    #[error("notification sink {0} is given twice")]
    Duplicate(String),
}

/// One configured sink: where to send, how to sign, and how to name it.
#[derive(Clone)]
pub struct Sink {
    kind: SinkKind,
    /// The URL requests go to: the given one without its prefix and `secret=`.
    target: Url,
    /// The signing secret of Feishu and DingTalk sinks.
    secret: Option<Secret>,
    /// The redacted form (see [`redact`]).
    display: String,
    /// Parts of the URL that are credentials (token-looking path segments, query values,
    /// userinfo): [`Sink::scrub`] removes them from any text.
    hidden: Vec<String>,
    loopback: bool,
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sink")
            .field("kind", &self.kind)
            .field("display", &self.display)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl Sink {
    /// Parses one sink URL (the `position`-th given, 1-based, for errors that cannot show it).
    ///
    /// # Errors
    /// Not a URL; an unknown prefix; a scheme other than https (plain http only to a loopback
    /// host); an empty `secret=`.
    pub fn parse(text: &str, position: usize) -> Result<Sink, SinkError> {
        let text = text.trim();
        let (kind, rest) = split_prefix(text, position)?;
        let given = Url::parse(rest).map_err(|e| SinkError::Invalid {
            position,
            reason: e.to_string(),
        })?;
        let display = format!("{}{}", kind.prefix(), redact(&given));
        if given.host_str().is_none_or(str::is_empty) {
            return Err(SinkError::Invalid {
                position,
                reason: "no host".to_string(),
            });
        }
        let loopback = match given.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        };
        match given.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => return Err(SinkError::PlainHttp(display)),
            _ => return Err(SinkError::Scheme(display)),
        }
        let mut target = given.clone();
        target.set_fragment(None);
        let mut secret = None;
        if kind.takes_secret() {
            let mut kept: Vec<(String, String)> = Vec::new();
            for (name, value) in given.query_pairs() {
                if name == "secret" {
                    if value.is_empty() {
                        return Err(SinkError::EmptySecret(display));
                    }
                    secret = Some(Secret::new(value.into_owned()));
                } else {
                    kept.push((name.into_owned(), value.into_owned()));
                }
            }
            if kept.is_empty() {
                target.set_query(None);
            } else {
                target.query_pairs_mut().clear().extend_pairs(kept);
            }
        }
        Ok(Sink {
            kind,
            hidden: hidden_parts(&given),
            target,
            secret,
            display,
            loopback,
        })
    }

    pub fn kind(&self) -> SinkKind {
        self.kind
    }

    /// The redacted form that names this sink in logs, errors, reports and metrics:
    /// `wecom+https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The URL requests go to (with its credential: never show it).
    pub(crate) fn target(&self) -> &Url {
        &self.target
    }

    /// The Feishu or DingTalk signing secret, when the URL had `secret=`.
    pub(crate) fn secret(&self) -> Option<&Secret> {
        self.secret.as_ref()
    }

    /// Whether the host is loopback (then no proxy is used).
    pub(crate) fn loopback(&self) -> bool {
        self.loopback
    }

    /// `text` with every credential of this sink's URL replaced by `***`: for error texts that
    /// come from elsewhere (an HTTP library, the service's own message).
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        let secret = self.secret.as_ref().map(|s| s.expose().to_string());
        for part in self.hidden.iter().chain(secret.iter()) {
            if !part.is_empty() {
                out = out.replace(part.as_str(), "***");
            }
        }
        out
    }
}

/// Parses every sink of `--notify URL` flags or `MNPSYNC_NOTIFY` (each item may hold several
/// URLs separated by whitespace), in order.
///
/// # Errors
/// The first sink refused (see [`Sink::parse`]), or one given twice.
pub fn parse_sinks<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Vec<Sink>, SinkError> {
    let mut sinks: Vec<Sink> = Vec::new();
    for (index, text) in items
        .into_iter()
        .flat_map(str::split_whitespace)
        .enumerate()
    {
        let sink = Sink::parse(text, index + 1)?;
        if sinks
            .iter()
            .any(|s| s.kind == sink.kind && s.target == sink.target)
        {
            return Err(SinkError::Duplicate(sink.display));
        }
        sinks.push(sink);
    }
    Ok(sinks)
}

fn split_prefix(text: &str, position: usize) -> Result<(SinkKind, &str), SinkError> {
    let Some((scheme, _)) = text.split_once("://") else {
        return Err(SinkError::Invalid {
            position,
            reason: "expected a URL such as https://host/path or wecom+https://…".to_string(),
        });
    };
    let Some((prefix, _)) = scheme.split_once('+') else {
        return Ok((SinkKind::Generic, text));
    };
    let kind = match prefix.to_ascii_lowercase().as_str() {
        "wecom" => SinkKind::WeCom,
        "feishu" | "lark" => SinkKind::Feishu,
        "dingtalk" => SinkKind::DingTalk,
        "slack" => SinkKind::Slack,
        _ => {
            return Err(SinkError::Prefix {
                position,
                prefix: crate::text::clip(prefix, 20),
            });
        }
    };
    Ok((kind, &text[prefix.len() + 1..]))
}

/// The redacted form of a URL: scheme, host and port, the path with every token-looking
/// segment (see [`looks_like_token`]) replaced by `***`, every query value replaced by `***`,
/// user info shown as `***@`, no fragment.
pub fn redact(url: &Url) -> String {
    let mut out = format!("{}://", url.scheme());
    if !url.username().is_empty() || url.password().is_some() {
        out.push_str("***@");
    }
    match url.host() {
        Some(url::Host::Ipv6(ip)) => out.push_str(&format!("[{ip}]")),
        Some(host) => out.push_str(&host.to_string()),
        None => {}
    }
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    for segment in url.path().split('/').skip(1) {
        out.push('/');
        if looks_like_token(segment) {
            out.push_str("***");
        } else {
            out.push_str(segment);
        }
    }
    let names: Vec<String> = url
        .query_pairs()
        .map(|(name, _)| format!("{}=***", clean_name(&name)))
        .collect();
    if !names.is_empty() {
        out.push('?');
        out.push_str(&names.join("&"));
    }
    crate::text::clean(&out).into_owned()
}

/// A query parameter's name as shown: URL-safe characters only, at most 32 of them (a name is
/// no credential, but a long or odd one may be a misplaced one).
fn clean_name(name: &str) -> String {
    if name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        name.to_string()
    } else {
        "***".to_string()
    }
}

/// Whether a path segment looks like a credential rather than a route: 8 or more characters
/// with a digit (`T00000000`, a UUID, a hex key), 20 or more of any kind, or percent-encoded
/// bytes. Route words such as `open-apis`, `hook`, `v2`, `services`, `send` stay readable.
pub fn looks_like_token(segment: &str) -> bool {
    let len = segment.chars().count();
    (len >= 8 && segment.chars().any(|c| c.is_ascii_digit())) || len >= 20 || segment.contains('%')
}

/// The credential parts of a URL, decoded and as written: token-looking path segments, query
/// values, user name and password.
fn hidden_parts(url: &Url) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut add = |part: &str| {
        if part.len() >= 4 && !parts.iter().any(|p| p == part) {
            parts.push(part.to_string());
        }
    };
    for segment in url.path().split('/').filter(|s| looks_like_token(s)) {
        add(segment);
        add(&percent_encoding::percent_decode_str(segment).decode_utf8_lossy());
    }
    if let Some(query) = url.query() {
        for pair in query.split('&') {
            if let Some((_, raw)) = pair.split_once('=') {
                add(raw);
            }
        }
    }
    for (_, value) in url.query_pairs() {
        add(&value);
    }
    add(url.username());
    if let Some(password) = url.password() {
        add(password);
    }
    // Longest first, so a value that contains another is replaced whole.
    parts.sort_by_key(|p| std::cmp::Reverse(p.len()));
    parts
}
