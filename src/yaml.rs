//! Strict YAML reading for `site.yaml`, `theme.yaml` and front matter: text in, a mapping plus the
//! line of every key out, and typed getters that turn a wrong type into a located diagnostic
//! rather than a silent coercion (YAML 1.2 only: `draft: no` is text, and text is not a boolean).
//!
//! Pure: works on strings the loader already read.

use crate::diagnostic::Diagnostic;
use serde_yaml::{Mapping, Value};

/// A parsed YAML mapping that still knows where it came from, so every later complaint about
/// one of its keys can point at the right line of the right file.
pub struct Doc<'a> {
    /// Site-relative path of the file.
    pub path: &'a str,
    /// The whole file text (lines are counted in it).
    pub file_text: &'a str,
    /// 1-based line of the file on which the YAML block's first line sits.
    pub first_line: usize,
    /// The YAML block itself.
    pub block: &'a str,
    pub mapping: Mapping,
}

/// One step into nested YAML, used to find the line of a nested value.
#[derive(Clone, Copy, Debug)]
pub enum Step<'k> {
    Key(&'k str),
    Index(usize),
}

impl<'a> Doc<'a> {
    /// Parses `block`, which starts on line `first_line` of `file_text`. An empty block is an
    /// empty mapping; anything but a mapping is an error.
    pub fn parse(
        path: &'a str,
        file_text: &'a str,
        block: &'a str,
        first_line: usize,
    ) -> Result<Doc<'a>, Diagnostic> {
        if let Some((line, col)) = tab_indent(block) {
            return Err(Diagnostic::error("a tab is used for indentation")
                .in_file(path)
                .at(file_text, first_line + line - 1, col)
                .with_hint(
                    "YAML allows only spaces for indentation; replace the tab with spaces",
                ));
        }
        match beyond_limits(block) {
            Some((Limit::Depth, line, col)) => {
                return Err(Diagnostic::error("the YAML is nested too deeply")
                    .in_file(path)
                    .at(file_text, first_line + line - 1, col)
                    .with_hint(format!("flatten the structure; front matter needs only a few levels (at most {MAX_DEPTH})")));
            }
            Some((Limit::Aliases, line, col)) => {
                return Err(Diagnostic::error(format!(
                    "the YAML uses more than {MAX_ALIASES} aliases (`*name`)"
                ))
                .in_file(path)
                .at(file_text, first_line + line - 1, col)
                .with_hint(
                    "write the values out: aliases can make a few lines expand to gigabytes",
                ));
            }
            None => {}
        }
        let value: Value = match serde_yaml::from_str(block) {
            Ok(v) => v,
            Err(e) => {
                let mut d = yaml_error(path, file_text, first_line, &e);
                // The parser points at the mapping that holds a duplicate; point at the
                // second occurrence instead.
                if let Some(key) = d
                    .message
                    .strip_prefix("duplicate key `")
                    .and_then(|k| k.split('`').next())
                {
                    let found = match e.location() {
                        Some(loc) if loc.line() > 1 || loc.column() > 1 => {
                            second_in_mapping(block, loc.line(), loc.column(), key)
                        }
                        _ => second_top_level(block, key).map(|line| (line, 1)),
                    };
                    if let Some((line, col)) = found {
                        d = d.at(file_text, first_line + line - 1, col);
                    }
                }
                return Err(d);
            }
        };
        let mapping = match value {
            Value::Mapping(m) => m,
            Value::Null => Mapping::new(),
            other => {
                return Err(Diagnostic::error(format!(
                    "expected a mapping of `key: value` lines, found {}",
                    describe(&other)
                ))
                .in_file(path)
                .at(file_text, first_line, 1)
                .with_hint("write one `key: value` per line, for example `title: My page`"));
            }
        };
        let doc = Doc {
            path,
            file_text,
            first_line,
            block,
            mapping,
        };
        for key in doc.mapping.keys() {
            if !key.is_string() {
                return Err(doc
                    .error_at(&[], format!("keys must be text, found {}", describe(key)))
                    .with_hint("quote the key"));
            }
        }
        Ok(doc)
    }

    /// The keys of the mapping, in file order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.mapping.keys().filter_map(Value::as_str)
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        match self.mapping.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    /// Line and column (1-based, in the file) of the value at `path`; the key's line when the
    /// exact spot cannot be found, and the block's first line when not even that can.
    pub fn locate(&self, path: &[Step<'_>]) -> (usize, usize) {
        let (line, byte_col) = locate_in_block(self.block, path);
        // A column in characters, as diagnostics count them (the block is found in bytes).
        let col = self
            .block
            .lines()
            .nth(line - 1)
            .and_then(|l| l.get(..byte_col.saturating_sub(1)))
            .map_or(byte_col, |before| before.chars().count() + 1);
        (self.first_line + line - 1, col)
    }

    /// An error located at `path`.
    pub fn error_at(&self, path: &[Step<'_>], message: impl Into<String>) -> Diagnostic {
        let (line, col) = self.locate(path);
        Diagnostic::error(message)
            .in_file(self.path)
            .at(self.file_text, line, col)
    }

    /// Unknown-key errors (with a "did you mean") for every key not in `known`.
    pub fn unknown_keys(&self, known: &[&str], what: &str) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for key in self.keys() {
            if known.contains(&key) {
                continue;
            }
            let mut d = self.error_at(&[Step::Key(key)], format!("unknown key `{key}` in {what}"));
            d.column = Some(1 + indent_of_key(self.block, key));
            d = match crate::diagnostic::did_you_mean(key, known.iter().copied()) {
                Some(near) => d.with_hint(format!("did you mean `{near}`?")),
                None => d.with_hint(format!("the keys allowed here are: {}", known.join(", "))),
            };
            out.push(d);
        }
        out
    }

    /// Calls `f` with each text value anywhere in the mapping: its name as a writer reads it
    /// (`stats[1].label`), where it is, and the text.
    fn each_string<'k>(&'k self, mut f: impl FnMut(&str, &[Step<'k>], &str)) {
        fn walk<'k>(
            v: &'k Value,
            name: String,
            path: &mut Vec<Step<'k>>,
            f: &mut dyn FnMut(&str, &[Step<'k>], &str),
        ) {
            match v {
                Value::String(s) => f(&name, path, s),
                Value::Sequence(items) => {
                    for (i, item) in items.iter().enumerate() {
                        path.push(Step::Index(i));
                        walk(item, format!("{name}[{}]", i + 1), path, f);
                        path.pop();
                    }
                }
                Value::Mapping(m) => {
                    for (k, item) in m {
                        if let Some(k) = k.as_str() {
                            path.push(Step::Key(k));
                            walk(item, format!("{name}.{k}"), path, f);
                            path.pop();
                        }
                    }
                }
                Value::Tagged(t) => walk(&t.value, name, path, f),
                _ => {}
            }
        }
        for (k, v) in &self.mapping {
            if let Some(k) = k.as_str() {
                walk(v, k.to_string(), &mut vec![Step::Key(k)], &mut f);
            }
        }
    }

    /// An error for each text value that holds a control character. YAML refuses them written
    /// as they are, but not as escapes (`"\x07"`, `"\v"`), and HTML and XML allow them neither
    /// way.
    pub fn control_characters(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        self.each_string(|name, path, s| {
            if let Some((_, c)) = crate::text::forbidden_char(s) {
                out.push(
                    self.error_at(
                        path,
                        format!(
                            "`{name}` holds a control character, {}, which is invisible and not allowed in a web page or a feed",
                            crate::text::describe_char(c)
                        ),
                    )
                    .with_hint("remove the escape that makes it (such as `\\x07`, `\\v` or `\\u000b`)"),
                );
            }
        });
        out
    }

    /// An error for each text value written between curly quotes (`title: “Knife bins”`, as a
    /// word processor types them): YAML reads them as part of the text, so the page would show
    /// them and a taxonomy term would get a new name. Text quoted with straight quotes that
    /// holds curly ones (`'“Quoted”'`) is what its writer meant, and passes.
    pub fn curly_quotes(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        self.each_string(|name, path, s| {
            if !(s.starts_with(['“', '‘', '”']) && s.ends_with(['”', '’', '“'])) || s.chars().count() < 2 {
                return;
            }
            let (line, col) = self.locate(path);
            let written = self
                .file_text
                .lines()
                .nth(line.saturating_sub(1))
                .and_then(|l| l.chars().nth(col.saturating_sub(1)))
                .is_some_and(|c| matches!(c, '“' | '‘' | '”'));
            if written {
                out.push(
                    self.error_at(path, format!("`{name}` is written between curly quotes, which YAML reads as part of the text"))
                        .with_hint(curly_hint(s)),
                );
            }
        });
        out
    }

    /// Text at `key`. Numbers and booleans are not text: quote them.
    pub fn string(&self, key: &str) -> Result<Option<String>, Diagnostic> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => as_string(v).map(Some).map_err(|(m, h)| {
                let d = self.error_at(&[Step::Key(key)], format!("`{key}`: {m}"));
                // Say it with the text as written (`1.10`, not the number 1.1).
                let raw = d
                    .source_line
                    .as_deref()
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.split(" #").next().unwrap_or("").trim().to_string());
                match raw.filter(|r| !r.is_empty() && !v.is_mapping() && !v.is_sequence()) {
                    Some(r) => d.with_hint(format!(
                        "quote this value so it stays exactly as written: `{key}: \"{r}\"`"
                    )),
                    None => d.with_hint(h),
                }
            }),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, Diagnostic> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self
                .error_at(
                    &[Step::Key(key)],
                    format!("`{key}`: expected true or false, found {}", describe(v)),
                )
                .with_hint(format!(
                    "write `{key}: true` or `{key}: false` (YAML 1.2 reads yes/no/on/off as text)"
                ))),
        }
    }

    pub fn integer(&self, key: &str) -> Result<Option<i64>, Diagnostic> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
            Some(v) => Err(self
                .error_at(
                    &[Step::Key(key)],
                    format!("`{key}`: expected a whole number, found {}", describe(v)),
                )
                .with_hint(format!(
                    "write a number without quotes, for example `{key}: 10`"
                ))),
        }
    }

    /// A list of text values; a single text value is not accepted (say what you mean).
    pub fn string_list(&self, key: &str) -> Result<Option<Vec<String>>, Diagnostic> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Sequence(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match as_string(item) {
                        Ok(s) => out.push(s),
                        Err((m, h)) => {
                            return Err(self
                                .error_at(
                                    &[Step::Key(key), Step::Index(i)],
                                    format!("`{key}` item {}: {m}", i + 1),
                                )
                                .with_hint(h));
                        }
                    }
                }
                Ok(Some(out))
            }
            Some(v) => Err(self
                .error_at(
                    &[Step::Key(key)],
                    format!("`{key}`: expected a list, found {}", describe(v)),
                )
                .with_hint(format!(
                    "write a list, for example `{key}: [\"first\", \"second\"]`"
                ))),
        }
    }
}

