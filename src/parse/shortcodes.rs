//! Finds shortcodes in a Markdown body — inline `{{ name(arg="v") }}` and block
//! `{% name(arg="v") %}…{% end %}` — outside code spans and code blocks, and parses their
//! arguments. Rendering them is the theme's job (see `parse::markdown`).
//!
//! Pure: text in, shortcode calls and diagnostics (as messages with byte offsets) out.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::ops::Range;

/// An argument value as written.
#[derive(Clone, Debug, PartialEq)]
pub enum ArgValue {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl ArgValue {
    pub fn type_name(&self) -> &'static str {
        match self {
            ArgValue::Str(_) => "text",
            ArgValue::Int(_) => "a whole number",
            ArgValue::Float(_) => "a number",
            ArgValue::Bool(_) => "a boolean",
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            ArgValue::Str(s) => s.clone().into(),
            ArgValue::Int(i) => (*i).into(),
            ArgValue::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
            }
            ArgValue::Bool(b) => (*b).into(),
        }
    }
}

/// One shortcode call found in the text.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub name: String,
    /// Arguments in the order written, with the byte offset of each name.
    pub args: Vec<(String, ArgValue, usize)>,
    /// Byte range of the whole call, from `{{`/`{%` to the closing `}}`/`{% end %}`.
    pub range: Range<usize>,
    /// For block shortcodes: the byte range of the body between the tags.
    pub body: Option<Range<usize>>,
}

/// A problem found while scanning, at a byte offset of the scanned text.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanError {
    pub offset: usize,
    pub message: String,
    pub hint: String,
}

/// Byte ranges of inline code and code blocks, inside which nothing is expanded, as Markdown
/// with `options` reads them.
pub fn code_ranges(text: &str, options: Options) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut block_start = None;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match event {
            Event::Code(_) => out.push(range),
            Event::Start(Tag::CodeBlock(_)) => block_start = Some(range.start),
            Event::End(TagEnd::CodeBlock) => {
                if let Some(start) = block_start.take() {
                    out.push(start..range.end);
                }
            }
            _ => {}
        }
    }
    out
}

/// A shortcode tag found in the text.
enum ShortcodeTag {
    /// `{{ name(args) }}`
    Inline(Call),
    /// `{% name(args) %}`: opens a block.
    Open(Call),
    /// `{% end %}`
    End { start: usize, end: usize },
}

/// Finds the top-level shortcode calls in `text` (block bodies are scanned by the caller when
/// it renders them). One pass over the text, then blocks are matched with a stack, so the time
/// stays linear however many tags there are. `options` are the Markdown options the text is
/// rendered with (they decide what is code).
pub fn scan(text: &str, options: Options) -> (Vec<Call>, Vec<ScanError>) {
    // Most pages have no shortcodes: skip the extra Markdown pass that finds code.
    if !text.contains("{{") && !text.contains("{%") {
        return (Vec::new(), Vec::new());
    }
    let code = code_ranges(text, options);
    let (tags, mut errors) = tags(text, &code);
    let mut calls = Vec::new();
    let mut open: Vec<Call> = Vec::new();
    for tag in tags {
        match tag {
            ShortcodeTag::Inline(call) if open.is_empty() => calls.push(call),
            ShortcodeTag::Inline(_) => {}
            ShortcodeTag::Open(call) => open.push(call),
            ShortcodeTag::End { start, end } => match open.pop() {
                Some(mut call) if open.is_empty() => {
                    call.body = Some(call.range.end..start);
                    call.range = call.range.start..end;
                    calls.push(call);
                }
                Some(_) => {}
                None => errors.push(ScanError {
                    offset: start,
                    message: "`{% end %}` without an opening block shortcode".into(),
                    hint: "remove it, or open the block with `{% name(...) %}`".into(),
                }),
            },
        }
    }
    for call in open.iter().take(MAX_UNCLOSED) {
        errors.push(ScanError {
            offset: call.range.start,
            message: format!("block shortcode `{}` is never closed", call.name),
            hint: "add `{% end %}` on its own line after the shortcode's content".into(),
        });
    }
    errors.sort_by_key(|e| e.offset);
    (calls, errors)
}

