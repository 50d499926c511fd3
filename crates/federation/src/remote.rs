//! What this instance keeps from the servers it follows: their petitions (`Group` actors
//! with our terms) and their posts. Everything is untrusted: texts are cut to size, HTML is
//! sanitized, numbers are bounded, and ids must belong to the sender's host.

use crate::urls::{host_of, remote_link, same_host};
use crate::{FederationContext, FederationData, FederationError};
use activitypub_federation::traits::Object;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use signons_store::schema::{ap_following, remote_petitions as rp, remote_posts as rpo, sent_news_mailings as snm};
use signons_store::DbConnection;
use std::collections::HashSet;
use url::Url;

pub const TITLE_MAX: usize = 200;
pub const HTML_MAX: usize = 50_000;
const COUNT_MAX: i64 = 10_000_000_000;

/// Text from another server: control characters dropped, whitespace trimmed, at most
/// `max` characters.
pub fn clean_text(input: &str, max: usize) -> String {
    input.chars().filter(|c| !c.is_control() || *c == '\n').take(max).collect::<String>().trim().to_owned()
}

/// HTML from another server, reduced to what a post needs; links open elsewhere and
/// carry no referrer.
pub fn clean_html(input: &str) -> Result<String, FederationError> {
    if input.len() > HTML_MAX {
        return Err(FederationError::Invalid(format!("HTML longer than {HTML_MAX} bytes")));
    }
    let tags: HashSet<&str> = ["p", "br", "a", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "span"].into();
    Ok(ammonia::Builder::default()
        .tags(tags)
        .link_rel(Some("nofollow noopener noreferrer"))
        .url_schemes(["http", "https"].into())
        .clean(input)
        .to_string())
}

/// Whether this instance follows (and was accepted by) something on `host`: only then are
/// its posts and petitions kept.
pub fn follows_host(conn: &mut DbConnection, host: &str) -> Result<bool, FederationError> {
    let n: i64 = ap_following::table
        .filter(ap_following::host.eq(host))
        .filter(ap_following::state.eq(crate::follows::FollowState::Accepted))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// A Signons petition as another instance serves it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub preferred_username: String,
    pub name: String,
    #[serde(default)]
    pub summary: String,
    pub url: Option<Url>,
    /// The petition's moderators collection (or, in documents of older Signons, its
    /// organization): `organization` names the organization when it is there.
    pub attributed_to: Url,
    #[serde(default)]
    pub organization: Option<Url>,
    pub signature_count: i64,
    pub signature_goal: i64,
    pub status: String,
    pub target: String,
    pub end_time: Option<DateTime<Utc>>,
    /// What a signer is asked: `name`, `email`, and `country`, `postalCode` when asked.
    #[serde(default)]
    pub signature_fields: Vec<String>,
    /// Where a `Sign` for it goes (`{id}/inbox` in documents that leave it out).
    #[serde(default)]
    pub inbox: Option<Url>,
    /// The organizations that carry it beside its own (any instance's): each an embedded
    /// actor with at least `id` and `name`.
    #[serde(default)]
    pub partners: Vec<Value>,
    /// When its text last changed after publication (Signons' own term).
    #[serde(default)]
    pub edited: Option<DateTime<Utc>>,
    /// A won petition's message, HTML (sanitized here before it is kept).
    #[serde(default)]
    pub victory_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Queryable, Selectable)]
#[diesel(table_name = rp)]
pub struct RemotePetition {
    pub url: String,
    pub host: String,
    pub slug: String,
    pub title: String,
    pub summary_html: String,
    pub target: String,
    pub page_url: String,
    pub attributed_to: String,
    pub signature_count: i64,
    pub signature_goal: i64,
    pub status: String,
    pub end_at: Option<NaiveDateTime>,
    pub received_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub ask_country: bool,
    pub ask_postal_code: bool,
    pub inbox: Option<String>,
    pub partners: signons_petition::Partners,
    pub victory_html: Option<String>,
    pub edited_at: Option<NaiveDateTime>,
}

impl GroupJson {
    /// The petition's organization: `organization`, or `attributedTo` in older documents.
    pub fn organization(&self) -> &Url {
        self.organization.as_ref().unwrap_or(&self.attributed_to)
    }

    /// The description: `summary` without the count line Signons adds for Lemmy (this
    /// instance shows `signatureCount` itself).
    fn description(&self) -> &str {
        let page = self.url.as_ref().unwrap_or(&self.id);
        let line = crate::objects::count_line(self.signature_count, self.signature_goal, page.as_str());
        self.summary.strip_suffix(line.as_str()).unwrap_or(&self.summary)
    }
}

