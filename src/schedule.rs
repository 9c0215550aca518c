//! Drafts and embargoes: whether a page exists in a build made at a given instant, whether it
//! is there only as a preview, and the one rule that carries a section's state to everything
//! under it ([`HiddenSections`]). Pure.

use crate::parse::PageFile;
use crate::parse::front_matter::FrontMatter;
use jiff::Timestamp;

/// The instant a build is made "as of", and what it may show.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    /// The instant the site is built as (`--as-of`, or now).
    pub as_of: Timestamp,
    /// The real current time (to tell previews from live pages).
    pub now: Timestamp,
    /// Include drafts (`--drafts`).
    pub drafts: bool,
    /// Mark the build as a preview even without drafts or a future `as_of` (`--preview`): a
    /// copy for a staging target, kept out of search engines.
    pub preview: bool,
}

/// A page's state at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Live,
    Draft,
    Embargoed { until: Timestamp },
    Expired { at: Timestamp },
}

/// Why a page shown in this build would not be shown on the live site right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preview {
    Draft,
    Embargoed { until: Timestamp },
}

pub fn state(fm: &FrontMatter, at: Timestamp) -> State {
    if let Some(p) = &fm.publish_at
        && p.at > at
    {
        return State::Embargoed { until: p.at };
    }
    if let Some(e) = &fm.expire_at
        && e.at <= at
    {
        return State::Expired { at: e.at };
    }
    if fm.draft { State::Draft } else { State::Live }
}

impl Schedule {
    /// Whether the page is in this build: `None` when absent, `Some(preview)` when present.
    pub fn include(&self, fm: &FrontMatter) -> Option<Option<Preview>> {
        match state(fm, self.as_of) {
            State::Embargoed { .. } | State::Expired { .. } => None,
            State::Draft if !self.drafts => None,
            State::Draft => Some(Some(Preview::Draft)),
            State::Live => match &fm.publish_at {
                Some(p) if p.at > self.now => Some(Some(Preview::Embargoed { until: p.at })),
                _ => Some(None),
            },
        }
    }

    /// Whether this build shows anything the live site must not show yet.
    pub fn is_preview(&self) -> bool {
        self.preview || self.drafts || self.as_of > self.now
    }
}

/// The sections that are not in a build (a draft, embargoed or expired `_index.md`), which take
/// everything under their folder along: pages, subsections and files. The home page's
/// `_index.md` hides nothing.
#[derive(Clone, Debug, Default)]
pub struct HiddenSections {
    /// (folder, source path of its `_index.md`), outermost first.
    sections: Vec<(String, String)>,
}

impl HiddenSections {
    /// The sections among `pages` that `in_build` leaves out.
    pub fn new<'a>(
        pages: impl IntoIterator<Item = (&'a PageFile, &'a FrontMatter)>,
        in_build: impl Fn(&FrontMatter) -> bool,
    ) -> HiddenSections {
        let mut sections: Vec<(String, String)> = pages
            .into_iter()
            .filter(|(f, fm)| f.is_section && !f.dir.is_empty() && !in_build(fm))
            .map(|(f, _)| (f.dir.clone(), f.source_path.clone()))
            .collect();
        sections.sort_by_key(|(dir, _)| dir.len());
        HiddenSections { sections }
    }

    /// The source path of the outermost hidden section whose folder holds `dir`.
    pub fn holding(&self, dir: &str) -> Option<&str> {
        self.sections
            .iter()
            .find(|(h, _)| {
                dir == h
                    || dir
                        .strip_prefix(h.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .map(|(_, source)| source.as_str())
    }

    /// The hidden section, other than the file's own, that takes `file` along.
    pub fn holder(&self, file: &PageFile) -> Option<&str> {
        self.sections
            .iter()
            .filter(|(_, source)| *source != file.source_path)
            .find(|(h, _)| {
                file.dir == *h
                    || file
                        .dir
                        .strip_prefix(h.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .map(|(_, source)| source.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::When;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn embargo_and_expiry() {
        let fm = FrontMatter {
            publish_at: Some(When {
                at: ts("2026-03-03T09:30:00Z"),
                date_only: false,
            }),
            expire_at: Some(When {
                at: ts("2026-04-01T00:00:00Z"),
                date_only: false,
            }),
            ..Default::default()
        };
        let now = ts("2026-03-01T00:00:00Z");
        let s = Schedule {
            as_of: now,
            now,
            drafts: false,
            preview: false,
        };
        assert_eq!(s.include(&fm), None);
        let s = Schedule {
            as_of: ts("2026-03-03T09:30:00Z"),
            now,
            drafts: false,
            preview: false,
        };
        assert_eq!(
            s.include(&fm),
            Some(Some(Preview::Embargoed {
                until: ts("2026-03-03T09:30:00Z")
            }))
        );
        assert!(s.is_preview());
        let s = Schedule {
            as_of: ts("2026-04-01T00:00:00Z"),
            now: ts("2026-04-01T00:00:00Z"),
            drafts: false,
            preview: false,
        };
        assert_eq!(s.include(&fm), None);
    }

    #[test]
    fn drafts_only_with_the_flag() {
        let fm = FrontMatter {
            draft: true,
            ..Default::default()
        };
        let now = ts("2026-03-01T00:00:00Z");
        assert_eq!(
            Schedule {
                as_of: now,
                now,
                drafts: false,
                preview: false,
            }
            .include(&fm),
            None
        );
        assert_eq!(
            Schedule {
                as_of: now,
                now,
                drafts: true,
                preview: false,
            }
            .include(&fm),
            Some(Some(Preview::Draft))
        );
    }
}
