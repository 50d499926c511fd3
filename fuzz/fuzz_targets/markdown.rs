//! A petition's text, as an organizer writes it: Markdown rendered and sanitized once, then
//! printed in every page as it is. Whatever the input, rendering never panics and what
//! comes out runs nothing (`signons_fuzz::assert_safe_html`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use signons_petition::SafeHtml;

fuzz_target!(|data: &[u8]| {
    let Ok(markdown) = std::str::from_utf8(data) else { return };
    let html = SafeHtml::from_markdown(markdown);
    signons_fuzz::assert_safe_html(html.as_str(), signons_fuzz::harmless_scheme);
});
