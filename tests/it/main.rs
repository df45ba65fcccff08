//! The integration tests, in one binary (the crate is linked once): the client against the
//! simulator and against bare sockets, the built `mnpsync` binary end to end, the git flow, the
//! CI examples and `watch`.
//! Helpers that more than one file needs live in [`util`].

mod util;

mod client_sim;
mod client_wire;
mod e2e;
mod gitflow;
mod pipelines;
mod watch;