/// Reads a YAML value as text, or says why it is not text and how to fix it.
pub fn as_string(v: &Value) -> Result<String, (String, String)> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Err((
            "expected text, found a number".to_string(),
            format!("quote this value so it stays exactly as written: \"{n}\""),
        )),
        Value::Bool(b) => Err((
            "expected text, found a boolean (true or false)".to_string(),
            format!("quote this value if you mean the text: \"{b}\""),
        )),
        other => Err((
            format!("expected text, found {}", describe(other)),
            "write the value on the same line as its key, quoted if it has special characters"
                .into(),
        )),
    }
}

/// A short description of a YAML value's type for messages.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) if s.chars().count() <= 40 => format!("the text `{s}`"),
        Value::String(_) => "a text".into(),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(_) => "a tagged value".into(),
    }
}

/// YAML → JSON for values handed to templates (tagged values become their inner value).
pub fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into()
            } else if let Some(u) = n.as_u64() {
                u.into()
            } else {
                serde_json::Number::from_f64(n.as_f64().unwrap_or(0.0))
                    .map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
        }
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Sequence(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Mapping(m) => serde_json::Value::Object(
            m.iter()
                .map(|(k, v)| {
                    (
                        k.as_str().map_or_else(|| format!("{k:?}"), str::to_string),
                        to_json(v),
                    )
                })
                .collect(),
        ),
        Value::Tagged(t) => to_json(&t.value),
    }
}

