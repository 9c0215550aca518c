//! placard: a static site generator for campaign pages.
//!
//! The pipeline is a chain of stages passing plain owned data — `load` (the only stage that
//! reads the site) → `parse` → `assemble` → `render` → `write` — called in order by
//! [`build::build`]. The library never prints and never exits: it returns values and
//! [`diagnostic::Diagnostic`]s, and `main.rs` decides what to show and the exit code.

pub mod assemble;
pub mod build;
pub mod check;
pub mod config;
pub mod diagnostic;
pub mod load;
pub mod parse;
pub mod publish;
pub mod render;
pub mod scaffold;
pub mod schedule;
pub mod schema;
pub mod serve;
pub mod slug;
pub mod theme;
pub mod write;
mod yaml;
