//! The floors of `src/`: every module uses only modules on its own floor or below, and files on
//! one floor use each other without a cycle. The floors are declared in `src/lib.rs` (a
//! `// Floor N: name` comment above each group of `mod` lines); this test reads them and every
//! path in `src/` that names a module of the crate — `crate::…`, `super::…`, and a child module
//! by its name — and fails naming the file and line of each path that points up a floor or
//! closes a cycle. Test modules (`#[cfg(test)]`) are left out: they may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One module of the crate, by file.
struct File {
    /// `src/`-relative path (`render/theme.rs`).
    rel: String,
    /// Module path from the crate root (`["render", "theme"]`).
    module: Vec<String>,
    /// The source with comments, string and character literals blanked and test modules
    /// removed; line numbers are those of the file.
    code: String,
}

/// A use of another module: where it is written and which file it names.
#[derive(Clone, Debug)]
struct Edge {
    line: usize,
    written: String,
    target: String,
}

/// The floors declared in lib.rs: top-level module → (floor number, floor name).
fn floors(lib: &str) -> Result<BTreeMap<String, (u32, String)>, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<(u32, String)> = None;
    for (n, line) in lib.lines().enumerate() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("// Floor ") {
            let (num, name) = rest
                .split_once(':')
                .ok_or_else(|| format!("src/lib.rs:{}: a floor is `// Floor N: name`", n + 1))?;
            let num: u32 = num
                .trim()
                .parse()
                .map_err(|_| format!("src/lib.rs:{}: `{num}` is not a floor number", n + 1))?;
            let name = name.split('.').next().unwrap_or(name).trim().to_string();
            current = Some((num, name));
            continue;
        }
        let decl = t
            .strip_prefix("pub mod ")
            .or_else(|| t.strip_prefix("mod "))
            .and_then(|r| r.strip_suffix(';'));
        if let Some(name) = decl {
            let floor = current
                .clone()
                .ok_or_else(|| format!("src/lib.rs:{}: `mod {name}` is on no floor: put it under a `// Floor N: name` comment", n + 1))?;
            out.insert(name.to_string(), floor);
        }
    }
    Ok(out)
}