/// Converts a located YAML syntax error into a diagnostic pointing into the file.
fn yaml_error(path: &str, file_text: &str, first_line: usize, e: &serde_yaml::Error) -> Diagnostic {
    let raw = e.to_string();
    // The error's Display repeats the location ("at line 2 column 3"); we show it our own way.
    let message = match raw.find(" at line ") {
        Some(i) => raw[..i].to_string(),
        None => raw.clone(),
    };
    let (message, hint) = explain(&message);
    let d = Diagnostic::error(message).in_file(path);
    let d = match e.location() {
        Some(loc) => d.at(file_text, first_line + loc.line() - 1, loc.column()),
        None => d.at(file_text, first_line, 1),
    };
    // A value in curly quotes that holds `: ` or `#`: the quotes were meant as quotes.
    let on_line = d
        .line
        .and_then(|l| file_text.lines().nth(l - 1))
        .and_then(|text| curly_value(text).map(|col| (text, col)));
    if let (Some((text, col)), Some(line)) = (on_line, d.line) {
        let value = text[col - 1..].trim_end();
        return Diagnostic::error(
            "this value is written between curly quotes, which YAML does not read as quotes",
        )
        .in_file(path)
        .at(file_text, line, text[..col - 1].chars().count() + 1)
        .with_hint(curly_hint(value));
    }
    match hint {
        Some(h) => d.with_hint(h),
        None => d,
    }
}

