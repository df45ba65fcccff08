//! Request parameters: which actions exist, which parameters each takes, and turning a request
//! body into the typed wire request of `tcmpp::model` — or into the error the real service gives
//! for an unknown, missing or mistyped parameter.
//!
//! Pure and total: any byte string yields a request or an [`ApiError`], never a panic. It must not
//! check business rules (platforms, statuses, ranges beyond types) — `state` does.
//!
//! Check order: body is a JSON object (`InvalidParameter`); every key is a parameter of the action
//! (`UnknownParameter`, keys in sorted order, nested ones named like `ApprovalItems.0.Foo`); then,
//! in declaration order, each required parameter is present and non-null (`MissingParameter`) and
//! each present parameter has its type (`InvalidParameter`). Integers must be JSON integers
//! (`7`, not `7.0` or `"7"`). A null optional parameter counts as absent. Finally
//! `ApplyAction` must be `submit` or `cancel` (`InvalidParameterValue.InvalidApplyAction`).

use serde_json::{Map, Value};

use super::error::{ApiError, codes};
use crate::tcmpp::model::{
    ApplyAction, ApprovalItem, CREATE_MNP_APPROVAL, CreateMnpApprovalRequest,
    DESCRIBE_MNP_ALL_STAGE_VERSIONS, DESCRIBE_MNP_APPROVAL_LIST,
    DESCRIBE_MNP_RELEASED_VERSION_HISTORY, DescribeMnpApprovalListRequest, MnpRequest,
    PROCESS_MNP_APPROVAL, ProcessMnpApprovalRequest, RELEASE_MNP_VERSION, ROLLBACK_MNP_VERSION,
    ReleaseMnpVersionRequest, RollbackMnpVersionRequest,
};

/// The actions the simulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Action {
    /// `CreateMNPApproval`.
    Create,
    /// `DescribeMNPApprovalList`.
    Describe,
    /// `ProcessMNPApproval`.
    Process,
    /// `DescribeMNPAllStageVersions`.
    StageVersions,
    /// `DescribeMNPReleasedVersionHistory`.
    ReleaseHistory,
    /// `ReleaseMNPVersion`.
    Release,
    /// `RollbackMNPVersion`.
    Rollback,
}

impl Action {
    /// Every action, in the order the API documentation lists them here.
    #[cfg(test)]
    pub(crate) const ALL: [Action; 7] = [
        Action::Create,
        Action::Describe,
        Action::Process,
        Action::StageVersions,
        Action::ReleaseHistory,
        Action::Release,
        Action::Rollback,
    ];

    /// The action's `X-TC-Action` name.
    #[cfg(test)]
    pub(crate) fn name(self) -> &'static str {
        match self {
            Action::Create => CREATE_MNP_APPROVAL,
            Action::Describe => DESCRIBE_MNP_APPROVAL_LIST,
            Action::Process => PROCESS_MNP_APPROVAL,
            Action::StageVersions => DESCRIBE_MNP_ALL_STAGE_VERSIONS,
            Action::ReleaseHistory => DESCRIBE_MNP_RELEASED_VERSION_HISTORY,
            Action::Release => RELEASE_MNP_VERSION,
            Action::Rollback => ROLLBACK_MNP_VERSION,
        }
    }

    /// The action named by an `X-TC-Action` value (exact spelling), if the API has it.
    pub(crate) fn from_name(name: &str) -> Option<Action> {
        match name {
            CREATE_MNP_APPROVAL => Some(Action::Create),
            DESCRIBE_MNP_APPROVAL_LIST => Some(Action::Describe),
            PROCESS_MNP_APPROVAL => Some(Action::Process),
            DESCRIBE_MNP_ALL_STAGE_VERSIONS => Some(Action::StageVersions),
            DESCRIBE_MNP_RELEASED_VERSION_HISTORY => Some(Action::ReleaseHistory),
            RELEASE_MNP_VERSION => Some(Action::Release),
            ROLLBACK_MNP_VERSION => Some(Action::Rollback),
            _ => None,
        }
    }
}