impl RemotePetition {
    /// Its organization as `name@host` when its address is `https://host/o/name` (a
    /// Signons organization), else its host alone.
    pub fn organization_handle(&self) -> String {
        match self.attributed_to.rsplit_once("/o/") {
            Some((_, name)) if !name.is_empty() && !name.contains('/') => format!("{name}@{}", self.host),
            _ => self.host.clone(),
        }
    }

    /// Its organization's name, as its actor said it when this instance last fetched it;
    /// `organization_handle` when it never did.
    pub fn organization_name(&self, conn: &mut DbConnection) -> QueryResult<String> {
        use signons_store::schema::ap_remote_actors as ra;
        let name: Option<Option<String>> =
            ra::table.filter(ra::url.eq(&self.attributed_to)).select(ra::name).first(conn).optional()?;
        Ok(name.flatten().filter(|n| !n.is_empty()).unwrap_or_else(|| self.organization_handle()))
    }

    /// `slug@host`, how pages and the API address it.
    pub fn handle(&self) -> String {
        format!("{}@{}", self.slug, self.host)
    }

    /// Whether it takes signatures now, as its home instance last said.
    pub fn accepts_signatures(&self, now: NaiveDateTime) -> bool {
        self.status == "open" && self.end_at.is_none_or(|end| end > now)
    }

    /// Where a `Sign` for it goes.
    pub fn inbox_url(&self) -> Result<Url, FederationError> {
        match &self.inbox {
            Some(inbox) => Ok(Url::parse(inbox)?),
            None => Ok(Url::parse(&format!("{}/inbox", self.url))?),
        }
    }
}

/// A remote petition's handle, `slug@host`, as pages and the admin's tools name it: the
/// slug and the host (lower case), or `None` if it cannot be one.
pub fn parse_handle(handle: &str) -> Option<(String, String)> {
    let (slug, host) = handle.split_once('@')?;
    let host_chars = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':');
    if signons_petition::Slug::parse("slug", slug).is_err() || host.is_empty() || !host.chars().all(host_chars) {
        return None;
    }
    Some((slug.to_owned(), host.to_ascii_lowercase()))
}

pub fn find_petition(
    conn: &mut DbConnection,
    slug: &str,
    host: &str,
) -> Result<Option<RemotePetition>, FederationError> {
    Ok(rp::table
        .filter(rp::slug.eq(slug))
        .filter(rp::host.eq(host))
        .select(RemotePetition::as_select())
        .first(conn)
        .optional()?)
}

pub fn recent_petitions(conn: &mut DbConnection, limit: i64) -> Result<Vec<RemotePetition>, FederationError> {
    Ok(rp::table
        .filter(rp::status.eq("open"))
        .order(rp::received_at.desc())
        .limit(limit)
        .select(RemotePetition::as_select())
        .load(conn)?)
}

fn validate_group(json: &GroupJson, allow_http: bool) -> Result<(), FederationError> {
    if json.kind != "Group" {
        return Err(FederationError::Invalid("a petition is a Group".into()));
    }
    // Its page is shown as a link, the others are fetched or delivered to.
    for url in
        [Some(&json.id), Some(&json.attributed_to), json.organization.as_ref(), json.url.as_ref(), json.inbox.as_ref()]
            .into_iter()
            .flatten()
    {
        remote_link(url, allow_http)?;
    }
    same_host(&json.id, &json.attributed_to)?;
    same_host(&json.id, json.organization())?;
    if let Some(url) = &json.url {
        same_host(&json.id, url)?;
    }
    if let Some(inbox) = &json.inbox {
        same_host(&json.id, inbox)?;
    }
    signons_petition::Slug::parse("preferredUsername", &json.preferred_username)
        .map_err(|_| FederationError::Invalid("preferredUsername is not a slug".into()))?;
    if !(0..=COUNT_MAX).contains(&json.signature_count) || !(0..=COUNT_MAX).contains(&json.signature_goal) {
        return Err(FederationError::Invalid("signature counts out of range".into()));
    }
    if !["open", "closed", "won"].contains(&json.status.as_str()) {
        return Err(FederationError::Invalid("unknown petition status".into()));
    }
    Ok(())
}

