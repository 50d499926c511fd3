//! The command line: `signons serve | migrate | admin … | federation … | jobs …`.

use crate::config::Config;
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "signons", version, about = "Signons: federated petitions")]
pub struct Cli {
    /// TOML configuration file (SIGNONS_* environment variables override it).
    #[arg(long, env = "SIGNONS_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the web application (migrates the database first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Administration tasks.
    #[command(subcommand)]
    Admin(Admin),
    /// Federation: whom this instance follows, and which domains it federates with.
    #[command(subcommand)]
    Federation(Federation),
    /// The background-job queue (email, federation deliveries): counts, dead jobs, retries.
    #[command(subcommand)]
    Jobs(Jobs),
}

#[derive(Subcommand)]
pub enum Jobs {
    /// Each queue's jobs by state, then the dead ones (newest first) with their last error.
    List {
        /// Only this queue: `email` or `delivery`.
        #[arg(long)]
        queue: Option<String>,
        /// How many dead jobs to list.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Put dead jobs back in their queue, due now (by id, as `list` shows them, or `--all`).
    Retry {
        ids: Vec<String>,
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
}

#[derive(Subcommand)]
pub enum Federation {
    /// Follow an instance (its base URL), an organization (its URL) or a handle `name@host`.
    /// The running server sends the request.
    Follow { target: String },
    /// Stop following an actor (its URL, as `status` lists it).
    Unfollow { actor: String },
    /// Refuse everything from a domain (and its subdomains); drops what waits to be sent there.
    Block { domain: String },
    /// Allow a domain (needed in allow-list mode).
    Allow { domain: String },
    /// Remove the rule for a domain.
    Forget { domain: String },
    /// `open` (every domain but the blocked ones) or `allowlist` (only allowed domains).
    Mode { mode: String },
    /// Show the mode, the rules, follows, followers and the delivery queue.
    Status,
}

#[derive(Subcommand)]
pub enum Tokens {
    /// The organizer's tokens: id, name, created, last used (to the hour), expiry. Never
    /// the token itself.
    List {
        #[arg(long)]
        email: String,
    },
    /// Create a token and print it (it is shown only once).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "command line")]
        name: String,
        /// Days until the token stops working (1 to 3650); none: it never expires.
        #[arg(long)]
        expires_in_days: Option<String>,
    },
    /// Revoke a token by the id `list` shows.
    Revoke {
        #[arg(long)]
        email: String,
        id: String,
    },
}

#[derive(Subcommand)]
pub enum Admin {
    /// Create an organizer (and the organization if new). The password is asked twice,
    /// without echo, on a terminal; otherwise read from the first line of stdin (scripts).
    CreateOrganizer {
        #[arg(long)]
        email: String,
        /// The organization's short name, e.g. `friends-of-the-park`.
        #[arg(long)]
        org: String,
        /// The organization's display name, e.g. "Friends of the Park".
        #[arg(long)]
        org_name: Option<String>,
    },
    /// Create an API token for an organizer and print it (it is shown only once); the same
    /// as `tokens create`.
    CreateToken {
        #[arg(long)]
        email: String,
        /// What will use the token, shown in lists.
        #[arg(long, default_value = "command line")]
        name: String,
        /// Days until the token stops working (1 to 3650); none: it never expires.
        #[arg(long)]
        expires_in_days: Option<String>,
    },
    /// An organizer's API tokens: list, create, revoke.
    #[command(subcommand)]
    Tokens(Tokens),
    /// Make an organizer an instance admin (the first organizer already is one).
    GrantAdmin {
        #[arg(long)]
        email: String,
    },
    /// Invalidate a petition's signatures by network, email domain or time window. Without
    /// `--yes`, shows what would go and changes nothing.
    Invalidate {
        /// The petition's short name (as in /p/SLUG), or SLUG@HOST for a petition of another
        /// instance signed here: its signatures sent from here are invalidated, and an
        /// Undo(Sign) withdraws the confirmed ones from its count there.
        #[arg(long)]
        petition: String,
        /// A range of whole stored networks: a /24 (IPv4) or /48 (IPv6), or wider down to a
        /// /12 or /36, e.g. 203.0.113.0/24. Needs the server's link key (`link_key_file`).
        #[arg(long)]
        network: Option<String>,
        /// The domain of the signers' (canonical) email, e.g. example.org.
        #[arg(long)]
        domain: Option<String>,
        /// Signed at or after this time (RFC 3339, e.g. 2026-12-01T09:00:00Z).
        #[arg(long)]
        from: Option<String>,
        /// Signed before this time (RFC 3339).
        #[arg(long)]
        until: Option<String>,
        /// Invalidate them (otherwise only the preview).
        #[arg(long)]
        yes: bool,
    },
}

/// The whole `signons` command: parses the arguments, runs, and says how it ended.
/// `println!` for what the commands print: when the reader is gone (`signons … | head`,
/// `grep -q`), the command ends quietly, as Unix tools do, instead of panicking on the
/// broken pipe.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("error: cannot write the output: {e}");
                std::process::exit(1);
            }
            std::process::exit(0);
        }
    }};
}

