//! The `Content-Type` of an output file, by its name: one table for the dev server and for
//! publishing, so that a file is served while editing as the CDN will serve it. The web's own
//! types (pages, styles, scripts, feeds, fonts, images) are listed here, each text type with its
//! charset; anything else is looked up in mime_guess's table of extensions. Pure.

use std::borrow::Cow;

/// `Content-Type` for an output path (`css/main.1a2b3c4d.css` → `text/css; charset=utf-8`).
pub fn of(path: &str) -> Cow<'static, str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => return Cow::Borrowed(OCTET_STREAM),
    };
    if let Some(t) = web(name, &ext) {
        return Cow::Borrowed(t);
    }
    match mime_guess::from_ext(&ext).first_raw() {
        Some(t) if t.starts_with("text/") => Cow::Owned(format!("{t}; charset=utf-8")),
        Some(t) => Cow::Borrowed(t),
        None => Cow::Borrowed(OCTET_STREAM),
    }
}

const OCTET_STREAM: &str = "application/octet-stream";

/// The types placard's own outputs and a campaign site's usual files have, as browsers and
/// CDNs expect them (`text/javascript` rather than the older `application/javascript`, feeds
/// as Atom).
fn web(name: &str, ext: &str) -> Option<&'static str> {
    Some(match ext {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json; charset=utf-8",
        "webmanifest" => "application/manifest+json; charset=utf-8",
        "xml" if name == "atom.xml" => "application/atom+xml; charset=utf-8",
        "xml" | "xsl" => "application/xml; charset=utf-8",
        "atom" => "application/atom+xml; charset=utf-8",
        "rss" => "application/rss+xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "ics" => "text/calendar; charset=utf-8",
        "vtt" => "text/vtt; charset=utf-8",
        "svg" => "image/svg+xml; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "wasm" => "application/wasm",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::of;

    #[test]
    fn content_types_for_every_emitted_extension() {
        assert_eq!(of("index.html"), "text/html; charset=utf-8");
        assert_eq!(of("css/main.1a2b3c4d.css"), "text/css; charset=utf-8");
        assert_eq!(
            of("js/campaign.1a2b3c4d.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(of("favicon.1a2b3c4d.svg"), "image/svg+xml; charset=utf-8");
        assert_eq!(of("data.json"), "application/json; charset=utf-8");
        assert_eq!(of("atom.xml"), "application/atom+xml; charset=utf-8");
        assert_eq!(
            of("initiatives/atom.xml"),
            "application/atom+xml; charset=utf-8"
        );
        assert_eq!(of("sitemap.xml"), "application/xml; charset=utf-8");
        assert_eq!(of("robots.txt"), "text/plain; charset=utf-8");
        assert_eq!(of("fonts/a.WOFF2"), "font/woff2");
        assert_eq!(of("images/x.png"), "image/png");
        assert_eq!(of("LICENSE"), "application/octet-stream");
        assert_eq!(of(".htaccess"), "application/octet-stream");
    }

    #[test]
    fn the_files_the_dev_server_used_to_send_as_bytes_have_their_types() {
        assert_eq!(of("reports/figures.csv"), "text/csv; charset=utf-8");
        assert_eq!(of("notes.md"), "text/markdown; charset=utf-8");
        assert_eq!(of("pack.zip"), "application/zip");
        // The long tail, from mime_guess.
        assert_eq!(
            of("plan.docx"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        assert_eq!(
            of("slides.odp"),
            "application/vnd.oasis.opendocument.presentation"
        );
        assert_eq!(of("data.yaml"), "text/x-yaml; charset=utf-8");
    }
}
