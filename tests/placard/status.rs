//! `placard status`: every page's state at an instant and the next change, on a fixture with a
//! draft, an embargo, an expiry, an expired page and a page past its review date.

use crate::support::{placard, site, stderr, stdout};

#[test]
fn status_json_gives_each_state_and_the_next_change() {
    let site = site("status-schedule");
    let o = placard(
        site.path(),
        &["status", "--json", "--as-of", "2026-03-01T12:00"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["as_of"], "2026-03-01T12:00+00:00");
    assert_eq!(v["as_of_utc"], "2026-03-01T12:00:00Z");
    // The expiry on 2 March comes before the embargo lifting on 3 March; the draft's date does
    // not count.
    assert_eq!(v["next_change"], "2026-03-02T18:00+00:00");
    assert_eq!(v["next_change_utc"], "2026-03-02T18:00:00Z");
    assert_eq!(v["next_change_reason"], "content/expiring.md expires");
    let states: Vec<(String, String, bool)> = v["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["source"].as_str().unwrap().to_string(),
                p["state"].as_str().unwrap().to_string(),
                p["past_review"].as_bool().unwrap(),
            )
        })
        .collect();
    let want = [
        ("content/_index.md", "live", false),
        ("content/draft.md", "draft", false),
        ("content/embargoed.md", "embargoed", false),
        ("content/expired.md", "expired", false),
        ("content/expiring.md", "live", false),
        ("content/live.md", "live", false),
        ("content/stale.md", "live", true),
    ];
    assert_eq!(
        states,
        want.iter()
            .map(|(s, st, r)| (s.to_string(), st.to_string(), *r))
            .collect::<Vec<_>>()
    );
    let embargoed = &v["pages"][2];
    // 09:30 in London in March is 09:30 UTC.
    assert_eq!(embargoed["publish_at"], "2026-03-03T09:30+00:00");
    assert_eq!(embargoed["publish_at_utc"], "2026-03-03T09:30:00Z");

    // After the expiry, the embargo is next; after that, nothing.
    let o = placard(
        site.path(),
        &["status", "--json", "--as-of", "2026-03-02T18:00"],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["pages"][4]["state"], "expired");
    assert_eq!(v["next_change"], "2026-03-03T09:30+00:00");
    assert_eq!(v["next_change_reason"], "content/embargoed.md goes live");
    let o = placard(
        site.path(),
        &["status", "--json", "--as-of", "2026-07-01T00:00+01:00"],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["next_change"], serde_json::Value::Null);
    assert_eq!(v["pages"][2]["state"], "live");
    assert_eq!(v["pages"][5]["past_review"], true);
}

#[test]
fn status_text_names_dates_and_reviews() {
    let site = site("status-schedule");
    let o = placard(site.path(), &["status", "--as-of", "2026-03-01T12:00"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("  embargoed  content/embargoed.md  live from 2026-03-03T09:30+00:00\n"),
        "{out}"
    );
    assert!(
        out.contains("  live       content/stale.md      PAST REVIEW (review by 2026-01-15)\n"),
        "{out}"
    );
    assert!(
        out.ends_with("Next change: 2026-03-02T18:00+00:00 (content/expiring.md expires)\n"),
        "{out}"
    );
    // A content error is reported like a build's, with exit 1.
    std::fs::write(
        site.path().join("content/broken.md"),
        "---\ntitle: [\n---\n",
    )
    .unwrap();
    let o = placard(site.path(), &["status"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("content/broken.md:3:1"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("error: the site has 1 error; fix it to see its schedule"),
        "{}",
        stderr(&o)
    );
    // With --json, standard output is still JSON: the error and the diagnostics.
    let o = placard(site.path(), &["status", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v["error"],
        "the site has 1 error; fix it to see its schedule"
    );
    assert_eq!(v["diagnostics"][0]["path"], "content/broken.md");
    assert_eq!(v["diagnostics"][0]["line"], 3);
}

#[test]
fn pages_of_a_section_that_is_not_live_share_its_state() {
    let site = site("status-schedule");
    let root = site.path();
    crate::support::write(
        &root.join("content/news/_index.md"),
        "---\ntitle: News\npublish_at: 2026-06-01T09:00:00Z\n---\n",
    );
    crate::support::write(
        &root.join("content/news/first.md"),
        "---\ntitle: First news\n---\n\nText.\n",
    );
    let o = placard(root, &["status", "--json", "--as-of", "2026-05-01T00:00"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let page = |source: &str| {
        v["pages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["source"] == source)
            .unwrap()
            .clone()
    };
    assert_eq!(page("content/news/_index.md")["state"], "embargoed");
    let first = page("content/news/first.md");
    assert_eq!(first["state"], "embargoed");
    assert_eq!(first["held_by"], "content/news/_index.md");
    // (A build leaves it out likewise: output.rs tests that sections take their pages along.)
    let text = stdout(&placard(root, &["status", "--as-of", "2026-05-01T00:00"]));
    assert!(
        text.contains("embargoed  content/news/first.md   with its section content/news/_index.md, live from 2026-06-01T10:00+01:00\n"),
        "{text}"
    );
}

/// A time written in the site's zone is shown as written, with the zone's offset that day (and
/// in UTC beside it in `--json`): 09:00 in London in June is 08:00 UTC.
#[test]
fn times_are_shown_in_the_site_time_zone_as_written() {
    let site = site("status-schedule");
    let root = site.path();
    crate::support::write(
        &root.join("content/summer.md"),
        "---\ntitle: Summer launch\npublish_at: 2027-06-10T09:00\n---\n\nText.\n",
    );
    let o = placard(root, &["status", "--as-of", "2027-01-01T00:00"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("embargoed  content/summer.md     live from 2027-06-10T09:00+01:00\n"),
        "{text}"
    );
    let o = placard(root, &["status", "--json", "--as-of", "2027-01-01T00:00"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let summer = v["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["source"] == "content/summer.md")
        .unwrap();
    assert_eq!(summer["publish_at"], "2027-06-10T09:00+01:00");
    assert_eq!(summer["publish_at_utc"], "2027-06-10T08:00:00Z");
    assert_eq!(v["next_change"], "2027-06-10T09:00+01:00");
    assert_eq!(v["next_change_utc"], "2027-06-10T08:00:00Z");
}
