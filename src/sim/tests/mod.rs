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

mod apis;
mod approval_rules;
mod decide;
mod faults_rate;
mod fixture;
mod limits;
mod listing;
mod processing;
mod replies;
mod support;
mod verification;
