//! The languages the interface is translated into: one per folder of `web/locales`, found
//! when the crate is built (`build.rs`), so that adding a language is adding a folder with
//! its `main.ftl`. English is the fallback.

use fluent_langneg::{accepted_languages, negotiate_languages, NegotiationStrategy};
use std::sync::LazyLock;
use unic_langid::LanguageIdentifier;

/// One of the interface's languages (an index into the folders of `web/locales`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Locale(u8);

include!(concat!(env!("OUT_DIR"), "/locales.rs"));

/// The languages' identifiers, in the order of `CODES` (checked to be tags by `build.rs`).
static LANGIDS: LazyLock<Vec<LanguageIdentifier>> =
    LazyLock::new(|| CODES.iter().map(|code| code.parse().unwrap_or_else(|_| unic_langid::langid!("und"))).collect());

impl Default for Locale {
    fn default() -> Self {
        Locale::En
    }
}

impl Locale {
    /// Every language, in the order of their folders' names.
    pub fn all() -> impl Iterator<Item = Locale> + Clone {
        // `build.rs` refuses more languages than a `u8` counts.
        (0..=u8::MAX).take(CODES.len()).map(Locale)
    }

    /// How many languages there are.
    pub fn count() -> usize {
        CODES.len()
    }

    /// Its position among `all()`, for tables kept per language.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// Its language tag, as its folder is named (`en`, `fr`).
    pub fn code(self) -> &'static str {
        CODES.get(self.index()).copied().unwrap_or("en")
    }

    /// The language of a tag as stored or sent (`fr`, `FR`, `pt-BR`), if it is one of ours.
    pub fn from_code(code: &str) -> Option<Self> {
        let code = code.trim();
        CODES.iter().position(|c| c.eq_ignore_ascii_case(code)).and_then(|i| u8::try_from(i).ok()).map(Locale)
    }

    /// Picks the best supported language from an `Accept-Language` header.
    pub fn negotiate(accept_language: &str) -> Self {
        let requested = accepted_languages::parse(accept_language);
        let default = Locale::default().langid();
        let chosen = negotiate_languages(&requested, &LANGIDS, Some(default), NegotiationStrategy::Filtering);
        chosen
            .first()
            .and_then(|chosen| LANGIDS.iter().position(|l| l == *chosen))
            .and_then(|i| u8::try_from(i).ok())
            .map(Locale)
            .unwrap_or_default()
    }

    pub(crate) fn langid(self) -> &'static LanguageIdentifier {
        LANGIDS.get(self.index()).unwrap_or(&LANGIDS[Locale::default().index()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_from_accept_language() {
        assert_eq!(Locale::negotiate("fr-FR,fr;q=0.9,en;q=0.8"), Locale::Fr);
        assert_eq!(Locale::negotiate("de-DE,en;q=0.5,fr;q=0.4"), Locale::En);
        assert_eq!(Locale::negotiate("de"), Locale::En);
        assert_eq!(Locale::negotiate(""), Locale::En);
        assert_eq!(Locale::negotiate("fr-CA"), Locale::Fr);
    }

    /// The languages are the folders of `web/locales`, as they are now: a folder added is
    /// a language the interface offers, with no code to change.
    #[test]
    fn the_languages_are_the_folders() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/locales");
        let mut folders: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.path().join("main.ftl").is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        folders.sort();
        let codes: Vec<&str> = Locale::all().map(Locale::code).collect();
        assert_eq!(codes, folders);
        for locale in Locale::all() {
            assert_eq!(Locale::from_code(locale.code()), Some(locale));
            assert_eq!(locale.langid().to_string(), locale.code());
        }
        assert_eq!(Locale::from_code("FR"), Some(Locale::Fr));
        assert_eq!(Locale::from_code("xx"), None);
    }
}
