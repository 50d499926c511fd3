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
use signons_petition::{Organizer, Partner, Partners, Petition, PetitionStatus};
use signons_store::{Database, DbConnection};
use std::sync::Arc;
use std::time::Duration;

/// The admins' settings as saved, the configuration's defaults for those never saved.
pub async fn read_settings(
    config: &Config,
    db: &Database,
) -> Result<signons_petition::settings::InstanceSettings, signons_petition::PetitionError> {
    let defaults = config.settings_defaults();
    db.read_async(move |conn| signons_petition::settings::load(conn, &defaults)).await
}

/// The settings read once at start (then kept up to date by the settings page, and read
/// again every few seconds by `maintenance::refresh_settings`).
pub async fn load_settings(config: &Config, db: &Database) -> anyhow::Result<signons_petition::settings::Shared> {
    let settings = read_settings(config, db).await.context("cannot read the instance settings")?;
    Ok(signons_petition::settings::Shared::new(settings))
}

pub async fn configure(
    config: &Config,
    db: &Database,
    signing: &signons_signature::SigningContext,
    settings: signons_petition::settings::Shared,
) -> anyhow::Result<context::Config> {
    let urls = Urls::new(&config.public_url).context("public_url")?;
    let data = FederationData {
        db: db.clone(),
        urls,
        settings,
        wake: Arc::default(),
        metrics: Arc::default(),
        signing: signing.clone(),
        allow_local: config.federation_allow_local,
        followers_per_domain: config.followers_per_domain,
    };
    context::build(data).await.context("cannot set up federation")
}

/// How often milestones and counts are looked at.
const TICK: Duration = Duration::from_secs(5);

pub fn spawn_workers(state: &web::Data<AppState>) {
    let config = &state.config;
    let worker = DeliveryWorker {
        config: state.federation.clone(),
        retry_base: TimeDelta::seconds(config.federation_retry_seconds),
        max_backoff: TimeDelta::seconds(config.federation_max_retry_seconds),
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
/// organization), closed or won (an `Update` of its actor) or removed (a `Delete`), in the
/// transaction that made the change. Call `FederationData::wake` after the commit.
pub fn announce(conn: &mut DbConnection, fed: &FederationData, petition: &Petition) -> Result<(), AppError> {
    match petition.status {
        PetitionStatus::Open => {
            lifecycle::petition_published(conn, &fed.urls, petition)?;
        }
        PetitionStatus::Closed | PetitionStatus::Won => lifecycle::petition_changed(conn, fed, petition)?,
        PetitionStatus::Removed => lifecycle::petition_removed(conn, fed, petition)?,
        // An `Update` whose status says `hidden`, not a `Delete` as for a removed petition:
        // a `Delete` makes followers drop it and is forgotten here with its followers, while
        // a hidden petition may be unhidden (another `Update`) and should find them again.
        PetitionStatus::Hidden => lifecycle::petition_changed(conn, fed, petition)?,
        PetitionStatus::Draft | PetitionStatus::Review => {}
    }
    Ok(())
}

/// Tells followers that a published petition changed without being newly published (its
/// text edited, or reopened): an `Update` of its actor. Nothing for a draft, which no one
/// follows yet.
pub fn announce_change(conn: &mut DbConnection, fed: &FederationData, petition: &Petition) -> Result<(), AppError> {
    if petition.is_public() {
        lifecycle::petition_changed(conn, fed, petition)?;
    }
    Ok(())
}

/// A step of a petition's life (publish, close, remove), as the organizer's pages and the
/// API both run it.
pub type Step = fn(&mut DbConnection, &Organizer, &str) -> Result<Petition, signons_petition::PetitionError>;

/// What followers are told after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tell {
    /// What the status it leaves the petition in says (`announce`): publish, close, win,
    /// remove.
    ByStatus,
    /// An `Update` (`announce_change`): an edit, a reopening.
    Changed,
}

/// Runs `step` and tells followers about it in the same transaction, then wakes the
/// delivery worker and refreshes the cached pages.
pub async fn change(state: &AppState, organizer: Organizer, slug: String, step: Step) -> Result<Petition, AppError> {
    change_with(state, organizer, slug, Tell::ByStatus, step).await
}

/// `change`, for any step (one that takes more than the petition's slug: an edit, a
/// victory message), telling followers as `tell` says.
pub async fn change_with<F>(
    state: &AppState,
    organizer: Organizer,
    slug: String,
    tell: Tell,
    step: F,
) -> Result<Petition, AppError>
where
    F: FnOnce(&mut DbConnection, &Organizer, &str) -> Result<Petition, signons_petition::PetitionError>
        + Send
        + 'static,
{
    let fed = state.fed().clone();
    let p = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            let p = step(conn, &organizer, &slug)?;
            match tell {
                Tell::ByStatus => announce(conn, &fed, &p)?,
                Tell::Changed => announce_change(conn, &fed, &p)?,
            }
            Ok(p)
        })
        .await?;
    state.fed().wake.notify_one();
    state.invalidate_petition(&p.slug);
    Ok(p)
}