/// A request whose parameters have the declared names and types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiRequest {
    /// `CreateMNPApproval`.
    Create(CreateMnpApprovalRequest),
    /// `DescribeMNPApprovalList`.
    Describe(DescribeMnpApprovalListRequest),
    /// `ProcessMNPApproval`.
    Process(ProcessMnpApprovalRequest),
    /// `DescribeMNPAllStageVersions`.
    StageVersions(MnpRequest),
    /// `DescribeMNPReleasedVersionHistory`.
    ReleaseHistory(MnpRequest),
    /// `ReleaseMNPVersion`.
    Release(ReleaseMnpVersionRequest),
    /// `RollbackMNPVersion`.
    Rollback(RollbackMnpVersionRequest),
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Int,
    Str,
    IntList,
    Items,
}

struct Param {
    name: &'static str,
    kind: Kind,
    required: bool,
}

const fn req(name: &'static str, kind: Kind) -> Param {
    Param {
        name,
        kind,
        required: true,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Param {
    Param {
        name,
        kind,
        required: false,
    }
}

const CREATE: &[Param] = &[
    req("MNPVersionId", Kind::Int),
    req("ApplyAction", Kind::Str),
    req("PlatformId", Kind::Str),
];

const DESCRIBE: &[Param] = &[
    req("Offset", Kind::Int),
    req("Limit", Kind::Int),
    req("PlatformId", Kind::Str),
    opt("ApprovalStatusList", Kind::IntList),
    opt("Keyword", Kind::Str),
    opt("ApplicationId", Kind::Str),
    opt("TeamId", Kind::Str),
];

const PROCESS: &[Param] = &[
    req("ApprovalNo", Kind::Str),
    req("PlatformId", Kind::Str),
    req("ApprovalItems", Kind::Items),
];

/// `DescribeMNPAllStageVersions` and `DescribeMNPReleasedVersionHistory`.
const MNP: &[Param] = &[req("MNPId", Kind::Str), req("PlatformId", Kind::Str)];

const RELEASE: &[Param] = &[req("MNPVersionId", Kind::Int), req("PlatformId", Kind::Str)];

const ROLLBACK: &[Param] = &[
    req("MNPId", Kind::Str),
    req("MNPVersionId", Kind::Int),
    req("PlatformId", Kind::Str),
    req("MNPVersion", Kind::Str),
];

const ITEM: &[Param] = &[
    req("AppId", Kind::Str),
    req("ApprovalResult", Kind::Int),
    opt("ApprovalNote", Kind::Str),
];

/// Parameters that passed the schema check, looked up by name.
struct Checked<'a> {
    object: &'a Map<String, Value>,
}

impl Checked<'_> {
    fn value(&self, name: &str) -> Option<&Value> {
        self.object.get(name).filter(|v| !v.is_null())
    }

    fn int(&self, name: &str) -> i64 {
        self.value(name).and_then(Value::as_i64).unwrap_or_default()
    }

    fn opt_str(&self, name: &str) -> Option<String> {
        self.value(name).and_then(Value::as_str).map(str::to_string)
    }

    fn str(&self, name: &str) -> String {
        self.opt_str(name).unwrap_or_default()
    }

    fn opt_int_list(&self, name: &str) -> Option<Vec<i64>> {
        self.value(name)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
    }
}

