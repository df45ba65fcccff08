//! Wire types of the TCMPP API (version 2024-08-01) and of TCSAS (2025-01-06), which shares
//! them: request parameters and response shapes, named and typed exactly as Tencent's official
//! SDKs name them. The one difference mnpsync reads: TCSAS's `CreateMNPApproval` answers
//! `{Result, ApprovalNo}` ([`CreateMnpApprovalData::approval_no`]).
//!
//! Shared by the client and the simulator; no behaviour beyond (de)serialisation lives here.

use serde::{Deserialize, Serialize};

/// The TCMPP API version, named in `X-TC-Version` (TCSAS: [`crate::tcmpp::Api::version`]).
pub const API_VERSION: &str = "2024-08-01";

/// Action names (`X-TC-Action`).
pub const CREATE_MNP_APPROVAL: &str = "CreateMNPApproval";
pub const DESCRIBE_MNP_APPROVAL_LIST: &str = "DescribeMNPApprovalList";
pub const PROCESS_MNP_APPROVAL: &str = "ProcessMNPApproval";
pub const DESCRIBE_MNP_ALL_STAGE_VERSIONS: &str = "DescribeMNPAllStageVersions";
pub const DESCRIBE_MNP_RELEASED_VERSION_HISTORY: &str = "DescribeMNPReleasedVersionHistory";
pub const RELEASE_MNP_VERSION: &str = "ReleaseMNPVersion";
pub const ROLLBACK_MNP_VERSION: &str = "RollbackMNPVersion";

/// `ApplyAction` of `CreateMNPApproval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ApplyAction {
    Submit,
    Cancel,
}

impl ApplyAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplyAction::Submit => "submit",
            ApplyAction::Cancel => "cancel",
        }
    }
}

impl std::fmt::Display for ApplyAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ApprovalStatus` of a record: 1 processing, 2 rejected, 3 approved, 4 cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ApprovalStatus {
    Processing,
    Rejected,
    Approved,
    Cancelled,
}

impl ApprovalStatus {
    /// The integer code used on the wire.
    pub fn code(self) -> i64 {
        match self {
            ApprovalStatus::Processing => 1,
            ApprovalStatus::Rejected => 2,
            ApprovalStatus::Approved => 3,
            ApprovalStatus::Cancelled => 4,
        }
    }

    /// The status for a wire code; `None` for codes the API does not define.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            1 => Some(ApprovalStatus::Processing),
            2 => Some(ApprovalStatus::Rejected),
            3 => Some(ApprovalStatus::Approved),
            4 => Some(ApprovalStatus::Cancelled),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Processing => "processing",
            ApprovalStatus::Rejected => "rejected",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Cancelled => "cancelled",
        }
    }
}

impl std::fmt::Display for ApprovalStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parameters of `CreateMNPApproval`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateMnpApprovalRequest {
    #[serde(rename = "MNPVersionId")]
    pub mnp_version_id: i64,
    #[serde(rename = "ApplyAction")]
    pub apply_action: ApplyAction,
    #[serde(rename = "PlatformId")]
    pub platform_id: String,
}

/// `Data` of a `CreateMNPApproval` success: TCMPP sends `{Result}`, TCSAS
/// `{Result, ApprovalNo}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateMnpApprovalData {
    #[serde(rename = "Result")]
    pub result: bool,
    /// The approval a TCSAS submit created; `None` from TCMPP (and for a cancel).
    #[serde(
        rename = "ApprovalNo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub approval_no: Option<String>,
}

/// Parameters of `DescribeMNPApprovalList`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeMnpApprovalListRequest {
    #[serde(rename = "Offset")]
    pub offset: i64,
    #[serde(rename = "Limit")]
    pub limit: i64,
    #[serde(rename = "PlatformId")]
    pub platform_id: String,
    #[serde(
        rename = "ApprovalStatusList",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub approval_status_list: Option<Vec<i64>>,
    #[serde(rename = "Keyword", skip_serializing_if = "Option::is_none", default)]
    pub keyword: Option<String>,
    #[serde(
        rename = "ApplicationId",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub application_id: Option<String>,
    #[serde(rename = "TeamId", skip_serializing_if = "Option::is_none", default)]
    pub team_id: Option<String>,
}

