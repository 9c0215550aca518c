//! The bundled campaign site: it builds with no warnings, and every initiative of the seed has
//! its page with its figures.

use crate::support::*;

#[test]
fn bundled_site_builds_without_warnings() {
    let site = bundled_site();
    let out = placard(site.path(), &["build"]);
    assert_eq!(stderr(&out), "", "warnings or errors from the bundled site");
    assert!(out.status.success());
    assert!(
        stdout(&out).starts_with("Built 26 pages into "),
        "{}",
        stdout(&out)
    );
    // One number for the pages, whichever command says it.
    let checked = placard(site.path(), &["check"]);
    assert!(
        stdout(&checked).starts_with("Checked 26 pages and "),
        "{}",
        stdout(&checked)
    );
    let public = site.path().join("public");
    let pages = [
        ("violent-crime-taskforce", "150", false),
        ("targeted-patrols", "stop and search", true),
        ("protecting-frontline-officers", "£110m", false),
        ("operation-winter-nights", "900", false),
        ("weapons-seized", "970", false),
        ("young-londoners-fund", "£45m", false),
        ("knife-wands-for-schools", "150", false),
        ("london-needs-you-alive", "role models", false),
        ("youth-violence-grants", "£7m", true),
        ("safer-schools-officers", "Safer Schools Officers", false),
        ("london-gang-exit", "£2m", true),
        ("gang-violence-programmes", "exploitation", true),
        ("knife-crime-strategy", "bereaved families", false),
        ("education-knife-crime-summit", "2016", false),
        (
            "borough-knife-crime-action-plans",
            "Every London borough",
            false,
        ),
        ("city-hall-summit", "Home Secretary", false),
    ];
    for (slug, figure, sensitive) in pages {
        let html = read(&public.join(format!("initiatives/{slug}/index.html")));
        assert!(html.contains(figure), "{slug} lacks {figure}");
        assert!(
            !html.contains("@/"),
            "{slug} has an unresolved internal link"
        );
        // Sensitive pages: an exit control, and nothing that invites sharing.
        assert_eq!(html.contains("class=\"exit-button\""), sensitive, "{slug}");
        assert_eq!(html.contains("Share this page"), !sensitive, "{slug}");
        // Social cards and canonical URLs are absolute.
        assert!(
            html.contains(&format!(
                "<link rel=\"canonical\" href=\"https://example.org/initiatives/{slug}/\">"
            )),
            "{slug}"
        );
        assert!(
            html.contains("<meta property=\"og:image\" content=\"https://example.org/"),
            "{slug}"
        );
    }
    // The home page groups the initiatives under the seed's priorities, in its order, each
    // card with its headline figure.
    let home = read(&public.join("index.html"));
    let mut at = 0;
    for heading in [
        "Boosting police power",
        "150",
        "Preventing future violence",
        "£45m",
        "Tackling gang violence",
        "£2m",
        "Action plans under way",
        "City Hall summit",
    ] {
        at += home[at..]
            .find(heading)
            .unwrap_or_else(|| panic!("the home page lacks {heading} after byte {at}"));
    }
    // The draft and the embargoed page are nowhere in the published site, nor is the dev
    // server's live-reload script.
    for (path, bytes) in tree(&public) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("__placard"),
            "{path} has the live-reload script"
        );
        for hidden in ["community-grassroots-grants", "taskforce-week-of-action"] {
            assert!(!text.contains(hidden), "{hidden} leaked into {path}");
        }
    }
    for f in [
        "index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
        "atom.xml",
        "manifest.json",
        "initiatives/atom.xml",
        "priorities/index.html",
        "priorities/boosting-police-power/index.html",
    ] {
        assert!(public.join(f).is_file(), "{f} missing");
    }
    // Every priority of the seed is a term with pages.
    for term in [
        "boosting-police-power",
        "preventing-future-violence",
        "tackling-gang-violence",
        "action-plans-under-way",
        "city-hall-summit",
    ] {
        let html = read(&public.join(format!("priorities/{term}/index.html")));
        assert!(
            html.contains("/initiatives/"),
            "term {term} lists no initiative"
        );
    }
}

#[test]
fn the_bundled_previews_show_the_draft_and_the_embargoed_page() {
    let site = bundled_site();
    let out = placard(
        site.path(),
        &["build", "--drafts", "--as-of", "2029-12-31T12:00"],
    );
    assert_eq!(stderr(&out), "");
    let public = site.path().join("public");
    let draft = read(&public.join("initiatives/community-grassroots-grants/index.html"));
    assert!(draft.contains("This is a draft: it is not published."));
    assert!(!public.join("initiatives/taskforce-week-of-action").exists());
    let out = placard(site.path(), &["build", "--as-of", "2030-01-01T09:00"]);
    assert_eq!(stderr(&out), "");
    let embargoed = read(&public.join("initiatives/taskforce-week-of-action/index.html"));
    assert!(embargoed.contains("615"));
    assert!(
        !public
            .join("initiatives/community-grassroots-grants")
            .exists()
    );
    assert!(read(&public.join("robots.txt")).contains("Disallow: /"));
}
