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
        html::push_html(&mut unsafe_html, images_of_other_sites_as_links(Parser::new_ext(markdown, options)));
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

    /// The text alone, whitespace collapsed, cut at a word to at most `max` characters
    /// (with "…"): a page's meta description and a shared link's preview.
    pub fn summary(&self, max: usize) -> String {
        const BLOCKS: &[&str] =
            &["p", "br", "li", "ul", "ol", "div", "blockquote", "pre", "table", "tr", "td", "th", "hr"];
        let mut text = String::with_capacity(self.0.len().min(max * 8));
        let mut tag: Option<String> = None;
        for c in self.0.chars() {
            match (&mut tag, c) {
                (None, '<') => tag = Some(String::new()),
                (Some(name), '>') => {
                    // Blocks end words ("<p>a</p><p>b</p>" reads "a b"); inline tags do not
                    // ("<strong>ours</strong>:" reads "ours:").
                    let name = name.trim_start_matches('/').split([' ', '/']).next().unwrap_or_default();
                    let block = BLOCKS.contains(&name) || (name.len() == 2 && name.starts_with('h'));
                    if block {
                        text.push(' ');
                    }
                    tag = None;
                }
                (Some(name), c) => name.push(c),
                (None, c) => text.push(c),
            }
        }
        // ammonia writes these five escapes, and only these, outside tags.
        let text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'");
        let text = text.replace("&amp;", "&");
        let words: Vec<&str> = text.split_whitespace().collect();
        let mut out = String::new();
        for word in words {
            let needed = out.chars().count() + usize::from(!out.is_empty()) + word.chars().count();
            if needed > max.saturating_sub(1) {
                if out.is_empty() {
                    out = word.chars().take(max.saturating_sub(1)).collect();
                }
                out.push('…');
                return out;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
        out
    }
}

/// Whether a URL names another site (a scheme, or `//host`): the pages' CSP loads images
/// from this instance only, so such an image would show broken.
fn is_other_site(url: &str) -> bool {
    url.starts_with("//") || url.split_once(':').is_some_and(|(scheme, _)| !scheme.contains(['/', '?', '#']))
}

/// Markdown images from another site become links to them (their alt text the link's
/// text, or the address when there is none); images of this instance stay images.
fn images_of_other_sites_as_links<'a>(
    events: impl Iterator<Item = pulldown_cmark::Event<'a>>,
) -> impl Iterator<Item = pulldown_cmark::Event<'a>> {
    use pulldown_cmark::{CowStr, Event, LinkType, Tag, TagEnd};
    // Per image open: whether it became a link, and its address while no text came yet.
    let mut open: Vec<(bool, Option<CowStr<'a>>)> = Vec::new();
    events.flat_map(move |event| -> Vec<Event<'a>> {
        match event {
            Event::Start(Tag::Image { dest_url, title, id, .. }) if is_other_site(&dest_url) => {
                open.push((true, Some(dest_url.clone())));
                vec![Event::Start(Tag::Link { link_type: LinkType::Inline, dest_url, title, id })]
            }
            Event::Start(tag @ Tag::Image { .. }) => {
                open.push((false, None));
                vec![Event::Start(tag)]
            }
            Event::End(TagEnd::Image) => match open.pop() {
                Some((true, Some(url))) => vec![Event::Text(url), Event::End(TagEnd::Link)],
                Some((true, None)) => vec![Event::End(TagEnd::Link)],
                _ => vec![Event::End(TagEnd::Image)],
            },
            other => {
                if let Some((_, url)) = open.last_mut() {
                    *url = None;
                }
                vec![other]
            }
        }
    })
}

/// Plain text that Markdown will show as it is: every ASCII punctuation character that
/// Markdown reads is escaped with a backslash (CommonMark allows it before any of them).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaped_text_shows_as_typed() {
        let typed = "Mayor *of* <b>Lyon</b> [1](x) \\ #2";
        let html = super::SafeHtml::from_markdown(&super::escape(typed));
        assert_eq!(html.as_str(), "<p>Mayor *of* &lt;b&gt;Lyon&lt;/b&gt; [1](x) \\ #2</p>\n");
    }

    use super::*;

    #[test]
    fn a_summary_is_the_text_alone_cut_at_a_word() {
        let html =
            SafeHtml::from_markdown("# Trees\n\nPlant **twelve** trees & <b>flowers</b> \"now\".\n\n- one\n- two");
        assert_eq!(html.summary(200), "Trees Plant twelve trees & flowers \"now\". one two");
        assert_eq!(html.summary(20), "Trees Plant twelve…");
        assert!(html.summary(20).chars().count() <= 20);
        assert_eq!(SafeHtml::from_markdown("").summary(200), "");
    }

    #[test]
    fn images_of_other_sites_are_links_and_ours_stay_images() {
        let html = SafeHtml::from_markdown(
            "![A tree](https://elsewhere.example/tree.jpg) ![](//cdn.example/x.png) ![Ours](/media/abc-480.jpg)",
        );
        let s = html.as_str();
        assert!(
            s.contains(r#"<a href="https://elsewhere.example/tree.jpg" rel="nofollow noopener noreferrer">A tree</a>"#),
            "{s}"
        );
        assert!(s.contains(r#">//cdn.example/x.png</a>"#), "{s}");
        assert!(!s.contains("elsewhere.example/tree.jpg\" alt"), "{s}");
        assert!(s.contains(r#"<img src="/media/abc-480.jpg" alt="Ours">"#), "{s}");
        assert_eq!(s.matches("<img").count(), 1, "{s}");
    }

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
