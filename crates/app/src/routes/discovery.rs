//! What search engines read: `robots.txt` (public pages yes; tokens, accounts, the admin
//! and the API no) and `sitemap.xml` (the home page, the list, and every open or closed
//! petition and its organization).

use crate::error::AppError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use std::collections::BTreeSet;
use std::fmt::Write;

/// A sitemap file holds at most 50,000 addresses (sitemaps.org); two are the home page and
/// the list, the rest petitions and their organizations.
const SITEMAP_PETITIONS: i64 = 40_000;

#[get("/robots.txt")]
pub async fn robots(state: web::Data<AppState>) -> HttpResponse {
    // Confirmation and withdraw links carry tokens: a crawler that found one in a shared
    // mailbox archive must not follow it, nor index a signer's page.
    let body = format!(
        "User-agent: *\n\
         Disallow: /s/\n\
         Disallow: /w/\n\
         Disallow: /admin/\n\
         Disallow: /dashboard\n\
         Disallow: /account\n\
         Disallow: /password/\n\
         Disallow: /api/\n\
         Disallow: /lang/\n\
         Disallow: /*/sign\n\
         Disallow: /*/thanks\n\
         Allow: /\n\
         Sitemap: {}/sitemap.xml\n",
        state.config.public_url
    );
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

#[get("/sitemap.xml")]
pub async fn sitemap(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let pages = state.db.read_async(|conn| signons_petition::petition::public_pages(conn, SITEMAP_PETITIONS)).await?;
    let base = &state.config.public_url;
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut url = |path: &str, lastmod: Option<chrono::NaiveDateTime>| {
        // Slugs are `[a-z0-9-]`, so no address needs escaping; the base is the admin's.
        let _ = write!(xml, "<url><loc>{}{}</loc>", escape(base), path);
        if let Some(at) = lastmod {
            let _ = write!(xml, "<lastmod>{}</lastmod>", at.and_utc().format("%Y-%m-%dT%H:%M:%SZ"));
        }
        xml.push_str("</url>\n");
    };
    url("/", None);
    url("/petitions", None);
    let mut organizations = BTreeSet::new();
    for page in &pages {
        url(&format!("/p/{}", page.slug), Some(page.updated_at));
        organizations.insert(page.organization_slug.as_str());
    }
    for organization in organizations {
        url(&format!("/o/{organization}"), None);
    }
    xml.push_str("</urlset>\n");
    Ok(HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=600"))
        .body(xml))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
