//! Sharing a petition: the step to the visitor's own fediverse server (`GET /share`), and
//! the image a shared link previews with (`GET /p/{slug}/share.svg`). The share links of
//! the other services are plain links in `partials/share.html`.

use crate::error::AppError;
use crate::page::Visitor;
use crate::page_error::PageResult;
use crate::read_model::views::PetitionView;
use crate::routes::public::visible_petition;
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use signons_render::{Context, Renderer};

/// A fediverse server's address as a person types it: `mastodon.social`, also
/// `https://mastodon.social/`, `@me@mastodon.social` or `mastodon.social/@me`, with a port
/// if it has one. Only the host is kept: the visitor is sent to its `/share` page, nowhere
/// else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHost(String);

impl ServerHost {
    pub fn parse(input: &str) -> Option<ServerHost> {
        let s = input.trim().to_ascii_lowercase();
        let s = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")).unwrap_or(&s);
        let s = s.split('/').next().unwrap_or_default();
        let s = s.rsplit('@').next().unwrap_or_default();
        let (host, port) = match s.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (s, None),
        };
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let labels: Vec<&str> = host.split('.').collect();
        // A public server has a dotted name whose last label is not all digits (no raw IPs).
        let host_ok = host.len() <= 253
            && labels.len() >= 2
            && labels.iter().all(|l| label_ok(l))
            && !labels.last().is_some_and(|l| l.chars().all(|c| c.is_ascii_digit()));
        let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok_and(|p| p > 0));
        (host_ok && port_ok).then(|| ServerHost(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Deserialize)]
struct ShareQuery {
    #[serde(default)]
    instance: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    title: String,
}

/// The share form's answer: a link to the visitor's server with the post written (Mastodon's
/// `/share?text=`, which Misskey and others also take), or the form again with what is
/// wrong. A page with a link rather than a redirect: the pages' CSP lets forms go to this
/// instance only, redirects included, and the visitor sees where they are going.
#[get("/share")]
pub async fn share(state: web::Data<AppState>, visitor: Visitor, query: web::Query<ShareQuery>) -> PageResult {
    let query = query.into_inner();
    let petitions = format!("{}/p/", state.config.public_url);
    if !query.url.starts_with(&petitions) || query.url.len() > 600 || query.title.chars().count() > 200 {
        return Err(AppError::BadRequest(visitor.t("share-bad-url")).into());
    }
    let mut context = Context::new();
    context.insert("share_url", &query.url);
    context.insert("share_title", &query.title);
    let status = match ServerHost::parse(&query.instance) {
        Some(host) => {
            let text = format!("{} {}", query.title, query.url);
            let go = format!("https://{}/share?text={}", host.as_str(), signons_render::encode_query_value(&text));
            context.insert("go", &go);
            context.insert("host", host.as_str());
            StatusCode::OK
        }
        None => {
            let shown: String = query.instance.chars().take(100).collect();
            let error = Renderer::translate(visitor.locale, "share-bad-instance", &[("host", shown.clone().into())]);
            context.insert("error", &error);
            context.insert("instance", &shown);
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    Ok(visitor.render(&state, "share_page.html", context, status))
}

/// The picture of a shared link: 1200×630 (Open Graph's size), title, count and progress,
/// drawn from the cached snapshot in the visitor's language.
#[get("/p/{slug}/share.svg")]
pub async fn share_image(state: web::Data<AppState>, visitor: Visitor, slug: web::Path<String>) -> PageResult {
    let snapshot = visible_petition(&state, &visitor, &slug).await?;
    let p = PetitionView::new(&snapshot.petition, snapshot.count, &state.config.public_url);
    let mut context = Context::new();
    context.insert("title", &p.title);
    context.insert("lines", &title_lines(&p.title, 30, 4));
    context.insert("instance_name", &state.settings().name);
    context.insert(
        "count",
        &Renderer::translate(visitor.locale, "signature-count", &[("count", p.total_signatures.into())]),
    );
    context.insert("goal", &Renderer::translate(visitor.locale, "petition-goal", &[("goal", p.displayed_goal.into())]));
    // At least a sliver, so that the first signatures show as a start.
    let bar = if p.total_signatures > 0 { (1040 * p.percent / 100).max(30) } else { 0 };
    context.insert("bar", &bar);
    let svg = state.renderer.render("share.svg", visitor.locale, &context).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header((header::CONTENT_LANGUAGE, visitor.locale.code()))
        .insert_header((header::VARY, "Accept-Language"))
        .body(svg))
}

/// The title cut into lines of at most `width` characters at spaces (a longer word is cut),
/// `max` lines at most, the last ending with "…" when the title is longer.
fn title_lines(title: &str, width: usize, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in title.split_whitespace() {
        let word: String = word.chars().take(width).collect();
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            let kept: String = last.chars().take(width.saturating_sub(1)).collect();
            *last = format!("{}…", kept.trim_end());
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_are_read_as_people_type_them() {
        for (typed, host) in [
            ("mastodon.social", "mastodon.social"),
            ("  Mastodon.Social ", "mastodon.social"),
            ("https://mastodon.social/", "mastodon.social"),
            ("@ada@mastodon.social", "mastodon.social"),
            ("mastodon.social/@ada", "mastodon.social"),
            ("social.example.org:8443", "social.example.org:8443"),
        ] {
            assert_eq!(ServerHost::parse(typed).map(|h| h.0), Some(host.to_owned()), "{typed}");
        }
        for bad in [
            "",
            "localhost",
            "mastodon",
            "127.0.0.1",
            "-a.org",
            "a..org",
            "evil.org:0",
            "a.org:99999",
            "a b.org",
            "<x>.org",
        ] {
            assert_eq!(ServerHost::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn long_titles_fit_the_image() {
        assert_eq!(title_lines("Save the park", 30, 4), ["Save the park"]);
        let lines = title_lines(&"word ".repeat(40), 30, 4);
        assert_eq!(lines.len(), 4);
        assert!(lines.iter().all(|l| l.chars().count() <= 30), "{lines:?}");
        assert!(lines[3].ends_with('…'));
        assert_eq!(title_lines(&"x".repeat(50), 30, 4), ["x".repeat(30)]);
    }
}
