//! placard: a static site generator for campaign pages.
//!
//! The pipeline is a chain of stages passing plain owned data — `load` (the only stage that
//! reads the site) → `parse` → `assemble` → `render` → `write` — called in order by
//! [`build::build`]. The library never prints and never exits: it returns values and
//! [`diagnostic::Diagnostic`]s, and `main.rs` decides what to show and the exit code.
//!
//! The modules stand on floors. A module uses only modules on its own floor or below, never one
//! above; modules on one floor may use each other, without a cycle. The floors are declared
//! here, by the `// Floor N` comment above each group of modules, and nowhere else: the
//! `layers` test reads them and every `crate::` path in `src/`, and names the file and line of
//! any path that points up or closes a cycle. ARCHITECTURE.md says what each floor owns.

// Floor 1: leaves. Pure helpers with no idea of a site: diagnostics, text and escaping,
// slugs and output paths, YAML reading, times, number and date formatting, content types,
// values shared with the templates.
pub mod content_type;
pub mod diagnostic;
pub mod format;
pub mod slug;
pub mod text;
pub mod time;
pub mod value;
mod yaml;

// Floor 2: config. site.yaml → SiteConfig, publish targets included.
pub mod config;

// Floor 3: load. The only stage that reads the site's files.
pub mod load;

// Floor 4: theme data. theme.yaml: the front-matter schema and the shortcodes' arguments.
pub mod schema;

// Floor 5: parse. Front matter and Markdown → pages.
pub mod parse;

// Floor 6: assemble. The schedule, sections, taxonomies, URLs → the site.
pub mod assemble;
pub mod schedule;

// Floor 7: render. The template engine and the typed template values → outputs.
pub mod render;

// Floor 8: write. Outputs → the output folder and its manifest, atomically.
pub mod write;

// Floor 9: build. The recipe that calls the stages in order.
pub mod build;

// Floor 10: edges. The commands built on the recipe.
pub mod check;
pub mod publish;
pub mod scaffold;
pub mod serve;
pub mod status;
