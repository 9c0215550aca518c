//! Placeholders: the text an archetype or `placard new` puts in a page for the writer to
//! replace ("One or two plain sentences: what this initiative does and for whom."). They are
//! marked, not guessed from their wording: in front matter by a `# placeholder` comment at the
//! end of the value's line, in the body by a `<!-- placeholder -->` line above the paragraph.
//! `placard new` records in each mark a short hash of the text it put there
//! (`# placeholder 1a2b3c4d`), so a placeholder counts as left only while its text is unchanged;
//! a mark without a hash (a page copied by hand from an archetype) counts while it is there.
//!
//! Pure: text in, the placeholders still in place out.

use md5::{Digest, Md5};

/// A placeholder still in place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    /// 1-based line and column of its text.
    pub line: usize,
    pub column: usize,
    /// What it stands in for: `` `summary` ``, `` `stats[1].label` ``… or `this paragraph`.
    pub what: String,
    /// Its text (the start of it, when long).
    pub text: String,
    /// In the body (a paragraph) rather than the front matter.
    pub in_body: bool,
}

const MARK: &str = "placeholder";

/// The hash a mark records of its placeholder's text.
pub fn hash(text: &str) -> String {
    let digest = format!("{:x}", Md5::digest(text.trim().as_bytes()));
    digest[..8].to_string()
}

/// The placeholders still in place in a content file: `text` is the whole file, its front matter
/// on lines `front` (first and last, 1-based, when it has one).
pub fn find(text: &str, front: Option<(usize, usize)>) -> Vec<Placeholder> {
    if !text.contains(MARK) {
        return Vec::new();
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    let body_from = front.map_or(0, |(_, last)| last + 1);
    if let Some((first, last)) = front {
        let mut path: Vec<(usize, String)> = Vec::new();
        for n in first..=last.min(lines.len()) {
            let line = lines[n - 1];
            let Some((value_at, value, recorded)) = front_mark(line) else {
                track(&mut path, line);
                continue;
            };
            track(&mut path, line);
            if recorded.is_none_or(|h| h == hash(value)) {
                out.push(Placeholder {
                    line: n,
                    column: line[..value_at].chars().count() + 1,
                    what: format!("`{}`", describe(&path)),
                    text: shorten(value.trim().trim_matches(['"', '\''])),
                    in_body: false,
                });
            }
        }
    }
    let mut n = body_from;
    while n < lines.len() {
        let Some(recorded) = body_mark(lines[n]) else {
            n += 1;
            continue;
        };
        let start = n + 1;
        let mut end = start;
        while end < lines.len() && !lines[end].trim().is_empty() {
            end += 1;
        }
        let paragraph = lines[start..end].join("\n");
        if !paragraph.trim().is_empty() && recorded.is_none_or(|h| h == hash(&paragraph)) {
            let first = lines[start];
            out.push(Placeholder {
                line: start + 1,
                column: first.len() - first.trim_start().len() + 1,
                what: "this paragraph".into(),
                text: shorten(paragraph.trim()),
                in_body: true,
            });
        }
        n = end.max(n + 1);
    }
    out
}

/// `text` with a hash of each marked placeholder's text added to its mark (for `placard new`,
/// which knows the text it puts there): `# placeholder` → `# placeholder 1a2b3c4d`.
pub fn record(text: &str, front: Option<(usize, usize)>) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    if let Some((first, last)) = front {
        for n in first..=last.min(lines.len()) {
            let line = lines[n - 1];
            if let Some((_, value, None)) = front_mark(line) {
                out[n - 1] = format!("{} {}", line.trim_end(), hash(value));
            }
        }
    }
    let body_from = front.map_or(0, |(_, last)| last + 1);
    for n in body_from..lines.len() {
        if body_mark(lines[n]) == Some(None) {
            let mut end = n + 1;
            while end < lines.len() && !lines[end].trim().is_empty() {
                end += 1;
            }
            let paragraph = lines[n + 1..end].join("\n");
            if !paragraph.trim().is_empty() {
                out[n] = format!("<!-- {MARK} {} -->", hash(&paragraph));
            }
        }
    }
    out.join("\n")
}

/// A front-matter line ending in a placeholder mark: where its value starts, the value, and the
/// hash the mark records (if any). The mark is a comment: a `#` outside quotes, after a space.
fn front_mark(line: &str) -> Option<(usize, &str, Option<&str>)> {
    let comment = comment_start(line)?;
    let mark = line[comment + 1..].trim();
    let recorded = match mark.strip_prefix(MARK) {
        Some("") => None,
        Some(rest) if rest.starts_with(' ') => Some(rest.trim()),
        _ => return None,
    };
    let before = &line[..comment];
    // The value: after `key:` or a list item's `- ` (and `- key:`).
    let indent = before.len() - before.trim_start().len();
    let mut at = indent;
    if before[at..].starts_with("- ") {
        at += 2;
    }
    if let Some(colon) = key_colon(&before[at..]) {
        at += colon + 1;
    }
    let value = &before[at..];
    let value_at = at + (value.len() - value.trim_start().len());
    let value = value.trim();
    (!value.is_empty()).then_some((value_at, value, recorded))
}