/// One approval record of `DescribeMNPApprovalList`. Every field may be null on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApprovalRecord {
    #[serde(rename = "ApprovalNo")]
    pub approval_no: Option<String>,
    #[serde(rename = "ApplicationId")]
    pub application_id: Option<String>,
    #[serde(rename = "ApprovalStatus")]
    pub approval_status: Option<i64>,
    #[serde(rename = "MNPId")]
    pub mnp_id: Option<String>,
    #[serde(rename = "MNPVersion")]
    pub mnp_version: Option<String>,
    #[serde(rename = "MNPVersionId")]
    pub mnp_version_id: Option<i64>,
    #[serde(rename = "ApplyUser")]
    pub apply_user: Option<String>,
    #[serde(rename = "ApplyTime")]
    pub apply_time: Option<String>,
    #[serde(rename = "MNPName")]
    pub mnp_name: Option<String>,
    #[serde(rename = "MNPIcon")]
    pub mnp_icon: Option<String>,
    #[serde(rename = "ApplicationName")]
    pub application_name: Option<String>,
    #[serde(rename = "ApplicationLogo")]
    pub application_logo: Option<String>,
    #[serde(rename = "TeamId")]
    pub team_id: Option<String>,
    #[serde(rename = "TeamName")]
    pub team_name: Option<String>,
    #[serde(rename = "MNPQrCodeUrl")]
    pub mnp_qr_code_url: Option<String>,
    #[serde(rename = "MNPType")]
    pub mnp_type: Option<String>,
    #[serde(rename = "ApprovalUser")]
    pub approval_user: Option<String>,
    #[serde(rename = "ApprovalTime")]
    pub approval_time: Option<String>,
    #[serde(rename = "ApprovalNote")]
    pub approval_note: Option<String>,
}

impl ApprovalRecord {
    /// The record's status, if the server sent a known one.
    pub fn status(&self) -> Option<ApprovalStatus> {
        self.approval_status.and_then(ApprovalStatus::from_code)
    }
}

/// `Data` of a `DescribeMNPApprovalList` success.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeMnpApprovalListData {
    #[serde(rename = "TotalCount", default)]
    pub total_count: i64,
    #[serde(rename = "DataList", default)]
    pub data_list: Vec<ApprovalRecord>,
}

/// One item of `ProcessMNPApproval`'s `ApprovalItems`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalItem {
    #[serde(rename = "AppId")]
    pub app_id: String,
    /// 2 rejected, 3 approved.
    #[serde(rename = "ApprovalResult")]
    pub approval_result: i64,
    #[serde(rename = "ApprovalNote", default)]
    pub approval_note: String,
}

/// Parameters of `ProcessMNPApproval`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessMnpApprovalRequest {
    #[serde(rename = "ApprovalNo")]
    pub approval_no: String,
    #[serde(rename = "PlatformId")]
    pub platform_id: String,
    #[serde(rename = "ApprovalItems")]
    pub approval_items: Vec<ApprovalItem>,
}

/// `Data` of a `ProcessMNPApproval` success.
pub type ProcessMnpApprovalData = BooleanInfo;

/// Parameters of `DescribeMNPAllStageVersions` and `DescribeMNPReleasedVersionHistory`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MnpRequest {
    #[serde(rename = "MNPId")]
    pub mnp_id: String,
    #[serde(rename = "PlatformId")]
    pub platform_id: String,
}

/// `Phase` of a version (`DescribeMNPAllStageVersions`).
pub const PHASE_DEVELOP: &str = "Develop";
pub const PHASE_PLATFORM: &str = "Platform";
pub const PHASE_ONLINE: &str = "Online";

