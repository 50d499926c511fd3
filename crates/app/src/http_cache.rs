//! HTTP caching: ETags, `If-None-Match` and 304s, and the `Cache-Control` values of the
//! answers served from memory.
//!
//! Counts and the API's petition JSON carry nothing personal: they are `public`, for
//! reverse proxies. Cached pages carry the visitor's CSRF token: they are `private`, and
//! revalidated with their ETag (a cheap 304).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use std::hash::{Hash, Hasher};

/// `Cache-Control` of the public, personal-data-free JSON (counts, petitions).
pub const PUBLIC_JSON: &str = "public, max-age=1";
/// `Cache-Control` of cached pages: they carry the visitor's CSRF token, so only their
/// browser may keep them, and must revalidate (ETag) before reusing them.
pub const PRIVATE_PAGE: &str = "private, no-cache";

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for GET).
pub fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers().get_all(header::IF_NONE_MATCH).filter_map(|v: &HeaderValue| v.to_str().ok()).any(|v| {
        v.split(',').map(str::trim).any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
    })
}

/// A fast hash of a body, for ETags (not a security boundary: an ETag only names a body).
pub fn hash_of(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// A JSON body that anyone may cache (nothing personal in it), with its ETag; 304 when
/// the client already has it.
pub fn public_json(req: &HttpRequest, body: Vec<u8>) -> HttpResponse {
    let etag = format!("\"j{:016x}\"", hash_of(&body));
    if if_none_match(req, &etag) {
        return not_modified(&etag, PUBLIC_JSON, None);
    }
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, PUBLIC_JSON))
        .body(body)
}

/// A 304 with the headers the full answer would have had.
pub fn not_modified(etag: &str, cache_control: &'static str, vary: Option<&'static str>) -> HttpResponse {
    let mut response = HttpResponse::NotModified();
    response.insert_header((header::ETAG, etag.to_owned())).insert_header((header::CACHE_CONTROL, cache_control));
    if let Some(vary) = vary {
        response.insert_header((header::VARY, vary));
    }
    response.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::StatusCode;
    use actix_web::test::TestRequest;

    fn header(response: &HttpResponse, name: &str) -> Option<String> {
        response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let req =
            |v: &str| actix_web::test::TestRequest::get().insert_header((header::IF_NONE_MATCH, v)).to_http_request();
        assert!(if_none_match(&req("\"a\""), "\"a\""));
        assert!(if_none_match(&req("\"x\", W/\"a\""), "\"a\""));
        assert!(if_none_match(&req("*"), "\"a\""));
        assert!(!if_none_match(&req("\"b\""), "\"a\""));
        assert!(!if_none_match(&actix_web::test::TestRequest::get().to_http_request(), "\"a\""));
    }

    #[test]
    fn public_json_has_an_etag_and_answers_304() {
        let req = TestRequest::get().to_http_request();
        let r = public_json(&req, br#"{"total_signatures":7}"#.to_vec());
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(&r, "cache-control").as_deref(), Some(PUBLIC_JSON));
        let etag = header(&r, "etag").unwrap();
        let req = TestRequest::get().insert_header(("if-none-match", etag.as_str())).to_http_request();
        assert_eq!(public_json(&req, br#"{"total_signatures":7}"#.to_vec()).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(public_json(&req, br#"{"total_signatures":8}"#.to_vec()).status(), StatusCode::OK);
    }
}
