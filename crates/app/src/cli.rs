//! The command line: `signons serve | migrate | admin … | federation …`.

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
}

#[derive(Subcommand)]
pub enum Admin {
    /// Create an organizer (and the organization if new); the password is read from stdin.
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
    /// Create an API token for an organizer and print it (it is shown only once).
    CreateToken {
        #[arg(long)]
        email: String,
    },
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
            println!("{} migration(s) applied", applied.len());
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
            println!("organizer {} created in organization {}", organizer.email, organizer.organization.slug);
        }
        Command::Admin(Admin::CreateToken { email }) => {
            let db = open(&config)?;
            db.migrate()?;
            let token =
                db.write(|conn| signons_petition::auth::create_api_token(conn, &email)).map_err(|e| match e {
                    signons_petition::PetitionError::NotFound => anyhow::anyhow!("no organizer with email {email}"),
                    other => describe(other),
                })?;
            println!("{}", token.expose());
        }
    }
    Ok(())
}

fn open(config: &Config) -> anyhow::Result<signons_store::Database> {
    signons_store::Database::connect(&config.database_url, 2)
        .with_context(|| format!("cannot open the database {:?}", config.database_url))
}

fn read_password() -> anyhow::Result<String> {
    eprintln!("Password (at least {} characters), then Enter:", signons_petition::organization::MIN_PASSWORD_CHARS);
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