/// "use straight quotes", with the value rewritten that way.
fn curly_hint(value: &str) -> String {
    let inner = value
        .trim_start_matches(['“', '‘', '”'])
        .trim_end_matches(['”', '’', '“']);
    if inner.contains('"') {
        format!(
            "use straight quotes `'` around the value: '{}'",
            inner.replace('\'', "''")
        )
    } else {
        format!("use straight quotes `\"` around the value: \"{inner}\"")
    }
}

/// The column (1-based, in bytes) where a value written in curly quotes starts on `line`:
/// `title: “A: b”` or `- ‘x’`.
fn curly_value(line: &str) -> Option<usize> {
    let body = line.trim_start();
    let body = body.strip_prefix("- ").unwrap_or(body);
    let after_key = match body.find(": ") {
        Some(i) if !body[..i].starts_with(['“', '‘', '”']) => &body[i + 2..],
        _ => body,
    };
    let value = after_key.trim_start();
    value
        .starts_with(['“', '‘', '”'])
        .then(|| line.len() - value.len() + 1)
}

/// Rewords the YAML library's messages into what a writer needs to know.
fn explain(message: &str) -> (String, Option<String>) {
    // Errors inside nested values start with where they are (`stats[0]: …`).
    let (place, message) = match message.split_once(": ") {
        Some((place, rest))
            if !place.contains(' ')
                && (rest.starts_with("duplicate entry")
                    || rest.starts_with("invalid type: integer")) =>
        {
            (Some(place), rest)
        }
        _ => (None, message),
    };
    let under = place.map_or(String::new(), |p| format!(" (in `{p}`)"));
    if let Some(rest) = message.strip_prefix("invalid type: integer `") {
        let number = rest.split('`').next().unwrap_or_default();
        return (
            format!("the number `{number}` is too large{under}"),
            Some(format!(
                "numbers must fit in 64 bits; quote it if you mean the text: \"{number}\""
            )),
        );
    }
    if let Some(rest) = message.strip_prefix("duplicate entry with key ") {
        let key = rest.trim_matches('"');
        return (
            format!("duplicate key `{key}`{under}"),
            Some(format!(
                "`{key}` is already set above; keep only one of them"
            )),
        );
    }
    if message.contains("recursion limit exceeded") {
        return (
            "the YAML is nested too deeply".into(),
            Some("flatten the structure; front matter needs only a few levels".into()),
        );
    }
    if message.contains("repetition limit exceeded") {
        return (
            "the YAML expands to too much data through anchors and aliases".into(),
            Some("remove the `&anchor` / `*alias` references".into()),
        );
    }
    if message.contains("mapping values are not allowed") {
        return (
            format!("invalid YAML: {message}"),
            Some("a value that contains `: ` must be quoted".into()),
        );
    }
    (format!("invalid YAML: {message}"), None)
}

/// How deep flow collections (`[`, `{`) may nest before the parser is asked to read them.
const MAX_DEPTH: usize = 64;

/// How many aliases a block may use. Few front matters use any; with this many the most an
/// alias bomb can expand to is about 3^(32/3) ≈ 120,000 nodes, where the parser would
/// otherwise spend a while expanding millions before its own limit stops it.
const MAX_ALIASES: usize = 32;

/// Which limit a block passes.
#[derive(Debug, PartialEq, Eq)]
enum Limit {
    Depth,
    Aliases,
}