pub async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    crate::telemetry::init(config.log_json);
    match cli.command {
        Command::Serve => {
            let app = crate::Application::build(config.clone()).await?;
            tracing::info!(bind = %config.bind, public_url = %config.public_url, "Signons is serving");
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let db = open(&config)?;
            let applied = db.migrate()?;
            out!("{} migration(s) applied", applied.len());
        }
        Command::Admin(Admin::CreateOrganizer { email, org, org_name }) => {
            let password = read_password()?;
            let db = open(&config)?;
            db.migrate()?;
            let organizer = db
                .write(|conn| {
                    let organizer = signons_petition::organization::create_organizer(conn, &email, &org, &password)?;
                    if let Some(name) = &org_name {
                        signons_petition::organization::set_organization_name(
                            conn,
                            &organizer.organization.slug,
                            name,
                        )?;
                    }
                    Ok(organizer)
                })
                .map_err(describe)?;
            out!("organizer {} created in organization {}", organizer.email, organizer.organization.slug);
        }
        Command::Admin(Admin::CreateToken { email, name, expires_in_days }) => {
            tokens(&config, Tokens::Create { email, name, expires_in_days })?
        }
        Command::Admin(Admin::Tokens(command)) => tokens(&config, command)?,
        Command::Admin(Admin::GrantAdmin { email }) => {
            let db = open(&config)?;
            db.migrate()?;
            db.write(|conn| signons_petition::organization::set_admin(conn, &email, true)).map_err(|e| match e {
                signons_petition::PetitionError::NotFound => anyhow::anyhow!("no organizer with email {email}"),
                other => describe(other),
            })?;
            out!("{email} is an instance admin");
        }
        Command::Admin(Admin::Invalidate { petition, network, domain, from, until, yes }) => {
            let input = signons_signature::invalidation::FilterInput {
                petition,
                network: network.unwrap_or_default(),
                domain: domain.unwrap_or_default(),
                from: from.unwrap_or_default(),
                until: until.unwrap_or_default(),
            };
            invalidate(&config, &input, yes)?
        }
        Command::Federation(command) => federation(&config, command).await?,
        Command::Jobs(command) => jobs(&config, command)?,
    }
    Ok(())
}

