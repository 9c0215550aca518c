//! Embeds the default theme (`themes/campaign`) in the binary for `placard init`, so that the
//! theme a new site gets and the one in this repository never differ. Writes the list of its
//! files as `include_bytes!` entries; cargo reruns this whenever a file under the theme changes.

// A build script that cannot read the theme it embeds must stop the build, loudly.
#![allow(
    clippy::expect_used,
    reason = "a failing build script is a compile error"
)]

use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let theme = root.join("themes/campaign");
    println!("cargo:rerun-if-changed=themes/campaign");
    let mut files = Vec::new();
    collect(&theme, &theme, &mut files);
    files.sort();
    let mut out = String::from(
        "/// The default theme's files: path inside the theme folder → bytes.\npub static THEME_FILES: &[(&str, &[u8])] = &[\n",
    );
    for (rel, abs) in &files {
        out.push_str(&format!("    ({rel:?}, include_bytes!({abs:?})),\n"));
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("theme.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("themes/campaign is readable")
        .map(|e| e.expect("themes/campaign is readable").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(base, &path, out);
        } else {
            let rel = path
                .strip_prefix(base)
                .expect("under the theme")
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, path.to_string_lossy().into_owned()));
        }
    }
}
