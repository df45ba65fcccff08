//! What mnpsync asks of the platform for one version: the four actions a plan can hold, their
//! names in plans, journals and reports, and the API call each one makes.
//!
//! `submit` and `cancel` are `CreateMNPApproval` with that `ApplyAction`; `release` is
//! `ReleaseMNPVersion`; `rollback` is `RollbackMNPVersion`. Nothing here performs I/O.

use serde::{Deserialize, Serialize};

use crate::tcmpp::model::{
    ApplyAction, CREATE_MNP_APPROVAL, RELEASE_MNP_VERSION, ROLLBACK_MNP_VERSION,
};

/// One action of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Action {
    /// Submit the version's approval request.
    Submit,
    /// Cancel the version's pending approval request.
    Cancel,
    /// Put an approved version online.
    Release,
    /// Put a previously released version back online.
    Rollback,
}

impl Action {
    /// Every action, in execution order: cancels, submits, then releases and rollbacks.
    pub const ALL: [Action; 4] = [
        Action::Cancel,
        Action::Submit,
        Action::Release,
        Action::Rollback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Cancel => "cancel",
            Action::Release => "release",
            Action::Rollback => "rollback",
        }
    }

    /// The action for a name as plans and journals write it.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// The `ApplyAction` of a `CreateMNPApproval` call; `None` for release and rollback.
    pub fn apply_action(self) -> Option<ApplyAction> {
        match self {
            Action::Submit => Some(ApplyAction::Submit),
            Action::Cancel => Some(ApplyAction::Cancel),
            Action::Release | Action::Rollback => None,
        }
    }

    /// The API action (`X-TC-Action`) this action calls.
    pub fn api_action(self) -> &'static str {
        match self {
            Action::Submit | Action::Cancel => CREATE_MNP_APPROVAL,
            Action::Release => RELEASE_MNP_VERSION,
            Action::Rollback => ROLLBACK_MNP_VERSION,
        }
    }

    /// Execution phase: cancels (0) before submits (1) before releases and rollbacks (2).
    pub fn phase(self) -> u8 {
        match self {
            Action::Cancel => 0,
            Action::Submit => 1,
            Action::Release | Action::Rollback => 2,
        }
    }

    /// Whether this action changes which version is online (subject to release windows).
    pub fn changes_online(self) -> bool {
        matches!(self, Action::Release | Action::Rollback)
    }
}

impl From<ApplyAction> for Action {
    fn from(action: ApplyAction) -> Action {
        match action {
            ApplyAction::Submit => Action::Submit,
            ApplyAction::Cancel => Action::Cancel,
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for action in Action::ALL {
            assert_eq!(Action::from_name(action.as_str()), Some(action));
            assert_eq!(
                serde_json::to_string(&action).unwrap(),
                format!("\"{action}\"")
            );
        }
        assert_eq!(Action::from_name("none"), None);
    }

    #[test]
    fn only_approval_actions_map_to_apply_actions() {
        assert_eq!(Action::Submit.apply_action(), Some(ApplyAction::Submit));
        assert_eq!(Action::Cancel.apply_action(), Some(ApplyAction::Cancel));
        assert_eq!(Action::Release.apply_action(), None);
        assert_eq!(Action::Rollback.api_action(), "RollbackMNPVersion");
        let phases: Vec<u8> = Action::ALL.iter().map(|a| a.phase()).collect();
        assert_eq!(phases, [0, 1, 2, 2]);
    }
}
