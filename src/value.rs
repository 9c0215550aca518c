//! Values made once and shared, not copied, between the stage that makes them and the
//! templates that show them: a page's HTML ([`Html`]), its table of contents and its theme keys
//! ([`Data`]). Each is kept in the form the template engine holds a value in (a Tera value,
//! reference-counted inside), so that putting 10,000 pages' bodies and keys into the template
//! values costs a reference count each, not a second copy of the site. Reading them stays
//! plain: `as_str`, `get`, iteration.

use serde::Serialize;
use std::fmt;
use std::ops::Deref;
use tera::Value;
use tera::value::Key;

/// A fragment of HTML that placard made (a page's body, a summary): shared, not copied, between
/// the site and the templates that show it. It is kept in the form the template engine holds a
/// trusted string in (a Tera safe string, reference-counted), so that putting a page's body in
/// the template values is a reference count rather than a second copy of every page.
#[derive(Clone)]
pub struct Html(tera::Value);

impl Html {
    pub fn new(html: &str) -> Html {
        Html(tera::Value::safe_string(html))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str().unwrap_or_default()
    }

    /// The fragment as a template value (marked safe: it is not escaped again).
    pub fn to_value(&self) -> tera::Value {
        self.0.clone()
    }
}

impl Default for Html {
    fn default() -> Html {
        Html::new("")
    }
}

impl Deref for Html {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Html {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Html {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Html {
    fn eq(&self, other: &Html) -> bool {
        self.as_str() == other.as_str()
    }
}

impl From<String> for Html {
    fn from(s: String) -> Html {
        Html::new(&s)
    }
}

/// Structured data for templates (a table of contents, the theme's front-matter keys): any
/// serialisable value, converted once.
#[derive(Clone)]
pub struct Data(Value);

impl Data {
    pub fn new<T: Serialize + ?Sized>(value: &T) -> Data {
        Data(Value::from_serializable(value))
    }

    /// The data as a template value.
    pub fn to_value(&self) -> Value {
        self.0.clone()
    }

    pub fn as_value(&self) -> &Value {
        &self.0
    }

    /// The value at `key`, when the data is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        get(&self.0, key)
    }

    /// The keys, when the data is a mapping.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0
            .as_map()
            .into_iter()
            .flat_map(|m| m.keys().filter_map(|k| k.as_str()))
    }

    /// Every text value anywhere in the data.
    pub fn strings(&self) -> Vec<(&str, &str)> {
        fn walk<'v>(top: &'v str, v: &'v Value, out: &mut Vec<(&'v str, &'v str)>) {
            if let Some(s) = v.as_str() {
                out.push((top, s));
            } else if let Some(items) = v.as_array() {
                items.iter().for_each(|x| walk(top, x, out));
            } else if let Some(m) = v.as_map() {
                m.values().for_each(|x| walk(top, x, out));
            }
        }
        let mut out = Vec::new();
        if let Some(m) = self.0.as_map() {
            for (k, v) in m {
                if let Some(k) = k.as_str() {
                    walk(k, v, &mut out);
                }
            }
        }
        out
    }
}

/// The value at `key` of a mapping value.
pub fn get<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    value.as_map()?.get(&Key::from(key.to_string()))
}

impl Default for Data {
    fn default() -> Data {
        Data(Value::from(tera::value::Map::new()))
    }
}

impl fmt::Debug for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
