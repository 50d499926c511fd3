//! Configuration: built-in defaults, then a TOML file (`SIGNONS_CONFIG`), then `SIGNONS_*`
//! environment variables. Unknown keys are refused, and every bad value is reported at
//! start with what is wrong.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use signons_store::{DatabaseUrl, Secret};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// The configuration as written, before validation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub bind: String,
    pub public_url: String,
    /// Default: `{data_dir}/signons.db`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    /// The secret the links of signature emails are derived from; made there on first
    /// start. Default: `{data_dir}/link.key`.
    pub link_key_file: Option<PathBuf>,
    /// May hold the SMTP password: never printed (`Secret`).
    pub smtp_url: Option<Secret<String>>,
    /// Default: the instance's name at `noreply@` the public URL's host (see `default_sender`).
    pub mail_from: Option<String>,
    pub federation_allow_local: bool,
    pub instance_name: String,
    pub confirm_link_hours: i64,
    pub anonymize_after_days: i64,
    /// Personal data of a confirmed signature is erased this long after confirmation even
    /// if its petition is still open (one without an end date); 0 keeps it while open.
    pub personal_data_max_days: i64,
    /// Signatures one IP address may send per hour; 0 turns the limit off.
    pub sign_rate_per_ip_per_hour: u32,
    /// Signature emails (confirmation, "already signed") one address gets about one
    /// petition at once; then one per `signer_email_cooldown_seconds`. 0 turns it off.
    pub signer_email_burst: u32,
    pub signer_email_cooldown_seconds: u64,
    /// Signature emails one address gets per day over every petition; 0 turns it off.
    pub signer_emails_per_day: u32,
    /// Sign forms (and the API) ask for a proof of work: a browser spends about a second
    /// finding it, a bot signing thousands of times spends thousands of seconds.
    pub sign_proof_of_work: bool,
    /// The leading zero bits of SHA-256(challenge ‖ nonce) a proof needs: each one more
    /// doubles the work.
    pub sign_proof_of_work_bits: u8,
    /// First retry delay of a failed email, doubled at each attempt up to an hour.
    pub mail_retry_seconds: i64,
    /// First retry delay of a failed ActivityPub delivery, doubled at each attempt up to
    /// `federation_max_retry_seconds`.
    pub federation_retry_seconds: i64,
    /// The longest wait between two attempts of a failed delivery (default a day).
    pub federation_max_retry_seconds: i64,
    /// How long a failed delivery is retried, in hours (at least 72).
    pub federation_give_up_hours: i64,
    /// At most one `Update` with a petition's new count per this many seconds.
    pub federation_update_seconds: i64,
    /// Use the `X-Forwarded-For` client address (only behind a trusted reverse proxy).
    pub trust_forwarded_for: bool,
    /// Emails sent at once, each over its own SMTP connection.
    pub mail_concurrency: usize,
    /// Remote instances delivered to at once (each one's activities stay in order).
    pub federation_concurrency: usize,
    /// Inbox requests one client address may make per minute (a burst of a minute's worth
    /// at once); 0 turns the limit off.
    pub inbox_per_address_per_minute: u32,
    /// Inbox requests signed by keys of one remote server (the `keyId`'s host) per minute;
    /// 0 turns the limit off.
    pub inbox_per_host_per_minute: u32,
    /// Inbox requests processed at once; more are answered 503 with `Retry-After`.
    pub inbox_concurrency: usize,
    /// Followers one registrable domain (`example.co.uk`, with all its subdomains) may
    /// have among the followers of each of our actors; 0 turns the cap off.
    pub followers_per_domain: u32,
    /// An instance every delivery to which failed for this many days is gone: its queued
    /// deliveries, its followers and what we keep of its actors are removed.
    pub instance_gone_days: i64,
    /// How long a background job stays with a process that stopped renewing its claim
    /// (killed, or cut off from the database) before another process takes it up.
    pub job_lease_seconds: u64,
    /// The reverse proxies whose `X-Forwarded-For` entries are believed: addresses or
    /// CIDR networks. Only read with `trust_forwarded_for`.
    pub trusted_proxies: Vec<String>,
    /// The client addresses or networks `/metrics` answers (the client address as the
    /// rate limits see it: behind a trusted proxy, the address it reports).
    pub metrics_allow: Vec<String>,
    /// A bearer token that opens `/metrics` from anywhere (at least 32 characters).
    pub metrics_token: Option<Secret<String>>,
    pub db_pool_size: u32,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// `text` or `json`.
    pub log_format: String,
}

impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            bind: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            database_url: None,
            data_dir: PathBuf::from("data"),
            link_key_file: None,
            smtp_url: None,
            mail_from: None,
            federation_allow_local: false,
            instance_name: "Signons".into(),
            confirm_link_hours: 72,
            anonymize_after_days: 180,
            personal_data_max_days: 1095,
            sign_rate_per_ip_per_hour: 60,
            signer_email_burst: 3,
            sign_proof_of_work: false,
            sign_proof_of_work_bits: 18,
            signer_email_cooldown_seconds: 600,
            signer_emails_per_day: 20,
            mail_retry_seconds: 10,
            federation_retry_seconds: 60,
            federation_max_retry_seconds: 86_400,
            federation_give_up_hours: 96,
            federation_update_seconds: 60,
            trust_forwarded_for: false,
            mail_concurrency: 32,
            federation_concurrency: 8,
            // A busy Mastodon or Lemmy instance sends bursts of thousands a minute; an
            // address may carry several instances (a host, a proxy).
            inbox_per_address_per_minute: 6000,
            inbox_per_host_per_minute: 3000,
            inbox_concurrency: 32,
            followers_per_domain: 1000,
            instance_gone_days: 30,
            job_lease_seconds: 30,
            trusted_proxies: vec!["127.0.0.1".into(), "::1".into()],
            metrics_allow: vec!["127.0.0.1".into(), "::1".into()],
            metrics_token: None,
            db_pool_size: 8,
            workers: 0,
            log_format: "text".into(),
        }
    }
}

/// The configuration once every value parsed.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    /// Without a trailing slash.
    pub public_url: String,
    pub secure_cookies: bool,
    pub database_url: DatabaseUrl,
    pub data_dir: PathBuf,
    /// Every process that sends a database's emails needs the same one.
    pub link_key_file: PathBuf,
    pub smtp_url: Option<Secret<String>>,
    pub mail_from: String,
    pub federation_allow_local: bool,
    pub instance_name: String,
    pub confirm_link_hours: i64,
    pub anonymize_after_days: i64,
    pub personal_data_max_days: i64,
    pub sign_rate_per_ip_per_hour: u32,
    pub signer_emails: signons_signature::RecipientCaps,
    /// `Some(bits)` when sign forms ask for a proof of work of that many bits.
    pub proof_of_work_bits: Option<u8>,
    pub mail_retry_seconds: i64,
    pub federation_retry_seconds: i64,
    pub federation_max_retry_seconds: i64,
    pub federation_give_up_hours: i64,
    pub federation_update_seconds: i64,
    pub trust_forwarded_for: bool,
    pub mail_concurrency: usize,
    pub federation_concurrency: usize,
    pub inbox_per_address_per_minute: u32,
    pub inbox_per_host_per_minute: u32,
    pub inbox_concurrency: usize,
    pub followers_per_domain: u32,
    pub instance_gone_days: i64,
    pub job_lease_seconds: u64,
    pub trusted_proxies: Vec<IpNetwork>,
    pub metrics_allow: Vec<IpNetwork>,
    pub metrics_token: Option<Secret<String>>,
    pub db_pool_size: u32,
    pub workers: usize,
    pub log_json: bool,
}

/// The networks of a list setting; each entry that is not one is reported under `key`.
fn networks(key: &str, entries: &[String], example: &str, errors: &mut Vec<String>) -> Vec<IpNetwork> {
    entries
        .iter()
        .filter_map(|entry| {
            entry
                .trim()
                .parse::<IpNetwork>()
                .map_err(|()| {
                    errors.push(format!(
                        "{key} entry {entry:?}: expected an IP address like {example} or a network like 10.0.0.0/8"
                    ))
                })
                .ok()
        })
        .collect()
}

