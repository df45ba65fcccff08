//! Tests of the simulator as a whole, one file per concern; the shared helpers (test fixture,
//! signing client, reply assertions) live in `support`. Each file's tests are independent.
//!
//! - `replies`: reply shapes, inspection routes, 404s, shutdown, garbage over HTTP.
//! - `verification`: the order of checks before the rules.
//! - `approval_rules`: submit and cancel, and the call log they leave.
//! - `fixture`: what fixture platforms refuse.
//! - `listing`: `DescribeMNPApprovalList`.
//! - `processing`: `ProcessMNPApproval`.
//! - `faults_rate`: rate limit, faults and latency.
//! - `decide`: the request pipeline without HTTP, including property tests.
//! - `apis`: TCMPP and TCSAS served at once, and a simulator restricted to one.
//! - `limits`: the body's size bound before the signature, header and body timeouts, and the
//!   call log's bound.
//! - `stage_versions`: `DescribeMNPAllStageVersions` and `DescribeMNPReleasedVersionHistory`.
//! - `releasing`: `ReleaseMNPVersion`, its refusals and the release limit.
//! - `rollback`: `RollbackMNPVersion` and its refusals.
//! - `release_pipeline`: the release actions through verification, rate windows, faults and
//!   the call log, for both APIs.
//! - `auto_approve`: `SimConfig::auto_approve` with paused time.
//! - `sdk_shapes`: answers compared with the official SDK's models (`tests/fixtures/sdk/`).

mod apis;
mod approval_rules;
mod auto_approve;
mod decide;
mod faults_rate;
mod fixture;
mod limits;
mod listing;
mod processing;
mod release_pipeline;
mod releasing;
mod replies;
mod rollback;
mod sdk_shapes;
mod stage_versions;
mod support;
mod verification;
