use fluent_langneg::{accepted_languages, negotiate_languages, NegotiationStrategy};
use unic_langid::{langid, LanguageIdentifier};

/// The languages the interface is translated into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    En,
    Fr,
}

static EN: LanguageIdentifier = langid!("en");
static FR: LanguageIdentifier = langid!("fr");

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Fr];

    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Locale::En),
            "fr" => Some(Locale::Fr),
            _ => None,
        }
    }

    /// Picks the best supported language from an `Accept-Language` header.
    pub fn negotiate(accept_language: &str) -> Self {
        let requested = accepted_languages::parse(accept_language);
        let available = [EN.clone(), FR.clone()];
        let chosen = negotiate_languages(&requested, &available, Some(&EN), NegotiationStrategy::Filtering);
        match chosen.first().map(|l| l.language.as_str()) {
            Some("fr") => Locale::Fr,
            _ => Locale::En,
        }
    }

    pub(crate) fn langid(self) -> &'static LanguageIdentifier {
        match self {
            Locale::En => &EN,
            Locale::Fr => &FR,
        }
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
}