/// Blanks comments, string literals and character literals (keeping line breaks, so line
/// numbers stay right).
fn blank_non_code(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if c[i] == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !is_ident(c[i - 1]))
        {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            while j < c.len() {
                if c[j] == '"' && (0..hashes).all(|k| c.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            for ch in &c[i..j.min(c.len())] {
                blank(&mut out, *ch);
            }
            i = j;
        } else if c[i] == '"' {
            blank(&mut out, c[i]);
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    blank(&mut out, c[i]);
                    i += 1;
                }
                if i < c.len() {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
            if i < c.len() {
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '\'' {
            // A character literal ('x', '\n', '\u{1F600}'), or a lifetime ('a), left alone.
            let end = if next == Some('\\') {
                (i + 2..c.len().min(i + 12)).find(|&j| c[j] == '\'')
            } else {
                (c.get(i + 2) == Some(&'\'')).then_some(i + 2)
            };
            match end {
                Some(e) => {
                    for ch in &c[i..=e] {
                        blank(&mut out, *ch);
                    }
                    i = e + 1;
                }
                None => {
                    out.push(c[i]);
                    i += 1;
                }
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Removes `#[cfg(test)]` items (the attribute and the item up to its closing brace).
fn without_tests(code: &str) -> String {
    let mut out = code.to_string();
    while let Some(at) = out.find("#[cfg(test)]") {
        let Some(open) = out[at..].find('{').map(|o| at + o) else {
            break;
        };
        let mut depth = 0;
        let mut end = out.len();
        for (i, ch) in out[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        let kept: String = out[at..end]
            .chars()
            .map(|ch| if ch == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(at..end, &kept);
    }
    out
}

fn read_files(src: &Path) -> Vec<File> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(src).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let rel = path
            .strip_prefix(src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "lib.rs" || rel == "main.rs" {
            continue;
        }
        let mut module: Vec<String> = rel
            .trim_end_matches(".rs")
            .split('/')
            .map(str::to_string)
            .collect();
        if module.last().map(String::as_str) == Some("mod") {
            module.pop();
        }
        let text = std::fs::read_to_string(path).unwrap();
        out.push(File {
            rel,
            module,
            code: without_tests(&blank_non_code(&text)),
        });
    }
    out
}

/// The file of the deepest module that `path` (from the crate root) names.
fn resolve(path: &[String], files: &BTreeMap<Vec<String>, String>) -> Option<String> {
    (1..=path.len())
        .rev()
        .find_map(|n| files.get(&path[..n].to_vec()).cloned())
}

/// Expands a path with `{…}` groups into the paths it names (`a::{b, c::d}` → `a::b`, `a::c::d`).
fn expand(path: &str) -> Vec<String> {
    let Some(open) = path.find('{') else {
        return vec![path.to_string()];
    };
    let prefix = &path[..open];
    let mut depth = 0;
    let mut close = path.len();
    for (i, ch) in path[open..].char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = open + i;
                    break;
                }
            }
            _ => {}
        }
    }
    let inner = &path[open + 1..close.min(path.len())];
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(&format!("{prefix}{p}")))
        .collect()
}

/// Every use of a module of the crate in `file`.
fn edges(file: &File, files: &BTreeMap<Vec<String>, String>) -> Vec<Edge> {
    let code = &file.code;
    // Child modules declared in this file, usable by their bare name.
    let children: BTreeSet<String> = code
        .lines()
        .filter_map(|l| {
            let t = l.trim();
            t.strip_prefix("pub mod ")
                .or_else(|| t.strip_prefix("pub(crate) mod "))
                .or_else(|| t.strip_prefix("mod "))
                .and_then(|r| r.strip_suffix(';'))
                .map(str::to_string)
        })
        .collect();
    // The module `self` and `super` mean here: a file `a/b.rs` is module a::b whose parent is a.
    let own = file.module.clone();
    let parent: Vec<String> = own[..own.len().saturating_sub(1)].to_vec();
    let bytes: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == '\n' {
            line += 1;
            i += 1;
            continue;
        }
        if !is_ident(bytes[i]) || (i > 0 && (is_ident(bytes[i - 1]) || bytes[i - 1] == ':')) {
            i += 1;
            continue;
        }
        // An identifier starting a path.
        let start = i;
        while i < bytes.len() && is_ident(bytes[i]) {
            i += 1;
        }
        let first: String = bytes[start..i].iter().collect();
        if bytes.get(i) != Some(&':') || bytes.get(i + 1) != Some(&':') {
            continue;
        }
        let base: Option<Vec<String>> = match first.as_str() {
            "crate" => Some(Vec::new()),
            "super" => Some(parent.clone()),
            "self" => Some(own.clone()),
            name if children.contains(name) => {
                let mut m = own.clone();
                m.push(name.to_string());
                Some(m)
            }
            _ => None,
        };
        let Some(base) = base else { continue };
        // The rest of the path, braces included.
        let mut j = i;
        let mut depth = 0;
        while j < bytes.len() {
            let ch = bytes[j];
            if ch == '{' {
                depth += 1;
            } else if ch == '}' {
                if depth == 0 {
                    break;
                }
                depth -= 1;
                if depth == 0 {
                    j += 1;
                    break;
                }
            } else if depth == 0 && !(is_ident(ch) || ch == ':') {
                break;
            }
            j += 1;
        }
        let written: String = bytes[start..j].iter().collect();
        let rest = written[first.len()..].trim_start_matches("::").to_string();
        for p in expand(&rest) {
            let mut path = base.clone();
            for seg in p.split("::").map(str::trim).filter(|s| !s.is_empty()) {
                if seg == "super" {
                    path.pop();
                } else if seg != "self" {
                    path.push(seg.to_string());
                }
            }
            if let Some(target) = resolve(&path, files)
                && target != file.rel
                && !out
                    .iter()
                    .any(|e: &Edge| e.line == line && e.target == target)
            {
                out.push(Edge {
                    line,
                    written: written.split_whitespace().collect::<Vec<_>>().join(" "),
                    target,
                });
            }
        }
        line += bytes[start..j].iter().filter(|c| **c == '\n').count();
        i = j;
    }
    out
}

/// Every problem in the tree at `src`: paths that point up a floor, files on no floor, cycles.
fn problems(src: &Path) -> Vec<String> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let floors = match floors(&lib) {
        Ok(f) => f,
        Err(e) => return vec![e],
    };
    let files = read_files(src);
    let by_module: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|f| (f.module.clone(), f.rel.clone()))
        .collect();
    let floor_of = |rel: &str| -> Option<(u32, String)> {
        let top = rel.split('/').next()?.trim_end_matches(".rs");
        floors.get(top).cloned()
    };
    let mut out = Vec::new();
    let mut graph: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
    for f in &files {
        let Some((floor, name)) = floor_of(&f.rel) else {
            out.push(format!(
                "src/{}: its module is declared on no floor in src/lib.rs",
                f.rel
            ));
            continue;
        };
        for e in edges(f, &by_module) {
            let Some((to, to_name)) = floor_of(&e.target) else {
                continue;
            };
            if to > floor {
                out.push(format!(
                    "src/{}:{}: `{}` uses src/{}, on floor {to} ({to_name}), above this file's floor {floor} ({name}); move what it needs down to floor {floor} or below",
                    f.rel, e.line, e.written, e.target
                ));
            }
            let uses = graph.entry(f.rel.clone()).or_default();
            if !uses.iter().any(|(t, _)| *t == e.target) {
                uses.push((e.target.clone(), e.line));
            }
        }
    }
    out.extend(cycles(&graph));
    out
}

