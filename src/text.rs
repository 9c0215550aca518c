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

/// What stays as it is in a URL component (RFC 3986's unreserved characters: letters, digits,
/// `-`, `.`, `_`, `~`); everything else is percent-encoded.
pub const URL_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The scheme of a URL (`https`, `mailto`, `javascript`), lowercased, read as a browser reads
/// it: leading and trailing spaces and control characters dropped, tabs and line ends dropped
/// anywhere, then a letter followed by letters, digits, `+`, `-` or `.` up to a colon. `None`
/// for a path: anything else before the first colon (`foo):`, `a b:c`, `path/to:x`) makes a
/// relative path, not a scheme.
pub fn url_scheme(url: &str) -> Option<String> {
    let trimmed = url.trim_matches(|c: char| c <= ' ');
    let cleaned: String = trimmed
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let (scheme, _) = cleaned.split_once(':')?;
    let mut chars = scheme.chars();
    if !chars.next()?.is_ascii_alphabetic()
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    Some(scheme.to_ascii_lowercase())
}

/// `s` made safe inside a URL (a share link's `?url=…&text=…`, a video id).
pub fn url_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, URL_COMPONENT).to_string()
}

/// Whether `c` is a control character placard refuses in content: invisible, not allowed in
/// XML 1.0 (C0) or a parse error in HTML (C0, DEL, C1), or a noncharacter XML does not allow
/// (U+FFFE, U+FFFF). Tab and line ends are fine.
pub fn is_forbidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
}

/// The first character of `s` that [`is_forbidden`], with its byte offset. Looks at bytes:
/// C0 and DEL are themselves, C1 is 0xC2 then 0x80–0x9F, U+FFFE/U+FFFF are 0xEF 0xBF then
/// 0xBE/0xBF (most text has none, and a byte scan is quick).
pub fn forbidden_char(s: &str) -> Option<(usize, char)> {
    let b = s.as_bytes();
    let at = (0..b.len()).find(|&i| match b[i] {
        x if x < 0x20 => !matches!(x, b'\t' | b'\n' | b'\r'),
        0x7F => true,
        0xC2 => matches!(b.get(i + 1), Some(0x80..=0x9F)),
        0xEF => b.get(i + 1) == Some(&0xBF) && matches!(b.get(i + 2), Some(0xBE | 0xBF)),
        _ => false,
    })?;
    s[at..].chars().next().map(|c| (at, c))
}

/// A character for people: `U+000B (a vertical tab)`.
pub fn describe_char(c: char) -> String {
    let name = match c {
        '\u{0}' => Some("a null character"),
        '\u{7}' => Some("a bell"),
        '\u{8}' => Some("a backspace"),
        '\u{B}' => Some("a vertical tab"),
        '\u{C}' => Some("a form feed"),
        '\u{1B}' => Some("an escape"),
        '\u{7F}' => Some("a delete"),
        '\u{85}' => Some("a next-line character"),
        _ => None,
    };
    match name {
        Some(n) => format!("U+{:04X} ({n})", c as u32),
        None => format!("U+{:04X}", c as u32),
    }
}

/// `s` without the characters XML 1.0 does not allow at all (control characters other than tab,
/// line feed and carriage return; U+FFFE and U+FFFF): whatever reaches a feed or a sitemap, the
/// document stays well-formed. Borrowed when there is nothing to leave out.
pub fn xml_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
    };
    if s.contains(bad) {
        s.replace(bad, "").into()
    } else {
        s.into()
    }
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

/// How many words `s` has: runs of characters that are not white space, as
/// `s.split_whitespace().count()` counts them, without its general splitting machinery (the
/// word count of every page's text is a few per cent of a build).
pub fn count_words(s: &str) -> usize {
    let bytes = s.as_bytes();
    let space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r');
    if s.is_ascii() {
        // A word starts at each non-space byte that follows a space (or starts the text): no
        // state carried from byte to byte.
        let first = usize::from(bytes.first().is_some_and(|&b| !space(b)));
        return first
            + bytes
                .windows(2)
                .filter(|w| space(w[0]) && !space(w[1]))
                .count();
    }
    let mut words = 0;
    let mut in_word = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (is_space, len) = if b < 0x80 {
            (space(b), 1)
        } else {
            let c = s.get(i..).and_then(|r| r.chars().next()).unwrap_or(' ');
            (c.is_whitespace(), c.len_utf8())
        };
        if !is_space && !in_word {
            words += 1;
        }
        in_word = !is_space;
        i += len;
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_counted_as_split_whitespace_counts_them() {
        for s in [
            "",
            " ",
            "one",
            "  two  words ",
            "tab\there\nnew\r\nline\x0bvt\x0cff",
            "£45m for 970\u{a0}knives",
            "ideographic\u{3000}space and\u{2028}line\u{85}next",
            "café naïve — «guillemets» 漢字 テスト",
            "\u{200b}zero-width is not white space",
            "plain ascii  with\ttabs\nand  doubled  spaces ",
            "x",
            "\n\nlead",
        ] {
            assert_eq!(count_words(s), s.split_whitespace().count(), "{s:?}");
        }
    }

    #[test]
    fn the_byte_scan_finds_what_the_character_scan_finds() {
        for s in [
            "plain",
            "£45m, an\u{a0}nbsp, a BOM \u{feff} and \u{fffd}",
            "tab\tline\nreturn\r",
            "bell \u{7}",
            "next line \u{85} here",
            "\u{9f}",
            "delete \u{7f}",
            "£\u{fffe}",
            "x\u{ffff}",
            "é\u{80}",
            "\u{ff00}\u{fdd0}",
        ] {
            let slow = s.char_indices().find(|&(_, c)| is_forbidden(c));
            assert_eq!(forbidden_char(s), slow, "{s:?}");
        }
    }
}
