//! Who follows whom: the followers of our actors (their inboxes, how many, from which
//! servers), and the instance actor's follows of other servers, which an admin starts and
//! stops (`signons federation follow|unfollow`, the admin page).

use crate::actors::RemoteActor;
use crate::outgoing::{follow_activity, undo_follow_activity};
use crate::{delivery, policy, FederationContext, FederationError, LocalRef, Urls};
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use signons_store::schema::{ap_followers as f, ap_following as fing, ap_remote_actors as ra};
use signons_store::DbConnection;
use std::collections::HashSet;
use url::Url;

signons_store::text_enum! {
    /// Where a follow of ours stands (`ap_following.state`): sent, then answered.
    pub enum FollowState {
        Pending = "pending",
        Accepted = "accepted",
        Rejected = "rejected",
    }
}

/// The inboxes of everyone following any of `actors` (a shared inbox once per server).
pub fn follower_inboxes(
    conn: &mut DbConnection,
    urls: &Urls,
    actors: &[LocalRef],
) -> Result<Vec<Url>, FederationError> {
    let ids: Vec<String> = actors.iter().map(|a| urls.actor(a).to_string()).collect();
    let rows: Vec<(String, Option<String>)> = f::table
        .inner_join(ra::table)
        .filter(f::local_actor.eq_any(ids))
        .select((ra::inbox, ra::shared_inbox))
        .load(conn)?;
    let mut seen = HashSet::new();
    Ok(rows
        .into_iter()
        .filter_map(|(inbox, shared)| Url::parse(shared.as_deref().unwrap_or(&inbox)).ok())
        .filter(|u| seen.insert(u.to_string()))
        .collect())
}

/// The registrable domain of a server (`host[:port]`): its public suffix plus one label,
/// from the Public Suffix List (`social.example.co.uk` → `example.co.uk`, and each
/// `name.github.io` is its own). A port stays: only with `federation_allow_local` do
/// servers have one, and then each port is its own instance (as the policy names them).
/// A name without a registrable domain (an IP address, `localhost`) is its own.
pub fn registrable_domain(host: &str) -> String {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => (name, Some(port)),
        _ => (host, None),
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let domain = psl::domain_str(&name).unwrap_or(&name).to_owned();
    match port {
        Some(port) => format!("{domain}:{port}"),
        None => domain,
    }
}

/// Whether `actor` (our actor's URL) may get one more follower from `host`: fewer than
/// `cap` of its followers (other than `follower` itself, who may follow again) are of
/// that registrable domain. One domain can run any number of servers (`a.example`,
/// `b.example`...) and each any number of accounts; the cap keeps one owner from making
/// every delivery of ours go to them. `cap` 0: no cap.
pub fn below_domain_cap(
    conn: &mut DbConnection,
    actor: &str,
    follower: &str,
    host: &str,
    cap: u32,
) -> Result<bool, FederationError> {
    if cap == 0 {
        return Ok(true);
    }
    let domain = registrable_domain(host);
    let per_host: Vec<(String, i64)> = f::table
        .filter(f::local_actor.eq(actor))
        .filter(f::follower.ne(follower))
        .group_by(f::follower_host)
        .select((f::follower_host, diesel::dsl::count_star()))
        .load(conn)?;
    let same_domain: i64 = per_host.iter().filter(|(h, _)| registrable_domain(h) == domain).map(|(_, n)| n).sum();
    Ok(same_domain < i64::from(cap))
}

pub fn follower_count(conn: &mut DbConnection, urls: &Urls, actor: &LocalRef) -> Result<i64, FederationError> {
    Ok(f::table.filter(f::local_actor.eq(urls.actor(actor).as_str())).count().get_result(conn)?)
}

/// A follow target as an admin typed it: a handle `name@host` stays as it is, a bare domain
/// becomes `https://domain`. Returns it with the `host[:port]` it names, for the policy.
pub fn follow_target(input: &str) -> (String, Option<String>) {
    let input = input.trim();
    let is_handle = !input.contains("://") && input.contains('@');
    if is_handle {
        let host = input.rsplit_once('@').map(|(_, h)| h.to_ascii_lowercase()).filter(|h| !h.is_empty());
        return (input.to_owned(), host);
    }
    let target = if input.contains("://") { input.to_owned() } else { format!("https://{input}") };
    let host = Url::parse(&target).ok().as_ref().and_then(crate::urls::host_of);
    (target, host)
}

/// What `signons federation follow` accepts: an instance's base URL (its `/actor` is
/// followed), an actor's URL (an organization), or a handle `name@host`.
pub async fn resolve_followable(input: &str, data: &FederationContext) -> Result<RemoteActor, FederationError> {
    let input = input.trim();
    if !input.contains("://") && input.contains('@') {
        let handle = input.trim_start_matches('@');
        return webfinger_resolve_actor::<_, RemoteActor>(handle, data).await;
    }
    let mut actor_url = Url::parse(input)?;
    if actor_url.path() == "/" || actor_url.path().is_empty() {
        actor_url.set_path("/actor");
    }
    if data.urls.parse_local(&actor_url).is_some() {
        return Err(FederationError::Invalid("this is one of our own actors".into()));
    }
    ObjectId::<RemoteActor>::from(actor_url).dereference(data).await.map_err(|e| match e {
        FederationError::Protocol(p) => FederationError::Unreachable { url: input.to_owned(), reason: p.to_string() },
        other => other,
    })
}