/// The line and column where flow nesting passes [`MAX_DEPTH`] or the aliases pass
/// [`MAX_ALIASES`], checked without parsing (a parser fed 100,000 `[` spends seconds before it
/// gives up, and one fed a billion laughs expands them first).
fn beyond_limits(block: &str) -> Option<(Limit, usize, usize)> {
    let mut depth = 0usize;
    let mut aliases = 0usize;
    let mut quote: Option<char> = None;
    for (i, line) in block.lines().enumerate() {
        let mut prev = ' ';
        let mut chars = line.chars().enumerate().peekable();
        while let Some((j, c)) = chars.next() {
            match quote {
                // Double quotes: a backslash escapes the next character.
                Some('"') => match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => quote = None,
                    _ => {}
                },
                // Single quotes: `''` is a quote inside the text.
                Some(_) => {
                    if c == '\'' {
                        if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                            chars.next();
                        } else {
                            quote = None;
                        }
                    }
                }
                None => match c {
                    '"' | '\'' if matches!(prev, ' ' | '[' | '{' | ',' | ':' | '-') || j == 0 => {
                        quote = Some(c)
                    }
                    '#' if prev == ' ' || j == 0 => break,
                    '[' | '{' => {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            return Some((Limit::Depth, i + 1, j + 1));
                        }
                    }
                    // An alias starts a node: after an indicator or a space, before a name.
                    '*' if (matches!(prev, ' ' | '[' | '{' | ',' | ':' | '-' | '?') || j == 0)
                        && chars.peek().is_some_and(|(_, n)| !n.is_whitespace()) =>
                    {
                        aliases += 1;
                        if aliases > MAX_ALIASES {
                            return Some((Limit::Aliases, i + 1, j + 1));
                        }
                    }
                    ']' | '}' => depth = depth.saturating_sub(1),
                    _ => {}
                },
            }
            prev = c;
        }
    }
    None
}

/// The 1-based line of the second top-level occurrence of `key`.
fn second_top_level(block: &str, key: &str) -> Option<usize> {
    block
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with([' ', '\t']) && key_matches(l, key))
        .nth(1)
        .map(|(i, _)| i + 1)
}

/// The second line (1-based, with its column) that sets `key` in the block mapping whose first
/// key is at `line`:`column` of `block`, or `None` if it cannot be found that simply.
fn second_in_mapping(block: &str, line: usize, column: usize, key: &str) -> Option<(usize, usize)> {
    let mut seen = 0;
    for (i, text) in block.lines().enumerate().skip(line - 1) {
        // Leading spaces and list markers (`- `) before the mapping's column.
        let lead = text
            .char_indices()
            .find(|&(_, c)| c != ' ' && c != '-')
            .map_or(text.len(), |(i, _)| i);
        if text.trim().is_empty() || text.trim_start().starts_with('#') {
            continue;
        }
        let col = text[..lead].chars().count() + 1;
        if i + 1 > line && col < column {
            break;
        }
        if col == column && key_matches(&text[lead..], key) {
            seen += 1;
            if seen == 2 {
                return Some((i + 1, col));
            }
        }
    }
    None
}

fn tab_indent(block: &str) -> Option<(usize, usize)> {
    for (i, line) in block.lines().enumerate() {
        let indent: String = line
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        if let Some(pos) = indent.find('\t') {
            if line.trim().is_empty() {
                continue;
            }
            return Some((i + 1, pos + 1));
        }
    }
    None
}

fn indent_of_key(block: &str, key: &str) -> usize {
    let (line, _) = locate_in_block(block, &[Step::Key(key)]);
    block
        .lines()
        .nth(line - 1)
        .map_or(0, |l| l.len() - l.trim_start().len())
}