/// Each cycle of uses between files, once, as `a.rs:L → b.rs:M → a.rs`.
fn cycles(graph: &BTreeMap<String, Vec<(String, usize)>>) -> Vec<String> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, Vec<(String, usize)>>,
        stack: &mut Vec<(String, usize)>,
        state: &mut BTreeMap<String, u8>,
        found: &mut Vec<String>,
    ) {
        state.insert(node.to_string(), 1);
        for (next, line) in graph.get(node).into_iter().flatten() {
            stack.push((node.to_string(), *line));
            match state.get(next.as_str()).copied().unwrap_or(0) {
                0 => visit(next, graph, stack, state, found),
                1 => {
                    let from = stack.iter().position(|(n, _)| n == next).unwrap_or(0);
                    let steps: Vec<String> = stack[from..]
                        .iter()
                        .map(|(n, l)| format!("src/{n}:{l}"))
                        .collect();
                    found.push(format!(
                        "a cycle: {} → src/{next}; files may use each other only one way",
                        steps.join(" → ")
                    ));
                }
                _ => {}
            }
            stack.pop();
        }
        state.insert(node.to_string(), 2);
    }
    let mut state = BTreeMap::new();
    let mut found = Vec::new();
    for node in graph.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0 {
            visit(node, graph, &mut Vec::new(), &mut state, &mut found);
        }
    }
    found
}

#[test]
fn every_module_uses_only_its_own_floor_and_those_below_without_cycles() {
    let src: PathBuf = crate::support::repo().join("src");
    let found = problems(&src);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The checker itself, on a small tree: an import up a floor is named at its file and line, and
/// so is a cycle between two files of one floor.
#[test]
fn the_layer_check_names_an_upward_import_and_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    let write = |rel: &str, text: &str| {
        let p = src.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "lib.rs",
        "// Floor 1: leaves\npub mod text;\n// Floor 2: stages\npub mod parse;\n// Floor 3: top\npub mod render;\n",
    );
    write(
        "text.rs",
        "//! Uses `crate::parse` in a comment only.\nuse std::fmt;\n\n/// \"crate::render\" in a string: \"x\".\nfn f() -> &'static str { \"crate::render::x\" }\nfn g() { let _ = crate::parse::Page::new(); }\n#[cfg(test)]\nmod tests { use crate::render::Anything; }\n",
    );
    write(
        "parse/mod.rs",
        "mod shortcodes;\nuse shortcodes::scan;\nuse crate::{text, render::{self, Outputs}};\n",
    );
    write("parse/shortcodes.rs", "use super::Page;\n");
    write("render.rs", "use crate::parse::shortcodes::Call;\n");
    let found = problems(src);
    assert!(
        found.iter().any(|p| p.starts_with(
            "src/text.rs:6: `crate::parse::Page::new` uses src/parse/mod.rs, on floor 2 (stages), above this file's floor 1 (leaves)"
        )),
        "{found:#?}"
    );
    assert_eq!(
        found
            .iter()
            .filter(|p| p.starts_with("src/text.rs"))
            .count(),
        1,
        "comments, strings and tests do not count: {found:#?}"
    );
    assert!(
        found.iter().any(|p| p.contains(
            "a cycle: src/parse/mod.rs:2 → src/parse/shortcodes.rs:1 → src/parse/mod.rs"
        )),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|p| p.starts_with(
            "src/parse/mod.rs:3: `crate::{text, render::{self, Outputs}}` uses src/render.rs, on floor 3 (top)"
        )),
        "a grouped use: {found:#?}"
    );
    // Besides these three: text.rs ⇄ parse/mod.rs is a cycle too. render.rs using the floors
    // below is fine.
    assert_eq!(found.len(), 4, "{found:#?}");
}

/// ARCHITECTURE.md's table of floors names every module of `src/lib.rs`, on its floor.
#[test]
fn the_architecture_map_names_every_module_on_its_floor() {
    let repo = crate::support::repo();
    let lib = std::fs::read_to_string(repo.join("src/lib.rs")).unwrap();
    let declared = floors(&lib).unwrap();
    let map = std::fs::read_to_string(repo.join("ARCHITECTURE.md")).unwrap();
    let mut mapped: BTreeMap<String, u32> = BTreeMap::new();
    for row in map.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let Some(floor) = cells
            .get(1)
            .and_then(|c| c.split(' ').next())
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        // Submodules in brackets (`parse` (`markdown`, …)) are not floors' modules.
        let mut top = String::new();
        let mut depth = 0;
        for c in cells.get(2).unwrap_or(&"").chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                c if depth == 0 => top.push(c),
                _ => {}
            }
        }
        for module in top.split(',') {
            let name = module
                .trim()
                .split(' ')
                .next()
                .unwrap_or("")
                .trim_matches('`');
            if !name.is_empty() && !name.contains('/') {
                mapped.insert(name.to_string(), floor);
            }
        }
    }
    let want: BTreeMap<String, u32> = declared.into_iter().map(|(m, (f, _))| (m, f)).collect();
    assert_eq!(
        mapped, want,
        "ARCHITECTURE.md's floors and src/lib.rs's disagree"
    );
}
