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
        stdout(&out).starts_with("Built 18 pages, 2 sections and 6 taxonomy pages into "),
        "{}",
        stdout(&out)
    );
    let public = site.path().join("public");
    let pages = [
        ("violent-crime-taskforce", "150"),
        ("targeted-patrols", ""),
        ("protecting-frontline-officers", "£110m"),
        ("operation-winter-nights", "900"),
        ("weapons-seized", "970"),
        ("young-londoners-fund", "£45m"),
        ("knife-wands-for-schools", "150"),
        ("london-needs-you-alive", ""),
        ("youth-violence-grants", "£7m"),
        ("safer-schools-officers", ""),
        ("london-gang-exit", "£2m"),
        ("gang-violence-programmes", ""),
        ("knife-crime-strategy", ""),
        ("education-knife-crime-summit", "2016"),
        ("borough-knife-crime-action-plans", ""),
        ("city-hall-summit", ""),
    ];
    for (slug, figure) in pages {
        let html = read(&public.join(format!("initiatives/{slug}/index.html")));
        assert!(html.contains(figure), "{slug} lacks {figure}");
        assert!(
            !html.contains("@/"),
            "{slug} has an unresolved internal link"
        );
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
