//! placard's integration tests: one test binary (link time matters on two cores) with a module
//! per area. Every test builds real sites in temp folders with the real `placard` binary.

// Helpers outside #[test] functions unwrap too: a failed step fails the test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests stop at the first failure"
)]
// Tests say what they skip and what the long runs found.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a test's output is for the person running it"
)]

mod bundled;
mod check;
mod errors;
mod hostile;
mod layers;
mod output;
mod properties;
mod publish;
mod safety;
mod scaffold;
mod schedule;
mod serve;
mod soak;
mod status;
mod support;
mod theme;
mod writers;
