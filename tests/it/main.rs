//! The integration tests, in one binary (the crate is linked once): the client against the
//! simulator and on the wire, the built `mnpsync` binary end to end, durability, saved plans,
//! the git flow, the CI examples, TCSAS beside TCMPP, `watch` and `notify test`. Helpers that more than one file needs live in
//! [`util`].

mod util;

mod client_sim;
mod client_wire;
mod convergence;
mod demo;
mod durability;
mod e2e;
mod first_hour;
mod gitflow;
mod notifications;
mod notify;
mod pipelines;
mod releasing;
mod saved_plans;
mod tcsas;
mod watch;
