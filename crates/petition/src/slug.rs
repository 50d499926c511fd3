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
}
