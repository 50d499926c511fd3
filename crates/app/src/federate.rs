//! The app's side of federation: building the configuration, the background workers
//! (delivery, milestones and count updates), and what routes call after a change.

use crate::config::Config;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::web;
use anyhow::Context as _;
use chrono::TimeDelta;
use signons_federation::delivery::DeliveryWorker;
use signons_federation::objects::Post;
use signons_federation::{context, FederationData};
use signons_federation::{lifecycle, posts, progress, FederationError, Urls};
use signons_petition::{Organizer, Petition, PetitionStatus};
use signons_store::{Database, DbConnection};
use std::sync::Arc;
use std::time::Duration;

pub async fn configure(
    config: &Config,
    db: &Database,
    signing: &signons_signature::SigningContext,
) -> anyhow::Result<context::Config> {
    let urls = Urls::new(&config.public_url).context("public_url")?;
    let data = FederationData {
        db: db.clone(),
        urls,
        instance_name: config.instance_name.clone(),
        wake: Arc::default(),
        metrics: Arc::default(),
        signing: signing.clone(),
    };
    context::build(data, config.federation_allow_local).await.context("cannot set up federation")
}

/// How often milestones and counts are looked at.
const TICK: Duration = Duration::from_secs(5);

pub fn spawn_workers(state: &web::Data<AppState>) {
    let config = &state.config;
    let worker = DeliveryWorker {
        config: state.federation.clone(),
        retry_base: TimeDelta::seconds(config.federation_retry_seconds),
        give_up_after: TimeDelta::hours(config.federation_give_up_hours),
        concurrency: config.federation_concurrency,
        lease: Duration::from_secs(config.job_lease_seconds),
        shutdown: state.shutdown.clone(),
    };
    tokio::spawn(worker.run());
    let state = state.clone();
    tokio::spawn(async move {
        let every = TimeDelta::seconds(state.config.federation_update_seconds);
        loop {
            let data = state.fed().clone();
            let wake = data.wake.clone();
            let result = state.db.write_async(move |conn| progress::tick(conn, &data, every)).await;
            match result {
                Ok(0) => {}
                Ok(_) => wake.notify_one(),
                Err(e) => tracing::error!(error = %e, "federation tick failed"),
            }
            tokio::select! {
                _ = state.shutdown.cancelled() => return,
                _ = tokio::time::sleep(TICK) => {}
            }
        }
    });
}

/// Tells followers about a petition that was just published (a `Create(Note)` from its
/// organization), closed (an `Update` of its actor) or removed (a `Delete`), in the
/// transaction that made the change. Call `FederationData::wake` after the commit.
pub fn announce(conn: &mut DbConnection, fed: &FederationData, petition: &Petition) -> Result<(), AppError> {
    match petition.status {
        PetitionStatus::Open => {
            lifecycle::petition_published(conn, &fed.urls, petition)?;
        }
        PetitionStatus::Closed => lifecycle::petition_closed(conn, fed, petition)?,
        PetitionStatus::Removed => lifecycle::petition_removed(conn, fed, petition)?,
        PetitionStatus::Draft => {}
    }
    Ok(())
}

/// A step of a petition's life (publish, close, remove), as the organizer's pages and the
/// API both run it.
pub type Step = fn(&mut DbConnection, &Organizer, &str) -> Result<Petition, signons_petition::PetitionError>;

/// Runs `step` and tells followers about it in the same transaction, then wakes the
/// delivery worker and refreshes the cached pages.
pub async fn change(state: &AppState, organizer: Organizer, slug: String, step: Step) -> Result<Petition, AppError> {
    let fed = state.fed().clone();
    let p = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            let p = step(conn, &organizer, &slug)?;
            announce(conn, &fed, &p)?;
            Ok(p)
        })
        .await?;
    state.fed().wake.notify_one();
    state.invalidate_petition(&p.slug);
    Ok(p)
}

/// Organizers' news on a published petition: stored, shown on its page, sent to followers.
pub async fn post_news(state: &AppState, organizer: Organizer, slug: String, text: String) -> Result<Post, AppError> {
    let fed = state.fed().clone();
    let post = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            let p = signons_petition::petition::find(conn, &slug)?;
            if p.organization.id != organizer.organization.id {
                return Err(AppError::Forbidden);
            }
            match p.status {
                PetitionStatus::Open | PetitionStatus::Closed => Ok(posts::news(conn, &fed.urls, &p, &text)?),
                PetitionStatus::Draft => {
                    Err(AppError::InvalidState("a draft petition has no followers yet; publish it first".into()))
                }
                PetitionStatus::Removed => Err(AppError::Gone),
            }
        })
        .await?;
    state.fed().wake.notify_one();
    state.invalidate_petition(&post.petition_slug);
    Ok(post)
}

impl From<FederationError> for AppError {
    fn from(e: FederationError) -> Self {
        match e {
            FederationError::NotFound => AppError::NotFound,
            FederationError::Petition(p) => p.into(),
            FederationError::Signature(s) => s.into(),
            FederationError::Invalid(m) => AppError::BadRequest(m),
            FederationError::Blocked(d) => AppError::InvalidState(format!("{d} is blocked")),
            FederationError::Unreachable { url, reason } => {
                AppError::InvalidState(format!("cannot reach {url}: {reason}"))
            }
            other => AppError::internal(other),
        }
    }
}