/// Names the petition's partners, replacing the last list: each input is one of our
/// organizations (its slug), or another instance's actor (`name@host` or its URL),
/// resolved here. Followers of a published petition get an `Update` of it.
pub async fn set_partners(
    state: &AppState,
    organizer: Organizer,
    slug: String,
    inputs: Vec<String>,
) -> Result<Petition, AppError> {
    if inputs.len() > signons_petition::partners::MAX_PARTNERS {
        return Err(AppError::BadRequest(format!("at most {} partners", signons_petition::partners::MAX_PARTNERS)));
    }
    let data = state.federation.to_request_data();
    let mut partners = Vec::with_capacity(inputs.len());
    for input in inputs {
        let input = input.trim().to_owned();
        if !input.contains('@') && !input.contains("://") {
            let wanted = input.clone();
            let org = state
                .db
                .read_async(move |conn| signons_petition::organization::find_organization(conn, &wanted))
                .await
                .map_err(|_| AppError::BadRequest(format!("no organization {input:?} on this instance")))?;
            let actor = data.urls.actor(&signons_federation::LocalRef::Organization(org.slug.clone()));
            partners.push(Partner {
                id: actor.to_string(),
                name: org.name,
                handle: format!("{}@{}", org.slug, data.urls.host()),
            });
        } else {
            let actor = signons_federation::follows::resolve_followable(&input, &data)
                .await
                .map_err(|e| AppError::BadRequest(format!("cannot find the partner {input:?}: {e}")))?;
            partners.push(Partner {
                id: actor.url.to_string(),
                name: actor.name.clone().unwrap_or_else(|| actor.username.clone()),
                handle: format!("{}@{}", actor.username, actor.host),
            });
        }
    }
    let partners = Partners::new(partners).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let fed = state.fed().clone();
    let p = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            let p = signons_petition::petition::set_partners(conn, &organizer, &slug, &partners)?;
            if p.is_public() {
                let count = signons_signature::counts::total(conn, &p.id)?;
                progress::petition_updated(conn, &fed, &p, count)?;
            }
            Ok(p)
        })
        .await?;
    state.fed().wake.notify_one();
    state.invalidate_petition(&p.slug);
    Ok(p)
}

/// News of our organization, a partner of another instance's petition (`slug@host`):
/// emailed to our signers of it who asked news, sent to the petition's instance (which
/// relays it to its followers). Returns how many signers it was emailed to.
pub async fn post_partner_news(
    state: &AppState,
    organizer: Organizer,
    handle: &str,
    text: String,
) -> Result<usize, AppError> {
    // Their default organization may be one they were removed from since: they speak only
    // for an organization they belong to.
    if !organizer.acts_for(&organizer.organization.id) {
        return Err(AppError::Forbidden);
    }
    let petition = crate::read_model::remote::find(&state.db, handle).await?;
    let fed = state.fed().clone();
    let emailed = state
        .db
        .write_async(move |conn| {
            signons_federation::partners::post_news(conn, &fed, &organizer.organization, &petition, &text)
        })
        .await?;
    state.fed().wake.notify_one();
    state.signing.queue.wake();
    Ok(emailed)
}

/// Organizers' news on a published petition: stored, shown on its page, sent to followers,
/// and emailed to the confirmed signers who asked news (`signons_signature::news`).
pub async fn post_news(state: &AppState, organizer: Organizer, slug: String, text: String) -> Result<Post, AppError> {
    let fed = state.fed().clone();
    let queue = state.signing.queue.clone();
    let post = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            let p = signons_petition::petition::find(conn, &slug)?;
            if !organizer.acts_for(&p.organization.id) {
                return Err(AppError::Forbidden);
            }
            say_news(conn, &fed, &queue, &p, &text)
        })
        .await?;
    after_news(state, &post.petition_slug);
    Ok(post)
}

/// The decision maker's response: recorded on the petition (shown at the top of its page)
/// and, in the same transaction, said as news (followers, and the signers who asked news),
/// headed by who answered.
pub async fn post_response(
    state: &AppState,
    organizer: Organizer,
    slug: String,
    input: signons_petition::response::ResponseInput,
) -> Result<Post, AppError> {
    let fed = state.fed().clone();
    let queue = state.signing.queue.clone();
    let post = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            let p = signons_petition::response::record(conn, &organizer, &slug, &input)?;
            let text =
                format!("**{}:**\n\n{}", signons_petition::markdown::escape(input.responder()), input.markdown());
            say_news(conn, &fed, &queue, &p, &text)
        })
        .await?;
    after_news(state, &post.petition_slug);
    Ok(post)
}

/// Stores news of a published petition and sends it: to followers, and to the signers who
/// asked news by a fan-out job queued with the post (posting returns at once, whatever
/// their number).
fn say_news(
    conn: &mut DbConnection,
    fed: &FederationData,
    queue: &signons_mail::MailQueue,
    p: &Petition,
    text: &str,
) -> Result<Post, AppError> {
    match p.status {
        PetitionStatus::Open | PetitionStatus::Closed | PetitionStatus::Won => {
            let post = posts::news(conn, &fed.urls, p, text)?;
            signons_signature::news::queue_mailing(conn, queue, &post.id, &p.id, text).map_err(AppError::internal)?;
            Ok(post)
        }
        PetitionStatus::Draft | PetitionStatus::Review => {
            Err(AppError::InvalidState("a draft petition has no followers yet; publish it first".into()))
        }
        PetitionStatus::Removed => Err(AppError::Gone),
        PetitionStatus::Hidden => Err(AppError::Hidden(p.hidden_reason.clone().unwrap_or_default())),
    }
}

fn after_news(state: &AppState, slug: &str) {
    state.fed().wake.notify_one();
    state.signing.queue.wake();
    state.invalidate_petition(slug);
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
