//! # mnpsync
//!
//! Keeps Tencent Cloud TCMPP mini program approval requests in the state that a git repository
//! declares.
//!
//! # Layout
//!
//! One pipeline, in [`reconcile`], called the same way by `plan`, `apply` and `watch`:
//!
//! ```text
//! manifest::load → select → refresh → plan → guard → execute → record
//!   (manifest)     (reconcile::make_plan: plan::plan)  (apply)   (record)
//! ```
//!
//! - [`manifest`]: the `mnpsync/v1` YAML schema, discovery, loading and validation with
//!   locations.
//! - [`reconcile`]: the pipeline — selection, refresh, the prune guard, saved plans; the one
//!   entry point for a reconcile ([`reconcile::reconcile`], [`reconcile::make_plan`],
//!   [`reconcile::apply_saved`]).
//! - [`plan`]: pure planning, desired × observed → ordered actions; the saved-plan format.
//! - [`apply`]: the executor: concurrency, outcomes, intent and outcome lines.
//! - [`record`]: `journal.jsonl`, `state.json`, the lock, and [`record::Records`], the one owner
//!   of the state while a run writes it.
//! - [`report`]: text, JSON and markdown rendering.
//! - [`tcmpp`]: the API client — signing, typed calls, the error-class table, retries.
//! - [`git`]: every git call (commit, pull, URL redaction).
//! - [`window`]: release windows (`Mon-Thu 10:00-16:00 Asia/Shanghai`): parsing, whether releases
//!   may run at a given instant, and when they next may.
//! - [`notify`]: notifications to people: event batches formatted for a JSON webhook, WeCom,
//!   Feishu, DingTalk or Slack, signed, and delivered in the background with rate limits and
//!   retries.
//! - `sim` (feature `sim`): a faithful local simulator of the TCMPP endpoint.
//! - `watch` (feature `watch`): the long-running loop: triggers, file events, health, metrics.
//!
//! The `mnpsync` binary (feature `cli`, on by default) is a thin clap front end in `src/cli/`:
//! it parses flags, calls the pipeline, renders, and picks the exit code. Library users can
//! depend on `mnpsync` with `default-features = false` (no clap, axum, notify, indicatif or
//! tracing-subscriber), adding `sim` or `watch` when they want those.
//!
//! # Example: from a manifest to a plan, without I/O
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::path::Path;
//!
//! use mnpsync::manifest::{Desired, Key, parse_str};
//! use mnpsync::plan::{Observation, Observed, PlanOptions, plan};
//! use mnpsync::action::Action;
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
//! let observed = BTreeMap::from([(key.clone(), Observation::from(Observed::None))]);
//! let plan = plan(&desired, &observed, &[], &PlanOptions::default(), true, None);
//! assert_eq!(plan.resources[0].key, key);
//! assert_eq!(plan.resources[0].action, Some(Action::Submit));
//! assert_eq!(plan.resources[0].source, "shop.yaml:2");
//! ```

pub mod action;
pub mod apply;
pub mod git;
pub mod manifest;
pub mod notify;
pub mod observe;
pub mod plan;
pub mod reconcile;
pub mod record;
pub mod report;
#[cfg(feature = "sim")]
pub mod sim;
pub mod tcmpp;
pub mod text;
#[cfg(feature = "watch")]
pub mod watch;
pub mod window;
