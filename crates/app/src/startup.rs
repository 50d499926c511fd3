//! Builds the application from its configuration: database, migrations, mail worker,
//! maintenance, routes and the HTTP server.

use crate::config::Config;
use crate::error::{json_error, AppError};
use crate::page::Visitor;
use crate::routes::{
    account, admin, api, api_doc, discovery, export, federation, find, insight, invalidate, jobs, media, milestones,
    moderation, organizations, organizer, people, public, settings, share, system,
};
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{self, DefaultHeaders, Next};
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context as _;
use chrono::TimeDelta;
use signons_mail::{MailQueue, MailSettings, MailWorker, Transport};
use signons_render::Renderer;
use signons_signature::SigningContext;
use signons_store::Database;
use std::net::TcpListener;
use tracing::Instrument;

/// Only `/embed/…` may ever be framed (`find::EMBED_CSP`); no other page is.
pub(crate) const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Sent when the public URL is https: browsers then refuse plain http to this host for a
/// year (no `includeSubDomains`: the instance may live on a subdomain of an organization's
/// domain whose other hosts are not ours to decide for).
const HSTS: &str = "max-age=31536000";

pub const BODY_LIMIT: usize = 64 * 1024;
/// What an inbox takes: a `Sign` may carry 500 attestations (`signons_federation::sign`),
/// about 100 KiB in the usual case and well under this with every field at its longest.
pub const INBOX_BODY_LIMIT: usize = 1024 * 1024;

pub struct Application {
    server: Server,
    port: u16,
    state: web::Data<AppState>,
}

