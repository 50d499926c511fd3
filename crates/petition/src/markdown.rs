//! Markdown is rendered and sanitized once, when written; what templates print is a
//! `SafeHtml`, which only this module can make.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SafeHtml(String);

impl SafeHtml {
    pub fn from_markdown(markdown: &str) -> Self {
        use pulldown_cmark::{html, Options, Parser};
        let mut options = Options::empty();
        options.insert(Options::ENABLE_STRIKETHROUGH);
        options.insert(Options::ENABLE_TABLES);
        let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
        html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
        let clean =
            ammonia::Builder::default().link_rel(Some("nofollow noopener noreferrer")).clean(&unsafe_html).to_string();
        SafeHtml(clean)
    }

    /// For HTML that was sanitized when stored, read back from the database.
    pub(crate) fn from_stored(html: String) -> Self {
        SafeHtml(html)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_are_removed() {
        let html = SafeHtml::from_markdown(
            "**Save** the <script>alert(1)</script> park\n\n<img src=x onerror=alert(1)> [x](javascript:alert(1))",
        );
        let s = html.as_str();
        assert!(s.contains("<strong>Save</strong>"));
        assert!(!s.contains("<script"));
        assert!(!s.contains("onerror"));
        assert!(!s.contains("javascript:"));
    }
}
