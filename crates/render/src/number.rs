//! Numbers as the reader's language writes them: "1,000" in English, "1 000" in French
//! (CLDR's narrow no-break space, so a count never breaks across lines). Used by fluent for
//! every number a translation shows (its plural rules still see the number) and by the
//! templates' `number` filter for the few numbers shown outside a translation.

use crate::Locale;
use fluent_templates::fluent_bundle::FluentValue;
use std::collections::HashMap;
use tera::Value;

impl Locale {
    /// The thousands separator of the language.
    pub fn group_separator(self) -> &'static str {
        match self {
            Locale::En => ",",
            Locale::Fr => "\u{202F}",
        }
    }
}

/// `n` with its thousands grouped for `locale`.
pub fn format(locale: Locale, n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push_str(locale.group_separator());
        }
        out.push(d);
    }
    out
}

/// Whole numbers of four digits or more get grouped; fluent formats the others itself.
fn grouped<M>(locale: Locale, value: &FluentValue, _: &M) -> Option<String> {
    match value {
        FluentValue::Number(n) if n.value.fract() == 0.0 && n.value.abs() >= 1000.0 && n.value.abs() < 1e15 => {
            Some(format(locale, n.value as i64))
        }
        _ => None,
    }
}

pub(crate) fn english<M>(value: &FluentValue, m: &M) -> Option<String> {
    grouped(Locale::En, value, m)
}

pub(crate) fn french<M>(value: &FluentValue, m: &M) -> Option<String> {
    grouped(Locale::Fr, value, m)
}

/// The templates' `{{ n | number(l=lang) }}`.
pub(crate) fn number_filter(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let locale = args.get("l").and_then(Value::as_str).and_then(Locale::from_code).unwrap_or_default();
    match value.as_i64() {
        Some(n) => Ok(Value::String(format(locale, n))),
        None => Ok(value.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped_as_each_language_writes_them() {
        assert_eq!(format(Locale::En, 0), "0");
        assert_eq!(format(Locale::En, 999), "999");
        assert_eq!(format(Locale::En, 1000), "1,000");
        assert_eq!(format(Locale::En, 1234567), "1,234,567");
        assert_eq!(format(Locale::En, -12345), "-12,345");
        assert_eq!(format(Locale::Fr, 1000), "1\u{202F}000");
        assert_eq!(format(Locale::Fr, 100000), "100\u{202F}000");
    }

    #[test]
    fn translations_group_numbers_and_keep_their_plurals() {
        use serde_json::json;
        let en = crate::Renderer::translate(Locale::En, "signature-count", &[("count", json!(1000))]);
        assert_eq!(en, "1,000 signatures");
        let one = crate::Renderer::translate(Locale::En, "signature-count", &[("count", json!(1))]);
        assert_eq!(one, "1 signature");
        let fr = crate::Renderer::translate(Locale::Fr, "signature-count", &[("count", json!(12500))]);
        assert!(fr.starts_with("12\u{202F}500 "), "{fr}");
    }
}
