//! The theme's contract with content, read from `theme.yaml`: which extra front-matter keys each
//! content type may carry (with types, required flags, lengths and allowed values), extra
//! constraints on core keys, and the arguments of each shortcode. Also the validation of a
//! value against a field, producing located diagnostics and the JSON handed to templates.
//!
//! Pure: takes text and parsed YAML.

use crate::diagnostic::Diagnostic;
use crate::yaml::{Doc, Step, describe};
use serde_yaml::Value;
use std::collections::BTreeMap;

pub const DEFAULT_TYPE: &str = "default";

/// Everything `theme.yaml` declares.
#[derive(Clone, Debug, Default)]
pub struct ThemeManifest {
    pub name: String,
    pub description: String,
    /// Content type (a top-level section folder, or `default` for every page) → fields.
    pub types: BTreeMap<String, BTreeMap<String, Field>>,
    /// Shortcode name → its arguments.
    pub shortcodes: BTreeMap<String, ShortcodeSpec>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
    Date,
    Url,
    List,
    Object,
    Any,
}

impl FieldType {
    fn parse(s: &str) -> Option<FieldType> {
        Some(match s {
            "string" => FieldType::String,
            "integer" => FieldType::Integer,
            "number" => FieldType::Number,
            "boolean" => FieldType::Boolean,
            "date" => FieldType::Date,
            "url" => FieldType::Url,
            "list" => FieldType::List,
            "object" => FieldType::Object,
            "any" => FieldType::Any,
            _ => return None,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Url => "url",
            FieldType::List => "list",
            FieldType::Object => "object",
            FieldType::Any => "any",
        }
    }
}

/// One declared field.
#[derive(Clone, Debug)]
pub struct Field {
    pub ty: FieldType,
    pub required: bool,
    /// Required whenever the named sibling key is set (`image_alt` with `image`).
    pub required_with: Option<String>,
    pub max_length: Option<usize>,
    pub values: Option<Vec<String>>,
    pub items: Option<Box<Field>>,
    pub fields: Option<BTreeMap<String, Field>>,
    pub description: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct ShortcodeSpec {
    pub args: BTreeMap<String, Field>,
    /// Whether the shortcode takes a body (`{% name() %}…{% end %}`).
    pub body: bool,
}

const FIELD_KEYS: &[&str] = &[
    "type",
    "required",
    "required_with",
    "max_length",
    "values",
    "items",
    "fields",
    "description",
];

impl ThemeManifest {
    /// Parses `theme.yaml`; `path` is its site-relative path for diagnostics.
    pub fn parse(path: &str, text: &str) -> Result<ThemeManifest, Vec<Diagnostic>> {
        let doc = Doc::parse(path, text, text, 1).map_err(|d| vec![d])?;
        let mut errors = doc.unknown_keys(
            &["name", "description", "schema", "shortcodes"],
            "theme.yaml",
        );
        let name = doc.string("name").unwrap_or_else(|d| {
            errors.push(d);
            None
        });
        let description = doc.string("description").unwrap_or_else(|d| {
            errors.push(d);
            None
        });
        let mut manifest = ThemeManifest {
            name: name.unwrap_or_default(),
            description: description.unwrap_or_default(),
            ..Default::default()
        };
        if let Some(schema) = doc.get("schema") {
            match schema {
                Value::Mapping(types) => {
                    for (ty, fields) in types {
                        let ty = ty.as_str().unwrap_or_default().to_string();
                        let at = [Step::Key("schema"), Step::Key(&ty)];
                        let fields = field_map(&doc, &at, fields, &mut errors);
                        manifest.types.insert(ty, fields);
                    }
                }
                other => errors.push(doc.error_at(
                    &[Step::Key("schema")],
                    format!(
                        "`schema`: expected a mapping of content types, found {}",
                        describe(other)
                    ),
                )),
            }
        }
        if let Some(shortcodes) = doc.get("shortcodes") {
            match shortcodes {
                Value::Mapping(all) => {
                    for (name, spec) in all {
                        let name = name.as_str().unwrap_or_default().to_string();
                        let at = [Step::Key("shortcodes"), Step::Key(&name)];
                        let mut sc = ShortcodeSpec::default();
                        match spec {
                            Value::Null => {}
                            Value::Mapping(m) => {
                                for (k, v) in m {
                                    match (k.as_str(), v) {
                                        (Some("body"), Value::Bool(b)) => sc.body = *b,
                                        (Some("args"), v) => {
                                            let mut path = at.to_vec();
                                            path.push(Step::Key("args"));
                                            sc.args = field_map(&doc, &path, v, &mut errors);
                                        }
                                        (Some(k), _) => errors.push(
                                            doc.error_at(
                                                &at,
                                                format!("unknown key `{k}` in shortcode `{name}`"),
                                            )
                                            .with_hint("a shortcode has `args` and `body`"),
                                        ),
                                        (None, _) => {}
                                    }
                                }
                            }
                            other => errors.push(doc.error_at(
                                &at,
                                format!(
                                    "shortcode `{name}`: expected a mapping, found {}",
                                    describe(other)
                                ),
                            )),
                        }
                        manifest.shortcodes.insert(name, sc);
                    }
                }
                other => errors.push(doc.error_at(
                    &[Step::Key("shortcodes")],
                    format!(
                        "`shortcodes`: expected a mapping, found {}",
                        describe(other)
                    ),
                )),
            }
        }
        if errors.is_empty() {
            Ok(manifest)
        } else {
            Err(errors)
        }
    }

