//! Liveness (`/healthz`), readiness (`/readyz`), metrics and static files.

use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use signons_render::StaticFiles;

/// Liveness: the process answers. It reads nothing, so a database outage does not make an
/// orchestrator kill processes that will recover by themselves (see `/readyz`).
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: whether this process can serve requests now, and if not, why. 200 with the
/// state of the job queues while the database answers; 503 with `Retry-After` and
/// `"database": "unavailable"` while it does not (answered within a second: the pool
/// does not wait for a database it knows is down).
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let queues = state
        .db
        .read_async(|conn| -> Result<_, signons_store::StoreError> {
            use diesel::connection::SimpleConnection;
            conn.batch_execute("SELECT 1")?;
            signons_store::jobs::all_counts(conn)
        })
        .await;
    match queues {
        Ok(queues) => {
            let queues: serde_json::Map<String, serde_json::Value> = queues
                .into_iter()
                .map(|(queue, counts)| (queue.to_string(), serde_json::to_value(counts).unwrap_or_default()))
                .collect();
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(serde_json::json!({ "status": "ready", "database": "ok", "queues": queues }))
        }
        Err(e) => {
            // The cause goes to the log; the answer says what, not the server's details.
            tracing::warn!(error = %e, "readiness: database unavailable");
            let reason = if e.is_unavailable() { "the database does not answer" } else { "the database query failed" };
            HttpResponse::ServiceUnavailable()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header((header::RETRY_AFTER, crate::error::RETRY_AFTER_SECONDS))
                .json(serde_json::json!({ "status": "unavailable", "database": "unavailable", "message": reason }))
        }
    }
}

/// Whether this request may read `/metrics`: its client address (as the rate limits see
/// it, so behind a trusted proxy the address the proxy reports, not the proxy's own) is in
/// `metrics_allow`, or it carries `Authorization: Bearer <metrics_token>`.
fn metrics_allowed(state: &AppState, req: &HttpRequest) -> bool {
    let config = &state.config;
    if let (Some(expected), Some(given)) = (
        &config.metrics_token,
        req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")),
    ) {
        use subtle::ConstantTimeEq;
        if bool::from(given.trim().as_bytes().ct_eq(expected.expose().as_bytes())) {
            return true;
        }
    }
    req.peer_addr().is_some_and(|peer| {
        let client = crate::rate_limit::client_address(
            peer.ip(),
            req.headers(),
            config.trust_forwarded_for,
            &config.trusted_proxies,
        );
        config.metrics_allow.iter().any(|net| net.contains(client))
    })
}

/// Prometheus metrics (see `metrics.rs`), for the addresses and the token configured.
#[get("/metrics")]
pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if !metrics_allowed(&state, &req) {
        use actix_web::ResponseError;
        return crate::error::AppError::Forbidden.error_response();
    }
    use diesel::prelude::*;
    use signons_store::jobs;
    use signons_store::schema::{ap_followers, petitions};
    let gauges = state
        .db
        .read_async(|conn| -> Result<_, signons_store::StoreError> {
            let jobs = jobs::all_counts(conn)?;
            Ok(crate::metrics::Gauges {
                open_petitions: petitions::table
                    .filter(petitions::status.eq(signons_petition::PetitionStatus::Open))
                    .count()
                    .get_result(conn)?,
                jobs,
                followers: ap_followers::table.count().get_result(conn)?,
            })
        })
        .await;
    match gauges {
        Ok(gauges) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(crate::metrics::render(&gauges, &state.fed().metrics)),
        Err(e) => {
            tracing::error!(error = %e, "metrics: database unavailable");
            HttpResponse::ServiceUnavailable().content_type("text/plain").body("database unavailable\n")
        }
    }
}

/// Clients that ask for the icon at the conventional address (feed readers, bookmarks) get
/// the one the pages link to.
#[get("/favicon.ico")]
pub async fn favicon() -> HttpResponse {
    HttpResponse::MovedPermanently().insert_header((header::LOCATION, "/static/favicon.svg")).finish()
}

#[get("/static/{path:.*}")]
pub async fn static_file(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let Some(file) = StaticFiles::get(&path) else {
        return HttpResponse::NotFound().content_type("text/plain").body("not found");
    };
    let etag = format!("\"{}\"", hex_prefix(&file.metadata.sha256_hash()));
    if req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return HttpResponse::NotModified().insert_header((header::ETAG, etag)).finish();
    }
    HttpResponse::Ok()
        .content_type(file.metadata.mimetype())
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(file.data.into_owned())
}

fn hex_prefix(hash: &[u8; 32]) -> String {
    hash[..12].iter().map(|b| format!("{b:02x}")).collect()
}
