//! Which API a call goes to: TCMPP (`tcmpp`, 2024-08-01) or TCSAS (`tcsas`, 2025-01-06), the
//! same approval actions under two services. Owns each API's service name (the credential
//! scope), its `X-TC-Version` and its public endpoint; nothing else.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One of the APIs mnpsync speaks. The default is [`Api::Tcmpp`].
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Api {
    /// Tencent Cloud Mini Program Platform, service `tcmpp`, version `2024-08-01`.
    #[default]
    Tcmpp,
    /// Tencent Cloud Super App as a Service, service `tcsas`, version `2025-01-06`.
    Tcsas,
}

/// `"tcmpp"` or `"tcsas"` was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown API {0:?}: expected tcmpp or tcsas")]
pub struct UnknownApi(pub String);

impl Api {
    /// Every API, in order.
    pub const ALL: [Api; 2] = [Api::Tcmpp, Api::Tcsas];

    /// The service name of the credential scope (and of the public host).
    pub fn service(self) -> &'static str {
        match self {
            Api::Tcmpp => "tcmpp",
            Api::Tcsas => "tcsas",
        }
    }

    /// The `X-TC-Version` every request of this API names.
    pub fn version(self) -> &'static str {
        match self {
            Api::Tcmpp => "2024-08-01",
            Api::Tcsas => "2025-01-06",
        }
    }

    /// The public endpoint (`https://tcsas.intl.tencentcloudapi.com` serves TCSAS too).
    pub fn default_endpoint(self) -> &'static str {
        match self {
            Api::Tcmpp => "https://tcmpp.tencentcloudapi.com",
            Api::Tcsas => "https://tcsas.tencentcloudapi.com",
        }
    }

    /// The API whose credential-scope service is `service`.
    pub fn from_service(service: &str) -> Option<Api> {
        Api::ALL.into_iter().find(|api| api.service() == service)
    }

    /// `"tcmpp"` or `"tcsas"`.
    pub fn as_str(self) -> &'static str {
        self.service()
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Api {
    type Err = UnknownApi;

    fn from_str(s: &str) -> Result<Api, UnknownApi> {
        Api::from_service(s).ok_or_else(|| UnknownApi(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_versions_and_endpoints() {
        assert_eq!(Api::default(), Api::Tcmpp);
        assert_eq!(
            (Api::Tcmpp.service(), Api::Tcmpp.version()),
            ("tcmpp", "2024-08-01")
        );
        assert_eq!(
            (Api::Tcsas.service(), Api::Tcsas.version()),
            ("tcsas", "2025-01-06")
        );
        assert_eq!(
            Api::Tcsas.default_endpoint(),
            "https://tcsas.tencentcloudapi.com"
        );
        assert_eq!(
            Api::Tcmpp.default_endpoint(),
            super::super::DEFAULT_ENDPOINT
        );
        assert_eq!(Api::Tcmpp.version(), super::super::model::API_VERSION);
        for api in Api::ALL {
            crate::tcmpp::Endpoint::parse(api.default_endpoint()).unwrap();
        }
    }

    #[test]
    fn parses_displays_and_serialises_lowercase() {
        for api in Api::ALL {
            assert_eq!(api.to_string().parse::<Api>(), Ok(api));
            assert_eq!(serde_json::to_string(&api).unwrap(), format!("\"{api}\""));
            assert_eq!(
                serde_json::from_str::<Api>(&format!("\"{api}\"")).unwrap(),
                api
            );
        }
        assert_eq!("tcsas".parse::<Api>(), Ok(Api::Tcsas));
        assert_eq!(
            "TCSAS".parse::<Api>().unwrap_err().to_string(),
            "unknown API \"TCSAS\": expected tcmpp or tcsas"
        );
        assert!(serde_json::from_str::<Api>("\"mpaas\"").is_err());
    }
}