/// One item of `DescribeMNPAllStageVersions`'s `Data` (the SDK's
/// `DescribeMPAllStageVersionsResp`). Every field may be null on the wire. `Status` ("release
/// status") has undocumented values: mnpsync never reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StageVersion {
    #[serde(rename = "MNPId")]
    pub mnp_id: Option<String>,
    #[serde(rename = "MNPVersionId")]
    pub mnp_version_id: Option<i64>,
    #[serde(rename = "MNPName")]
    pub mnp_name: Option<String>,
    #[serde(rename = "MNPIcon")]
    pub mnp_icon: Option<String>,
    #[serde(rename = "MNPType")]
    pub mnp_type: Option<String>,
    #[serde(rename = "MNPIntro")]
    pub mnp_intro: Option<String>,
    #[serde(rename = "MNPDesc")]
    pub mnp_desc: Option<String>,
    #[serde(rename = "CreateUser")]
    pub create_user: Option<String>,
    #[serde(rename = "CreateTime")]
    pub create_time: Option<String>,
    #[serde(rename = "MNPVersion")]
    pub mnp_version: Option<String>,
    #[serde(rename = "MNPVersionIntro")]
    pub mnp_version_intro: Option<String>,
    #[serde(rename = "Phase")]
    pub phase: Option<String>,
    #[serde(rename = "ApprovalStatus")]
    pub approval_status: Option<i64>,
    #[serde(rename = "ApprovalNo")]
    pub approval_no: Option<String>,
    #[serde(rename = "ShowCase")]
    pub show_case: Option<i64>,
    #[serde(rename = "RollbackVersion")]
    pub rollback_version: Option<i64>,
    #[serde(rename = "Status")]
    pub status: Option<i64>,
    #[serde(rename = "VersionCurrentStatus")]
    pub version_current_status: Option<i64>,
}

/// One item of `DescribeMNPReleasedVersionHistory`'s `DataList` (the SDK's
/// `QueryOnlineVersionResp`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReleasedVersion {
    #[serde(rename = "MNPId")]
    pub mnp_id: Option<String>,
    #[serde(rename = "MNPVersion")]
    pub mnp_version: Option<String>,
    #[serde(rename = "MNPVersionId")]
    pub mnp_version_id: Option<i64>,
    #[serde(rename = "MNPVersionNote")]
    pub mnp_version_note: Option<String>,
    #[serde(rename = "UpdateTime")]
    pub update_time: Option<String>,
}

/// `Data` of `DescribeMNPReleasedVersionHistory` (the SDK's `DescribeRevertOnlineVersionPageResp`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleasedVersionHistory {
    #[serde(rename = "TotalCount", default)]
    pub total_count: i64,
    #[serde(rename = "DataList", default)]
    pub data_list: Vec<ReleasedVersion>,
}

/// Parameters of `ReleaseMNPVersion`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseMnpVersionRequest {
    #[serde(rename = "MNPVersionId")]
    pub mnp_version_id: i64,
    #[serde(rename = "PlatformId")]
    pub platform_id: String,
}

/// Parameters of `RollbackMNPVersion`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackMnpVersionRequest {
    #[serde(rename = "MNPId")]
    pub mnp_id: String,
    #[serde(rename = "MNPVersionId")]
    pub mnp_version_id: i64,
    #[serde(rename = "PlatformId")]
    pub platform_id: String,
    #[serde(rename = "MNPVersion")]
    pub mnp_version: String,
}

/// `BooleanInfo`: the `Data` of `ReleaseMNPVersion`, `RollbackMNPVersion` and `ProcessMNPApproval`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BooleanInfo {
    #[serde(rename = "Result")]
    pub result: bool,
}

/// `Response.Error` of a failed call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(rename = "Code")]
    pub code: String,
    #[serde(rename = "Message", default)]
    pub message: String,
}

