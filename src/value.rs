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

/// One step into nested data: a key of a mapping, or an item of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    Key(String),
    Index(usize),
}

impl Data {
    /// The same data without the values at `places`: an item of a list is taken out of it,
    /// a value of a mapping becomes none (so templates reading the key see it unset).
    pub fn without(&self, places: &[&[Place]]) -> Data {
        fn prune(v: &Value, places: &[&[Place]]) -> Value {
            let under = |step: &Place| -> Vec<&[Place]> {
                places
                    .iter()
                    .filter_map(|p| p.split_first())
                    .filter(|(first, _)| *first == step)
                    .map(|(_, rest)| rest)
                    .collect()
            };
            if let Some(m) = v.as_map() {
                let mut out = tera::value::Map::new();
                for (k, child) in m {
                    let step = Place::Key(k.as_str().unwrap_or_default().to_string());
                    let below = under(&step);
                    let value = if below.iter().any(|p| p.is_empty()) {
                        Value::none()
                    } else if below.is_empty() {
                        child.clone()
                    } else {
                        prune(child, &below)
                    };
                    out.insert(k.clone(), value);
                }
                Value::from(out)
            } else if let Some(items) = v.as_array() {
                let mut out = Vec::with_capacity(items.len());
                for (i, child) in items.iter().enumerate() {
                    let below = under(&Place::Index(i));
                    if below.iter().any(|p| p.is_empty()) {
                        continue;
                    }
                    out.push(if below.is_empty() {
                        child.clone()
                    } else {
                        prune(child, &below)
                    });
                }
                Value::from(out)
            } else {
                v.clone()
            }
        }
        if places.is_empty() {
            return self.clone();
        }
        Data(prune(&self.0, places))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_takes_list_items_out_and_unsets_keys() {
        let data = Data::new(&serde_json::json!({
            "related": ["a", "b", "c"],
            "cta": {"label": "Go", "url": "x"},
            "other": 1
        }));
        let related_0 = [Place::Key("related".into()), Place::Index(0)];
        let related_2 = [Place::Key("related".into()), Place::Index(2)];
        let cta_url = [Place::Key("cta".into()), Place::Key("url".into())];
        let pruned = data.without(&[&related_0, &related_2, &cta_url]);
        let json = serde_json::to_value(pruned.as_value()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"related": ["b"], "cta": {"label": "Go", "url": null}, "other": 1})
        );
        // The original is untouched.
        assert_eq!(
            data.get("related")
                .and_then(|v| v.as_array())
                .map(<[_]>::len),
            Some(3)
        );
    }
}