/// Unclosed blocks reported per text (a file full of them needs no thousand messages).
const MAX_UNCLOSED: usize = 20;

/// Every shortcode tag outside code, in order, and the malformed ones as errors.
fn tags(text: &str, code: &[Range<usize>]) -> (Vec<ShortcodeTag>, Vec<ScanError>) {
    let mut code_iter = code.iter().peekable();
    let bytes = text.as_bytes();
    let mut tags = Vec::new();
    let mut errors = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] != b'{' || (bytes[i + 1] != b'{' && bytes[i + 1] != b'%') {
            i += 1;
            continue;
        }
        // Code ranges are sorted: skip those behind us, jump over the one we are in.
        while code_iter.peek().is_some_and(|r| r.end <= i) {
            code_iter.next();
        }
        if let Some(r) = code_iter.peek().filter(|r| r.contains(&i)) {
            i = r.end;
            continue;
        }
        let block = bytes[i + 1] == b'%';
        let close = if block { "%}" } else { "}}" };
        let after = skip_ws(text, i + 2);
        let Some((name, name_end)) = ident(text, after) else {
            i += 2;
            continue;
        };
        if !text[name_end..].starts_with('(') {
            if block && name == "end" {
                let end = skip_ws(text, name_end);
                if text[end..].starts_with("%}") {
                    tags.push(ShortcodeTag::End {
                        start: i,
                        end: end + 2,
                    });
                    i = end + 2;
                    continue;
                }
            }
            i += 2;
            continue;
        }
        match parse_args(text, name_end + 1) {
            Ok((args, end)) => {
                let end = skip_ws(text, end);
                if !text[end..].starts_with(close) {
                    errors.push(ScanError {
                        offset: i,
                        message: format!("shortcode `{name}` is not closed with `{close}`"),
                        hint: if block {
                            format!("write it as `{{% {name}(...) %}}`")
                        } else {
                            format!("write it as `{{{{ {name}(...) }}}}`")
                        },
                    });
                    i = end.max(i + 2);
                    continue;
                }
                let call = Call {
                    name: name.to_string(),
                    args,
                    range: i..end + 2,
                    body: None,
                };
                tags.push(if block {
                    ShortcodeTag::Open(call)
                } else {
                    ShortcodeTag::Inline(call)
                });
                i = end + 2;
            }
            Err(e) => {
                errors.push(e);
                i += 2;
            }
        }
    }
    (tags, errors)
}

fn skip_ws(text: &str, mut i: usize) -> usize {
    while i < text.len() && matches!(text.as_bytes()[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

fn ident(text: &str, start: usize) -> Option<(&str, usize)> {
    let bytes = text.as_bytes();
    let mut i = start;
    if i >= bytes.len() || !(bytes[i].is_ascii_alphabetic() || bytes[i] == b'_') {
        return None;
    }
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
        i += 1;
    }
    Some((&text[start..i], i))
}

type Args = Vec<(String, ArgValue, usize)>;

/// Parses `key="v", n=3)` starting just after the `(`; returns the args and the offset after `)`.
fn parse_args(text: &str, mut i: usize) -> Result<(Args, usize), ScanError> {
    let mut args: Args = Vec::new();
    loop {
        i = skip_ws(text, i);
        if text[i..].starts_with(')') {
            return Ok((args, i + 1));
        }
        let Some((key, key_end)) = ident(text, i) else {
            return Err(err(
                i,
                "expected an argument name or `)`",
                "arguments look like `label=\"knives seized\"`",
            ));
        };
        if args.iter().any(|(k, _, _)| k == key) {
            return Err(err(
                i,
                &format!("argument `{key}` is given twice"),
                "keep only one of them",
            ));
        }
        let key_start = i;
        i = skip_ws(text, key_end);
        if !text[i..].starts_with('=') {
            return Err(err(
                i,
                &format!("expected `=` after `{key}`"),
                "arguments look like `label=\"knives seized\"`",
            ));
        }
        i = skip_ws(text, i + 1);
        let (value, end) = value(text, i)?;
        args.push((key.to_string(), value, key_start));
        i = skip_ws(text, end);
        if text[i..].starts_with(',') {
            i += 1;
        } else if !text[i..].starts_with(')') {
            return Err(err(
                i,
                "expected `,` or `)` after an argument",
                "separate arguments with commas and close with `)`",
            ));
        }
    }
}

fn value(text: &str, i: usize) -> Result<(ArgValue, usize), ScanError> {
    let rest = &text[i..];
    if let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let mut out = String::new();
        let mut chars = rest[1..].char_indices();
        while let Some((j, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e @ ('"' | '\'' | '\\'))) => out.push(e),
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, other)) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => break,
                },
                c if c == q => return Ok((ArgValue::Str(out), i + 1 + j + 1)),
                '\n' if out.ends_with('\n') => break,
                c => out.push(c),
            }
        }
        return Err(err(
            i,
            "text argument is not closed",
            &format!("end the text with `{q}`"),
        ));
    }
    let end = rest
        .find(|c: char| c == ',' || c == ')' || c.is_whitespace())
        .unwrap_or(rest.len());
    let word = &rest[..end];
    let value = match word {
        "true" => ArgValue::Bool(true),
        "false" => ArgValue::Bool(false),
        w => {
            if let Ok(n) = w.parse::<i64>() {
                ArgValue::Int(n)
            } else if let Ok(f) = w
                .parse::<f64>()
                .map_err(|_| ())
                .and_then(|f| if f.is_finite() { Ok(f) } else { Err(()) })
            {
                ArgValue::Float(f)
            } else {
                return Err(err(
                    i,
                    &format!("`{w}` is not a value"),
                    "quote text values: `label=\"knives seized\"`",
                ));
            }
        }
    };
    Ok((value, i + end))
}

