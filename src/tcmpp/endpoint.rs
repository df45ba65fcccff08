//! Endpoints: the public default ([`DEFAULT_ENDPOINT`]) and the check every configured endpoint
//! passes ([`Endpoint::parse`]): https, or plain http to loopback only, and a bare origin.

/// The public endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://tcmpp.tencentcloudapi.com";

/// Why an endpoint is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("endpoint {0:?} is not a valid URL: {1}")]
    Invalid(String, String),
    #[error(
        "endpoint {0} uses plain http to a non-loopback host; credentials and signatures would cross the network unencrypted (use https, or http only to 127.0.0.1/localhost)"
    )]
    PlainHttp(String),
    #[error("endpoint {0} must use https (or http to a loopback host)")]
    Scheme(String),
    #[error(
        "endpoint {0} must be a bare origin like https://tcmpp.tencentcloudapi.com (no path, query or credentials)"
    )]
    NotOrigin(String),
}

/// A checked endpoint: its URL and the `Host` header value that is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub url: reqwest::Url,
    pub host: String,
    pub loopback: bool,
}

impl Endpoint {
    /// Parses and checks an endpoint URL.
    ///
    /// # Errors
    /// Not a URL; a scheme other than https (or http to loopback); a path, query or user info.
    pub fn parse(text: &str) -> Result<Endpoint, EndpointError> {
        let url = reqwest::Url::parse(text.trim())
            .map_err(|e| EndpointError::Invalid(text.to_string(), e.to_string()))?;
        let host_str = url
            .host_str()
            .ok_or_else(|| EndpointError::Invalid(text.to_string(), "no host".into()))?;
        let loopback = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => return Err(EndpointError::PlainHttp(text.to_string())),
            _ => return Err(EndpointError::Scheme(text.to_string())),
        }
        if (url.path() != "/" && !url.path().is_empty())
            || url.query().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(EndpointError::NotOrigin(text.to_string()));
        }
        let host = match url.port() {
            Some(port) => format!("{host_str}:{port}"),
            None => host_str.to_string(),
        };
        Ok(Endpoint {
            url,
            host,
            loopback,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_checked() {
        let e = Endpoint::parse("https://tcmpp.tencentcloudapi.com").unwrap();
        assert_eq!(e.host, "tcmpp.tencentcloudapi.com");
        assert!(!e.loopback);
        let e = Endpoint::parse("http://127.0.0.1:9000/").unwrap();
        assert_eq!(e.host, "127.0.0.1:9000");
        assert!(e.loopback);
        assert!(Endpoint::parse("http://localhost:1").unwrap().loopback);
        assert_eq!(
            Endpoint::parse("http://[::1]:8080").unwrap().host,
            "[::1]:8080"
        );
        assert_eq!(
            Endpoint::parse("https://h.example:8443").unwrap().host,
            "h.example:8443"
        );
        assert!(matches!(
            Endpoint::parse("http://tcmpp.tencentcloudapi.com"),
            Err(EndpointError::PlainHttp(_))
        ));
        assert!(matches!(
            Endpoint::parse("ftp://127.0.0.1"),
            Err(EndpointError::Scheme(_))
        ));
        assert!(matches!(
            Endpoint::parse("https://h/path"),
            Err(EndpointError::NotOrigin(_))
        ));
        assert!(matches!(
            Endpoint::parse("not a url"),
            Err(EndpointError::Invalid(..))
        ));
    }
}