    /// The fields that apply to pages of `content_type`: the `default` ones, overridden by the
    /// type's own.
    pub fn fields_for(&self, content_type: &str) -> BTreeMap<String, Field> {
        let mut out = self.types.get(DEFAULT_TYPE).cloned().unwrap_or_default();
        if let Some(own) = self.types.get(content_type) {
            out.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        out
    }
}

fn field_map(
    doc: &Doc<'_>,
    at: &[Step<'_>],
    v: &Value,
    errors: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Field> {
    let mut out = BTreeMap::new();
    match v {
        Value::Null => {}
        Value::Mapping(m) => {
            for (k, spec) in m {
                let key = k.as_str().unwrap_or_default().to_string();
                let mut path = at.to_vec();
                path.push(Step::Key(&key));
                if let Some(f) = field(doc, &path, spec, errors) {
                    out.insert(key.clone(), f);
                }
            }
        }
        other => errors.push(doc.error_at(
            at,
            format!("expected a mapping of fields, found {}", describe(other)),
        )),
    }
    out
}

fn field(doc: &Doc<'_>, at: &[Step<'_>], v: &Value, errors: &mut Vec<Diagnostic>) -> Option<Field> {
    let Value::Mapping(m) = v else {
        errors.push(doc.error_at(
            at,
            format!(
                "a field is a mapping such as `{{ type: string, required: true }}`, found {}",
                describe(v)
            ),
        ));
        return None;
    };
    let mut f = Field {
        ty: FieldType::Any,
        required: false,
        required_with: None,
        max_length: None,
        values: None,
        items: None,
        fields: None,
        description: None,
    };
    let mut explicit_type = false;
    for (k, val) in m {
        let key = k.as_str().unwrap_or_default();
        let mut path = at.to_vec();
        path.push(Step::Key(key));
        match (key, val) {
            ("type", Value::String(s)) => match FieldType::parse(s) {
                Some(t) => {
                    f.ty = t;
                    explicit_type = true;
                }
                None => errors.push(
                    doc.error_at(&path, format!("unknown field type `{s}`"))
                        .with_hint(
                            "types: string, integer, number, boolean, date, url, list, object, any",
                        ),
                ),
            },
            ("required", Value::Bool(b)) => f.required = *b,
            ("required_with", Value::String(s)) => f.required_with = Some(s.clone()),
            ("max_length", Value::Number(n)) if n.as_u64().is_some() => {
                f.max_length = n.as_u64().map(|n| n as usize)
            }
            ("values", Value::Sequence(items)) => {
                f.values = Some(
                    items
                        .iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .collect(),
                )
            }
            ("description", Value::String(s)) => f.description = Some(s.clone()),
            ("items", spec) => f.items = field(doc, &path, spec, errors).map(Box::new),
            ("fields", spec) => f.fields = Some(field_map(doc, &path, spec, errors)),
            (k, _) if FIELD_KEYS.contains(&k) => {
                errors.push(doc.error_at(&path, format!("`{k}` has the wrong type here")))
            }
            (k, _) => {
                let d = doc.error_at(&path, format!("unknown key `{k}` in a field"));
                errors.push(
                    match crate::diagnostic::did_you_mean(k, FIELD_KEYS.iter().copied()) {
                        Some(near) => d.with_hint(format!("did you mean `{near}`?")),
                        None => d.with_hint(format!(
                            "the keys allowed here are: {}",
                            FIELD_KEYS.join(", ")
                        )),
                    },
                );
            }
        }
    }
    if !explicit_type {
        f.ty = if f.fields.is_some() {
            FieldType::Object
        } else if f.items.is_some() {
            FieldType::List
        } else {
            FieldType::Any
        };
    }
    Some(f)
}

/// Checks `value` (found at `at` in `doc`) against `field`, pushing every problem; returns the
/// value as JSON for templates.
pub fn check_value(
    doc: &Doc<'_>,
    at: &[Step<'_>],
    name: &str,
    field: &Field,
    value: &Value,
    language: &str,
    errors: &mut Vec<Diagnostic>,
) -> serde_json::Value {
    let wrong = |expected: &str, errors: &mut Vec<Diagnostic>, hint: &str| {
        errors.push(
            doc.error_at(
                at,
                format!("`{name}`: expected {expected}, found {}", describe(value)),
            )
            .with_hint(hint.to_string()),
        );
    };
    match (&field.ty, value) {
        (FieldType::String | FieldType::Url, Value::String(s)) => {
            if let Some(max) = field.max_length {
                let n = s.chars().count();
                if n > max {
                    errors.push(
                        doc.error_at(
                            at,
                            format!(
                                "`{name}` is {n} characters long; the theme allows at most {max}"
                            ),
                        )
                        .with_hint("shorten it"),
                    );
                }
            }
            if let Some(values) = &field.values
                && !values.iter().any(|v| v == s)
            {
                let d = doc.error_at(
                    at,
                    format!("`{name}`: `{s}` is not one of {}", values.join(", ")),
                );
                errors.push(
                    match crate::diagnostic::did_you_mean(s, values.iter().map(String::as_str)) {
                        Some(near) => d.with_hint(format!("did you mean `{near}`?")),
                        None => d.with_hint(format!("use one of: {}", values.join(", "))),
                    },
                );
            }
            let file = s.split('#').next().unwrap_or_default();
            if field.ty == FieldType::Url
                && !s.starts_with("@/")
                && !s.contains("://")
                && file.ends_with(".md")
            {
                errors.push(
                    doc.error_at(at, format!("`{name}`: `{s}` names a content file, which is not an address on the site"))
                        .with_hint(format!("write it as an internal link, `@/{}`, and placard puts the page's address there", file.trim_start_matches('/').trim_start_matches("content/"))),
                );
            } else if field.ty == FieldType::Url
                && !(s.starts_with("https://")
                    || s.starts_with("http://")
                    || s.starts_with("mailto:")
                    || s.starts_with("@/")
                    || s.starts_with('/'))
            {
                errors.push(doc.error_at(at, format!("`{name}`: `{s}` is not a link")).with_hint("use an internal link such as `@/contact.md`, a site path such as `/contact/`, or an https:// URL"));
            }
            serde_json::Value::String(s.clone())
        }
        (FieldType::String | FieldType::Url, _) => {
            let hint = match crate::yaml::as_string(value) {
                Err((_, h)) => h,
                Ok(_) => String::new(),
            };
            wrong("text", errors, &hint);
            serde_json::Value::Null
        }
        (FieldType::Integer, Value::Number(n)) if n.as_i64().is_some() => {
            crate::yaml::to_json(value)
        }
        (FieldType::Integer, _) => {
            wrong(
                "a whole number",
                errors,
                "write the number without quotes or separators, for example 45000000",
            );
            serde_json::Value::Null
        }
        (FieldType::Number, Value::Number(_)) => crate::yaml::to_json(value),
        (FieldType::Number, _) => {
            wrong("a number", errors, "write the number without quotes");
            serde_json::Value::Null
        }
        (FieldType::Boolean, Value::Bool(b)) => serde_json::Value::Bool(*b),
        (FieldType::Boolean, _) => {
            wrong(
                "true or false",
                errors,
                "YAML 1.2 reads yes/no/on/off as text: write true or false",
            );
            serde_json::Value::Null
        }
        (FieldType::Date, Value::String(s)) => match s.parse::<jiff::civil::Date>() {
            Ok(d) => serde_json::Value::String(d.to_string()),
            Err(e) => {
                errors.push(match crate::time::date_hint(s, language) {
                    Some(hint) => doc
                        .error_at(at, format!("`{name}`: `{s}` is not written as YYYY-MM-DD"))
                        .with_hint(hint),
                    None => doc
                        .error_at(at, format!("`{name}`: `{s}` is not a valid date ({e})"))
                        .with_hint("write the date as YYYY-MM-DD, for example 2018-06-30"),
                });
                serde_json::Value::Null
            }
        },
        (FieldType::Date, _) => {
            wrong("a date", errors, "write the date as YYYY-MM-DD");
            serde_json::Value::Null
        }
        (FieldType::List, Value::Sequence(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let mut path = at.to_vec();
                path.push(Step::Index(i));
                let item_name = format!("{name}[{}]", i + 1);
                out.push(match &field.items {
                    Some(spec) => check_value(doc, &path, &item_name, spec, item, language, errors),
                    None => crate::yaml::to_json(item),
                });
            }
            serde_json::Value::Array(out)
        }
        (FieldType::List, _) => {
            wrong(
                "a list",
                errors,
                &format!(
                    "write a list, for example `{name}: [\"a\", \"b\"]` or one `- item` per line"
                ),
            );
            serde_json::Value::Null
        }
        (FieldType::Object, Value::Mapping(m)) => match &field.fields {
            None => crate::yaml::to_json(value),
            Some(fields) => {
                let mut out = serde_json::Map::new();
                for (k, v) in m {
                    let key = k.as_str().unwrap_or_default();
                    let mut path = at.to_vec();
                    path.push(Step::Key(key));
                    match fields.get(key) {
                        Some(spec) => {
                            if !v.is_null() {
                                out.insert(
                                    key.to_string(),
                                    check_value(
                                        doc,
                                        &path,
                                        &format!("{name}.{key}"),
                                        spec,
                                        v,
                                        language,
                                        errors,
                                    ),
                                );
                            }
                        }
                        None => {
                            let d = doc.error_at(&path, format!("unknown key `{key}` in `{name}`"));
                            errors.push(
                                match crate::diagnostic::did_you_mean(
                                    key,
                                    fields.keys().map(String::as_str),
                                ) {
                                    Some(near) => d.with_hint(format!("did you mean `{near}`?")),
                                    None => d.with_hint(format!(
                                        "the keys allowed here are: {}",
                                        fields.keys().cloned().collect::<Vec<_>>().join(", ")
                                    )),
                                },
                            );
                        }
                    }
                }
                for (key, spec) in fields {
                    let present = |k: &str| m.get(k).is_some_and(|v| !v.is_null());
                    let needed =
                        spec.required || spec.required_with.as_deref().is_some_and(present);
                    if needed && !present(key) {
                        errors.push(
                            doc.error_at(at, format!("`{name}` has no `{key}`"))
                                .with_hint(format!(
                                    "add `{key}:` to this entry; the theme requires it"
                                )),
                        );
                    }
                    if !present(key) {
                        out.insert(key.clone(), serde_json::Value::Null);
                    }
                }
                serde_json::Value::Object(out)
            }
        },
        (FieldType::Object, _) => {
            wrong(
                "a mapping",
                errors,
                "write `key: value` lines indented under the key",
            );
            serde_json::Value::Null
        }
        (FieldType::Any, v) => crate::yaml::to_json(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const THEME: &str = "name: t\nschema:\n  default:\n    sensitive: { type: boolean }\n  initiatives:\n    summary: { required: true, max_length: 10 }\n    stats:\n      type: list\n      items:\n        fields:\n          value: { type: string, required: true }\n          label: { type: string, required: true }\nshortcodes:\n  stat:\n    args:\n      value: { type: string, required: true }\n";

    #[test]
    fn parses_types_fields_and_shortcodes() {
        let m = ThemeManifest::parse("themes/t/theme.yaml", THEME).unwrap();
        let f = m.fields_for("initiatives");
        assert!(f.contains_key("sensitive") && f.contains_key("stats"));
        assert_eq!(f["stats"].items.as_ref().unwrap().ty, FieldType::Object);
        assert!(m.fields_for("news").contains_key("sensitive"));
        assert!(m.shortcodes["stat"].args["value"].required);
    }

    #[test]
    fn checks_nested_values_with_locations() {
        let m = ThemeManifest::parse("t.yaml", THEME).unwrap();
        let f = m.fields_for("initiatives");
        let text = "stats:\n  - value: 970\n    labl: knives\n";
        let doc = Doc::parse("c.md", text, text, 1).unwrap();
        let mut errors = Vec::new();
        check_value(
            &doc,
            &[Step::Key("stats")],
            "stats",
            &f["stats"],
            doc.get("stats").unwrap(),
            "en-GB",
            &mut errors,
        );
        let msgs: Vec<_> = errors.iter().map(|e| (e.message.clone(), e.line)).collect();
        assert!(
            msgs.contains(&(
                "`stats[1].value`: expected text, found the number `970`".into(),
                Some(2)
            )),
            "{msgs:?}"
        );
        assert!(
            msgs.contains(&("unknown key `labl` in `stats[1]`".into(), Some(3))),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|(m, _)| m == "`stats[1]` has no `label`"),
            "{msgs:?}"
        );
    }
}
