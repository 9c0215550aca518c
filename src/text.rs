//! Text helpers every floor may use: decoding a file's bytes into the text placard works on,
//! escaping for HTML and XML, and the plain text of an HTML fragment. Pure string functions.

use crate::diagnostic::Diagnostic;

/// Decodes bytes as UTF-8, dropping a BOM and turning CRLF, and a lone CR (old Mac line
/// ends), into LF: the YAML parser and Markdown both count a lone CR as a line end, so every
/// line number placard gives must too.
pub fn decode(path: &str, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    let mut text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let good = &e.as_bytes()[..valid];
            let line = good.iter().filter(|b| **b == b'\n').count() + 1;
            let col = good.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            return Err(Diagnostic::error(format!("invalid UTF-8 at line {line}"))
                .in_file(path)
                .at_line(line)
                .with_hint(format!(
                    "byte {} (column {col}) is not UTF-8; save the file as UTF-8 in your editor",
                    valid + 1
                )));
        }
    };
    if text.starts_with('\u{FEFF}') {
        text.drain(..'\u{FEFF}'.len_utf8());
    }
    Ok(if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text
    })
}

/// Escapes text for HTML and XML, in element content and in quoted attribute values alike.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Summary text without tags, for pages that give no `summary` key.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}
