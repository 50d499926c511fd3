//! Finding and carrying petitions elsewhere: the Atom feeds (new petitions, a petition's
//! news), the embeddable widget `/embed/p/{slug}` (the only page another site may frame)
//! and oEmbed (`/oembed?url=…`), which hands out the widget's iframe.

use crate::error::AppError;
use crate::page::Visitor;
use crate::page_error::PageResult;
use crate::routes::public::embed_context;
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use std::fmt::Write;

/// How many entries a feed holds.
const FEED_ENTRIES: i64 = 50;

/// The widget's size in the iframe oEmbed hands out, and the narrowest it may be made.
pub const EMBED_WIDTH: i64 = 400;
pub const EMBED_HEIGHT: i64 = 560;
pub const EMBED_MIN_WIDTH: i64 = 240;
pub const EMBED_MIN_HEIGHT: i64 = 320;

/// Text or an attribute's value made safe in XML (and HTML): the five characters that
/// mean something there, and the control characters XML 1.0 forbids, dropped.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn rfc3339(at: chrono::NaiveDateTime) -> String {
    at.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// One Atom entry.
struct Entry {
    id: String,
    title: String,
    link: String,
    updated: chrono::NaiveDateTime,
    author: String,
    /// Plain text (a summary), or HTML when `html`.
    content: String,
    html: bool,
}

/// An Atom feed (RFC 4287) of `entries`, newest first.
fn atom(id: &str, title: &str, self_url: &str, page_url: &str, entries: &[Entry]) -> String {
    let updated = entries.iter().map(|e| e.updated).max().unwrap_or_else(signons_store::now);
    let mut xml =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(xml, "<id>{}</id>", escape_xml(id));
    let _ = writeln!(xml, "<title>{}</title>", escape_xml(title));
    let _ = writeln!(xml, "<updated>{}</updated>", rfc3339(updated));
    let _ = writeln!(xml, "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>", escape_xml(self_url));
    let _ = writeln!(xml, "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>", escape_xml(page_url));
    let _ = writeln!(xml, "<generator>Signons</generator>");
    for e in entries {
        xml.push_str("<entry>\n");
        let _ = writeln!(xml, "<id>{}</id>", escape_xml(&e.id));
        let _ = writeln!(xml, "<title>{}</title>", escape_xml(&e.title));
        let _ = writeln!(xml, "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>", escape_xml(&e.link));
        let _ = writeln!(xml, "<updated>{}</updated>", rfc3339(e.updated));
        let _ = writeln!(xml, "<author><name>{}</name></author>", escape_xml(&e.author));
        let kind = if e.html { "html" } else { "text" };
        let _ = writeln!(xml, "<content type=\"{kind}\">{}</content>", escape_xml(&e.content));
        xml.push_str("</entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

fn feed_response(xml: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(xml)
}

/// `GET /feeds/petitions.atom`: the petitions published last (open, closed or won).
#[get("/feeds/petitions.atom")]
pub async fn petitions_feed(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, AppError> {
    let petitions = crate::read_model::lists::newest_published(&state.db, FEED_ENTRIES).await?;
    let base = &state.config.public_url;
    let entries: Vec<Entry> = petitions
        .iter()
        .map(|p| Entry {
            id: format!("{base}/p/{}", p.slug),
            title: p.title.clone(),
            link: format!("{base}/p/{}", p.slug),
            updated: p.published_at.unwrap_or(p.created_at),
            author: p.organization.name.clone(),
            content: p.description_html.summary(400),
            html: false,
        })
        .collect();
    let title = signons_render::Renderer::translate(
        visitor.locale,
        "feed-petitions-title",
        &[("instance", state.settings().name.clone().into())],
    );
    let self_url = format!("{base}/feeds/petitions.atom");
    Ok(feed_response(atom(&self_url, &title, &self_url, &format!("{base}/petitions"), &entries)))
}

/// `GET /p/{slug}/news.atom`: a published petition's news and milestones.
#[get("/p/{slug}/news.atom")]
pub async fn news_feed(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let snapshot = state.snapshots.published(&state.db, &slug).await?;
    let petition = &snapshot.value.petition;
    let own = signons_federation::LocalRef::Petition(petition.slug.clone());
    let posts = state
        .db
        .read_async(move |conn| signons_federation::posts::posts_by(conn, &own, FEED_ENTRIES))
        .await
        .map_err(AppError::internal)?;
    let base = &state.config.public_url;
    let page = format!("{base}/p/{}", petition.slug);
    let entries: Vec<Entry> = posts
        .iter()
        .map(|post| Entry {
            id: format!("{base}/notes/{}", post.id),
            title: signons_render::Renderer::translate(
                visitor.locale,
                "feed-news-entry-title",
                &[
                    ("title", petition.title.clone().into()),
                    ("date", post.created_at.format("%Y-%m-%d").to_string().into()),
                ],
            ),
            link: format!("{page}#news-title"),
            updated: post.created_at,
            author: petition.organization.name.clone(),
            content: post.body_html.clone(),
            html: true,
        })
        .collect();
    let title = signons_render::Renderer::translate(
        visitor.locale,
        "feed-news-title",
        &[("title", petition.title.clone().into())],
    );
    let self_url = format!("{page}/news.atom");
    Ok(feed_response(atom(&self_url, &title, &self_url, &page, &entries)))
}

/// The CSP of the widget: every page's, but any site may frame it.
pub const EMBED_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors *";

/// `GET /embed/p/{slug}`: the widget: title, count, progress and the sign form, which
/// opens the petition's own site (a new tab) to sign, so that the answer, the thanks page
/// and any error are on this instance, never inside another site's page.
#[get("/embed/p/{slug}")]
pub async fn embed(state: web::Data<AppState>, visitor: Visitor, slug: web::Path<String>) -> PageResult {
    let snapshot = state.snapshots.published(&state.db, &slug).await?;
    let context = embed_context(&state, visitor.locale, &snapshot.value);
    let mut response = visitor.render(&state, "embed.html", context, StatusCode::OK);
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(EMBED_CSP));
    Ok(response)
}

#[derive(Deserialize)]
struct OembedQuery {
    url: Option<String>,
    maxwidth: Option<String>,
    maxheight: Option<String>,
    format: Option<String>,
}

/// The petition's slug if `url` is the page of a petition of this instance
/// (`{public_url}/p/{slug}`, with or without a query or a fragment).
pub fn petition_slug_of(public_url: &str, url: &str) -> Option<String> {
    let base = url::Url::parse(public_url).ok()?;
    let asked = url::Url::parse(url.trim()).ok()?;
    let same_origin = asked.scheme() == base.scheme()
        && asked.host_str().map(str::to_ascii_lowercase) == base.host_str().map(str::to_ascii_lowercase)
        && asked.port_or_known_default() == base.port_or_known_default();
    if !same_origin {
        return None;
    }
    let prefix = base.path().trim_end_matches('/');
    let rest = asked.path().strip_prefix(prefix)?.strip_prefix("/p/")?;
    let slug = rest.trim_end_matches('/');
    let valid = !slug.is_empty()
        && slug.len() <= 200
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    valid.then(|| slug.to_owned())
}

/// A size asked (`maxwidth`, `maxheight`): absent is none; otherwise a whole number of
/// pixels at least `min`.
fn size_asked(value: Option<&str>, min: i64) -> Result<Option<i64>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= min => Ok(Some(n)),
            Ok(_) => Err(AppError::BadRequest(format!("the widget needs at least {min} pixels"))),
            Err(_) => Err(AppError::BadRequest("maxwidth and maxheight are whole numbers of pixels".into())),
        },
    }
}

