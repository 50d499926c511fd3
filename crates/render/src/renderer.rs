use crate::Locale;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{static_loader, Loader};
use rust_embed::RustEmbed;
use std::borrow::Cow;
use std::collections::HashMap;
use tera::{Context, Tera, Value};
use thiserror::Error;

static_loader! {
    static LOCALES = {
        locales: "../../web/locales",
        fallback_language: "en",
        customise: |bundle| {
            bundle.set_use_isolating(false);
            // Each language groups the digits of its numbers with its own separator.
            let index = bundle.locales.first().and_then(|l| crate::Locale::from_code(&l.to_string())).unwrap_or_default();
            bundle.set_formatter(Some(crate::number::formatter(index.index())));
        },
    };
}

#[derive(RustEmbed)]
#[folder = "../../web/templates/"]
struct Templates;

/// `web/static`, embedded: CSS, images, scripts.
#[derive(RustEmbed)]
#[folder = "../../web/static/"]
pub struct StaticFiles;

#[derive(Debug, Error)]
pub enum RenderError {
    #[error("template {name} is not valid UTF-8")]
    Encoding { name: String },
    #[error("template error: {0}")]
    Template(#[from] tera::Error),
    #[error(transparent)]
    Map(#[from] crate::map::MapError),
}

/// Renders templates with translations: templates call `t(k="key", l=lang, …args)`.
/// Cheap to clone: the parsed templates are shared.
#[derive(Clone)]
pub struct Renderer {
    tera: std::sync::Arc<Tera>,
    maps: std::sync::Arc<crate::map::Maps>,
}

impl Renderer {
    pub fn new() -> Result<Self, RenderError> {
        let mut tera = Tera::default();
        let mut sources = Vec::new();
        for name in Templates::iter() {
            let file = Templates::get(&name).ok_or_else(|| RenderError::Encoding { name: name.to_string() })?;
            let text = String::from_utf8(file.data.into_owned())
                .map_err(|_| RenderError::Encoding { name: name.to_string() })?;
            sources.push((name.to_string(), text));
        }
        tera.add_raw_templates(sources)?;
        tera.autoescape_on(vec![".html", ".svg"]);
        tera.register_function("t", translate_function);
        tera.register_filter("number", crate::number::number_filter);
        tera.register_filter("day", crate::time::day_filter);
        tera.register_filter("urlencode_strict", urlencode_strict);
        let maps = std::sync::Arc::new(crate::map::Maps::load()?);
        Ok(Renderer { tera: std::sync::Arc::new(tera), maps })
    }

    /// The breakdown maps' data, parsed once with the templates.
    pub fn maps(&self) -> &std::sync::Arc<crate::map::Maps> {
        &self.maps
    }

    pub fn render(&self, template: &str, locale: Locale, context: &Context) -> Result<String, RenderError> {
        let mut context = context.clone();
        context.insert("lang", locale.code());
        Ok(self.tera.render(template, &context)?)
    }

    /// A translated string without arguments, or `None` when the language lacks it.
    pub(crate) fn lookup(locale: Locale, key: &str) -> Option<String> {
        LOCALES.try_lookup(locale.langid(), key)
    }

    /// A translated string, for Rust code (email subjects, error messages).
    pub fn translate(locale: Locale, key: &str, args: &[(&'static str, Value)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> =
            args.iter().map(|(k, v)| (Cow::Borrowed(*k), fluent_value(v))).collect();
        LOCALES.try_lookup_with_args(locale.langid(), key, &args).unwrap_or_else(|| {
            tracing::warn!(key, "missing translation");
            key.to_owned()
        })
    }
}

fn fluent_value(v: &Value) -> FluentValue<'static> {
    match v {
        Value::Number(n) => {
            n.as_i64().map(FluentValue::from).or_else(|| n.as_f64().map(FluentValue::from)).unwrap_or(FluentValue::None)
        }
        Value::String(s) => FluentValue::from(s.clone()),
        Value::Bool(b) => FluentValue::from(b.to_string()),
        other => FluentValue::from(other.to_string()),
    }
}

/// RFC 3986's unreserved characters stay as they are; everything else is escaped.
const QUERY_VALUE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `{{ text | urlencode_strict }}`: a query parameter's value, escaped as `encodeURIComponent`
/// does (tera's own filter comes with its `builtins`, which bring much more).
fn urlencode_strict(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = value.as_str().ok_or_else(|| tera::Error::msg("urlencode_strict takes a string"))?;
    Ok(Value::String(encode_query_value(text)))
}

/// A query parameter's value escaped as `encodeURIComponent` does: the one encoder of the
/// templates' `urlencode_strict` and of links built in code.
pub fn encode_query_value(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, QUERY_VALUE).to_string()
}

fn translate_function(args: &HashMap<String, Value>) -> tera::Result<Value> {
    let key = args.get("k").and_then(Value::as_str).ok_or_else(|| tera::Error::msg("t() needs k=\"key\""))?;
    let locale = args.get("l").and_then(Value::as_str).and_then(Locale::from_code).unwrap_or_default();
    let rest: Vec<(&'static str, Value)> = args
        .iter()
        .filter(|(k, _)| k.as_str() != "k" && k.as_str() != "l")
        .map(|(k, v)| (leak_arg_name(k), v.clone()))
        .collect();
    Ok(Value::String(Renderer::translate(locale, key, &rest)))
}

/// Fluent wants `'static` argument names; the templates use a small fixed set of them.
fn leak_arg_name(name: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "count",
        "goal",
        "name",
        "title",
        "target",
        "organization",
        "date",
        "instance",
        "max",
        "min",
        "percent",
        "hours",
        "minutes",
        "days",
        "email",
        "status",
        "host",
        "query",
        "page",
        "pages",
        "at",
        "confirmed",
        "pending",
        "reason",
        "places",
    ];
    KNOWN.iter().find(|k| **k == name).copied().unwrap_or("arg")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(locale: &str) -> BTreeSet<String> {
        let path = format!("{}/../../web/locales/{locale}/main.ftl", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).unwrap();
        text.lines()
            .filter(|l| !l.starts_with(' ') && !l.starts_with('#') && l.contains(" ="))
            .map(|l| l.split(" =").next().unwrap().trim().to_owned())
            .collect()
    }

    #[test]
    fn every_language_has_the_same_keys() {
        let en = keys("en");
        assert!(!en.is_empty());
        for locale in Locale::all() {
            let other = keys(locale.code());
            let differ: Vec<&String> = en.symmetric_difference(&other).collect();
            assert!(differ.is_empty(), "{} differs from en: {differ:?}", locale.code());
        }
    }

    #[test]
    fn every_key_used_in_templates_exists() {
        let en = keys("en");
        let re_start = "t(k=\"";
        for name in Templates::iter() {
            let text = String::from_utf8(Templates::get(&name).unwrap().data.into_owned()).unwrap();
            for (i, _) in text.match_indices(re_start) {
                let rest = &text[i + re_start.len()..];
                let key = &rest[..rest.find('"').unwrap()];
                if key.ends_with('-') {
                    continue; // a prefix completed in the template, e.g. "status-" ~ p.status
                }
                assert!(en.contains(key), "{name} uses unknown key {key}");
            }
        }
    }

    #[test]
    fn translates_with_plurals() {
        let one = Renderer::translate(Locale::En, "signature-count", &[("count", 1.into())]);
        let many = Renderer::translate(Locale::Fr, "signature-count", &[("count", 3.into())]);
        assert_eq!(one, "1 signature");
        assert_eq!(many, "3 signatures");
    }
}