async fn federation(config: &Config, command: Federation) -> anyhow::Result<()> {
    use signons_federation::policy::{self, DomainPolicy, Mode};
    use signons_federation::FederationError;
    let db = open(config)?;
    db.migrate()?;
    let fail = |e: FederationError| anyhow::anyhow!("{e}");
    let set = |domain: &str, rule: Option<DomainPolicy>| -> anyhow::Result<String> {
        let domain = policy::parse_domain(domain).map_err(fail)?;
        db.write(|conn| policy::set_rule(conn, &domain, rule)).map_err(fail)?;
        Ok(domain)
    };
    match command {
        Federation::Follow { target } => {
            let (target, host) = signons_federation::follows::follow_target(&target);
            if let Some(host) = host {
                if !db.read(|conn| policy::allows(conn, &host)).map_err(fail)? {
                    anyhow::bail!(
                        "the federation policy refuses {host}: `signons federation allow {host}` (or `forget` its block) first"
                    );
                }
            }
            // Following sends no email: a queue that nobody wakes is enough.
            let signing = signons_signature::SigningContext::new(
                signons_render::Renderer::new()?,
                signons_mail::MailQueue::new(),
                config.public_url.clone(),
                chrono::TimeDelta::hours(config.confirm_link_hours),
            );
            let settings = crate::federate::load_settings(config, &db).await?;
            let fed = crate::federate::configure(config, &db, &signing, settings).await?;
            let data = fed.to_request_data();
            let actor = signons_federation::follows::resolve_followable(&target, &data).await.map_err(fail)?;
            db.write(|conn| signons_federation::follows::follow(conn, &data.urls, &actor)).map_err(fail)?;
            out!("following {} ({}): the request is sent by the running server", actor.url, actor.handle());
        }
        Federation::Unfollow { actor } => {
            let urls = signons_federation::Urls::new(&config.public_url)?;
            let found = db.write(|conn| signons_federation::follows::unfollow(conn, &urls, &actor)).map_err(fail)?;
            if !found {
                anyhow::bail!("this instance does not follow {actor}");
            }
            out!("unfollowed {actor}");
        }
        Federation::Block { domain } => out!("{} is blocked", set(&domain, Some(DomainPolicy::Block))?),
        Federation::Allow { domain } => out!("{} is allowed", set(&domain, Some(DomainPolicy::Allow))?),
        Federation::Forget { domain } => out!("{} has no rule now", set(&domain, None)?),
        Federation::Mode { mode } => {
            let mode = Mode::parse(&mode).ok_or_else(|| anyhow::anyhow!("the mode is `open` or `allowlist`"))?;
            db.write(|conn| policy::set_mode(conn, mode)).map_err(fail)?;
            out!("federation mode: {}", mode.as_str());
        }
        Federation::Status => {
            let status = db
                .read(|conn| -> Result<_, FederationError> {
                    Ok((
                        policy::mode(conn)?,
                        policy::rules(conn)?,
                        signons_federation::follows::following(conn)?,
                        signons_federation::follows::followers_by_host(conn)?,
                        signons_federation::delivery::pending_count(conn)?,
                    ))
                })
                .map_err(fail)?;
            let (mode, rules, following, followers, pending) = status;
            out!("mode: {}", mode.as_str());
            for rule in rules {
                out!("{}: {}", rule.policy.as_str(), rule.domain);
            }
            for f in following {
                out!("following: {} ({})", f.remote_actor, f.state);
            }
            for (host, n) in followers {
                out!("followers on {host}: {n}");
            }
            out!("deliveries waiting: {pending}");
        }
    }
    Ok(())
}