/// Checks `object` against `schema`; `prefix` names nested objects in messages.
fn check<'a>(
    object: &'a Map<String, Value>,
    schema: &[Param],
    prefix: &str,
) -> Result<Checked<'a>, ApiError> {
    if let Some(unknown) = object
        .keys()
        .find(|key| !schema.iter().any(|p| p.name == key.as_str()))
    {
        return Err(ApiError::unknown_parameter(&format!("{prefix}{unknown}")));
    }
    for param in schema {
        let name = format!("{prefix}{}", param.name);
        let Some(value) = object.get(param.name).filter(|v| !v.is_null()) else {
            if param.required {
                return Err(ApiError::missing_parameter(&name));
            }
            continue;
        };
        match param.kind {
            Kind::Int => {
                if value.as_i64().is_none() {
                    return Err(ApiError::invalid_type(&name, "an integer"));
                }
            }
            Kind::Str => {
                if !value.is_string() {
                    return Err(ApiError::invalid_type(&name, "a string"));
                }
            }
            Kind::IntList => {
                let Some(items) = value.as_array() else {
                    return Err(ApiError::invalid_type(&name, "an array of integers"));
                };
                if let Some(i) = items.iter().position(|v| v.as_i64().is_none()) {
                    return Err(ApiError::invalid_type(&format!("{name}.{i}"), "an integer"));
                }
            }
            Kind::Items => {
                let Some(items) = value.as_array() else {
                    return Err(ApiError::invalid_type(&name, "an array of objects"));
                };
                for (i, item) in items.iter().enumerate() {
                    let Some(item) = item.as_object() else {
                        return Err(ApiError::invalid_type(&format!("{name}.{i}"), "an object"));
                    };
                    check(item, ITEM, &format!("{name}.{i}."))?;
                }
            }
        }
    }
    Ok(Checked { object })
}

