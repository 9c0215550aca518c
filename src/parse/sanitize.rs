//! Raw HTML in Markdown: the sanitiser, and what it took out of each piece of HTML a writer
//! pasted (so that cleaning Word's HTML, or a `javascript:` link, is said at the line rather
//! than done in silence). What is removed is found by running the sanitiser itself over the
//! piece and comparing tags and attributes before and after: there is no second list of what is
//! allowed to drift from the first.
//!
//! Pure.

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use std::cell::RefCell;
use std::collections::BTreeSet;

/// Removes scripts, event handlers, unsafe URLs and unknown tags from HTML that holds raw
/// HTML from Markdown, keeping everything Markdown itself produces.
pub fn sanitize(html: &str, keep_comments: bool) -> String {
    let mut b = ammonia::Builder::default();
    b.strip_comments(!keep_comments);
    // `lang` and `dir` together mark a passage in another script: `<p lang="ar" dir="rtl">`.
    b.add_generic_attributes(["id", "class", "dir"])
        .add_tags([
            "bdi",
            "bdo",
            "input",
            "figure",
            "figcaption",
            "section",
            "aside",
            "details",
            "summary",
            "mark",
        ])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("th", ["style"])
        .add_tag_attributes("td", ["style"])
        .add_tag_attributes("a", ["href", "title", "aria-label"])
        .link_rel(None)
        .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
        .attribute_filter(|_, attribute, value| match attribute {
            "dir" if !matches!(value, "ltr" | "rtl" | "auto") => None,
            // Word's own classes (`MsoNormal`, `MsoListParagraph`) style nothing here.
            "class" => {
                let kept: Vec<&str> = value
                    .split_ascii_whitespace()
                    .filter(|c| !is_word_class(c))
                    .collect();
                (!kept.is_empty()).then(|| kept.join(" ").into())
            }
            _ => Some(value.into()),
        });
    b.clean(html).to_string()
}

fn is_word_class(class: &str) -> bool {
    class.starts_with("Mso") || class.starts_with("mso")
}

/// A start tag as the tokenizer saw it.
#[derive(Debug)]
struct StartTag {
    name: String,
    attrs: Vec<(String, String)>,
}

#[derive(Default)]
struct Tags(RefCell<Vec<StartTag>>);

impl TokenSink for Tags {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        if let Token::TagToken(tag) = token
            && tag.kind == TagKind::StartTag
        {
            self.0.borrow_mut().push(StartTag {
                name: tag.name.to_string(),
                attrs: tag
                    .attrs
                    .iter()
                    .map(|a| {
                        let name = match &a.name.prefix {
                            Some(p) => format!("{p}:{}", a.name.local),
                            None => a.name.local.to_string(),
                        };
                        (name, a.value.to_string())
                    })
                    .collect(),
            });
        }
        TokenSinkResult::Continue
    }
}

