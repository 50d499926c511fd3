//! Everything a person reads, pages and emails alike: the tera templates and static files of
//! `web/`, embedded in the binary, and the English and French translations of
//! `web/locales`. Kept apart from `app` because the `mail` crate renders emails with it.

mod locale;
pub mod map;
mod number;
mod renderer;
mod time;

pub use locale::Locale;
pub use number::format as format_number;
pub use renderer::{encode_query_value, RenderError, Renderer, StaticFiles};
/// HTML escaping as the templates do it, for the few pages streamed outside them.
pub use tera::escape_html;
pub use tera::Context;
pub use time::{date as format_date, relative as relative_time};
