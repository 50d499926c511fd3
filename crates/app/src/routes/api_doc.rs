//! The OpenAPI 3.1 description of the JSON API (`crates/app/openapi.json`, written by
//! hand), served at `GET /api/v1/openapi.json`; its tests keep it and the routes in step.

use crate::http_cache::public_json;
use actix_web::{get, HttpRequest, HttpResponse};

/// The document, as written: every route of the `/api/v1` scope must be in it (a test
/// says so).
pub const DOCUMENT: &str = include_str!("../../openapi.json");

/// Public and cacheable, with an ETag (a 304 when the client has it).
#[get("/openapi.json")]
pub async fn openapi(req: HttpRequest) -> HttpResponse {
    public_json(&req, DOCUMENT.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;
    use serde_json::Value;
    use std::collections::BTreeSet;

    /// Reads the routes off the source, because actix-web cannot list a scope's routes
    /// once built. The least brittle source is the one the app is built from: the
    /// `.service(module::handler)` list of the `/api/v1` scope in `startup.rs` (what is
    /// really registered), and each handler's route attribute in its module, the line
    /// above `pub async fn handler(`. A handler whose attribute cannot be read, or a module
    /// this test does not know, fails the test rather than being skipped.
    fn registered_routes() -> BTreeSet<(String, String)> {
        let startup = include_str!("../startup.rs");
        let modules = [
            ("api", include_str!("api.rs")),
            ("export", include_str!("export.rs")),
            ("api_doc", include_str!("api_doc.rs")),
            ("milestones", include_str!("milestones.rs")),
            ("insight", include_str!("insight.rs")),
        ];
        let start = startup.find("web::scope(\"/api/v1\")").expect("the /api/v1 scope in startup.rs");
        let scope = &startup[start..];
        let scope = &scope[..scope.find(".default_service").expect("the scope's default service")];
        let mut routes = BTreeSet::new();
        for service in scope.split(".service(").skip(1) {
            let name = service.split(')').next().unwrap_or_default().trim();
            let (module, handler) = name.split_once("::").unwrap_or_else(|| panic!("a module::handler, not {name:?}"));
            let source = modules
                .iter()
                .find(|(m, _)| *m == module)
                .unwrap_or_else(|| panic!("module {module} of the api scope is not known to this test"))
                .1;
            let at = source
                .find(&format!("pub async fn {handler}("))
                .unwrap_or_else(|| panic!("no handler {handler} in {module}.rs"));
            let attribute = source[..at]
                .lines()
                .rev()
                .take_while(|l| l.trim_start().starts_with("#[") || l.trim_start().starts_with("///"))
                .find(|l| l.trim_start().starts_with("#[") && l.contains("(\""))
                .unwrap_or_else(|| panic!("no route attribute above {module}::{handler}"));
            let attribute = attribute.trim().trim_start_matches("#[").trim_start_matches("actix_web::");
            let (method, rest) = attribute.split_once("(\"").unwrap_or_default();
            let path = rest.split('"').next().unwrap_or_default();
            assert!(
                ["get", "post", "put", "patch", "delete"].contains(&method),
                "{module}::{handler}: {attribute:?} is not a route attribute"
            );
            routes.insert((method.to_owned(), path.to_owned()));
        }
        routes
    }

    fn document() -> Value {
        serde_json::from_str(DOCUMENT).expect("openapi.json is JSON")
    }

    fn described_routes(doc: &Value) -> BTreeSet<(String, String)> {
        let mut routes = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("a path item").keys() {
                if ["get", "post", "put", "patch", "delete", "head", "options"].contains(&method.as_str()) {
                    routes.insert((method.clone(), path.clone()));
                }
            }
        }
        routes
    }

    #[test]
    fn every_api_route_is_described_and_every_description_is_a_route() {
        let registered = registered_routes();
        // A sanity floor: the parsing above found the scope's routes, not none.
        assert!(registered.len() >= 16, "only {registered:?}");
        assert!(registered.contains(&("get".to_owned(), "/openapi.json".to_owned())));
        let described = described_routes(&document());
        let missing: Vec<_> = registered.difference(&described).collect();
        assert!(missing.is_empty(), "routes of /api/v1 missing from openapi.json: {missing:?}");
        let extra: Vec<_> = described.difference(&registered).collect();
        assert!(extra.is_empty(), "openapi.json describes routes that do not exist: {extra:?}");
    }

    #[test]
    fn the_document_is_openapi_3_1_and_its_references_resolve() {
        let doc = document();
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")), "{}", doc["openapi"]);
        let mut refs = Vec::new();
        fn walk(v: &Value, refs: &mut Vec<String>) {
            match v {
                Value::Object(map) => {
                    if let Some(Value::String(r)) = map.get("$ref") {
                        refs.push(r.clone());
                    }
                    map.values().for_each(|v| walk(v, refs));
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, refs)),
                _ => {}
            }
        }
        walk(&doc, &mut refs);
        assert!(!refs.is_empty());
        for r in refs {
            let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("{r} is not a local reference"));
            assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
        }
    }

    /// The error codes the document lists are those `AppError` has, every one of them.
    #[test]
    fn the_error_codes_are_those_of_app_error() {
        let err = || anyhow::anyhow!("x");
        let errors = [
            AppError::Invalid(signons_petition::FieldErrors::default()),
            AppError::BadRequest(String::new()),
            AppError::PayloadTooLarge,
            AppError::NotFound,
            AppError::Gone,
            AppError::PetitionClosed,
            AppError::TokenInvalid,
            AppError::TokenExpired,
            AppError::InvitationCancelled,
            AppError::Unauthorized,
            AppError::ApiTokenExpired,
            AppError::BadCredentials,
            AppError::AccountDisabled,
            AppError::Forbidden,
            AppError::Csrf,
            AppError::RateLimited,
            AppError::ProofOfWorkRequired,
            AppError::ProofOfWorkInvalid,
            AppError::InvalidState(String::new()),
            AppError::Hidden(String::new()),
            AppError::Unavailable(err()),
            AppError::Internal(err()),
        ];
        // Exhaustive: a new variant fails to compile here, a reminder to list it above.
        for e in &errors {
            match e {
                AppError::Invalid(_)
                | AppError::BadRequest(_)
                | AppError::PayloadTooLarge
                | AppError::NotFound
                | AppError::Gone
                | AppError::PetitionClosed
                | AppError::TokenInvalid
                | AppError::TokenExpired
                | AppError::InvitationCancelled
                | AppError::Unauthorized
                | AppError::ApiTokenExpired
                | AppError::BadCredentials
                | AppError::AccountDisabled
                | AppError::Forbidden
                | AppError::Csrf
                | AppError::RateLimited
                | AppError::ProofOfWorkRequired
                | AppError::ProofOfWorkInvalid
                | AppError::InvalidState(_)
                | AppError::Hidden(_)
                | AppError::Unavailable(_)
                | AppError::Internal(_) => {}
            }
        }
        let codes: BTreeSet<&str> = errors.iter().map(AppError::code).collect();
        let doc = document();
        let listed: BTreeSet<&str> = doc["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
            .as_array()
            .expect("the codes")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(codes, listed);
    }
}
