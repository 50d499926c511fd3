//! Periodic upkeep: close petitions past their end date, purge unconfirmed signatures,
//! anonymize old ones, forget expired sessions and reset links and recovered rate-limit entries,
//! and purge what is kept for remote instances gone for weeks; and, where PostgreSQL's
//! autovacuum is off, vacuum the job queue's table every minute (`tidy_jobs`); and read the
//! admins' settings again every few seconds (`refresh_settings`).

use crate::error::AppError;
use crate::state::AppState;
use actix_web::web;
use chrono::TimeDelta;
use std::time::Duration;

/// How long ids of received activities are remembered (senders retry for days, not weeks).
const RECEIVED_IDS_DAYS: i64 = 30;
const EVERY: Duration = Duration::from_secs(600);
/// How long after its link expired a pending signature is kept, so a late click says
/// "expired" rather than "unknown link".
pub(crate) const PENDING_GRACE: TimeDelta = TimeDelta::days(7);

pub async fn run(state: web::Data<AppState>) {
    match fill_digests(&state).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(signatures = n, "digests of earlier signatures computed"),
        Err(e) => tracing::error!(error = %e, "cannot compute the digests of earlier signatures"),
    }
    loop {
        if let Err(e) = once(&state).await {
            tracing::error!(error = format!("{e:#}"), "maintenance failed");
        }
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// How often the settings are read again.
const SETTINGS_EVERY: Duration = Duration::from_secs(5);

/// Several processes may serve one PostgreSQL database (DESIGN: N processes share the
/// queues); the settings page updates only the process that saved them, so every process
/// reads them again every `SETTINGS_EVERY`: a change reaches all of them within seconds.
pub async fn refresh_settings(state: web::Data<AppState>) {
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = tokio::time::sleep(SETTINGS_EVERY) => {}
        }
        match crate::federate::read_settings(&state.config, &state.db).await {
            Ok(saved) if saved != *state.settings() => state.set_settings(saved),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the instance settings again"),
        }
    }
}

/// Every `TIDY_EVERY`, `signons_store::jobs::tidy` (a no-op unless PostgreSQL runs without
/// autovacuum, where a backlog would otherwise drain ten times slower).
pub async fn tidy_jobs(state: web::Data<AppState>) {
    let mut warned = false;
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = tokio::time::sleep(signons_store::jobs::TIDY_EVERY) => {}
        }
        match state.db.read_async(signons_store::jobs::tidy).await {
            Ok(true) if !warned => {
                warned = true;
                tracing::warn!(
                    "PostgreSQL runs with autovacuum off: Signons vacuums its job queue's table every minute"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot vacuum the job queue's table"),
        }
    }
}

/// Signatures confirmed before they had a digest get one, 1,000 per transaction.
async fn fill_digests(state: &AppState) -> Result<usize, AppError> {
    let mut total = 0;
    loop {
        let public_url = state.config.public_url.clone();
        let n = state
            .db
            .write_async(move |conn| signons_signature::signing::fill_digests(conn, &public_url, 1_000))
            .await?;
        if n == 0 {
            return Ok(total);
        }
        total += n;
    }
}

pub async fn once(state: &AppState) -> Result<(), AppError> {
    let anonymize_after = TimeDelta::days(state.settings().anonymize_after_days);
    let gone_days = state.config.instance_gone_days;
    let max_age =
        (state.config.personal_data_max_days > 0).then(|| TimeDelta::days(state.config.personal_data_max_days));
    let fed = state.fed().clone();
    let (closed, purged, anonymized, gone) = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            let now = signons_store::now();
            // Their followers learn it as when an organizer closes one: an `Update`.
            let ended = signons_petition::petition::close_ended(conn, now)?;
            for petition in &ended {
                crate::federate::announce(conn, &fed, petition)?;
            }
            let closed = ended.len();
            let purged = signons_signature::retention::purge_unconfirmed(conn, now, PENDING_GRACE)?;
            let mut anonymized = signons_signature::retention::anonymize_closed(conn, now, anonymize_after)?;
            if let Some(max_age) = max_age {
                anonymized += signons_signature::retention::anonymize_aged(conn, now, max_age)?;
            }
            let purged =
                purged + signons_signature::retention::purge_sent(conn, now, PENDING_GRACE, anonymize_after, max_age)?;
            signons_petition::auth::delete_expired_sessions(conn)?;
            signons_petition::account::delete_expired_resets(conn)?;
            signons_petition::members::delete_expired_invitations(conn)?;
            signons_federation::inbox::purge_received(conn, RECEIVED_IDS_DAYS)?;
            let gone = signons_federation::health::purge_gone(conn, gone_days)?;
            Ok((closed, purged, anonymized, gone))
        })
        .await?;
    if !gone.instances.is_empty() {
        state
            .fed()
            .metrics
            .instances_purged
            .fetch_add(gone.instances.len() as u64, std::sync::atomic::Ordering::Relaxed);
        tracing::warn!(
            instances = ?gone.instances,
            deliveries = gone.deliveries,
            followers = gone.followers,
            actors = gone.actors,
            "instances unreachable for {gone_days} days purged"
        );
    }
    if closed > 0 {
        state.invalidate_petitions();
        state.fed().wake.notify_one();
    }
    state.trim_rate_limiters();
    if closed + purged + anonymized > 0 {
        tracing::info!(closed, purged, anonymized, "maintenance");
    }
    Ok(())
}