fn start_tags(html: &str) -> Vec<StartTag> {
    let tokenizer = Tokenizer::new(Tags::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.take()
}

/// What the sanitiser removes from `piece` (raw HTML as written in the Markdown), each said in
/// a writer's words: "`style` attributes", "the `<o:p>` tag", "a `javascript:` link",
/// "Word's `MsoNormal` class". Empty when nothing is removed.
pub fn removed(piece: &str) -> Vec<String> {
    let before = start_tags(piece);
    if before.is_empty() {
        return Vec::new();
    }
    // A piece is often one line of a larger element (`<tr><td>2018</td>` of a table): give it
    // the parent it needs, or the HTML parser drops it for being out of place.
    let parent = match before[0].name.as_str() {
        "tr" | "td" | "th" | "tbody" | "thead" | "tfoot" | "caption" | "col" | "colgroup" => {
            "<table>"
        }
        "li" => "<ul>",
        "dd" | "dt" => "<dl>",
        _ => "",
    };
    let after = start_tags(&sanitize(&format!("{parent}{piece}"), false));
    let mut kept: Vec<(&str, BTreeSet<&str>)> = after
        .iter()
        .map(|t| {
            (
                t.name.as_str(),
                t.attrs.iter().map(|(a, _)| a.as_str()).collect(),
            )
        })
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut say = |what: String| {
        if !out.contains(&what) {
            out.push(what);
        }
    };
    for tag in &before {
        // The first kept tag of the same name is this one (the sanitiser keeps the order).
        let Some(i) = kept.iter().position(|(name, _)| *name == tag.name) else {
            say(format!("the `<{}>` tag", tag.name));
            continue;
        };
        let (_, attrs) = kept.remove(i);
        for (attr, value) in &tag.attrs {
            if attr == "class" {
                let words: Vec<&str> = value
                    .split_ascii_whitespace()
                    .filter(|c| is_word_class(c))
                    .collect();
                if !words.is_empty() {
                    say(format!("Word's `{}` class", words.join("`, `")));
                }
                continue;
            }
            if attrs.contains(attr.as_str()) {
                continue;
            }
            let scheme = crate::text::url_scheme(value.trim());
            say(match (attr.as_str(), scheme) {
                ("href" | "src", Some(s)) => format!("a `{s}:` address"),
                (a, _) if a.starts_with("on") => format!("the event handler `{a}`"),
                (a, _) => format!("`{a}` attributes"),
            });
        }
    }
    out
}

/// A bullet typed as a character at the start of `text` (`·`, `•`, `▪`… followed by
/// spaces, as text pasted from Word's lists has), which makes a paragraph, not a list.
pub fn typed_bullet(text: &str) -> Option<char> {
    let mut chars = text.trim_start().chars();
    let bullet = chars.next()?;
    if !matches!(bullet, '·' | '•' | '▪' | '◦' | '§' | '\u{f0b7}') {
        return None;
    }
    let gap: String = chars.take_while(|c| c.is_whitespace()).collect();
    // Word pads its bullets with non-breaking spaces; one ordinary space after `·` is text
    // that happens to start with a middle dot.
    (gap.contains('\u{a0}') || gap.chars().count() >= 2 || bullet == '•').then_some(bullet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_to_left_text_keeps_its_direction() {
        let clean = sanitize(
            "<p lang=\"ar\" dir=\"rtl\">نص</p><p dir=\"sideways\">x</p><bdi>اسم</bdi><bdo dir=\"rtl\">abc</bdo>",
            false,
        );
        assert!(clean.contains("<p lang=\"ar\" dir=\"rtl\">"), "{clean}");
        assert!(clean.contains("<p>x</p>"), "{clean}");
        assert!(clean.contains("<bdi>اسم</bdi>"), "{clean}");
        assert!(clean.contains("<bdo dir=\"rtl\">abc</bdo>"), "{clean}");
    }

    #[test]
    fn what_is_removed_from_word_html_is_said() {
        let word = r#"<p class="MsoNormal" style="margin:0cm">Funding<o:p></o:p></p>"#;
        assert_eq!(
            removed(word),
            [
                "Word's `MsoNormal` class",
                "`style` attributes",
                "the `<o:p>` tag"
            ]
        );
        assert_eq!(
            removed(r#"<a href="javascript:alert(1)" onclick="x()">here</a>"#),
            ["a `javascript:` address", "the event handler `onclick`"]
        );
        assert!(removed(r#"<p lang="cy" class="note">Croeso</p>"#).is_empty());
        assert!(removed("</p>").is_empty());
        // One line of a table or a list, with the rest on other lines.
        assert!(removed("<tr><td>2018</td>").is_empty());
        assert!(removed("<td style=\"width:50%\">£45m</td></tr>").is_empty());
        assert_eq!(removed("<li style=\"color:red\">x"), ["`style` attributes"]);
        assert_eq!(
            sanitize(r#"<p class="MsoNormal intro">x</p>"#, false),
            r#"<p class="intro">x</p>"#
        );
    }

    #[test]
    fn bullets_typed_as_characters_are_found() {
        assert_eq!(typed_bullet("·\u{a0}\u{a0}Item"), Some('·'));
        assert_eq!(typed_bullet("• Item"), Some('•'));
        assert_eq!(typed_bullet("· the middle dot"), None);
        assert_eq!(typed_bullet("Item"), None);
    }
}
