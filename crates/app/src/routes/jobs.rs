//! The instance admin's page of the background-job queue (`/admin/jobs`): each queue's
//! jobs by state, the dead ones with their last error, and a button to retry them (the
//! web side of `signons jobs list|retry`).

use crate::page::{parse_form, redirect, Visitor};
use crate::page_error::PageResult;
use crate::routes::admin::require_admin;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest};
use serde::{Deserialize, Serialize};
use signons_render::Context;
use signons_store::jobs::{self, Queue, QueueCounts};
use signons_store::{Id, StoreError};

const PAGE: &str = "/admin/jobs";
/// The dead jobs listed; the counts above the list say how many there are in all.
const DEAD_LISTED: i64 = 200;

#[derive(Deserialize, Default)]
struct RetryForm {
    #[serde(default)]
    csrf: String,
    /// A dead job's id, or `all`.
    #[serde(default)]
    job: String,
}

#[derive(Serialize)]
struct QueueRow {
    queue: Queue,
    counts: QueueCounts,
}

#[derive(Serialize)]
struct DeadRow {
    id: String,
    queue: Queue,
    target: Option<String>,
    attempts: i32,
    created_at: String,
    last_error: Option<String>,
}

async fn view(
    state: &AppState,
    visitor: &Visitor,
    notice: Option<&str>,
    error: Option<(StatusCode, &str)>,
) -> PageResult {
    let (counts, dead) = state
        .db
        .read_async(|conn| -> Result<_, StoreError> {
            Ok((jobs::all_counts(conn)?, jobs::dead(conn, None, DEAD_LISTED)?))
        })
        .await?;
    let queues: Vec<QueueRow> = counts.into_iter().map(|(queue, counts)| QueueRow { queue, counts }).collect();
    let dead: Vec<DeadRow> = dead
        .into_iter()
        .map(|job| DeadRow {
            id: job.id.to_string(),
            queue: job.queue,
            // Deliveries name the instance; emails name nobody (the address is personal).
            target: job.partition_key,
            attempts: job.attempts,
            created_at: job.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            last_error: job.last_error,
        })
        .collect();
    let mut context = Context::new();
    context.insert("queues", &queues);
    context.insert("dead", &dead);
    context.insert("notice", &notice.map(|k| visitor.t(k)));
    context.insert("error", &error.map(|(_, k)| visitor.t(k)));
    let status = error.map_or(StatusCode::OK, |(s, _)| s);
    Ok(visitor.render(state, "admin_jobs.html", context, status))
}

#[get("/admin/jobs")]
pub async fn jobs_page(req: HttpRequest, state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    require_admin(&visitor)?;
    let notice = req.query_string().contains("done=retry").then_some("admin-jobs-done-retry");
    view(&state, &visitor, notice, None).await
}

#[post("/admin/jobs")]
pub async fn jobs_retry(state: web::Data<AppState>, visitor: Visitor, body: web::Bytes) -> PageResult {
    require_admin(&visitor)?;
    let Ok(form) = parse_form::<RetryForm>(&body) else {
        return view(&state, &visitor, None, Some((StatusCode::BAD_REQUEST, "error-bad-request"))).await;
    };
    if visitor.check_csrf(&form.csrf).is_err() {
        return view(&state, &visitor, None, Some((StatusCode::FORBIDDEN, "error-csrf-failed"))).await;
    }
    let ids = match form.job.trim() {
        "all" => None,
        one => match Id::parse(one) {
            Some(id) => Some(vec![id]),
            None => {
                return view(
                    &state,
                    &visitor,
                    None,
                    Some((StatusCode::UNPROCESSABLE_ENTITY, "admin-jobs-error-unknown")),
                )
                .await
            }
        },
    };
    let revived = state.db.write_async(move |conn| jobs::revive(conn, ids.as_deref())).await?;
    if revived == 0 {
        return view(&state, &visitor, None, Some((StatusCode::UNPROCESSABLE_ENTITY, "admin-jobs-error-unknown")))
            .await;
    }
    // The workers look at once rather than at their next poll.
    state.signing.queue.wake();
    state.fed().wake.notify_one();
    Ok(redirect(&format!("{PAGE}?done=retry")))
}