impl Application {
    /// Binds `config.bind` and builds everything.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.bind).with_context(|| format!("cannot listen on {}", config.bind))?;
        Self::build_with_listener(config, listener).await
    }

    pub async fn build_with_listener(config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let db_config = config.clone();
        let db = tokio::task::spawn_blocking(move || -> anyhow::Result<Database> {
            let db = Database::connect(&db_config.database_url, db_config.db_pool_size)
                .with_context(|| format!("cannot open the database {:?}", db_config.database_url))?;
            let applied = db.migrate().context("cannot migrate the database")?;
            if !applied.is_empty() {
                tracing::info!(migrations = ?applied, "database migrated");
            }
            Ok(db)
        })
        .await??;
        let renderer = Renderer::new().context("cannot load the templates")?;
        let queue = MailQueue::new();
        let transport = Transport::new(&MailSettings {
            smtp_url: config.smtp_url.clone(),
            outbox_dir: config.data_dir.join("outbox"),
            from: config.mail_from.clone(),
            connections: config.mail_concurrency,
        })?;
        tracing::info!(transport = transport.describe(), "email");
        let link_key_file = config.link_key_file.clone();
        let link_key = tokio::task::spawn_blocking(move || signons_signature::LinkKey::load_or_create(&link_key_file))
            .await?
            .with_context(|| format!("cannot read or make the link key {}", config.link_key_file.display()))?;
        let signing = SigningContext::new(
            renderer.clone(),
            queue.clone(),
            config.public_url.clone(),
            TimeDelta::hours(config.confirm_link_hours),
        )
        .with_link_key(link_key)
        .with_recipient_caps(config.signer_emails);
        let settings = crate::federate::load_settings(&config, &db).await?;
        let worker = MailWorker {
            db: db.clone(),
            composer: std::sync::Arc::new(crate::accounts::Composer {
                signatures: signing.emails(),
                sent: signons_federation::sent::SentEmails(signing.emails()),
                resets: crate::accounts::ResetEmails {
                    renderer: renderer.clone(),
                    public_url: config.public_url.clone(),
                    settings: settings.clone(),
                    key: signing.link_key.clone(),
                },
            }),
            log_links_with_prefix: signons_mail::worker::dev_link_prefix(&config.public_url, transport.is_outbox()),
            transport,
            queue,
            retry_base: TimeDelta::seconds(config.mail_retry_seconds),
            give_up_after: TimeDelta::days(7),
            concurrency: config.mail_concurrency,
            lease: std::time::Duration::from_secs(config.job_lease_seconds),
        };
        let workers = if config.workers == 0 {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
        } else {
            config.workers
        };
        let federation = crate::federate::configure(&config, &db, &signing, settings).await?;
        let state = web::Data::new(AppState::new(config, db, renderer, signing, federation));
        tokio::spawn(crate::maintenance::run(state.clone()));
        tokio::spawn(crate::maintenance::tidy_jobs(state.clone()));
        tokio::spawn(crate::maintenance::refresh_settings(state.clone()));
        crate::federate::spawn_workers(&state);
        tokio::spawn(worker.run(state.shutdown.clone()));
        let app_state = state.clone();
        let https = state.config.secure_cookies;
        let server = HttpServer::new(move || {
            let mut headers = DefaultHeaders::new()
                .add(("Content-Security-Policy", CSP))
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("X-Frame-Options", "DENY"))
                .add(("Referrer-Policy", "same-origin"));
            if https {
                headers = headers.add(("Strict-Transport-Security", HSTS));
            }
            App::new()
                // Innermost, so the error pages it renders get the headers below too.
                .wrap(middleware::from_fn(crate::page_error::render_page_errors))
                .wrap(headers)
                // Outside the default headers: the widget's answer drops `X-Frame-Options`.
                .wrap(middleware::from_fn(allow_framing))
                .wrap(middleware::from_fn(log_request))
                // Outermost, before routing: every GET route answers HEAD too.
                .wrap(middleware::from_fn(head_as_get))
                .app_data(app_state.clone())
                .app_data(web::JsonConfig::default().limit(BODY_LIMIT).error_handler(json_error))
                .app_data(web::PayloadConfig::new(BODY_LIMIT))
                // Routes are tried in order, each dynamic one with a regular expression:
                // the ones a crowd hits (count, petition page, signing) come first.
                .service(
                    web::scope("/api/v1")
                        .service(api::petition_count)
                        .service(api::petition_signers)
                        .service(api::get_petition)
                        .service(api::sign_petition)
                        .service(api::challenge)
                        .service(api::create_petition)
                        .service(api::list_petitions)
                        .service(api::publish_petition)
                        .service(api::close_petition)
                        .service(api::edit_petition)
                        .service(api::reopen_petition)
                        .service(api::win_petition)
                        .service(api::petition_attestations)
                        .service(export::api_signatures)
                        .service(export::api_people)
                        .service(insight::api_insight)
                        .service(api::list_organizations)
                        .service(api::post_news)
                        .service(api::post_response)
                        .service(milestones::api_set_milestone)
                        .service(api::set_partners)
                        .service(api::remove_petition)
                        .service(api_doc::openapi)
                        .default_service(web::to(|| async { Err::<HttpResponse, _>(AppError::NotFound) })),
                )
                .service(public::show_petition)
                .service(public::sign_petition)
                .service(public::sign_form_again)
                .service(find::embed)
                .service(find::news_feed)
                .service(find::petitions_feed)
                .service(find::oembed)
                .service(share::share_image)
                .service(media::file)
                .service(share::share)
                .service(moderation::report_form)
                .service(moderation::report_petition)
                .service(system::healthz)
                .service(system::readyz)
                .service(system::metrics)
                .service(system::static_file)
                .service(system::favicon)
                .service(discovery::robots)
                .service(discovery::sitemap)
                .service(public::home)
                .service(public::petitions)
                .service(public::set_language)
                .service(organizer::login_form)
                .service(organizer::login)
                .service(organizer::logout)
                .service(organizer::dashboard)
                .service(account::show)
                .service(account::change_password)
                .service(account::create_token)
                .service(account::revoke_token)
                .service(account::forgot_form)
                .service(account::forgot)
                .service(account::reset_form)
                .service(account::reset)
                .service(organizations::members_list)
                .service(organizations::invite)
                .service(organizations::set_role)
                .service(organizations::remove_member)
                .service(organizations::cancel_invitation)
                .service(organizations::edit_profile)
                .service(organizations::update_profile)
                .service(organizations::invitation_form)
                .service(organizations::accept_invitation)
                .service(organizations::signup_form)
                .service(organizations::signup)
                .service(organizer::new_petition)
                .service(organizer::create_petition)
                .service(organizer::edit_petition)
                .service(organizer::update_petition)
                .service(organizer::publish_petition)
                .service(organizer::confirm_close)
                .service(organizer::close_petition)
                .service(organizer::reopen_petition)
                .service(organizer::win_form)
                .service(organizer::win_petition)
                .service(organizer::remove_petition)
                .service(organizer::post_news)
                .service(milestones::milestones_form)
                .service(milestones::milestones_update)
                .service(organizer::response_form)
                .service(organizer::post_response)
                .service(media::upload_picture)
                .service(media::remove_picture)
                .service(media::upload_logo)
                .service(media::remove_logo)
                .service(organizer::comments)
                .service(organizer::hide_comment)
                .service(organizer::unhide_comment)
                .service(export::download_csv)
                .service(export::print_list)
                .service(insight::insight)
                .service(settings::settings_form)
                .service(settings::settings_update)
                .service(settings::privacy)
                .service(admin::federation_page)
                .service(admin::federation_update)
                .service(people::people_page)
                .service(people::disable)
                .service(people::enable)
                .service(jobs::jobs_page)
                .service(jobs::jobs_retry)
                .service(moderation::queue_page)
                .service(moderation::queue_update)
                .service(invalidate::invalidate_page)
                .service(invalidate::invalidate_submit)
                .service(federation::instance_actor)
                .service(federation::organization)
                .service(federation::instance_outbox)
                .service(federation::actor_outbox)
                .service(federation::instance_followers)
                .service(federation::actor_followers)
                .service(federation::instance_petitions)
                .service(federation::organization_petitions)
                .service(federation::petition_moderators)
                .service(federation::note)
                .service(federation::webfinger)
                .service(federation::nodeinfo_links)
                .service(federation::nodeinfo)
                .service(federation::host_meta)
                .service(federation::ns)
                .service(public::thanks)
                .service(public::confirm_page)
                .service(public::confirm)
                .service(public::withdraw_page)
                .service(public::withdraw)
                .service(public::unsubscribe_page)
                .service(public::unsubscribe)
                // The inboxes, with their own body limit. A scope without a prefix takes
                // every request that reaches it, so it comes last: what no route above
                // matched goes through it to the default service, as before.
                .service(
                    web::scope("")
                        .app_data(web::PayloadConfig::new(INBOX_BODY_LIMIT))
                        .service(federation::shared_inbox)
                        .service(federation::instance_inbox)
                        .service(federation::actor_inbox),
                )
                .default_service(web::to(not_found))
        })
        .workers(workers)
        .shutdown_timeout(5)
        .listen(listener)?
        .run();
        Ok(Application { server, port, state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// What stops this application from another task: its server and background work.
    pub fn stopper(&self) -> Stopper {
        Stopper { server: self.server.handle(), shutdown: self.state.shutdown.clone() }
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

#[derive(Clone)]
pub struct Stopper {
    server: actix_web::dev::ServerHandle,
    shutdown: tokio_util::sync::CancellationToken,
}

impl Stopper {
    /// Stops accepting connections, finishes the requests under way, ends the workers.
    pub async fn stop(&self) {
        self.shutdown.cancel();
        self.server.stop(true).await;
    }

    /// Ends the background workers only (email, delivery, upkeep).
    pub fn cancel_workers(&self) {
        self.shutdown.cancel();
    }
}

async fn not_found(state: web::Data<AppState>, visitor: Visitor) -> HttpResponse {
    visitor.error_page(&state, &AppError::NotFound)
}

/// The widget's answer (its CSP lets any site frame it) goes without `X-Frame-Options`,
/// which would forbid what the CSP allows in browsers that read only that header.
async fn allow_framing(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let framable =
        res.headers().get(actix_web::http::header::CONTENT_SECURITY_POLICY).is_some_and(|v| v == find::EMBED_CSP);
    if framable {
        res.headers_mut().remove(actix_web::http::header::X_FRAME_OPTIONS);
    }
    Ok(res)
}

/// `HEAD` is answered as the `GET` of the same address, headers and all: the HTTP layer
/// (actix-http) remembers that the request it read was a HEAD and never writes the body of
/// its answer. GET routes change nothing, so running one for a HEAD is safe.
async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}

/// One span per request, with a request id, the route pattern (never the path: links
/// carry tokens), the status and the time taken. The route is looked up again only when it
/// is logged (finding it runs the router's regular expressions once more).
async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = next_request_id();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        route = tracing::field::Empty
    );
    let started = std::time::Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let _enter = span.enter();
    match &result {
        Ok(res) => {
            let status = res.status().as_u16();
            crate::metrics::count_response(status);
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            if status >= 500 || !span.is_disabled() {
                let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
                span.record("route", route.as_str());
                if status == 503 {
                    // The database is away (logged as such where it was noticed): a
                    // warning per request, not an error.
                    tracing::warn!(status, ms, route, "request answered unavailable");
                } else if status >= 500 {
                    tracing::error!(status, ms, route, "request failed");
                } else {
                    tracing::info!(status, ms, "request");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "request error"),
    }
    result.map(|mut res| {
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            res.headers_mut().insert(HeaderName::from_static("x-request-id"), v);
        }
        res
    })
}

/// Request ids: unique within the process (a counter) and across restarts and processes
/// (a random prefix), without a system call per request.
fn next_request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| uuid::Uuid::new_v4().as_u64_pair().0);
    format!("{prefix:016x}{:016x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}