/// A remote petition's partners, as far as they can be read: an entry without a `name` or
/// an `id` that `remote_link` takes (shown as a link) is left out, and so are those past
/// the first twenty.
fn partners_of(json: &GroupJson, allow_http: bool) -> signons_petition::Partners {
    let read = |v: &Value| -> Option<signons_petition::Partner> {
        let id = remote_link(&Url::parse(v.get("id")?.as_str()?).ok()?, allow_http).ok()?;
        let name = clean_text(v.get("name")?.as_str()?, TITLE_MAX);
        let host = host_of(&id)?;
        let username = v
            .get("preferredUsername")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| id.path_segments().and_then(|mut s| s.next_back()).map(str::to_owned))?;
        let partner = signons_petition::Partner { id: id.to_string(), name, handle: format!("{username}@{host}") };
        signons_petition::Partners::new(vec![partner.clone()]).ok().map(|_| partner)
    };
    let partners = json.partners.iter().filter_map(read).take(signons_petition::partners::MAX_PARTNERS).collect();
    signons_petition::Partners::new(partners).unwrap_or_default()
}

/// Stores (or refreshes) a remote petition from its JSON. `allow_http`: see `remote_link`.
pub fn upsert_petition(
    conn: &mut DbConnection,
    json: &GroupJson,
    allow_http: bool,
) -> Result<RemotePetition, FederationError> {
    validate_group(json, allow_http)?;
    let host = host_of(&json.id).ok_or_else(|| FederationError::Invalid("a petition without host".into()))?;
    let now = signons_store::now();
    let title = clean_text(&json.name, TITLE_MAX);
    if title.is_empty() {
        return Err(FederationError::Invalid("a petition without a title".into()));
    }
    // Kept only for a won petition, as its home instance shows it.
    let victory = match (&json.victory_message, json.status.as_str()) {
        (Some(m), "won") => Some(clean_html(m)?),
        _ => None,
    };
    let values = (
        rp::title.eq(title),
        rp::summary_html.eq(clean_html(json.description())?),
        rp::target.eq(clean_text(&json.target, TITLE_MAX)),
        rp::page_url.eq(json.url.as_ref().unwrap_or(&json.id).as_str()),
        rp::attributed_to.eq(json.organization().as_str()),
        rp::signature_count.eq(json.signature_count),
        rp::signature_goal.eq(json.signature_goal),
        rp::status.eq(&json.status),
        rp::end_at.eq(json.end_time.map(|t| t.naive_utc())),
        rp::updated_at.eq(now),
        rp::ask_country.eq(json.signature_fields.iter().any(|f| f == "country")),
        rp::ask_postal_code.eq(json.signature_fields.iter().any(|f| f == "postalCode")),
        rp::inbox.eq(json.inbox.as_ref().map(Url::as_str)),
        rp::partners.eq(partners_of(json, allow_http).to_json()),
        rp::victory_html.eq(victory),
        rp::edited_at.eq(json.edited.map(|t| t.naive_utc())),
    );
    let updated = diesel::update(rp::table.filter(rp::url.eq(json.id.as_str()))).set(values.clone()).execute(conn)?;
    if updated == 0 {
        // A slug reused on that host (the old petition was deleted there) replaces the old one.
        diesel::delete(rp::table.filter(rp::slug.eq(&json.preferred_username)).filter(rp::host.eq(&host)))
            .execute(conn)?;
        diesel::insert_into(rp::table)
            .values((
                rp::url.eq(json.id.as_str()),
                rp::host.eq(&host),
                rp::slug.eq(&json.preferred_username),
                rp::received_at.eq(now),
                values,
            ))
            .execute(conn)?;
    }
    Ok(rp::table.find(json.id.as_str()).select(RemotePetition::as_select()).first(conn)?)
}

/// A remote petition as the library dereferences it.
#[derive(Debug, Clone)]
pub struct RemoteGroup {
    id: Url,
    pub petition: RemotePetition,
}

impl RemoteGroup {
    fn new(petition: RemotePetition) -> Result<Self, FederationError> {
        Ok(RemoteGroup { id: Url::parse(&petition.url)?, petition })
    }
}