/// `GET /oembed?url=…&maxwidth=…&maxheight=…`: oEmbed 1.0, JSON only: a `rich` answer
/// whose `html` is the widget's iframe. A URL that is not a public petition of this
/// instance (another host included) is a 404.
#[get("/oembed")]
pub async fn oembed(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let query = web::Query::<OembedQuery>::from_query(req.query_string())
        .map_err(|_| AppError::BadRequest("the query string cannot be read".into()))?;
    if query.format.as_deref().is_some_and(|f| f != "json") {
        return Ok(HttpResponse::NotImplemented()
            .content_type("application/json")
            .body(r#"{"error":"not_implemented","message":"only format=json is served"}"#));
    }
    let url = query.url.as_deref().ok_or_else(|| AppError::BadRequest("url is required".into()))?;
    let width = size_asked(query.maxwidth.as_deref(), EMBED_MIN_WIDTH)?.map_or(EMBED_WIDTH, |w| w.min(EMBED_WIDTH));
    let height =
        size_asked(query.maxheight.as_deref(), EMBED_MIN_HEIGHT)?.map_or(EMBED_HEIGHT, |h| h.min(EMBED_HEIGHT));
    let slug = petition_slug_of(&state.config.public_url, url).ok_or(AppError::NotFound)?;
    let snapshot = state.snapshots.published(&state.db, &slug).await?;
    let petition = &snapshot.value.petition;
    if !petition.is_public() {
        return Err(AppError::NotFound);
    }
    let base = &state.config.public_url;
    let html = embed_snippet(base, &petition.slug, &petition.title, width, height);
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(serde_json::json!({
            "version": "1.0",
            "type": "rich",
            "title": petition.title,
            "author_name": petition.organization.name,
            "author_url": format!("{base}/o/{}", petition.organization.slug),
            "provider_name": state.settings().name,
            "provider_url": base,
            "cache_age": 300,
            "html": html,
            "width": width,
            "height": height,
        })))
}

/// The iframe that shows the widget of a petition: what oEmbed hands out and what its
/// organizers copy.
pub fn embed_snippet(public_url: &str, slug: &str, title: &str, width: i64, height: i64) -> String {
    format!(
        "<iframe src=\"{}/embed/p/{slug}\" width=\"{width}\" height=\"{height}\" title=\"{}\" loading=\"lazy\"></iframe>",
        escape_xml(public_url),
        escape_xml(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_is_escaped() {
        assert_eq!(escape_xml("a <b> & \"c\" 'd'\u{0}"), "a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;");
    }

    #[test]
    fn the_widget_has_every_pages_policy_but_may_be_framed() {
        assert_eq!(EMBED_CSP, crate::startup::CSP.replace("frame-ancestors 'none'", "frame-ancestors *"));
    }

    #[test]
    fn only_petition_pages_of_this_instance_are_embedded() {
        let base = "https://petitions.example";
        assert_eq!(
            petition_slug_of(base, "https://petitions.example/p/save-the-park").as_deref(),
            Some("save-the-park")
        );
        assert_eq!(petition_slug_of(base, "https://PETITIONS.example/p/park?x=1#y").as_deref(), Some("park"));
        for other in [
            "https://elsewhere.example/p/park",
            "http://petitions.example/p/park",
            "https://petitions.example:8443/p/park",
            "https://petitions.example/o/park",
            "https://petitions.example/p/",
            "https://petitions.example/p/park/edit",
            "https://petitions.example/p/park@other.example",
            "not a url",
        ] {
            assert_eq!(petition_slug_of(base, other), None, "{other}");
        }
    }
}
