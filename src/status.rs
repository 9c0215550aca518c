//! `placard status`: where every page stands at an instant (live, draft, embargoed, expired,
//! past its review date) and the next instant at which the built site changes, so that a
//! scheduler can run `build && publish` then. Reads and parses the site as a build does.

use crate::build::{self, BuildError, BuildOptions};
use crate::diagnostic::Diagnostic;
use crate::parse::front_matter::FrontMatter;
use crate::schedule::{self, State};
use std::collections::HashMap;

/// One page's place in the schedule, for `placard status`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PageStatus {
    /// Site-relative source file.
    pub source: String,
    pub title: String,
    /// `live`, `draft`, `embargoed` or `expired`, at the status's instant.
    pub state: &'static str,
    /// When it goes live, in the site's time zone with its offset (`2027-06-10T09:00+01:00`),
    /// as the writer wrote it; `publish_at_utc` is the same instant in UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish_at_utc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_at_utc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_by: Option<String>,
    /// `review_by` is before the status's instant.
    pub past_review: bool,
    /// The section (`content/news/_index.md`) whose own state this page shares: a draft,
    /// embargoed or expired section takes everything under it along.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_by: Option<String>,
}

/// What is live when, for `placard status`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Status {
    /// The instant the states are for, in the site's time zone with its offset.
    pub as_of: String,
    pub as_of_utc: String,
    /// The first instant after `as_of` at which the built site changes (a page going live or
    /// expiring; drafts wait for a person, so they never count), in the site's time zone with
    /// its offset; both forms are what `--as-of` takes.
    pub next_change: Option<String>,
    pub next_change_utc: Option<String>,
    /// The page that changes then, and how.
    pub next_change_reason: Option<String>,
    /// Every page and section page, by source path.
    pub pages: Vec<PageStatus>,
}

/// Reads and parses every page (live or not) and says where each stands at the options'
/// instant (`as_of`, or now). Content errors fail it as they fail a build.
pub fn status(opts: &BuildOptions) -> Result<(Status, Vec<Diagnostic>), BuildError> {
    let mut opts = opts.clone();
    opts.drafts = false;
    opts.preview = false;
    let loaded = build::load_site(&opts, crate::parse::Mode::Build, None)?;
    let mut diagnostics = loaded.diagnostics;
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(build::fail(&opts.root, diagnostics));
    }
    let as_of = loaded.schedule.as_of;
    let pages = &loaded.pages.pages;
    let hidden = &loaded.pages.routes.hidden;
    let today = loaded.config.tz.to_datetime(as_of).date();
    // A draft is a draft whatever its dates say: it waits for a person.
    let own_state = |f: &FrontMatter| match schedule::state(f, as_of) {
        _ if f.draft => "draft",
        State::Live => "live",
        State::Draft => "draft",
        State::Embargoed { .. } => "embargoed",
        State::Expired { .. } => "expired",
    };
    let state_of: HashMap<&str, &'static str> = pages
        .iter()
        .map(|p| (p.file.source_path.as_str(), own_state(&p.front)))
        .collect();
    let tz = &loaded.config.tz;
    let local = |w: &crate::time::When| crate::time::in_zone(w.at, w.date_only, tz);
    let mut out: Vec<PageStatus> = pages
        .iter()
        .map(|p| {
            let f = &p.front;
            let mut state = own_state(f);
            let mut held_by = None;
            // The outermost section that is not live decides, as it does for a build.
            if state == "live"
                && let Some(section) = hidden.holder(&p.file)
            {
                state = state_of.get(section).copied().unwrap_or(state);
                held_by = Some(section.to_string());
            }
            PageStatus {
                source: p.file.source_path.clone(),
                title: f.title.clone(),
                state,
                publish_at: f.publish_at.as_ref().map(local),
                publish_at_utc: f.publish_at.as_ref().map(|w| w.at.to_string()),
                expire_at: f.expire_at.as_ref().map(local),
                expire_at_utc: f.expire_at.as_ref().map(|w| w.at.to_string()),
                review_by: f.review_by.map(|d| d.to_string()),
                past_review: f.review_by.is_some_and(|d| d < today),
                held_by,
            }
        })
        .collect();
    out.sort_by(|a, b| a.source.cmp(&b.source));
    let next = loaded.pages.next_change;
    let reason = next.and_then(|t| {
        pages.iter().filter(|p| !p.front.draft).find_map(|p| {
            let f = &p.front;
            if f.publish_at.as_ref().is_some_and(|w| w.at == t) {
                Some(format!("{} goes live", p.file.source_path))
            } else if f.expire_at.as_ref().is_some_and(|w| w.at == t) {
                Some(format!("{} expires", p.file.source_path))
            } else {
                None
            }
        })
    });
    build::finish(&opts.root, &mut diagnostics);
    Ok((
        Status {
            as_of: crate::time::in_zone(as_of, false, tz),
            as_of_utc: as_of.to_string(),
            next_change: next.map(|t| crate::time::in_zone(t, false, tz)),
            next_change_utc: next.map(|t| t.to_string()),
            next_change_reason: reason,
            pages: out,
        },
        diagnostics,
    ))
}