/// Finds a key or list item in block-style YAML by indentation: a heuristic good for the front
/// matter people write by hand. Returns the 1-based line and the column of the value; flow
/// style (`[a, b]`) stays on its parent's line.
fn locate_in_block(block: &str, path: &[Step<'_>]) -> (usize, usize) {
    let lines: Vec<&str> = block.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let blank = |l: &str| l.trim().is_empty() || l.trim_start().starts_with('#');
    // The lines that belong to the value found so far: [start, end), children deeper than
    // `parent`. The line `start` is the key or item itself (its value may be on it).
    let (mut start, mut end, mut parent) = (0usize, lines.len(), -1isize);
    let (mut line, mut col) = (0usize, 1usize);
    let mut at_root = true;
    for step in path {
        let from = if at_root { 0 } else { start };
        let mut found = None;
        match step {
            Step::Key(k) => {
                for (i, l) in lines.iter().enumerate().take(end).skip(from) {
                    if blank(l) {
                        continue;
                    }
                    let body = l.trim_start();
                    let body = body.strip_prefix("- ").unwrap_or(body);
                    let key_indent = l.len() - body.len();
                    if (key_indent as isize) > parent && key_matches(body, k) {
                        let after = body.find(':').map_or(0, |p| p + 1);
                        let gap = body[after..].len() - body[after..].trim_start().len();
                        found = Some((i, key_indent, key_indent + after + gap + 1));
                        break;
                    }
                }
                let Some((i, key_indent, c)) = found else {
                    break;
                };
                let scope_end = (i + 1..end)
                    .find(|&j| {
                        let l = lines[j];
                        !blank(l)
                            && (indent(l) < key_indent
                                || (indent(l) == key_indent && !l.trim_start().starts_with('-')))
                    })
                    .unwrap_or(end);
                (start, end, parent, line, col) = (i, scope_end, key_indent as isize, i, c);
            }
            Step::Index(n) => {
                let mut item_indent = None;
                let mut count = 0;
                let first = start + usize::from(!at_root);
                for (i, l) in lines.iter().enumerate().take(end).skip(first) {
                    let t = l.trim_start();
                    if blank(l) || !(t.starts_with("- ") || t == "-") {
                        continue;
                    }
                    let ii = *item_indent.get_or_insert(indent(l));
                    if indent(l) != ii {
                        continue;
                    }
                    if count == *n {
                        found = Some((i, ii, 0));
                        break;
                    }
                    count += 1;
                }
                let Some((i, ii, _)) = found else {
                    // A flow sequence on the key's line: `related: ["@/a.md", "@/b.md"]`.
                    if !at_root && let Some(c) = lines.get(line).and_then(|l| flow_item(l, col, *n))
                    {
                        col = c;
                    }
                    break;
                };
                let scope_end = (i + 1..end)
                    .find(|&j| !blank(lines[j]) && indent(lines[j]) <= ii)
                    .unwrap_or(end);
                (start, end, parent, line, col) = (i, scope_end, ii as isize, i, ii + 3);
            }
        }
        at_root = false;
    }
    (line + 1, col)
}

/// The 1-based column of item `n` of a flow sequence (`[a, "b, c", d]`) that opens at column
/// `col` of `line`, if the sequence is there and has that many items on this line.
fn flow_item(line: &str, col: usize, n: usize) -> Option<usize> {
    let rest = line.get(col.checked_sub(1)?..)?;
    if !rest.starts_with('[') {
        return None;
    }
    let mut item = 0;
    let mut depth = 0;
    let mut quote: Option<char> = None;
    let mut item_start = Some(col); // the byte column after `[`, filled in below
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let here = col + i;
        if let Some(q) = quote {
            if c == '\\' && q == '"' {
                chars.next();
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '[' | '{' => {
                depth += 1;
                if depth == 1 {
                    item_start = None;
                    continue;
                }
            }
            ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return None;
                }
            }
            ',' if depth == 1 => {
                item += 1;
                item_start = None;
                continue;
            }
            '"' | '\'' => quote = Some(c),
            _ => {}
        }
        if depth >= 1 && item_start.is_none() && !c.is_whitespace() {
            item_start = Some(here);
            if item == n {
                return Some(here);
            }
        }
    }
    None
}