#[async_trait::async_trait]
impl Object for RemoteGroup {
    type DataType = FederationData;
    type Kind = GroupJson;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        Some(self.petition.updated_at.and_utc())
    }

    async fn read_from_id(object_id: Url, data: &FederationContext) -> Result<Option<Self>, FederationError> {
        let found: Option<RemotePetition> = data
            .db
            .read_async(move |conn| -> Result<_, FederationError> {
                Ok(rp::table.find(object_id.as_str()).select(RemotePetition::as_select()).first(conn).optional()?)
            })
            .await?;
        found.map(RemoteGroup::new).transpose()
    }

    async fn into_json(self, _: &FederationContext) -> Result<GroupJson, FederationError> {
        Err(FederationError::Invalid("remote petitions are not served".into()))
    }

    async fn verify(json: &GroupJson, expected_domain: &Url, data: &FederationContext) -> Result<(), FederationError> {
        same_host(expected_domain, &json.id)?;
        validate_group(json, data.allow_local)
    }

    async fn from_json(json: GroupJson, data: &FederationContext) -> Result<Self, FederationError> {
        let allow_http = data.allow_local;
        RemoteGroup::new(data.db.write_async(move |conn| upsert_petition(conn, &json, allow_http)).await?)
    }
}

/// Deletes a remote petition or post that its server deleted (only the sender's own).
pub fn forget(conn: &mut DbConnection, url: &Url) -> Result<usize, FederationError> {
    let petitions = diesel::delete(rp::table.filter(rp::url.eq(url.as_str()))).execute(conn)?;
    let posts = diesel::delete(rpo::table.filter(rpo::url.eq(url.as_str()).or(rpo::petition_url.eq(url.as_str()))))
        .execute(conn)?;
    // Its news not yet emailed is not emailed any more (each email reads its mailing).
    diesel::delete(snm::table.filter(snm::id.eq(url.as_str()).or(snm::petition_url.eq(url.as_str())))).execute(conn)?;
    Ok(petitions + posts)
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = rpo)]
pub struct RemotePost {
    pub url: String,
    pub actor: String,
    pub host: String,
    pub petition_url: Option<String>,
    pub content_html: String,
    pub published_at: NaiveDateTime,
    pub received_at: NaiveDateTime,
}

/// A `Note` as we accept it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub attributed_to: Url,
    pub content: String,
    pub audience: Option<Url>,
    pub published: Option<DateTime<Utc>>,
    /// Ours: `news` and `milestone` are the petition's own posts, written by its
    /// organization.
    #[serde(default)]
    pub post_kind: Option<String>,
}

/// Stores a post once (a second delivery of the same note changes nothing); returns
/// whether it was new. `allow_http`: see `remote_link`.
pub fn store_post(
    conn: &mut DbConnection,
    note: &NoteJson,
    petition: Option<&Url>,
    allow_http: bool,
) -> Result<bool, FederationError> {
    if note.kind != "Note" {
        return Err(FederationError::Invalid("only Notes are kept".into()));
    }
    remote_link(&note.id, allow_http)?;
    remote_link(&note.attributed_to, allow_http)?;
    same_host(&note.id, &note.attributed_to)?;
    let host = host_of(&note.id).ok_or_else(|| FederationError::Invalid("a note without host".into()))?;
    let now = signons_store::now();
    // Who speaks: the petition, for its news and milestones (their organization writes
    // them); older Signons made the petition their author.
    let in_petition = matches!(note.post_kind.as_deref(), Some("news" | "milestone"));
    let speaker = match petition {
        Some(p) if in_petition && note.audience.as_ref() == Some(p) => p,
        _ => &note.attributed_to,
    };
    let row = (
        rpo::url.eq(note.id.as_str()),
        rpo::actor.eq(speaker.as_str()),
        rpo::host.eq(host),
        rpo::petition_url.eq(petition.map(Url::as_str)),
        rpo::content_html.eq(clean_html(&note.content)?),
        rpo::published_at.eq(note.published.map_or(now, |t| t.naive_utc())),
        rpo::received_at.eq(now),
    );
    // The note's id decides, also when the same note arrives twice at once.
    let inserted = signons_store::on_each_backend!(conn, |c| diesel::insert_into(rpo::table)
        .values(row)
        .on_conflict(rpo::url)
        .do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

pub fn recent_posts(conn: &mut DbConnection, limit: i64) -> Result<Vec<RemotePost>, FederationError> {
    Ok(rpo::table.order(rpo::received_at.desc()).limit(limit).select(RemotePost::as_select()).load(conn)?)
}

/// The petition's own posts (news, milestones), newest first.
pub fn posts_about(conn: &mut DbConnection, petition_url: &str) -> Result<Vec<RemotePost>, FederationError> {
    Ok(rpo::table
        .filter(rpo::petition_url.eq(petition_url))
        .filter(rpo::actor.eq(petition_url))
        .order((rpo::published_at.desc(), rpo::received_at.desc()))
        .limit(50)
        .select(RemotePost::as_select())
        .load(conn)?)
}