/// The instance actor follows `actor`; its domain is allowed (the admin asked for it).
/// The `Follow` is queued: the running server sends it.
pub fn follow(conn: &mut DbConnection, urls: &Urls, actor: &RemoteActor) -> Result<(), FederationError> {
    policy::set_rule(conn, &actor.host, Some(policy::DomainPolicy::Allow))?;
    let id = urls.new_activity();
    let follow = follow_activity(urls, &id, &actor.url);
    let now = signons_store::now();
    diesel::delete(fing::table.filter(fing::remote_actor.eq(actor.url.as_str()))).execute(conn)?;
    diesel::insert_into(fing::table)
        .values((
            fing::remote_actor.eq(actor.url.as_str()),
            fing::host.eq(&actor.host),
            fing::follow_id.eq(id.as_str()),
            fing::state.eq(FollowState::Pending),
            fing::created_at.eq(now),
            fing::updated_at.eq(now),
        ))
        .execute(conn)?;
    delivery::enqueue(conn, &follow, std::slice::from_ref(&actor.inbox))?;
    Ok(())
}

/// Stops following `actor` (an `Undo` of our follow).
pub fn unfollow(conn: &mut DbConnection, urls: &Urls, actor_url: &str) -> Result<bool, FederationError> {
    // Only a URL names something we follow (and a NUL byte never reaches PostgreSQL).
    let Ok(actor) = Url::parse(actor_url) else { return Ok(false) };
    let actor_url = actor.as_str();
    let row: Option<(String, String)> = fing::table
        .inner_join(ra::table.on(ra::url.eq(fing::remote_actor)))
        .filter(fing::remote_actor.eq(actor_url))
        .select((fing::follow_id, ra::inbox))
        .first(conn)
        .optional()?;
    let Some((follow_id, inbox)) = row else { return Ok(false) };
    // The follow's id is one we made (`Urls::new_activity`), so it parses.
    let undo = undo_follow_activity(urls, &urls.new_activity(), &Url::parse(&follow_id)?, &actor);
    diesel::delete(fing::table.filter(fing::remote_actor.eq(actor_url))).execute(conn)?;
    delivery::enqueue(conn, &undo, &[Url::parse(&inbox)?])?;
    Ok(true)
}

#[derive(Debug, Clone, serde::Serialize, Queryable, Selectable)]
#[diesel(table_name = fing)]
pub struct Following {
    pub remote_actor: String,
    pub host: String,
    pub state: FollowState,
    pub created_at: NaiveDateTime,
}

pub fn following(conn: &mut DbConnection) -> Result<Vec<Following>, FederationError> {
    Ok(fing::table.order(fing::created_at.desc()).select(Following::as_select()).load(conn)?)
}

/// Followers of this instance's actors, per server, for the admin.
pub fn followers_by_host(conn: &mut DbConnection) -> Result<Vec<(String, i64)>, FederationError> {
    use diesel::dsl::count_star;
    Ok(f::table
        .group_by(f::follower_host)
        .select((f::follower_host, count_star()))
        .order(f::follower_host.asc())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domains_follow_the_public_suffix_list() {
        assert_eq!(registrable_domain("social.example.org"), "example.org");
        assert_eq!(registrable_domain("a.b.example.org"), "example.org");
        assert_eq!(registrable_domain("Example.ORG."), "example.org");
        assert_eq!(registrable_domain("social.example.co.uk"), "example.co.uk");
        assert_eq!(registrable_domain("example.co.uk"), "example.co.uk");
        assert_ne!(registrable_domain("alice.github.io"), registrable_domain("bob.github.io"));
        assert_eq!(registrable_domain("mastodon.social"), "mastodon.social");
        // Ports name instances on one machine (`federation_allow_local`).
        assert_eq!(registrable_domain("localhost:8541"), "localhost:8541");
        assert_ne!(registrable_domain("localhost:8541"), registrable_domain("localhost:8551"));
        assert_eq!(registrable_domain("a.example.org:8443"), "example.org:8443");
    }

    #[test]
    fn follow_targets_name_their_host() {
        assert_eq!(follow_target("Name@Example.org"), ("Name@Example.org".into(), Some("example.org".into())));
        assert_eq!(
            follow_target(" https://Social.example.org:8443/o/x "),
            ("https://Social.example.org:8443/o/x".into(), Some("social.example.org:8443".into()))
        );
        assert_eq!(follow_target("example.org"), ("https://example.org".into(), Some("example.org".into())));
        assert_eq!(follow_target("name@").1, None);
        assert_eq!(follow_target("not a url").1, None);
    }
}
