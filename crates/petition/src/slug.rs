//! `Slug`: the name in `/p/{slug}` and `/o/{name}`, shared by petitions and organizations.

use crate::fields::FieldError;
use serde::Serialize;
use signons_store::Id;

/// A petition slug or organization name: the `{slug}` of `/p/{slug}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Slug(
    // The crate's own: `petition::free_slug` suffixes a slug that parsed.
    pub(crate) String,
);

impl Slug {
    pub const MAX_LEN: usize = 64;

    pub fn parse(field: &'static str, input: &str) -> Result<Self, FieldError> {
        let s = input.trim();
        let ok_chars = s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if s.len() < 3
            || s.len() > Self::MAX_LEN
            || !ok_chars
            || s.starts_with('-')
            || s.ends_with('-')
            || s.contains("--")
        {
            return Err(FieldError { field, code: "error-slug-invalid", limit: None });
        }
        Ok(Slug(s.to_owned()))
    }

    /// A readable slug made from a title; falls back to a random one for titles with no
    /// Latin letters left after transliteration.
    pub fn from_title(title: &str) -> Self {
        let mut s = slug::slugify(title);
        if s.len() > 60 {
            s.truncate(60);
            if let Some(i) = s.rfind('-') {
                s.truncate(i);
            }
        }
        let s = s.trim_matches('-').to_owned();
        match Slug::parse("slug", &s) {
            Ok(slug) => slug,
            Err(_) => Slug(format!("petition-{}", &Id::new().as_str()[24..])),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_parse_strictly() {
        assert!(Slug::parse("s", "save-the-park").is_ok());
        for bad in ["", "ab", "Save", "-abc", "abc-", "a--b", "a b c", "<script>", &"a".repeat(65)] {
            assert!(Slug::parse("s", bad).is_err(), "{bad}");
        }
        assert_eq!(
            Slug::from_title("Sauvons l'école de la Rue Émile-Zola !").as_str(),
            "sauvons-l-ecole-de-la-rue-emile-zola"
        );
        assert!(Slug::from_title("!!! ??").as_str().starts_with("petition-"));
        assert!(Slug::parse("s", Slug::from_title("日本").as_str()).is_ok());
    }

    /// Properties of slugs (proptest's default 256 cases each).
    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// What `Slug::parse` documents, written again the plain way: trimmed, 3 to 64 of
        /// `a-z`, `0-9` and `-`, no `-` at either end nor two together.
        fn is_slug(input: &str) -> bool {
            let s = input.trim();
            (3..=Slug::MAX_LEN).contains(&s.len())
                && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !s.starts_with('-')
                && !s.ends_with('-')
                && !s.contains("--")
        }

        proptest! {
            /// Anything at all: an answer, never a panic, and the documented one.
            #[test]
            fn parse_accepts_exactly_what_it_documents(input in ".{0,80}") {
                prop_assert_eq!(Slug::parse("slug", &input).is_ok(), is_slug(&input));
            }

            /// Near-slugs (where the rules are decided), with spaces around.
            #[test]
            fn parse_decides_near_slugs_as_documented(input in "[ \t]{0,2}[a-z0-9A-Z_ -]{0,70}[ \t\n]{0,2}") {
                prop_assert_eq!(Slug::parse("slug", &input).is_ok(), is_slug(&input));
            }

            /// A slug prints as itself and parses back to itself.
            #[test]
            fn slugs_round_trip_through_display(input in "[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,5}") {
                if let Ok(slug) = Slug::parse("slug", &input) {
                    prop_assert_eq!(slug.to_string(), input.clone());
                    prop_assert_eq!(Slug::parse("slug", &slug.to_string()), Ok(slug));
                }
            }

            /// Whatever the title (any script, any length), the slug made of it is valid.
            #[test]
            fn a_slug_from_any_title_is_valid(title in ".{0,200}") {
                let slug = Slug::from_title(&title);
                prop_assert!(is_slug(slug.as_str()), "{:?} from {:?}", slug, title);
                prop_assert!(Slug::parse("slug", &slug.to_string()).is_ok());
            }

            #[test]
            fn a_slug_from_a_latin_title_keeps_its_words(words in proptest::collection::vec("[A-Za-z]{1,8}", 1..6)) {
                let title = words.join(" ");
                let slug = Slug::from_title(&title);
                if (3..=60).contains(&title.len()) {
                    prop_assert_eq!(slug.as_str(), title.to_lowercase().replace(' ', "-"));
                }
            }
        }
    }
}
