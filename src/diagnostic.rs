//! Diagnostics as values: every problem placard finds in a site is a [`Diagnostic`] carrying the
//! site-relative file, the line and column where known, the offending source line, a message and
//! a hint. Stages return them; only `main.rs` prints them (through [`Diagnostic::render`]).
//!
//! Nothing here touches the disk: the source line is captured when the diagnostic is made, from
//! text the stage already holds.

use std::fmt;

/// How bad a finding is: errors fail the run, warnings are reported and the run goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding, located as precisely as the stage that found it could.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Site-relative path with forward slashes (`content/initiatives/x.md`), or `None` for
    /// problems that belong to no file (a bad command-line option, say).
    pub path: Option<String>,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column in characters, when known.
    pub column: Option<usize>,
    pub message: String,
    /// The text of the line the problem is on, shown under the message with a caret. Of a
    /// very long line, only a stretch around the column (see [`clip`]).
    pub source_line: Option<String>,
    /// How many characters of the line come before `source_line` (0 unless it was clipped).
    #[serde(skip)]
    pub source_start: usize,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
    /// The `placard check` rule that found it (`img-alt`, `link-broken`…); `None` for what
    /// every build reports.
    pub rule: Option<&'static str>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Severity::Error, message)
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, message)
    }

    fn new(severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            path: None,
            line: None,
            column: None,
            message: message.into(),
            source_line: None,
            source_start: 0,
            hint: None,
            rule: None,
        }
    }

    /// Names the `placard check` rule behind it.
    pub fn rule(mut self, rule: &'static str) -> Self {
        self.rule = Some(rule);
        self
    }

    pub fn in_file(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Locates the diagnostic at `line:column` (both 1-based) and keeps that line of `text`.
    pub fn at(mut self, text: &str, line: usize, column: usize) -> Self {
        self.line = Some(line.max(1));
        self.column = Some(column.max(1));
        let source = text
            .lines()
            .nth(line.saturating_sub(1))
            .map(|l| clip(l.trim_end_matches('\r'), column.max(1)));
        self.source_start = source.as_ref().map_or(0, |(_, start)| *start);
        self.source_line = source.map(|(l, _)| l);
        self
    }

    /// Shows `line` (the text of the line the problem is on, whole or clipped by [`clip`],
    /// `start` characters in) under the message.
    pub fn with_source(mut self, line: String, start: usize) -> Self {
        self.source_line = Some(line);
        self.source_start = start;
        self
    }

    /// Locates the diagnostic at a byte offset into `text`.
    pub fn at_offset(self, text: &str, offset: usize) -> Self {
        let (line, column) = line_col(text, offset);
        self.at(text, line, column)
    }

    /// Locates the diagnostic on a line without keeping the source text (for files the
    /// diagnostic's maker no longer holds).
    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line.max(1));
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `path:line:col` as far as it is known.
    pub fn location(&self) -> Option<String> {
        let path = self.path.as_deref()?;
        Some(match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{path}:{l}:{c}"),
            (Some(l), None) => format!("{path}:{l}"),
            _ => path.to_string(),
        })
    }

    /// The text shown to people: a rustc-like block with the location, the source line, a caret
    /// under the column and the hint.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(label);
        if let Some(rule) = self.rule {
            out.push('[');
            out.push_str(rule);
            out.push(']');
        }
        out.push_str(": ");
        out.push_str(&self.message);
        out.push('\n');
        if let Some(loc) = self.location() {
            out.push_str("  --> ");
            out.push_str(&loc);
            out.push('\n');
        }
        if let (Some(line), Some(src)) = (self.line, &self.source_line) {
            let number = line.to_string();
            let pad = " ".repeat(number.len());
            let column = self
                .column
                .map(|c| c.saturating_sub(self.source_start).max(1));
            let (mut src, mut col) = window(src, column);
            if self.source_start > 0 && !src.starts_with('…') {
                src.insert(0, '…');
                col = col.map(|c| c + 1);
            }
            let shown = visible(&src);
            out.push_str(&format!("{pad} |\n{number} | {shown}\n"));
            if let Some(col) = col {
                let prefix: String = src.chars().take(col.saturating_sub(1)).collect();
                let width = visible(&prefix).chars().count();
                out.push_str(&format!("{pad} | {}^\n", " ".repeat(width)));
            }
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("  = help: {hint}\n"));
        }
        out
    }
}

