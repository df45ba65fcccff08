//! # mnpsync
//!
//! Keeps Tencent Cloud TCMPP mini program approval requests in the state that a git repository
//! declares.
//!
//! # Layout
//!
//! - [`manifest`]: the `mnpsync/v1` YAML schema, loading and validation with locations.
//! - [`plan`]: pure planning, desired × observed → ordered actions.
//! - [`reconcile`]: one refresh → plan sequence, shared by every command.
//! - [`apply`]: the executor: concurrency, outcomes, records.
//! - [`record`]: `journal.jsonl`, `state.json`, the state-directory lock.
//! - [`report`]: text, JSON and markdown rendering.
//! - [`tcmpp`]: the API client — signing, typed calls, the error-class table, retries.
//! - [`sim`]: a faithful local simulator of the TCMPP endpoint.
//!
//! # Example: from a manifest to a plan, without I/O
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::path::Path;
//!
//! use mnpsync::manifest::{Desired, Key, parse_str};
//! use mnpsync::plan::{Observed, PlanOptions, plan};
//! use mnpsync::tcmpp::model::ApplyAction;
//!
//! let yaml = "
//! apiVersion: mnpsync/v1
//! kind: MNPApproval
//! metadata:
//!   name: shop-2597
//! spec:
//!   platformId: T04257DS9431720WTAG
//!   mnpVersionId: 2597
//!   approval: submitted
//! ";
//! let resources = parse_str(Path::new("shop.yaml"), yaml).expect("a valid manifest");
//! let desired = Desired {
//!     resources: resources.into_iter().map(|r| (r.key.clone(), r)).collect(),
//!     ..Desired::default()
//! };
//! let key = Key::new("T04257DS9431720WTAG", 2597);
//! let observed = BTreeMap::from([(key.clone(), Observed::None)]);
//! let plan = plan(&desired, &observed, &[], &PlanOptions::default(), true, None);
//! assert_eq!(plan.resources[0].key, key);
//! assert_eq!(plan.resources[0].action, Some(ApplyAction::Submit));
//! assert_eq!(plan.resources[0].source, "shop.yaml:2");
//! ```
//! - [`watch`]: the long-running loop: triggers, file watching, health and metrics.

pub mod apply;
pub mod git;
pub mod manifest;
pub mod plan;
pub mod reconcile;
pub mod record;
pub mod report;
pub mod sim;
pub mod tcmpp;
pub mod watch;
