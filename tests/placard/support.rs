//! Helpers: copy a fixture into a temp folder, run the binary, read an output tree.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture_dir(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

/// Copies `from` into `to`, skipping `expected*` files and folders.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).min_depth(1) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        if rel
            .components()
            .next()
            .is_some_and(|c| c.as_os_str().to_string_lossy().starts_with("expected"))
        {
            continue;
        }
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A temp copy of fixture `name`; the repository's themes are added when it has none.
pub fn site(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture_dir(name), dir.path());
    if !dir.path().join("themes").exists() {
        copy_tree(&repo().join("themes"), &dir.path().join("themes"));
    }
    dir
}

/// A small clean site on the campaign theme: the home, contact and accessibility pages of the
/// `check-rules` fixture (whose other pages each hold a mistake), with raw HTML allowed or not.
pub fn small_site(raw_html: bool) -> tempfile::TempDir {
    let dir = site("check-rules");
    let root = dir.path();
    for f in [
        "faults.md",
        "links.md",
        "long.md",
        "same-title-a.md",
        "same-title-b.md",
        "video.md",
    ] {
        std::fs::remove_file(root.join("content").join(f)).unwrap();
    }
    std::fs::remove_dir_all(root.join("content/initiatives")).unwrap();
    if !raw_html {
        let yaml = read(&root.join("site.yaml")).replace("raw_html: true", "raw_html: false");
        std::fs::write(root.join("site.yaml"), yaml).unwrap();
    }
    dir
}

/// A temp copy of the bundled campaign site (site.yaml, content, themes).
pub fn bundled_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(repo().join("site.yaml"), dir.path().join("site.yaml")).unwrap();
    for d in ["content", "themes"] {
        copy_tree(&repo().join(d), &dir.path().join(d));
    }
    dir
}

pub fn placard(root: &Path, args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_placard"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    no_panic(&o);
    o
}

/// Bad input never panics: a run of the binary that did (exit 101, Rust's panic message)
/// fails whichever test made it, whatever else that test expected.
pub fn no_panic(o: &Output) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.code() != Some(101) && !err.contains("panicked at"),
        "placard panicked:\n{err}"
    );
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every file under `dir`: relative path → bytes.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

pub fn write(path: &Path, text: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Whether to write expected files instead of comparing (`PLACARD_BLESS=1 cargo test`).
pub fn bless() -> bool {
    std::env::var_os("PLACARD_BLESS").is_some()
}

/// A number from the environment (decimal or `0x` hex), for the knobs of the long runs:
/// the soak's seed and length, the crash tests' rounds.
pub fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => {
            let v = v.trim();
            match v.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => v.parse(),
            }
            .unwrap_or_else(|e| panic!("{name}={v}: {e}"))
        }
        Err(_) => default,
    }
}

/// `tree` with the manifest's record of what the build was made from taken out (it carries the
/// input files' sizes and times, which differ between two copies of a site).
pub fn without_inputs(mut tree: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    if let Some(m) = tree.get_mut("manifest.json") {
        let mut json: serde_json::Value = serde_json::from_slice(m).unwrap();
        if let Some(build) = json["build"].as_object_mut() {
            build.remove("inputs");
        }
        *m = serde_json::to_vec_pretty(&json).unwrap();
    }
    tree
}