/// A source line as shown: tabs as four spaces, and control characters (which a terminal would
/// act on, or show as nothing) as their Unicode control pictures (`␌`).
fn visible(line: &str) -> String {
    line.chars()
        .flat_map(|c| {
            let shown = match c {
                '\t' => return "    ".chars().chain(None),
                '\u{0}'..='\u{1F}' => char::from_u32(0x2400 + c as u32).unwrap_or('?'),
                '\u{7F}' => '\u{2421}',
                c if c.is_control() => '\u{FFFD}',
                c => c,
            };
            "".chars().chain(Some(shown))
        })
        .collect()
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// Where each line of a text starts, for locating many offsets in one file without rescanning
/// it each time (a file with thousands of links or problems would otherwise be quadratic),
/// and how many characters come before every [`CHECKPOINT`]th byte, so that a column on a line
/// of a megabyte costs no more than one on a short line.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    /// `(byte, chars before it)` at the first character boundary from each multiple of
    /// [`CHECKPOINT`].
    checkpoints: Vec<(usize, usize)>,
}

/// Bytes between two character-count checkpoints.
const CHECKPOINT: usize = 1024;

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut checkpoints = Vec::with_capacity(text.len() / CHECKPOINT + 1);
        let mut next = 0;
        for (chars, (i, _)) in text.char_indices().enumerate() {
            if i >= next {
                checkpoints.push((i, chars));
                next = (i / CHECKPOINT + 1) * CHECKPOINT;
            }
        }
        LineIndex {
            text,
            starts,
            checkpoints,
        }
    }

    /// Characters before byte `offset` (a character boundary).
    fn chars_before(&self, offset: usize) -> usize {
        let at = self.checkpoints.partition_point(|(b, _)| *b <= offset);
        match at.checked_sub(1).and_then(|i| self.checkpoints.get(i)) {
            Some(&(byte, chars)) => chars + self.text[byte..offset].chars().count(),
            None => self.text[..offset].chars().count(),
        }
    }

    fn boundary(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// 1-based line and character column of a byte offset (clamped to the text).
    pub fn locate(&self, offset: usize) -> (usize, usize) {
        let offset = self.boundary(offset);
        let line = self.starts.partition_point(|s| *s <= offset);
        let start = self.starts.get(line.wrapping_sub(1)).copied().unwrap_or(0);
        (
            line,
            self.chars_before(offset) - self.chars_before(start) + 1,
        )
    }

    /// The text of a 1-based line, without its line end.
    pub fn line(&self, line: usize) -> &'a str {
        let Some(&start) = self.starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self.starts.get(line).map_or(self.text.len(), |e| e - 1);
        self.text[start..end.max(start)].trim_end_matches('\r')
    }

    /// The line, column and kept text (see [`clip`]) of a byte offset: the line whole, or
    /// [`MAX_KEPT`] bytes around the offset, with the number of characters cut before them.
    pub fn source(&self, offset: usize) -> (usize, usize, String, usize) {
        let offset = self.boundary(offset);
        let (line, column) = self.locate(offset);
        let start = self.starts.get(line.wrapping_sub(1)).copied().unwrap_or(0);
        let text = self.line(line);
        if text.len() <= MAX_KEPT {
            return (line, column, text.to_string(), 0);
        }
        let from = self.boundary((offset.saturating_sub(MAX_KEPT / 2)).max(start));
        let to = self.boundary((from + MAX_KEPT).min(start + text.len()));
        let cut = self.chars_before(from) - self.chars_before(start);
        (line, column, self.text[from..to].to_string(), cut)
    }

    /// A diagnostic located at a byte offset of this text.
    pub fn at(&self, d: Diagnostic, offset: usize) -> Diagnostic {
        let (line, column, text, start) = self.source(offset);
        let mut d = d;
        d.line = Some(line);
        d.column = Some(column);
        d.source_line = Some(text);
        d.source_start = start;
        d
    }
}