fn key_matches(body: &str, key: &str) -> bool {
    let rest = if let Some(r) = body.strip_prefix(key) {
        r
    } else if let Some(r) = body.strip_prefix(&format!("\"{key}\"")) {
        r
    } else if let Some(r) = body.strip_prefix(&format!("'{key}'")) {
        r
    } else {
        return false;
    };
    rest.trim_start().starts_with(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Result<Doc<'_>, Diagnostic> {
        Doc::parse("f.yaml", text, text, 1)
    }

    #[test]
    fn locates_keys_items_and_nested_keys() {
        let text = "title: A\nstats:\n  - value: \"1\"\n    label: one\n  - value: \"2\"\n    label: two\nend: x\n";
        let d = doc(text).unwrap();
        assert_eq!(d.locate(&[Step::Key("title")]), (1, 8));
        assert_eq!(d.locate(&[Step::Key("stats"), Step::Index(1)]), (5, 5));
        assert_eq!(
            d.locate(&[Step::Key("stats"), Step::Index(1), Step::Key("label")]),
            (6, 12)
        );
        assert_eq!(
            d.locate(&[Step::Key("stats"), Step::Index(0), Step::Key("value")]),
            (3, 12)
        );
        assert_eq!(d.locate(&[Step::Key("end")]), (7, 6));
    }

    #[test]
    fn columns_are_counted_in_characters() {
        let text = "priorities: [\"Sécurité\", \"Knife bins\"]\ntitle: “Café”\n";
        let d = doc(text).unwrap();
        assert_eq!(
            d.locate(&[Step::Key("priorities"), Step::Index(1)]),
            (1, 26)
        );
        assert_eq!(d.locate(&[Step::Key("title")]), (2, 8));
        let curly = d.curly_quotes();
        assert_eq!((curly[0].line, curly[0].column), (Some(2), Some(8)));
    }

    #[test]
    fn locates_items_of_a_flow_sequence() {
        let text = "related: [\"@/a.md\", 'b, c',  [x, y], \"d\\\"]\"]\nother: [a]\n";
        let d = doc(text).unwrap();
        let at = |i| d.locate(&[Step::Key("related"), Step::Index(i)]);
        assert_eq!(at(0), (1, 11));
        assert_eq!(at(1), (1, 21));
        assert_eq!(at(2), (1, 30));
        assert_eq!(at(3), (1, 38));
        // Past the end: the sequence itself.
        assert_eq!(at(4), (1, 10));
        assert_eq!(d.locate(&[Step::Key("other"), Step::Index(0)]), (2, 9));
    }

    #[test]
    fn no_yaml_1_1_coercion() {
        let d = doc("draft: no\ncode: 1.10\n").unwrap();
        let e = d.bool("draft").unwrap_err();
        assert!(
            e.message
                .contains("expected true or false, found the text `no`"),
            "{}",
            e.message
        );
        assert_eq!((e.line, e.column), (Some(1), Some(8)));
        let e = d.string("code").unwrap_err();
        assert!(e.hint.unwrap().contains("quote this value"));
    }

    #[test]
    fn duplicate_keys_are_errors_at_their_line() {
        let e = doc("title: a\nx: 1\ntitle: b\n").err().unwrap();
        assert_eq!(e.message, "duplicate key `title`");
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn tabs_and_non_mappings_are_errors() {
        assert!(doc("a:\n\tb: 1\n").err().unwrap().message.contains("tab"));
        assert!(
            doc("- a\n- b\n")
                .err()
                .unwrap()
                .message
                .contains("found a list")
        );
        assert!(doc("").unwrap().mapping.is_empty());
    }

    #[test]
    fn alias_bomb_fails_fast() {
        let mut s = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (i, c) in "bcdefghi".chars().enumerate() {
            let prev = (b'a' + i as u8) as char;
            s.push_str(&format!("{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        }
        let t = std::time::Instant::now();
        let e = doc(&s).err().unwrap();
        assert_eq!(e.message, "the YAML uses more than 32 aliases (`*name`)");
        assert_eq!(e.line, Some(5));
        // A few aliases, as YAML means them, are fine; `*` inside text is no alias.
        let ok = "base: &base {value: \"970\", source: Met Police}\nstats: [*base, *base]\nnote: \"*not* an alias, nor 2 * 3\"\nsum: 2 * 3\n";
        let d = doc(ok).unwrap();
        assert_eq!(
            d.get("stats").and_then(Value::as_sequence).map(Vec::len),
            Some(2)
        );
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn the_depth_check_is_not_fooled_by_quotes() {
        for prefix in ["a: \"x\\\\\"\n", "a: 'it''s'\n", "a: \"say \\\"hi\\\"\"\n"] {
            let s = format!("{prefix}b: {}", "[".repeat(100_000));
            let t = std::time::Instant::now();
            let e = doc(&s).err().unwrap();
            assert_eq!(e.message, "the YAML is nested too deeply", "{prefix:?}");
            assert!(
                t.elapsed() < std::time::Duration::from_secs(1),
                "{prefix:?}"
            );
        }
        assert!(
            doc("a: \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"\n")
                .is_ok()
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let s = format!("a: {}", "[".repeat(100_000));
        let e = doc(&s).err().unwrap();
        assert!(
            e.message.contains("nested too deeply") || e.message.contains("invalid YAML"),
            "{}",
            e.message
        );
    }
}