fn jobs(config: &Config, command: Jobs) -> anyhow::Result<()> {
    use signons_store::jobs::{self, Queue};
    let db = open(config)?;
    db.migrate()?;
    match command {
        Jobs::List { queue, limit } => {
            let queue = match queue.as_deref() {
                None => None,
                Some(name) => {
                    Some(Queue::parse(name).ok_or_else(|| anyhow::anyhow!("the queue is `email` or `delivery`"))?)
                }
            };
            let (counts, dead) = db.read(|conn| {
                Ok::<_, signons_store::StoreError>((
                    jobs::all_counts(conn)?,
                    jobs::dead(conn, queue, limit.clamp(1, 10_000))?,
                ))
            })?;
            for (q, c) in counts.iter().filter(|(q, _)| queue.is_none_or(|only| only == *q)) {
                out!("{q}: {} queued, {} running, {} dead", c.queued, c.running, c.dead);
            }
            for job in dead {
                let target = job.partition_key.as_deref().map(|p| format!(" to {p}")).unwrap_or_default();
                out!(
                    "dead {} {}{target}, {} attempt(s), queued {}: {}",
                    job.id,
                    job.queue,
                    job.attempts,
                    job.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    job.last_error.as_deref().unwrap_or("no error recorded")
                );
            }
        }
        Jobs::Retry { ids, all } => {
            if !all && ids.is_empty() {
                bail!("name the dead jobs to retry (ids from `signons jobs list`), or --all");
            }
            let ids = ids
                .iter()
                .map(|s| signons_store::Id::parse(s).ok_or_else(|| anyhow::anyhow!("{s:?} is not a job id")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let revived = db.write(|conn| jobs::revive(conn, if all { None } else { Some(&ids) }))?;
            out!("{revived} dead job(s) queued again");
            if !all && revived < ids.len() {
                bail!("{} of the ids named no dead job", ids.len() - revived);
            }
        }
    }
    Ok(())
}

fn tokens(config: &Config, command: Tokens) -> anyhow::Result<()> {
    use signons_petition::account::{self, TokenId, TokenLifetime, TokenName};
    let db = open(config)?;
    db.migrate()?;
    let organizer = |email: &str| -> anyhow::Result<signons_petition::Organizer> {
        db.read(|conn| signons_petition::organization::organizer_by_email(conn, email))
            .map_err(describe)?
            .ok_or_else(|| anyhow::anyhow!("no organizer with email {email}"))
    };
    match command {
        Tokens::List { email } => {
            let organizer = organizer(&email)?;
            let tokens = db.read(|conn| account::list_tokens(conn, &organizer.id)).map_err(describe)?;
            if tokens.is_empty() {
                out!("{email} has no API token");
            }
            let day = |d: chrono::NaiveDateTime| d.format("%Y-%m-%d %H:%M UTC").to_string();
            for t in tokens {
                let expiry = match t.expires_at {
                    None => "never expires".to_owned(),
                    Some(e) if t.expired => format!("expired {}", day(e)),
                    Some(e) => format!("expires {}", day(e)),
                };
                let used =
                    t.last_used_at.map(|u| format!("last used {}", day(u))).unwrap_or_else(|| "never used".into());
                let name = if t.name.is_empty() { "(unnamed)" } else { t.name.as_str() };
                out!("{}  {name}  created {}, {used}, {expiry}", t.id, day(t.created_at));
            }
        }
        Tokens::Create { email, name, expires_in_days } => {
            let name = TokenName::parse(&name).map_err(|e| {
                describe(signons_petition::PetitionError::Invalid(signons_petition::FieldErrors(vec![e])))
            })?;
            let lifetime = match expires_in_days.as_deref() {
                None => TokenLifetime::FOREVER,
                Some(days) => TokenLifetime::parse_days(days)
                    .map_err(|_| anyhow::anyhow!("--expires-in-days: a whole number of days from 1 to 3650"))?,
            };
            let organizer = organizer(&email)?;
            let (_, token) =
                db.write(|conn| account::create_token(conn, &organizer.id, &name, lifetime)).map_err(describe)?;
            out!("{}", token.expose());
        }
        Tokens::Revoke { email, id } => {
            let parsed = TokenId::parse(&id)
                .ok_or_else(|| anyhow::anyhow!("{id:?} is not a token id (16 hex digits, as `tokens list` shows)"))?;
            let organizer = organizer(&email)?;
            let revoked = db.write(|conn| account::revoke_token(conn, &organizer.id, &parsed)).map_err(describe)?;
            if !revoked {
                bail!("{email} has no token {id}");
            }
            out!("token {id} revoked");
        }
    }
    Ok(())
}

/// `signons admin invalidate`: the preview, or (`yes`) the invalidation, of what the filter
/// names (`signons_signature::invalidation`).
fn invalidate(config: &Config, input: &signons_signature::invalidation::FilterInput, yes: bool) -> anyhow::Result<()> {
    use signons_signature::invalidation::{self, Filter};
    use signons_signature::SignatureError;
    let filter = Filter::parse(input).map_err(|errors| {
        let lines: Vec<String> = errors
            .0
            .iter()
            .map(|e| {
                let args: Vec<(&'static str, serde_json::Value)> =
                    e.limit.map(|l| vec![("max", l.into()), ("min", l.into())]).unwrap_or_default();
                let message = signons_render::Renderer::translate(signons_render::Locale::En, e.code, &args);
                match e.field {
                    "filter" => message,
                    field => format!("--{field}: {message}"),
                }
            })
            .collect();
        anyhow::anyhow!("{}", lines.join("\n"))
    })?;
    // Network hashes are keyed with the server's link key: another key would match nothing,
    // so it is read, never made here.
    let key = match filter.network {
        Some(_) => {
            let path = &config.link_key_file;
            let text = std::fs::read_to_string(path).with_context(|| {
                format!("cannot read the link key {} (--network needs the server's key: link_key_file)", path.display())
            })?;
            let key = signons_signature::LinkKey::from_hex(&text)
                .ok_or_else(|| anyhow::anyhow!("{} does not hold a link key", path.display()))?;
            signons_signature::NetworkKey::new(&key)
        }
        None => signons_signature::NetworkKey::new(&signons_signature::LinkKey::generate()),
    };
    let db = open(config)?;
    db.migrate()?;
    let fail = |e: SignatureError| match e {
        SignatureError::PetitionNotFound => anyhow::anyhow!("there is no petition {:?} here", filter.petition),
        other => other.into(),
    };
    // A remote petition (`slug@host`): the signatures our signers sent it.
    use signons_federation::{sent, FederationError};
    let fail_remote = |e: FederationError| match e {
        FederationError::Signature(e) => fail(e),
        other => other.into(),
    };
    if yes {
        let done = if filter.is_remote() {
            // The server's delivery worker sends the Undo(Sign) it queues.
            let urls = signons_federation::Urls::new(&config.public_url)?;
            db.write(|conn| sent::invalidate(conn, &urls, &key, &filter, "command line")).map_err(fail_remote)?
        } else {
            db.write(|conn| invalidation::invalidate(conn, &key, &filter, "command line")).map_err(fail)?
        };
        out!(
            "invalidated {} confirmed and {} unconfirmed signature(s) of {:?} ({}): the count dropped by {}",
            done.confirmed,
            done.pending,
            done.petition_title,
            done.petition_slug,
            done.confirmed
        );
        return Ok(());
    }
    let preview = if filter.is_remote() {
        db.read(|conn| sent::preview_invalidation(conn, &key, &filter)).map_err(fail_remote)?
    } else {
        db.read(|conn| invalidation::preview(conn, &key, &filter)).map_err(fail)?
    };
    out!("petition {:?} ({}), filter {}", preview.petition_title, preview.petition_slug, filter.describe());
    out!(
        "would invalidate {} confirmed signature(s) (the count would drop by as much) and {} unconfirmed",
        preview.confirmed,
        preview.pending
    );
    for e in &preview.examples {
        let email = if e.email.is_empty() { "(erased)" } else { e.email.as_str() };
        let state = e.confirmed_at.as_deref().map(|c| format!("confirmed {c}")).unwrap_or("not confirmed".into());
        out!("  {email}  signed {}, {state}", e.signed_at);
    }
    for r in &preview.earlier {
        out!(
            "earlier: {} by {}: {} confirmed and {} unconfirmed, filter {}",
            r.at,
            r.actor,
            r.confirmed,
            r.pending,
            r.filter
        );
    }
    out!("nothing changed: add --yes to invalidate them");
    Ok(())
}

fn open(config: &Config) -> anyhow::Result<signons_store::Database> {
    signons_store::Database::connect(&config.database_url, 2)
        .with_context(|| format!("cannot open the database {:?}", config.database_url))
}

/// The new organizer's password: on a terminal, asked twice without echo; otherwise the
/// first line of stdin, as scripts, the demo and the bench give it.
fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    let min = signons_petition::organization::MIN_PASSWORD_CHARS;
    if std::io::stdin().is_terminal() {
        let password = rpassword::prompt_password(format!("Password (at least {min} characters): "))
            .context("cannot read the password")?;
        let again = rpassword::prompt_password("The same password again: ").context("cannot read the password")?;
        if password != again {
            bail!("the two passwords differ");
        }
        if password.is_empty() {
            bail!("no password given");
        }
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from stdin")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        bail!("no password given on stdin");
    }
    Ok(password)
}

fn describe(e: signons_petition::PetitionError) -> anyhow::Error {
    match e {
        signons_petition::PetitionError::Invalid(fields) => anyhow::anyhow!(
            "invalid input: {}",
            fields
                .0
                .iter()
                .map(|f| format!("{} ({})", f.field, f.code.trim_start_matches("error-")))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.into(),
    }
}