/// Parses a request body for `action` into its typed request.
pub(crate) fn parse(action: Action, body: &[u8]) -> Result<ApiRequest, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            codes::INVALID_PARAMETER,
            format!("The request body is not valid JSON: {e}."),
        )
    })?;
    let Some(object) = value.as_object() else {
        return Err(ApiError::new(
            codes::INVALID_PARAMETER,
            "The request body must be a JSON object.",
        ));
    };
    match action {
        Action::Create => {
            let p = check(object, CREATE, "")?;
            let apply_action = match p.str("ApplyAction").as_str() {
                "submit" => ApplyAction::Submit,
                "cancel" => ApplyAction::Cancel,
                other => {
                    return Err(ApiError::new(
                        codes::INVALID_APPLY_ACTION,
                        format!(
                            "The parameter `ApplyAction` must be `submit` or `cancel`, got `{other}`."
                        ),
                    ));
                }
            };
            Ok(ApiRequest::Create(CreateMnpApprovalRequest {
                mnp_version_id: p.int("MNPVersionId"),
                apply_action,
                platform_id: p.str("PlatformId"),
            }))
        }
        Action::Describe => {
            let p = check(object, DESCRIBE, "")?;
            Ok(ApiRequest::Describe(DescribeMnpApprovalListRequest {
                offset: p.int("Offset"),
                limit: p.int("Limit"),
                platform_id: p.str("PlatformId"),
                approval_status_list: p.opt_int_list("ApprovalStatusList"),
                keyword: p.opt_str("Keyword"),
                application_id: p.opt_str("ApplicationId"),
                team_id: p.opt_str("TeamId"),
            }))
        }
        Action::Process => {
            let p = check(object, PROCESS, "")?;
            let approval_items = p
                .value("ApprovalItems")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
                .map(|item| {
                    let item = Checked { object: item };
                    ApprovalItem {
                        app_id: item.str("AppId"),
                        approval_result: item.int("ApprovalResult"),
                        approval_note: item.str("ApprovalNote"),
                    }
                })
                .collect();
            Ok(ApiRequest::Process(ProcessMnpApprovalRequest {
                approval_no: p.str("ApprovalNo"),
                platform_id: p.str("PlatformId"),
                approval_items,
            }))
        }
        Action::StageVersions | Action::ReleaseHistory => {
            let p = check(object, MNP, "")?;
            let req = MnpRequest {
                mnp_id: p.str("MNPId"),
                platform_id: p.str("PlatformId"),
            };
            Ok(if action == Action::StageVersions {
                ApiRequest::StageVersions(req)
            } else {
                ApiRequest::ReleaseHistory(req)
            })
        }
        Action::Release => {
            let p = check(object, RELEASE, "")?;
            Ok(ApiRequest::Release(ReleaseMnpVersionRequest {
                mnp_version_id: p.int("MNPVersionId"),
                platform_id: p.str("PlatformId"),
            }))
        }
        Action::Rollback => {
            let p = check(object, ROLLBACK, "")?;
            Ok(ApiRequest::Rollback(RollbackMnpVersionRequest {
                mnp_id: p.str("MNPId"),
                mnp_version_id: p.int("MNPVersionId"),
                platform_id: p.str("PlatformId"),
                mnp_version: p.str("MNPVersion"),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(action: Action, body: &str) -> Result<ApiRequest, (&'static str, String)> {
        parse(action, body.as_bytes()).map_err(|e| (e.code, e.message))
    }

    #[test]
    fn action_names_round_trip() {
        assert_eq!(Action::from_name(CREATE_MNP_APPROVAL), Some(Action::Create));
        assert_eq!(
            Action::from_name(DESCRIBE_MNP_APPROVAL_LIST),
            Some(Action::Describe)
        );
        assert_eq!(
            Action::from_name(PROCESS_MNP_APPROVAL),
            Some(Action::Process)
        );
        for action in Action::ALL {
            assert_eq!(Action::from_name(action.name()), Some(action));
        }
        assert_eq!(Action::from_name("createMNPApproval"), None);
        assert_eq!(Action::from_name(""), None);
    }

    #[test]
    fn parses_every_action() {
        assert_eq!(
            code(
                Action::Create,
                r#"{"MNPVersionId": 2597, "ApplyAction": "submit", "PlatformId": "T1"}"#
            ),
            Ok(ApiRequest::Create(CreateMnpApprovalRequest {
                mnp_version_id: 2597,
                apply_action: ApplyAction::Submit,
                platform_id: "T1".into()
            }))
        );
        assert_eq!(
            code(
                Action::Describe,
                r#"{"Offset": 0, "Limit": 10, "PlatformId": "T1", "ApprovalStatusList": [1, 3], "Keyword": null}"#
            ),
            Ok(ApiRequest::Describe(DescribeMnpApprovalListRequest {
                offset: 0,
                limit: 10,
                platform_id: "T1".into(),
                approval_status_list: Some(vec![1, 3]),
                keyword: None,
                application_id: None,
                team_id: None,
            }))
        );
        assert_eq!(
            code(
                Action::Process,
                r#"{"ApprovalNo": "A1", "PlatformId": "T1", "ApprovalItems": [{"AppId": "app", "ApprovalResult": 3}]}"#
            ),
            Ok(ApiRequest::Process(ProcessMnpApprovalRequest {
                approval_no: "A1".into(),
                platform_id: "T1".into(),
                approval_items: vec![ApprovalItem {
                    app_id: "app".into(),
                    approval_result: 3,
                    approval_note: String::new()
                }],
            }))
        );
    }

    #[test]
    fn reports_the_documented_errors() {
        use codes::*;
        let cases: &[(Action, &str, &str, &str)] = &[
            (Action::Create, "", INVALID_PARAMETER, "not valid JSON"),
            (Action::Create, "[1]", INVALID_PARAMETER, "JSON object"),
            (Action::Create, "null", INVALID_PARAMETER, "JSON object"),
            (
                Action::Create,
                r#"{"ApplyAction": "submit", "PlatformId": "T"}"#,
                MISSING_PARAMETER,
                "The request is missing a required parameter `MNPVersionId`.",
            ),
            (
                Action::Create,
                r#"{"MNPVersionId": null, "ApplyAction": "submit", "PlatformId": "T"}"#,
                MISSING_PARAMETER,
                "`MNPVersionId`",
            ),
            (
                Action::Create,
                r#"{"MNPVersionId": "7", "ApplyAction": "submit", "PlatformId": "T"}"#,
                INVALID_PARAMETER,
                "`MNPVersionId`",
            ),
            (
                Action::Create,
                r#"{"MNPVersionId": 7.0, "ApplyAction": "submit", "PlatformId": "T"}"#,
                INVALID_PARAMETER,
                "`MNPVersionId`",
            ),
            (
                Action::Create,
                r#"{"MNPVersionId": 18446744073709551615, "ApplyAction": "submit", "PlatformId": "T"}"#,
                INVALID_PARAMETER,
                "`MNPVersionId`",
            ),
            (
                Action::Create,
                r#"{"MNPVersionId": 7, "ApplyAction": "submit", "PlatformId": 1}"#,
                INVALID_PARAMETER,
                "`PlatformId`",
            ),
            (
                Action::Create,
                r#"{"MNPVersionId": 7, "ApplyAction": "submit", "PlatformId": "T", "Extra": 1}"#,
                UNKNOWN_PARAMETER,
                "The parameter `Extra` is not recognized.",
            ),
            (
                Action::Create,
                r#"{"MNPVersionId": 7, "ApplyAction": "publish", "PlatformId": "T"}"#,
                INVALID_APPLY_ACTION,
                "`publish`",
            ),
            (
                Action::Create,
                r#"{"MNPVersionId": 7, "ApplyAction": "Submit", "PlatformId": "T"}"#,
                INVALID_APPLY_ACTION,
                "`Submit`",
            ),
            (
                Action::Describe,
                r#"{"Limit": 10, "PlatformId": "T"}"#,
                MISSING_PARAMETER,
                "`Offset`",
            ),
            (
                Action::Describe,
                r#"{"Offset": 0, "Limit": 10, "PlatformId": "T", "ApprovalStatusList": 1}"#,
                INVALID_PARAMETER,
                "`ApprovalStatusList`",
            ),
            (
                Action::Describe,
                r#"{"Offset": 0, "Limit": 10, "PlatformId": "T", "ApprovalStatusList": [1, "2"]}"#,
                INVALID_PARAMETER,
                "`ApprovalStatusList.1`",
            ),
            (
                Action::Process,
                r#"{"ApprovalNo": "A", "PlatformId": "T", "ApprovalItems": {}}"#,
                INVALID_PARAMETER,
                "`ApprovalItems`",
            ),
            (
                Action::Process,
                r#"{"ApprovalNo": "A", "PlatformId": "T", "ApprovalItems": [3]}"#,
                INVALID_PARAMETER,
                "`ApprovalItems.0`",
            ),
            (
                Action::Process,
                r#"{"ApprovalNo": "A", "PlatformId": "T", "ApprovalItems": [{"AppId": "a", "ApprovalResult": 3}, {"AppId": "a"}]}"#,
                MISSING_PARAMETER,
                "`ApprovalItems.1.ApprovalResult`",
            ),
            (
                Action::Process,
                r#"{"ApprovalNo": "A", "PlatformId": "T", "ApprovalItems": [{"AppId": "a", "ApprovalResult": 3, "Why": 1}]}"#,
                UNKNOWN_PARAMETER,
                "`ApprovalItems.0.Why`",
            ),
        ];
        for (action, body, want_code, want_message) in cases {
            let (got, message) = code(*action, body).unwrap_err();
            assert_eq!(got, *want_code, "{body}");
            assert!(message.contains(want_message), "{body}: {message}");
        }
    }

    #[test]
    fn parses_the_release_actions() {
        let mnp = MnpRequest {
            mnp_id: "mnp-shop".into(),
            platform_id: "T1".into(),
        };
        let body = r#"{"MNPId": "mnp-shop", "PlatformId": "T1"}"#;
        assert_eq!(
            code(Action::StageVersions, body),
            Ok(ApiRequest::StageVersions(mnp.clone()))
        );
        assert_eq!(
            code(Action::ReleaseHistory, body),
            Ok(ApiRequest::ReleaseHistory(mnp))
        );
        assert_eq!(
            code(
                Action::Release,
                r#"{"MNPVersionId": 102, "PlatformId": "T1"}"#
            ),
            Ok(ApiRequest::Release(ReleaseMnpVersionRequest {
                mnp_version_id: 102,
                platform_id: "T1".into()
            }))
        );
        assert_eq!(
            code(
                Action::Rollback,
                r#"{"MNPId": "m", "MNPVersionId": 101, "PlatformId": "T1", "MNPVersion": "1.0.0"}"#
            ),
            Ok(ApiRequest::Rollback(RollbackMnpVersionRequest {
                mnp_id: "m".into(),
                mnp_version_id: 101,
                platform_id: "T1".into(),
                mnp_version: "1.0.0".into(),
            }))
        );
    }

    #[test]
    fn release_actions_require_every_documented_parameter() {
        let rollback =
            r#"{"MNPId": "m", "MNPVersionId": 101, "PlatformId": "T1", "MNPVersion": "1.0.0"}"#;
        for name in ["MNPId", "MNPVersionId", "PlatformId", "MNPVersion"] {
            let mut value: Value = serde_json::from_str(rollback).unwrap();
            value.as_object_mut().unwrap().remove(name);
            let (got, message) = code(Action::Rollback, &value.to_string()).unwrap_err();
            assert_eq!(got, codes::MISSING_PARAMETER, "{name}");
            assert_eq!(
                message,
                format!("The request is missing a required parameter `{name}`.")
            );
        }
        for (action, body, want, needle) in [
            (
                Action::StageVersions,
                r#"{"PlatformId": "T"}"#,
                codes::MISSING_PARAMETER,
                "`MNPId`",
            ),
            (
                Action::ReleaseHistory,
                r#"{"MNPId": 1, "PlatformId": "T"}"#,
                codes::INVALID_PARAMETER,
                "`MNPId`",
            ),
            (
                Action::Release,
                r#"{"PlatformId": "T"}"#,
                codes::MISSING_PARAMETER,
                "`MNPVersionId`",
            ),
            (
                Action::Release,
                r#"{"MNPVersionId": "102", "PlatformId": "T"}"#,
                codes::INVALID_PARAMETER,
                "`MNPVersionId`",
            ),
            (
                Action::Release,
                r#"{"MNPVersionId": 102, "PlatformId": "T", "MNPId": "m"}"#,
                codes::UNKNOWN_PARAMETER,
                "`MNPId`",
            ),
            (
                Action::Rollback,
                r#"{"MNPId": "m", "MNPVersionId": 1, "PlatformId": "T", "MNPVersion": 1}"#,
                codes::INVALID_PARAMETER,
                "`MNPVersion`",
            ),
        ] {
            let (got, message) = code(action, body).unwrap_err();
            assert_eq!(got, want, "{body}");
            assert!(message.contains(needle), "{body}: {message}");
        }
    }

    #[test]
    fn unknown_parameters_are_reported_before_missing_ones() {
        let (got, message) = code(Action::Create, r#"{"MnpVersionId": 7}"#).unwrap_err();
        assert_eq!(got, codes::UNKNOWN_PARAMETER);
        assert!(message.contains("`MnpVersionId`"));
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            for action in Action::ALL {
                let _ = parse(action, &body);
            }
        }

        #[test]
        fn never_panics_on_arbitrary_json(value in arb_json()) {
            let body = serde_json::to_vec(&value).unwrap();
            for action in Action::ALL {
                if let Err(e) = parse(action, &body) {
                    prop_assert!(!e.message.is_empty());
                }
            }
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let names = prop_oneof![
            Just("MNPVersionId".to_string()),
            Just("ApplyAction".to_string()),
            Just("PlatformId".to_string()),
            Just("Offset".to_string()),
            Just("Limit".to_string()),
            Just("ApprovalStatusList".to_string()),
            Just("ApprovalItems".to_string()),
            Just("AppId".to_string()),
            Just("ApprovalResult".to_string()),
            Just("MNPId".to_string()),
            Just("MNPVersion".to_string()),
            "[A-Za-z]{0,6}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            prop_oneof![
                Just("submit".to_string()),
                Just("cancel".to_string()),
                ".{0,8}"
            ]
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(names.clone(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