/// The byte where a YAML comment starts on a line: a `#` outside quotes, at the start or after
/// whitespace.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some('"') if c == '\\' => {}
            Some(q) if c == q && !(q == '"' && prev == '\\') => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && prev.is_whitespace() => return Some(i),
            None => {}
        }
        prev = c;
    }
    None
}

/// Where the `:` of a `key:` is (a plain key, up to the first `: ` or a `:` at the end).
fn key_colon(s: &str) -> Option<usize> {
    let i = s.find(':')?;
    let key = &s[..i];
    let plain = !key.is_empty()
        && !key.starts_with(['"', '\'', '[', '{'])
        && (s[i + 1..].is_empty() || s[i + 1..].starts_with(' '));
    plain.then_some(i)
}

/// A body line that is a placeholder mark (`<!-- placeholder -->`, or with a hash): the hash.
fn body_mark(line: &str) -> Option<Option<&str>> {
    let inner = line
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    match inner.strip_prefix(MARK)? {
        "" => Some(None),
        rest if rest.starts_with(' ') => Some(Some(rest.trim())),
        _ => None,
    }
}

/// Follows the keys and list items down the front matter, to name a nested value
/// (`stats[2].label`): the (indent, name) of each level open at this line.
fn track(path: &mut Vec<(usize, String)>, line: &str) {
    let t = line.trim_start();
    if t.is_empty() || t.starts_with('#') || t == "---" {
        return;
    }
    let indent = line.len() - t.len();
    path.retain(|(i, _)| *i < indent);
    let (item, rest, rest_indent) = match t.strip_prefix("- ") {
        Some(r) => (true, r, indent + 2),
        None => (false, t, indent),
    };
    if item {
        // A new item of the list whose key sits at a lower indent.
        let n = path
            .last()
            .filter(|(_, name)| name.ends_with(']'))
            .and_then(|(_, name)| {
                name.rsplit_once('[')
                    .and_then(|(_, i)| i.trim_end_matches(']').parse::<usize>().ok())
            })
            .map_or(1, |i| i + 1);
        let parent = path
            .iter()
            .rev()
            .find(|(_, name)| !name.ends_with(']'))
            .map(|(_, name)| name.clone())
            .unwrap_or_default();
        path.retain(|(_, name)| !name.ends_with(']') || *name == parent);
        path.push((
            indent,
            format!("{}[{n}]", parent.rsplit('.').next().unwrap_or("")),
        ));
    }
    if let Some(colon) = key_colon(rest) {
        path.push((rest_indent, rest[..colon].trim().to_string()));
    }
}

/// A dotted name for the innermost value: `stats[2].label`.
fn describe(path: &[(usize, String)]) -> String {
    let mut out = String::new();
    for (_, name) in path {
        if let Some(index) = name.strip_prefix(out.rsplit('.').next().unwrap_or(""))
            && index.starts_with('[')
            && !out.is_empty()
        {
            out.push_str(index);
            continue;
        }
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(name);
    }
    out
}

fn shorten(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 60 {
        format!("{}…", one_line.chars().take(59).collect::<String>())
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "---\ntitle: \"Knife wands\"\nsummary: \"One or two plain sentences: what this initiative does and for whom.\"  # placeholder\ndate: 2026-12-01\nstats:\n  - value: \"0\"  # placeholder\n    label: \"what the figure counts\"  # placeholder\n    source: \"Met Police\"\ncolour: '#fff' # not a mark\n---\n\nA paragraph of the page's own.\n\n<!-- placeholder -->\nWrite the first paragraph\nhere.\n\n## What it does\n";

    fn front(text: &str) -> Option<(usize, usize)> {
        let end = text.split('\n').skip(1).position(|l| l == "---")?;
        Some((2, end + 1))
    }

    #[test]
    fn marked_values_and_paragraphs_are_found_at_their_lines() {
        let found = find(PAGE, front(PAGE));
        let got: Vec<(usize, usize, &str, &str)> = found
            .iter()
            .map(|p| (p.line, p.column, p.what.as_str(), p.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    3,
                    10,
                    "`summary`",
                    "One or two plain sentences: what this initiative does and f…"
                ),
                (6, 12, "`stats[1].value`", "0"),
                (7, 12, "`stats[1].label`", "what the figure counts"),
                (15, 1, "this paragraph", "Write the first paragraph here."),
            ]
        );
    }

    #[test]
    fn a_recorded_placeholder_counts_only_while_its_text_is_unchanged() {
        let recorded = record(PAGE, front(PAGE));
        assert!(recorded.contains(&format!(
            "label: \"what the figure counts\"  # placeholder {}",
            hash("\"what the figure counts\"")
        )));
        assert!(recorded.contains(&format!(
            "<!-- placeholder {} -->",
            hash("Write the first paragraph\nhere.")
        )));
        assert_eq!(find(&recorded, front(&recorded)).len(), 4);
        // The writer replaces two of them, leaving the marks.
        let edited = recorded
            .replace("\"what the figure counts\"", "\"knives seized\"")
            .replace(
                "Write the first paragraph\nhere.",
                "Wands go to every school that asks.",
            );
        let left: Vec<String> = find(&edited, front(&edited))
            .into_iter()
            .map(|p| p.what)
            .collect();
        assert_eq!(left, ["`summary`", "`stats[1].value`"]);
    }
}