fn err(offset: usize, message: &str, hint: &str) -> ScanError {
    ScanError {
        offset,
        message: message.to_string(),
        hint: hint.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_str(text: &str) -> (Vec<Call>, Vec<ScanError>) {
        scan(text, Options::ENABLE_TABLES)
    }

    #[test]
    fn finds_inline_and_block_calls() {
        let text = "a {{ stat(value=\"970\", label='knives', n=3, big=true) }} b\n\n{% callout(kind=\"info\") %}\nHello {{ stat(value=\"1\") }}\n{% end %}\n";
        let (calls, errors) = scan(text, Options::ENABLE_TABLES);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].name, "stat");
        assert_eq!(calls[0].args[0].1, ArgValue::Str("970".into()));
        assert_eq!(calls[0].args[2].1, ArgValue::Int(3));
        assert_eq!(calls[0].args[3].1, ArgValue::Bool(true));
        assert_eq!(calls[1].name, "callout");
        let body = calls[1].body.clone().unwrap();
        assert_eq!(&text[body], "\nHello {{ stat(value=\"1\") }}\n");
    }

    #[test]
    fn never_inside_code() {
        let text = "`{{ stat(value=\"1\") }}`\n\n```\n{% callout() %}\n```\n\n    {{ stat() }}\n";
        let (calls, errors) = scan(text, Options::ENABLE_TABLES);
        assert!(
            calls.is_empty() && errors.is_empty(),
            "{calls:?} {errors:?}"
        );
    }

    #[test]
    fn nested_blocks_match_their_own_end() {
        let text = "{% outer() %}\n{% inner() %}x{% end %}\n{% end %}";
        let (calls, _) = scan(text, Options::ENABLE_TABLES);
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].range, 0..text.len());
    }

    #[test]
    fn unclosed_and_malformed_calls_are_errors() {
        let (_, e) = scan_str("{% callout(kind=\"info\") %}\ntext\n");
        assert_eq!(e[0].message, "block shortcode `callout` is never closed");
        let (_, e) = scan_str("{{ stat(value=\"1\" }}");
        assert_eq!(e[0].message, "expected `,` or `)` after an argument");
        let (_, e) = scan_str("{{ stat(value=970 label=\"x\") }}");
        assert!(!e.is_empty());
        let (_, e) = scan_str("{{ stat(value=\"1\") %}");
        assert_eq!(e[0].message, "shortcode `stat` is not closed with `}}`");
        let (c, e) = scan_str("plain {{ braces }} and {% not a call %}");
        assert!(c.is_empty() && e.is_empty());
    }
}