/// An IP address or a CIDR network (`10.0.0.0/8`, `fd00::/8`); a bare address is a
/// network of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNetwork {
    addr: IpAddr,
    prefix: u8,
}

impl IpNetwork {
    /// Whether `ip` lies in the network. An IPv4 address seen as IPv6 (`::ffff:a.b.c.d`,
    /// as a dual-stack socket reports it) is compared as the IPv4 address it is.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for IpNetwork {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let addr = addr.parse::<IpAddr>().map_err(|_| ())?.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            // Digits only: `u8::from_str` would also take a leading `+`.
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse::<u8>().map_err(|_| ())?,
            Some(_) => return Err(()),
            None => max,
        };
        if prefix > max {
            return Err(());
        }
        Ok(IpNetwork { addr, prefix })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration: {0}")]
    Read(String),
    #[error("invalid configuration:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<String>),
}

impl Config {
    /// What the admins' settings are until they save some (`signons_petition::settings`).
    pub fn settings_defaults(&self) -> signons_petition::settings::Defaults {
        signons_petition::settings::Defaults {
            name: self.instance_name.clone(),
            anonymize_after_days: self.anonymize_after_days,
        }
    }

    /// Reads the file named by `file` (if any) and the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(RawConfig::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Read(format!("{} does not exist", path.display())));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed("SIGNONS_").ignore(&["CONFIG"]));
        let raw: RawConfig = figment.extract().map_err(|e| {
            ConfigError::Read(
                e.into_iter()
                    .map(|e| e.to_string().replace("unknown field", "unknown key"))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        raw.validate()
    }
}

impl RawConfig {
    pub fn validate(self) -> Result<Config, ConfigError> {
        let mut errors = Vec::new();
        let bind = self
            .bind
            .parse::<SocketAddr>()
            .map_err(|_| {
                errors.push(format!("bind {:?}: expected an address and port, like 127.0.0.1:8080", self.bind))
            })
            .ok();
        let public_url = match url::Url::parse(&self.public_url) {
            Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() && u.query().is_none() => {
                Some(u)
            }
            _ => {
                errors.push(format!(
                    "public_url {:?}: expected an http(s) URL like https://petitions.example.org",
                    self.public_url
                ));
                None
            }
        };
        let secure = public_url.as_ref().is_some_and(|u| u.scheme() == "https");
        if secure && self.federation_allow_local {
            errors.push("federation_allow_local is for tests and demos on http://localhost; it is refused with an https public_url".into());
        }
        let database_url = self
            .database_url
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| self.data_dir.join("signons.db").to_string_lossy().into_owned());
        let database_url =
            DatabaseUrl::parse(&database_url).map_err(|e| errors.push(format!("database_url: {e}"))).ok();
        let smtp_url = self.smtp_url.clone().filter(|s| !s.expose().trim().is_empty());
        if let Some(s) = &smtp_url {
            match url::Url::parse(s.expose()) {
                Ok(u) if (u.scheme() == "smtp" || u.scheme() == "smtps") && u.host().is_some() => {}
                _ => errors.push(format!(
                    "smtp_url: expected smtp://host:port or smtps://user:password@host, got {:?}",
                    signons_store::secret::redact_url(s.expose())
                )),
            }
        }
        let mail_from = match self.mail_from.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(from) => match from.parse::<lettre_address::Mailbox>() {
                Ok(_) => from.to_owned(),
                Err(_) => {
                    errors.push(format!(
                        "mail_from {from:?}: expected an address like \"Signons <noreply@example.org>\""
                    ));
                    String::new()
                }
            },
            None => default_sender(self.instance_name.trim(), public_url.as_ref()),
        };
        if self.instance_name.trim().is_empty() || self.instance_name.chars().count() > 60 {
            errors.push("instance_name: between 1 and 60 characters".into());
        }
        if !(1..=24 * 30).contains(&self.confirm_link_hours) {
            errors.push(format!("confirm_link_hours {}: between 1 and 720", self.confirm_link_hours));
        }
        if !(0..=36500).contains(&self.personal_data_max_days) {
            errors.push(format!("personal_data_max_days {}: between 0 (off) and 36500", self.personal_data_max_days));
        }
        if !(1..=3650).contains(&self.anonymize_after_days) {
            errors.push(format!("anonymize_after_days {}: between 1 and 3650", self.anonymize_after_days));
        }
        if !(1..=3600).contains(&self.mail_retry_seconds) {
            errors.push(format!("mail_retry_seconds {}: between 1 and 3600", self.mail_retry_seconds));
        }
        if !(1..=86_400).contains(&self.federation_retry_seconds) {
            errors.push(format!("federation_retry_seconds {}: between 1 and 86400", self.federation_retry_seconds));
        }
        if !(self.federation_retry_seconds..=86_400).contains(&self.federation_max_retry_seconds) {
            errors.push(format!(
                "federation_max_retry_seconds {}: between federation_retry_seconds ({}) and 86400",
                self.federation_max_retry_seconds, self.federation_retry_seconds
            ));
        }
        if !(72..=24 * 60).contains(&self.federation_give_up_hours) {
            errors.push(format!("federation_give_up_hours {}: between 72 and 1440", self.federation_give_up_hours));
        }
        if !(1..=86_400).contains(&self.federation_update_seconds) {
            errors.push(format!("federation_update_seconds {}: between 1 and 86400", self.federation_update_seconds));
        }
        if !(1..=256).contains(&self.mail_concurrency) {
            errors.push(format!("mail_concurrency {}: between 1 and 256", self.mail_concurrency));
        }
        if !(1..=256).contains(&self.federation_concurrency) {
            errors.push(format!("federation_concurrency {}: between 1 and 256", self.federation_concurrency));
        }
        if !(1..=4096).contains(&self.inbox_concurrency) {
            errors.push(format!("inbox_concurrency {}: between 1 and 4096", self.inbox_concurrency));
        }
        if !(1..=3650).contains(&self.instance_gone_days) {
            errors.push(format!("instance_gone_days {}: between 1 and 3650", self.instance_gone_days));
        }
        if !(3..=3600).contains(&self.job_lease_seconds) {
            errors.push(format!("job_lease_seconds {}: between 3 and 3600", self.job_lease_seconds));
        }
        if !(1..=256).contains(&self.db_pool_size) {
            errors.push(format!("db_pool_size {}: between 1 and 256", self.db_pool_size));
        }
        if !(1..=32).contains(&self.sign_proof_of_work_bits) {
            errors.push(format!(
                "sign_proof_of_work_bits {}: between 1 and 32 (18 takes a browser about half a second)",
                self.sign_proof_of_work_bits
            ));
        }
        if self.workers > 256 {
            errors.push(format!("workers {}: at most 256", self.workers));
        }
        let trusted_proxies = networks("trusted_proxies", &self.trusted_proxies, "10.0.0.2", &mut errors);
        let metrics_allow = networks("metrics_allow", &self.metrics_allow, "127.0.0.1", &mut errors);
        let metrics_token = self.metrics_token.clone().filter(|t| !t.expose().trim().is_empty());
        if let Some(token) = &metrics_token {
            let t = token.expose();
            if t.chars().count() < 32 || !t.chars().all(|c| c.is_ascii_graphic()) {
                // The value is not repeated: it is a secret.
                errors.push("metrics_token: at least 32 printable ASCII characters, no spaces".into());
            }
        }
        let log_json = match self.log_format.as_str() {
            "text" => false,
            "json" => true,
            other => {
                errors.push(format!("log_format {other:?}: \"text\" or \"json\""));
                false
            }
        };
        match (bind, public_url, database_url) {
            (Some(bind), Some(public_url), Some(database_url)) if errors.is_empty() => Ok(Config {
                bind,
                public_url: public_url.as_str().trim_end_matches('/').to_owned(),
                secure_cookies: secure,
                database_url,
                link_key_file: self
                    .link_key_file
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or_else(|| self.data_dir.join("link.key")),
                data_dir: self.data_dir,
                smtp_url,
                mail_from,
                federation_allow_local: self.federation_allow_local,
                instance_name: self.instance_name.trim().to_owned(),
                confirm_link_hours: self.confirm_link_hours,
                anonymize_after_days: self.anonymize_after_days,
                personal_data_max_days: self.personal_data_max_days,
                sign_rate_per_ip_per_hour: self.sign_rate_per_ip_per_hour,
                signer_emails: signons_signature::RecipientCaps {
                    burst: self.signer_email_burst,
                    cooldown: std::time::Duration::from_secs(self.signer_email_cooldown_seconds),
                    per_day: self.signer_emails_per_day,
                },
                proof_of_work_bits: self.sign_proof_of_work.then_some(self.sign_proof_of_work_bits),
                mail_retry_seconds: self.mail_retry_seconds,
                federation_retry_seconds: self.federation_retry_seconds,
                federation_max_retry_seconds: self.federation_max_retry_seconds,
                federation_give_up_hours: self.federation_give_up_hours,
                federation_update_seconds: self.federation_update_seconds,
                trust_forwarded_for: self.trust_forwarded_for,
                mail_concurrency: self.mail_concurrency,
                federation_concurrency: self.federation_concurrency,
                inbox_per_address_per_minute: self.inbox_per_address_per_minute,
                inbox_per_host_per_minute: self.inbox_per_host_per_minute,
                inbox_concurrency: self.inbox_concurrency,
                followers_per_domain: self.followers_per_domain,
                instance_gone_days: self.instance_gone_days,
                job_lease_seconds: self.job_lease_seconds,
                trusted_proxies,
                metrics_allow,
                metrics_token,
                db_pool_size: self.db_pool_size,
                workers: self.workers,
                log_json,
            }),
            _ => Err(ConfigError::Invalid(errors)),
        }
    }
}