/// Lines longer than this are shown as a window around the column.
const MAX_SHOWN: usize = 100;

/// Lines longer than this are kept only in part: a diagnostic on a line of a megabyte (a
/// generated file, a minified paste) must not copy the megabyte, above all when there are
/// thousands of them.
const MAX_KEPT: usize = 400;

/// The stretch of `line` kept for a diagnostic at `column` (1-based, in characters): the whole
/// line when it is short, else [`MAX_KEPT`] characters around the column; with the number of
/// characters cut off before it.
pub fn clip(line: &str, column: usize) -> (String, usize) {
    if line.len() <= MAX_KEPT {
        return (line.to_string(), 0);
    }
    let start = column.saturating_sub(1).saturating_sub(MAX_KEPT / 2);
    let kept: String = line.chars().skip(start).take(MAX_KEPT).collect();
    (kept, start)
}

/// Cuts a long line down to a window around `column`, moving the column with it.
fn window(line: &str, column: Option<usize>) -> (String, Option<usize>) {
    let len = line.chars().count();
    if len <= MAX_SHOWN {
        return (line.to_string(), column);
    }
    let col = column.unwrap_or(1).min(len + 1);
    let start = col
        .saturating_sub(MAX_SHOWN / 2)
        .min(len.saturating_sub(MAX_SHOWN));
    let body: String = line.chars().skip(start).take(MAX_SHOWN).collect();
    let (prefix, shift) = if start > 0 { ("…", 1) } else { ("", 0) };
    let suffix = if start + MAX_SHOWN < len { "…" } else { "" };
    (
        format!("{prefix}{body}{suffix}"),
        column.map(|_| col - start + shift),
    )
}

/// 1-based line and character column of a byte offset (clamped to the text).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The closest of `candidates` to `word`, if it is close enough to be what was meant.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        // Ties go to the alphabetically first candidate, so the hint is the same every run.
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// The closest of `candidates` to a file path, compared by the file's own name
/// (`initiatives/city-hall-sumit.md` finds `initiatives/city-hall-summit.md`, and a page moved
/// to another folder is found by its name), never by the folder alone: a page that was deleted
/// does not get an unrelated neighbour suggested just for sharing its folder, as a comparison of
/// whole paths would. A page bundle (`x/index.md`) and a section (`x/_index.md`) are named by
/// their folder. Same-folder candidates win ties.
pub fn did_you_mean_path<'a>(
    path: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    fn parts(p: &str) -> (&str, &str) {
        let p = p.trim_matches('/');
        let p = p
            .strip_suffix("/index.md")
            .or_else(|| p.strip_suffix("/_index.md"))
            .unwrap_or(p);
        let p = p.strip_suffix(".md").unwrap_or(p);
        p.rsplit_once('/').unwrap_or(("", p))
    }
    let (dir, name) = parts(path);
    candidates
        .into_iter()
        .map(|c| {
            let (cdir, cname) = parts(c);
            let same_dir = cdir == dir;
            (strsim::jaro_winkler(name, cname), same_dir, c)
        })
        .filter(|(score, _, _)| *score > 0.85)
        .max_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then(a.1.cmp(&b.1))
                .then_with(|| b.2.cmp(a.2))
        })
        .map(|(_, _, c)| c)
}

