//! What the fuzz targets share: the check that sanitized HTML is safe to print in a page.
//!
//! The HTML checked is what ammonia serializes (html5ever's serializer): text has `<`, `>`
//! and `&` escaped, every attribute value is in double quotes with `"` and `&` escaped, and
//! comments are gone. So every `<` starts a real tag, and a small scanner reads the tags and
//! attributes exactly as a browser would.

/// Elements that run code, load documents or restyle the page: never in sanitized output.
const FORBIDDEN_TAGS: &[&str] = &[
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "form", "input",
    "button", "textarea", "select", "link", "meta", "base", "template", "noscript",
];

/// Schemes that run code or carry a document of their own: never in a page's links.
pub fn harmless_scheme(scheme: &str) -> bool {
    !matches!(scheme, "javascript" | "vbscript" | "data" | "file" | "blob" | "filesystem")
}

/// Links from other servers: the web, nothing else.
pub fn web_scheme(scheme: &str) -> bool {
    matches!(scheme, "http" | "https")
}

/// Attributes whose value is a URL that a browser follows or loads.
const URL_ATTRIBUTES: &[&str] = &["href", "src", "action", "formaction", "xlink:href", "poster", "cite", "srcset"];

/// One start tag: its name and attributes (values with `&quot;`, `&amp;` … decoded).
#[derive(Debug)]
pub struct Tag {
    pub name: String,
    pub attributes: Vec<(String, String)>,
}

/// The start tags of serialized HTML, in order. Panics where the HTML is not what a
/// serializer writes (an unquoted value, a `<` that opens nothing): that is a finding too.
pub fn tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    while let Some(offset) = html[i..].find('<') {
        i += offset + 1;
        if html[i..].starts_with('/') {
            // An end tag: `</name>`.
            let end = html[i..].find('>').unwrap_or_else(|| panic!("unterminated end tag in {html:?}"));
            i += end + 1;
            continue;
        }
        let name_len = html[i..].find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/').unwrap_or(0);
        assert!(name_len > 0, "a `<` that opens no tag in {html:?}");
        let name = html[i..i + name_len].to_ascii_lowercase();
        i += name_len;
        let mut attributes = Vec::new();
        loop {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            assert!(i < bytes.len(), "unterminated tag in {html:?}");
            if bytes[i] == b'>' {
                i += 1;
                break;
            }
            if html[i..].starts_with("/>") {
                i += 2;
                break;
            }
            let attr_len = html[i..]
                .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '>' || c == '/')
                .unwrap_or(html.len() - i);
            assert!(attr_len > 0, "unreadable attribute in {html:?}");
            let attr = html[i..i + attr_len].to_ascii_lowercase();
            i += attr_len;
            let mut value = String::new();
            if bytes.get(i) == Some(&b'=') {
                assert_eq!(bytes.get(i + 1), Some(&b'"'), "unquoted attribute value in {html:?}");
                let end = html[i + 2..].find('"').unwrap_or_else(|| panic!("unterminated value in {html:?}"));
                value = decode(&html[i + 2..i + 2 + end]);
                i += 2 + end + 1;
            }
            attributes.push((attr, value));
        }
        tags.push(Tag { name, attributes });
    }
    tags
}

/// The character references html5ever's serializer writes in attribute values.
fn decode(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&nbsp;", "\u{a0}")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The scheme a browser sees in a URL attribute: tabs and newlines are dropped anywhere,
/// leading spaces and control characters are ignored, and case does not matter. `None`
/// for a relative URL.
pub fn scheme(url: &str) -> Option<String> {
    let cleaned: String = url.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let cleaned = cleaned.trim_start_matches(|c: char| c <= ' ');
    let colon = cleaned.find(':')?;
    let candidate = &cleaned[..colon];
    let mut chars = candidate.chars();
    let first_is_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if first_is_letter && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) {
        Some(candidate.to_ascii_lowercase())
    } else {
        None // a colon after a `/`, `?` or `#`: a relative URL
    }
}

/// Panics unless `html` is safe to print inside a page: no element that runs code, no
/// event handler or style attribute, no URL of a scheme that `allowed` refuses (relative
/// URLs pass), and every link opens without referrer or opener.
pub fn assert_safe_html(html: &str, allowed: impl Fn(&str) -> bool) {
    for tag in tags(html) {
        assert!(!FORBIDDEN_TAGS.contains(&tag.name.as_str()), "<{}> in {html:?}", tag.name);
        for (attr, value) in &tag.attributes {
            assert!(!attr.starts_with("on"), "event handler {attr} in {html:?}");
            assert!(attr != "style" && attr != "srcdoc" && attr != "formaction", "{attr} in {html:?}");
            if URL_ATTRIBUTES.contains(&attr.as_str()) {
                if let Some(s) = scheme(value) {
                    assert!(allowed(&s), "a {s}: URL in {attr} of {html:?}");
                }
            }
        }
        if tag.name == "a" && tag.attributes.iter().any(|(a, _)| a == "href") {
            let rel = tag.attributes.iter().find(|(a, _)| a == "rel").map(|(_, v)| v.as_str()).unwrap_or("");
            for word in ["noopener", "noreferrer"] {
                assert!(rel.split_ascii_whitespace().any(|w| w == word), "a link without rel {word} in {html:?}");
            }
        }
    }
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "<script in {html:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checker_reads_what_a_browser_reads() {
        assert_eq!(scheme(" Java\tScript:alert(1)").as_deref(), Some("javascript"));
        assert_eq!(scheme("/a:b"), None);
        assert_eq!(scheme("https://x.org/").as_deref(), Some("https"));
        let t = tags(r#"<p>a &lt;b&gt; <a href="x?a=&quot;1&quot;" rel="noopener noreferrer">l</a><br></p>"#);
        assert_eq!(t.len(), 3);
        assert_eq!(t[1].attributes[0], ("href".to_owned(), "x?a=\"1\"".to_owned()));
    }

    #[test]
    #[should_panic]
    fn a_javascript_link_is_caught() {
        assert_safe_html(r#"<a href="javascript:alert(1)" rel="noopener noreferrer">x</a>"#, web_scheme);
    }

    #[test]
    #[should_panic]
    fn a_handler_is_caught() {
        assert_safe_html(r#"<img src="x" onerror="alert(1)">"#, web_scheme);
    }
}