mod lettre_address {
    pub use lettre::message::Mailbox;
}

/// The sender when none is configured: the instance's name, at `noreply@` the public URL's
/// host when that host is a name mail can go to, else `noreply@localhost` (an address such
/// as `noreply@127.0.0.1` is not one relays take).
fn default_sender(instance_name: &str, public_url: Option<&url::Url>) -> String {
    let host = match public_url.and_then(|u| u.host()) {
        Some(url::Host::Domain(domain)) => domain.to_owned(),
        _ => "localhost".to_owned(),
    };
    let name = if instance_name.is_empty() { "Signons" } else { instance_name };
    match format!("noreply@{host}").parse::<lettre::Address>() {
        Ok(address) => lettre_address::Mailbox::new(Some(name.to_owned()), address).to_string(),
        Err(_) => format!("{name} <noreply@localhost>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_configuration_is_valid() {
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/signons.example.toml");
        let raw: RawConfig =
            Figment::from(Serialized::defaults(RawConfig::default())).merge(Toml::file(example)).extract().unwrap();
        let c = raw.validate().unwrap();
        assert_eq!(c.public_url, "https://petitions.example.org");
        assert_eq!(c.federation_give_up_hours, 96);
    }

    #[test]
    fn defaults_are_valid() {
        let c = RawConfig::default().validate().unwrap();
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.database_url, DatabaseUrl::parse("data/signons.db").unwrap());
    }

    /// Without `mail_from`, emails come from the instance at its own host.
    #[test]
    fn the_sender_defaults_to_the_instance_at_its_host() {
        let c = RawConfig::default().validate().unwrap();
        assert_eq!(c.mail_from, "Signons <noreply@localhost>");
        let raw = RawConfig {
            public_url: "https://petitions.example.org".into(),
            instance_name: "Pétitions du quartier, Lyon".into(),
            ..RawConfig::default()
        };
        let from = raw.validate().unwrap().mail_from;
        let mailbox: lettre::message::Mailbox = from.parse().unwrap();
        assert_eq!(mailbox.email.to_string(), "noreply@petitions.example.org");
        assert_eq!(mailbox.name.as_deref(), Some("Pétitions du quartier, Lyon"));
        let raw = RawConfig { mail_from: Some("Team <team@example.org>".into()), ..RawConfig::default() };
        assert_eq!(raw.validate().unwrap().mail_from, "Team <team@example.org>");
    }

    #[test]
    fn every_bad_value_is_reported() {
        let raw = RawConfig {
            bind: "nowhere".into(),
            public_url: "https://x.org/".into(),
            federation_allow_local: true,
            smtp_url: Some(Secret::new("http://mail".into())),
            mail_from: Some("not an address".into()),
            log_format: "xml".into(),
            ..RawConfig::default()
        };
        let ConfigError::Invalid(errors) = raw.validate().unwrap_err() else { panic!() };
        let text = errors.join("\n");
        for key in ["bind", "federation_allow_local", "smtp_url", "mail_from", "log_format"] {
            assert!(text.contains(key), "{key} missing in {text}");
        }
    }

    /// The longest wait between two delivery attempts: at least the first one, at most a day.
    #[test]
    fn federation_max_retry_is_bounded() {
        let with = |base: i64, max: i64| RawConfig {
            federation_retry_seconds: base,
            federation_max_retry_seconds: max,
            ..RawConfig::default()
        };
        assert!(with(1, 1).validate().is_ok());
        assert_eq!(with(1, 1).validate().unwrap().federation_max_retry_seconds, 1);
        assert!(with(60, 86_400).validate().is_ok());
        for (base, max) in [(60, 59), (1, 86_401), (1, 0)] {
            let ConfigError::Invalid(errors) = with(base, max).validate().unwrap_err() else { panic!() };
            assert!(errors.iter().any(|e| e.contains("federation_max_retry_seconds")), "{errors:?}");
        }
    }

    /// A password with `@` in it: the error names the URL without any part of it.
    #[test]
    fn a_bad_smtp_url_is_reported_without_its_password() {
        let raw =
            RawConfig { smtp_url: Some(Secret::new("smtp://user:p@ss@host:25 x".into())), ..RawConfig::default() };
        let err = raw.validate().unwrap_err().to_string();
        assert!(err.contains("smtp_url") && err.contains("host:25"), "{err}");
        assert!(!err.contains("p@ss") && err.contains("got \"smtp://…@host:25 x\""), "{err}");
        let ok = RawConfig { smtp_url: Some(Secret::new("smtp://user:p@ss@host:25".into())), ..RawConfig::default() };
        let config = ok.validate().unwrap();
        let debugged = format!("{config:?}");
        assert!(!debugged.contains("p@ss") && !debugged.contains("ss@host"), "{debugged}");
    }

    #[test]
    fn inbox_limits_and_federation_caps() {
        let c = RawConfig::default().validate().unwrap();
        assert_eq!((c.inbox_per_address_per_minute, c.inbox_per_host_per_minute), (6000, 3000));
        assert_eq!((c.inbox_concurrency, c.followers_per_domain, c.instance_gone_days), (32, 1000, 30));
        let off = RawConfig {
            inbox_per_address_per_minute: 0,
            inbox_per_host_per_minute: 0,
            followers_per_domain: 0,
            ..RawConfig::default()
        };
        assert!(off.validate().is_ok(), "0 turns each off");
        let raw = RawConfig { inbox_concurrency: 0, instance_gone_days: 0, ..RawConfig::default() };
        let ConfigError::Invalid(errors) = raw.validate().unwrap_err() else { panic!() };
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("inbox_concurrency 0")), "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("instance_gone_days 0")), "{errors:?}");
    }

    #[test]
    fn metrics_access_defaults_to_loopback() {
        let c = RawConfig::default().validate().unwrap();
        let loopback: Vec<IpNetwork> = vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()];
        assert_eq!(c.metrics_allow, loopback);
        assert!(c.metrics_token.is_none());
        let raw = RawConfig {
            metrics_allow: vec!["10.0.0.0/8".into(), "prometheus.internal".into()],
            metrics_token: Some(Secret::new("short".into())),
            ..RawConfig::default()
        };
        let ConfigError::Invalid(errors) = raw.validate().unwrap_err() else { panic!() };
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("prometheus.internal")), "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("metrics_token") && !e.contains("short")), "{errors:?}");
        let raw = RawConfig { metrics_token: Some(Secret::new("m".repeat(32))), ..RawConfig::default() };
        let c = raw.validate().unwrap();
        assert!(!format!("{c:?}").contains(&"m".repeat(32)));
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let c = RawConfig::default().validate().unwrap();
        let loopback: Vec<IpNetwork> = vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()];
        assert_eq!(c.trusted_proxies, loopback);
        let raw = RawConfig {
            trusted_proxies: vec!["10.0.0.0/8".into(), " fd00::/8 ".into(), "192.0.2.1".into()],
            ..RawConfig::default()
        };
        assert_eq!(raw.validate().unwrap().trusted_proxies.len(), 3);
        let raw = RawConfig {
            trusted_proxies: vec![
                "10.0.0.0/8".into(),
                "10.0.0.0/33".into(),
                "proxy.internal".into(),
                "::1/129".into(),
                "10.0.0.1/".into(),
                "10.0.0.1/+8".into(),
            ],
            ..RawConfig::default()
        };
        let ConfigError::Invalid(errors) = raw.validate().unwrap_err() else { panic!() };
        assert_eq!(errors.len(), 5, "one error per bad entry: {errors:?}");
        for bad in ["10.0.0.0/33", "proxy.internal", "::1/129", "10.0.0.1/\"", "10.0.0.1/+8"] {
            assert!(errors.iter().any(|e| e.contains(bad) && e.starts_with("trusted_proxies")), "{bad}: {errors:?}");
        }
    }

    #[test]
    fn networks_contain_their_addresses() {
        let net = |s: &str| s.parse::<IpNetwork>().unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(net("10.0.0.0/8").contains(ip("10.200.3.4")));
        assert!(!net("10.0.0.0/8").contains(ip("11.0.0.1")));
        assert!(net("127.0.0.1").contains(ip("127.0.0.1")));
        assert!(net("127.0.0.1").contains(ip("::ffff:127.0.0.1")), "an IPv4-mapped peer");
        assert!(!net("127.0.0.1").contains(ip("127.0.0.2")));
        assert!(net("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(!net("0.0.0.0/0").contains(ip("2001:db8::1")), "families never mix");
        assert!(net("2001:db8::/32").contains(ip("2001:db8:ffff::1")));
        assert!(!net("2001:db8::/32").contains(ip("2001:db9::1")));
        assert!(net("::/0").contains(ip("2001:db8::1")));
        assert!(net("::1").contains(ip("::1")));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail dictates the closure's error type
    fn unknown_keys_and_env_overrides() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("signons.toml", "bind = \"127.0.0.1:9000\"\nsmpt_url = \"smtp://x\"\n")?;
            let err = Config::load(Some(Path::new("signons.toml"))).unwrap_err().to_string();
            assert!(err.contains("smpt_url"), "{err}");
            jail.create_file("ok.toml", "bind = \"127.0.0.1:9000\"\n")?;
            jail.set_env("SIGNONS_PUBLIC_URL", "https://petitions.example.org/");
            let c = Config::load(Some(Path::new("ok.toml"))).unwrap();
            assert_eq!(c.bind.port(), 9000);
            assert_eq!(c.public_url, "https://petitions.example.org");
            assert!(c.secure_cookies);
            jail.set_env("SIGNONS_FEDERATION_ALLOW_LOCAL", "true");
            assert!(Config::load(None).is_err());
            jail.set_env("SIGNONS_NO_SUCH_THING", "1");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("no_such_thing"), "{err}");
            Ok(())
        });
    }
}
