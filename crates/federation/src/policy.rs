//! The admin's federation policy: open (every domain but the blocked ones) or allow-list
//! (only the allowed ones). A blocked domain also blocks its subdomains; a domain written
//! with a port (`localhost:8551`) names only that port.

use crate::urls::host_of;
use crate::FederationError;
use activitypub_federation::config::UrlVerifier;
use diesel::prelude::*;
use signons_store::schema::{ap_domain_policies as dp, instance_settings as settings};
use signons_store::{Database, DbConnection};
use url::Url;

const MODE_SETTING: &str = "federation_mode";

signons_store::text_enum! {
    /// The federation mode, the `federation_mode` setting. An unknown stored value fails
    /// the query: an allow-list instance must never fall back to open.
    pub enum Mode {
        Open = "open",
        Allowlist = "allowlist",
    }
}

signons_store::text_enum! {
    /// A domain's rule (`ap_domain_policies.policy`). An unknown stored value fails the
    /// query: it is never taken for `allow`.
    pub enum DomainPolicy {
        Allow = "allow",
        Block = "block",
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DomainRule {
    pub domain: String,
    pub policy: DomainPolicy,
}

/// A domain as an admin may type it: `example.org`, `https://example.org/`, `localhost:8551`.
pub fn parse_domain(input: &str) -> Result<String, FederationError> {
    let input = input.trim();
    let with_scheme = if input.contains("://") { input.to_owned() } else { format!("https://{input}") };
    let url = Url::parse(&with_scheme).map_err(|_| FederationError::Invalid(format!("{input:?} is not a domain")))?;
    let host = host_of(&url).filter(|h| !h.is_empty() && h.len() <= 253);
    match host {
        Some(host) if url.path() == "/" && url.query().is_none() && url.username().is_empty() => Ok(host),
        _ => Err(FederationError::Invalid(format!("{input:?} is not a domain"))),
    }
}

pub fn mode(conn: &mut DbConnection) -> Result<Mode, FederationError> {
    // No setting yet means open; a setting this binary cannot read fails.
    let value: Option<Mode> =
        settings::table.filter(settings::name.eq(MODE_SETTING)).select(settings::value).first(conn).optional()?;
    Ok(value.unwrap_or(Mode::Open))
}

pub fn set_mode(conn: &mut DbConnection, mode: Mode) -> Result<(), FederationError> {
    signons_store::on_each_backend!(conn, |c| diesel::insert_into(settings::table)
        .values((settings::name.eq(MODE_SETTING), settings::value.eq(mode)))
        .on_conflict(settings::name)
        .do_update()
        .set(settings::value.eq(mode))
        .execute(c))?;
    recount_origins(conn)
}

pub fn rules(conn: &mut DbConnection) -> Result<Vec<DomainRule>, FederationError> {
    let rows: Vec<(String, DomainPolicy)> =
        dp::table.order(dp::domain.asc()).select((dp::domain, dp::policy)).load(conn)?;
    Ok(rows.into_iter().map(|(domain, policy)| DomainRule { domain, policy }).collect())
}

/// Sets (or with `None`, removes) the rule for a domain. Blocking drops what was waiting
/// to be delivered there.
pub fn set_rule(conn: &mut DbConnection, domain: &str, policy: Option<DomainPolicy>) -> Result<(), FederationError> {
    diesel::delete(dp::table.filter(dp::domain.eq(domain))).execute(conn)?;
    if let Some(policy) = policy {
        diesel::insert_into(dp::table)
            .values((dp::domain.eq(domain), dp::policy.eq(policy), dp::created_at.eq(signons_store::now())))
            .execute(conn)?;
    }
    if policy == Some(DomainPolicy::Block) {
        use signons_store::jobs::{self, Queue};
        let hosts = jobs::partitions(conn, Queue::Delivery)?;
        let blocked: Vec<String> = hosts.into_iter().filter(|h| matches(domain, h)).collect();
        jobs::drop_partitions(conn, Queue::Delivery, &blocked)?;
    }
    recount_origins(conn)
}

/// After the policy changed: signatures other instances collected for our petitions leave
/// the counts while their origin is refused, and come back when it is allowed again.
/// Nothing is deleted (see `sign`).
fn recount_origins(conn: &mut DbConnection) -> Result<(), FederationError> {
    use signons_store::schema::petition_origin_counts as oc;
    let policy = Policy::load(conn)?;
    let hosts: Vec<String> = oc::table.select(oc::origin_host).distinct().load(conn)?;
    for host in hosts {
        diesel::update(oc::table.filter(oc::origin_host.eq(&host)))
            .set(oc::counted.eq(policy.allows(&host)))
            .execute(conn)?;
    }
    Ok(())
}

/// Whether a rule for `domain` covers `host` (`host[:port]`).
fn matches(domain: &str, host: &str) -> bool {
    if domain == host {
        return true;
    }
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    !domain.contains(':') && (name == domain || name.ends_with(&format!(".{domain}")))
}

/// The policy as stored: the mode and the rules, read once for many hosts.
pub struct Policy {
    mode: Mode,
    rules: Vec<DomainRule>,
}

impl Policy {
    pub fn load(conn: &mut DbConnection) -> Result<Self, FederationError> {
        Ok(Policy { mode: mode(conn)?, rules: rules(conn)? })
    }

    /// Whether this instance federates with `host` (`host[:port]`).
    pub fn allows(&self, host: &str) -> bool {
        let covered = |policy: DomainPolicy| self.rules.iter().any(|r| r.policy == policy && matches(&r.domain, host));
        !covered(DomainPolicy::Block) && (self.mode == Mode::Open || covered(DomainPolicy::Allow))
    }
}

/// Whether this instance federates with `host` (`host[:port]`).
pub fn allows(conn: &mut DbConnection, host: &str) -> Result<bool, FederationError> {
    Ok(Policy::load(conn)?.allows(host))
}

pub async fn allows_url(db: &Database, url: &Url) -> Result<bool, FederationError> {
    let Some(host) = host_of(url) else { return Ok(false) };
    db.read_async(move |conn| allows(conn, &host)).await
}

/// Makes the library refuse, before any request, every URL of a domain the policy refuses.
#[derive(Clone)]
pub struct PolicyVerifier {
    pub db: Database,
}

#[async_trait::async_trait]
impl UrlVerifier for PolicyVerifier {
    async fn verify(&self, url: &Url) -> Result<(), activitypub_federation::error::Error> {
        match allows_url(&self.db, url).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(activitypub_federation::error::Error::UrlVerificationError("domain not allowed")),
            Err(e) => Err(activitypub_federation::error::Error::Other(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_parse_and_match() {
        assert_eq!(parse_domain("https://Example.org/").unwrap(), "example.org");
        assert_eq!(parse_domain("localhost:8551").unwrap(), "localhost:8551");
        for bad in ["", "https://x.org/path", "a b", "user@x.org"] {
            assert!(parse_domain(bad).is_err(), "{bad}");
        }
        assert!(matches("example.org", "example.org"));
        assert!(matches("example.org", "social.example.org"));
        assert!(matches("example.org", "example.org:8443"));
        assert!(!matches("example.org", "badexample.org"));
        assert!(matches("localhost:8551", "localhost:8551"));
        assert!(!matches("localhost:8551", "localhost:8541"));
    }

    #[test]
    fn blocks_win_and_allowlists_need_a_rule() {
        let rule = |domain: &str, policy| DomainRule { domain: domain.into(), policy };
        let rules = vec![rule("good.example", DomainPolicy::Allow), rule("bad.good.example", DomainPolicy::Block)];
        let open = Policy { mode: Mode::Open, rules: rules.clone() };
        assert!(open.allows("other.example"));
        assert!(open.allows("good.example"));
        assert!(!open.allows("bad.good.example"));
        assert!(!open.allows("x.bad.good.example"));
        let allowlist = Policy { mode: Mode::Allowlist, rules };
        assert!(!allowlist.allows("other.example"));
        assert!(allowlist.allows("social.good.example"));
        assert!(!allowlist.allows("bad.good.example"));
    }
}