/// The `Response` object of every reply: either `Data` or `Error`, always a `RequestId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseBody<T> {
    #[serde(
        rename = "Data",
        skip_serializing_if = "Option::is_none",
        default = "none"
    )]
    pub data: Option<T>,
    #[serde(rename = "Error", skip_serializing_if = "Option::is_none", default)]
    pub error: Option<ErrorBody>,
    #[serde(rename = "RequestId", default)]
    pub request_id: String,
}

fn none<T>() -> Option<T> {
    None
}

/// The outer `{"Response": …}` envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope<T> {
    #[serde(rename = "Response")]
    pub response: ResponseBody<T>,
}

impl<T> Envelope<T> {
    /// A success reply carrying `data`.
    pub fn data(data: T, request_id: impl Into<String>) -> Self {
        Envelope {
            response: ResponseBody {
                data: Some(data),
                error: None,
                request_id: request_id.into(),
            },
        }
    }

    /// An error reply.
    pub fn error(
        code: impl Into<String>,
        message: impl Into<String>,
        request_id: impl Into<String>,
    ) -> Self {
        Envelope {
            response: ResponseBody {
                data: None,
                error: Some(ErrorBody {
                    code: code.into(),
                    message: message.into(),
                }),
                request_id: request_id.into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_request_uses_sdk_field_names() {
        let req = CreateMnpApprovalRequest {
            mnp_version_id: 2597,
            apply_action: ApplyAction::Submit,
            platform_id: "T1".into(),
        };
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"MNPVersionId":2597,"ApplyAction":"submit","PlatformId":"T1"}"#
        );
    }

    #[test]
    fn parses_success_and_error_shapes() {
        let ok: Envelope<CreateMnpApprovalData> =
            serde_json::from_str(r#"{"Response":{"Data":{"Result":true},"RequestId":"r1"}}"#)
                .unwrap();
        assert_eq!(
            ok.response.data,
            Some(CreateMnpApprovalData {
                result: true,
                approval_no: None
            })
        );
        assert_eq!(ok.response.request_id, "r1");
        // TCSAS's shape; a null ApprovalNo is no approval number.
        let tcsas: Envelope<CreateMnpApprovalData> = serde_json::from_str(
            r#"{"Response":{"Data":{"Result":true,"ApprovalNo":"A42"},"RequestId":"r1"}}"#,
        )
        .unwrap();
        assert_eq!(
            tcsas.response.data.unwrap().approval_no.as_deref(),
            Some("A42")
        );
        let null: Envelope<CreateMnpApprovalData> = serde_json::from_str(
            r#"{"Response":{"Data":{"Result":true,"ApprovalNo":null},"RequestId":"r1"}}"#,
        )
        .unwrap();
        assert_eq!(null.response.data.unwrap().approval_no, None);
        // TCMPP's shape is written back without the field.
        let written = serde_json::to_string(&CreateMnpApprovalData {
            result: true,
            approval_no: None,
        })
        .unwrap();
        assert_eq!(written, r#"{"Result":true}"#);
        let err: Envelope<CreateMnpApprovalData> = serde_json::from_str(
            r#"{"Response":{"Error":{"Code":"FailedOperation","Message":"m"},"RequestId":"r2"}}"#,
        )
        .unwrap();
        assert_eq!(err.response.data, None);
        assert_eq!(err.response.error.unwrap().code, "FailedOperation");
    }

    #[test]
    fn describe_data_tolerates_nulls_and_extra_fields() {
        let data: DescribeMnpApprovalListData = serde_json::from_str(
            r#"{"TotalCount":1,"DataList":[{"ApprovalNo":"A1","ApprovalStatus":1,"MNPVersionId":7,"MNPName":null,"Future":1}]}"#,
        )
        .unwrap();
        assert_eq!(data.data_list[0].status(), Some(ApprovalStatus::Processing));
        assert_eq!(data.data_list[0].mnp_name, None);
    }

    #[test]
    fn status_codes_round_trip() {
        for code in 1..=4 {
            assert_eq!(ApprovalStatus::from_code(code).unwrap().code(), code);
        }
        assert_eq!(ApprovalStatus::from_code(0), None);
    }
}