/// Sorts diagnostics for stable output: by file, line, column, then message.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.message).cmp(&(&b.path, b.line, b.column, &b.message))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_matched_by_their_own_name_not_their_folder() {
        let known = [
            "initiatives/knife-crime-strategy.md",
            "initiatives/city-hall-summit.md",
            "news/wands/index.md",
            "initiatives/_index.md",
        ];
        let near = |p: &str| did_you_mean_path(p, known.iter().copied());
        assert_eq!(
            near("initiatives/city-hall-sumit.md"),
            Some("initiatives/city-hall-summit.md")
        );
        // A deleted page: nothing in its folder is like it.
        assert_eq!(near("initiatives/protecting-frontline-officers.md"), None);
        // Moved to another folder: found by its name.
        assert_eq!(near("initiatives/wands.md"), Some("news/wands/index.md"));
        // A whole-path comparison would have offered a neighbour here.
        assert!(
            did_you_mean(
                "initiatives/protecting-frontline-officers.md",
                known.iter().copied()
            )
            .is_some()
        );
    }

    #[test]
    fn renders_location_line_caret_and_hint() {
        let text = "---\ntitel: Hello\n---\n";
        let d = Diagnostic::error("unknown key `titel`")
            .in_file("content/a.md")
            .at(text, 2, 1)
            .with_hint("did you mean `title`?");
        assert_eq!(
            d.render(),
            "error: unknown key `titel`\n  --> content/a.md:2:1\n  |\n2 | titel: Hello\n  | ^\n  = help: did you mean `title`?\n"
        );
    }

    #[test]
    fn long_lines_are_kept_in_part_and_shown_around_the_column() {
        let line = format!("{}[broken](x){}", "a".repeat(5000), "b".repeat(5000));
        let index = LineIndex::new(&line);
        let d = index.at(
            Diagnostic::error("broken link").in_file("content/p.md"),
            5000,
        );
        assert_eq!(d.column, Some(5001));
        assert!(d.source_line.as_ref().is_some_and(|l| l.len() <= MAX_KEPT));
        let shown = d.render();
        let caret_line = shown.lines().nth(4).unwrap();
        let text_line = shown.lines().nth(3).unwrap();
        let caret = caret_line.chars().position(|c| c == '^').unwrap();
        assert_eq!(text_line.chars().nth(caret), Some('['), "{shown}");
        assert!(text_line.contains("…"), "{shown}");
    }

    #[test]
    fn line_col_counts_characters_not_bytes() {
        assert_eq!(line_col("ab\n£x", 5), (2, 2));
        assert_eq!(line_col("abc", 99), (1, 4));
    }

    #[test]
    fn line_index_agrees_with_line_col() {
        let text = "ab\n£x\n\nlast";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 2 {
            assert_eq!(
                index.locate(offset),
                line_col(text, offset),
                "offset {offset}"
            );
        }
        assert_eq!(index.line(2), "£x");
        assert_eq!(index.line(3), "");
        assert_eq!(index.line(4), "last");
        assert_eq!(index.line(9), "");
    }

    #[test]
    fn checkpoints_count_characters_across_long_lines() {
        let text = format!("{}\n{}\nend", "£é a".repeat(2000), "x😀".repeat(1500));
        let index = LineIndex::new(&text);
        for offset in (0..text.len()).step_by(37).chain([text.len()]) {
            assert_eq!(
                index.locate(offset),
                line_col(&text, offset),
                "offset {offset}"
            );
        }
        let (line, col, kept, cut) = index.source(5000);
        assert_eq!((line, col), line_col(&text, 5000));
        assert!(kept.len() <= MAX_KEPT);
        assert!(cut > 0 && cut < col);
    }

    #[test]
    fn did_you_mean_is_deterministic_on_ties() {
        assert_eq!(
            did_you_mean("page-x.md", ["page-f.md", "page-b.md", "page-e.md"]),
            Some("page-b.md")
        );
    }

    #[test]
    fn did_you_mean_finds_near_misses_only() {
        assert_eq!(did_you_mean("titel", ["title", "date"]), Some("title"));
        assert_eq!(did_you_mean("zzz", ["title", "date"]), None);
    }
}
