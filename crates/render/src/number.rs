//! Numbers as the reader's language writes them: "1,000" in English, "1 000" in French
//! (CLDR's narrow no-break space, so a count never breaks across lines). Used by fluent for
//! every number a translation shows (its plural rules still see the number) and by the
//! templates' `number` filter for the few numbers shown outside a translation.

use crate::Locale;
use fluent_templates::fluent_bundle::FluentValue;
use std::collections::HashMap;
use std::sync::LazyLock;
use tera::Value;

impl Locale {
    /// The thousands separator of the language: its translations' `number-group-separator`
    /// (a comma in English, a narrow no-break space in French), read once.
    pub fn group_separator(self) -> &'static str {
        static SEPARATORS: LazyLock<Vec<String>> = LazyLock::new(|| {
            Locale::all()
                .map(|l| crate::Renderer::lookup(l, "number-group-separator").unwrap_or_else(|| ",".into()))
                .collect()
        });
        SEPARATORS.get(self.index()).map(String::as_str).unwrap_or(",")
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

/// Fluent's formatter for the language `I` (an index of `Locale::all()`): fluent takes a
/// function, not a closure, so there is one per language, up to `FORMATTERS.len()`.
fn grouped_in<const I: u8, M>(value: &FluentValue, m: &M) -> Option<String> {
    grouped(Locale::all().nth(usize::from(I)).unwrap_or_default(), value, m)
}

/// Picks the formatter of the language at `index` of `Locale::all()`.
pub(crate) fn formatter<M>(index: usize) -> fn(&FluentValue, &M) -> Option<String> {
    macro_rules! table {
        ($($i:literal)*) => { [$(grouped_in::<$i, M> as fn(&FluentValue, &M) -> Option<String>),*] };
    }
    let formatters = table!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);
    // More languages than formatters would group their numbers as English does.
    formatters.get(index).copied().unwrap_or(grouped_in::<0, M>)
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
