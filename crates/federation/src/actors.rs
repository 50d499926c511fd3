//! Actors: ours (the instance, organizations, petitions), served and used to sign, and
//! remote ones (any server's actor that follows us or that we follow), stored once fetched.
//! Our actors' documents are built here, next to the actors, so that `objects` (notes and
//! the helpers every document uses) needs nothing of this module.

use crate::keys::{self, KeyPair};
use crate::objects::{context, count_line, escape, link, thousands, timestamp};
use crate::remote::clean_text;
use crate::urls::host_of;
use crate::{FederationContext, FederationData, FederationError, LocalRef, Urls};
use activitypub_federation::protocol::public_key::PublicKey;
use activitypub_federation::protocol::verification::verify_domains_match;
use activitypub_federation::traits::{Actor, Object};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use signons_petition::image::StoredImage;
use signons_petition::logo::Logo;
use signons_petition::{Organization, Petition, PetitionError, PetitionStatus};
use signons_store::schema::ap_remote_actors as ra;
use url::Url;

/// What a local actor stands for.
#[derive(Debug, Clone)]
pub enum Subject {
    Instance,
    /// An organization and its logo (its `icon`).
    Organization(Organization, Option<Logo>),
    Petition {
        petition: Box<Petition>,
        count: i64,
    },
}

#[derive(Debug, Clone)]
pub struct LocalActor {
    pub reference: LocalRef,
    pub url: Url,
    pub inbox: Url,
    pub shared_inbox: Url,
    pub subject: Subject,
    pub keys: KeyPair,
    /// `publicKeyMultibase` of the actor's Ed25519 assertion key, published in
    /// `assertionMethod`; only the instance actor has one for now.
    pub assertion_key: Option<String>,
}

impl LocalActor {
    /// The actor, if it exists and is public (draft petitions are not actors).
    pub async fn load(data: &FederationData, reference: &LocalRef) -> Result<Option<Self>, FederationError> {
        let subject = match reference.clone() {
            LocalRef::Instance => Subject::Instance,
            LocalRef::Organization(name) => {
                let found = data
                    .db
                    .read_async(move |conn| -> Result<_, PetitionError> {
                        let org = signons_petition::organization::find_organization(conn, &name)?;
                        let logo = signons_petition::logo::of(conn, &org.id)?;
                        Ok((org, logo))
                    })
                    .await;
                match found {
                    Ok((org, logo)) => Subject::Organization(org, logo),
                    Err(PetitionError::OrganizationNotFound) => return Ok(None),
                    Err(e) => return Err(e.into()),
                }
            }
            LocalRef::Petition(slug) => {
                let found = data
                    .db
                    .read_async(move |conn| -> Result<_, PetitionError> {
                        let petition = signons_petition::petition::find(conn, &slug)?;
                        let count = signons_signature::counts::total(conn, &petition.id)?;
                        Ok((petition, count))
                    })
                    .await;
                match found {
                    Ok((petition, _)) if petition.is_unpublished() => return Ok(None),
                    Ok((petition, count)) => Subject::Petition { petition: Box::new(petition), count },
                    Err(PetitionError::NotFound) => return Ok(None),
                    Err(e) => return Err(e.into()),
                }
            }
        };
        let url = data.urls.actor(reference);
        let keys = keys::for_actor(&data.db, &url).await?;
        let actor = LocalActor::new(&data.urls, reference.clone(), subject, keys);
        // Only the instance actor proves what it sends (the `Sign` of a signature made here);
        // other actors would get one here when they need it.
        Ok(Some(match reference {
            LocalRef::Instance => actor.with_assertion_key(keys::assertion_key(&data.db, &url).await?.public_multibase),
            _ => actor,
        }))
    }

    pub fn new(urls: &Urls, reference: LocalRef, subject: Subject, keys: KeyPair) -> Self {
        LocalActor {
            url: urls.actor(&reference),
            inbox: urls.inbox(&reference),
            shared_inbox: urls.shared_inbox(),
            reference,
            subject,
            keys,
            assertion_key: None,
        }
    }

    pub fn with_assertion_key(mut self, public_key_multibase: String) -> Self {
        self.assertion_key = Some(public_key_multibase);
        self
    }

    /// The id of the actor's assertion key: `{actor}#ed25519-key`.
    pub fn assertion_key_id(&self) -> Url {
        assertion_key_id(&self.url)
    }

    /// A removed petition, or one the moderators hid: served as a `Tombstone` (what was
    /// hidden is not handed on to other servers while it is), its key kept to sign its
    /// activities.
    pub fn is_gone(&self) -> bool {
        matches!(&self.subject, Subject::Petition { petition, .. }
            if matches!(petition.status, PetitionStatus::Removed | PetitionStatus::Hidden))
    }
}

#[async_trait::async_trait]
impl Object for LocalActor {
    type DataType = FederationData;
    type Kind = Value;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.url
    }

    async fn read_from_id(object_id: Url, data: &FederationContext) -> Result<Option<Self>, FederationError> {
        match data.urls.parse_local(&object_id) {
            Some(reference) => LocalActor::load(data, &reference).await,
            None => Ok(None),
        }
    }

    async fn into_json(self, data: &FederationContext) -> Result<Value, FederationError> {
        Ok(actor_json(data, &self))
    }

    async fn verify(_: &Value, _: &Url, _: &FederationContext) -> Result<(), FederationError> {
        Err(FederationError::Invalid("a local actor cannot be received".into()))
    }

    async fn from_json(_: Value, _: &FederationContext) -> Result<Self, FederationError> {
        Err(FederationError::Invalid("a local actor cannot be received".into()))
    }
}

impl Actor for LocalActor {
    fn public_key_pem(&self) -> &str {
        &self.keys.public_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        Some(self.keys.private_pem.clone())
    }

    fn inbox(&self) -> Url {
        self.inbox.clone()
    }

    fn shared_inbox(&self) -> Option<Url> {
        Some(self.shared_inbox.clone())
    }
}

/// The id of a local actor's assertion key.
pub fn assertion_key_id(actor: &Url) -> Url {
    let mut id = actor.clone();
    id.set_fragment(Some("ed25519-key"));
    id
}

/// The document an actor of ours serves (and an `Update` of a petition embeds).
pub fn actor_json(data: &FederationData, actor: &LocalActor) -> Value {
    let urls = &data.urls;
    let r = &actor.reference;
    let mut context = context(urls);
    if actor.assertion_key.is_some() {
        // `Multikey`, `controller` and `publicKeyMultibase` (multikey/v1), `assertionMethod`
        // (data-integrity/v2), beside security/v1 which defines `publicKey`.
        if let Some(list) = context.as_array_mut() {
            list.splice(2..2, [json!(crate::proof::MULTIKEY_CONTEXT), json!(crate::proof::DATA_INTEGRITY_CONTEXT)]);
        }
    }
    let mut doc = json!({ "@context": context });
    merge(&mut doc, actor_base(urls, r));
    merge(
        &mut doc,
        json!({
            "publicKey": {
                "id": urls.key_id(r).as_str(),
                "owner": actor.url.as_str(),
                "publicKeyPem": actor.keys.public_pem,
            },
            "manuallyApprovesFollowers": false,
            "discoverable": true,
        }),
    );
    if let Some(multibase) = &actor.assertion_key {
        merge(
            &mut doc,
            json!({ "assertionMethod": [{
                "id": actor.assertion_key_id().as_str(),
                "type": "Multikey",
                "controller": actor.url.as_str(),
                "publicKeyMultibase": multibase,
            }] }),
        );
    }
    let instance_name = data.instance_name();
    let extra = match &actor.subject {
        Subject::Instance => json!({
            "type": "Application",
            "name": instance_name,
            "summary": format!("<p>{} — Signons</p>", escape(&instance_name)),
            "url": urls.home().as_str(),
            "petitions": urls.petitions(r).as_str(),
        }),
        Subject::Organization(org, logo) => json!({
            "type": "Organization",
            "name": org.name,
            "icon": logo.as_ref().map_or(Value::Null, |logo| image_json(urls, logo, &org.name)),
            "summary": format!("<p>{}</p>", escape(&format!("Petitions of {} on {}", org.name, instance_name))),
            "url": actor.url.as_str(),
            "petitions": urls.petitions(r).as_str(),
        }),
        Subject::Petition { petition, count } => petition_fields(urls, petition, *count),
    };
    merge(&mut doc, extra);
    doc
}

/// What every actor document of ours starts with, whoever the actor is: its id, its
/// handle and its endpoints (`actor_json` adds its key and how it takes followers).
fn actor_base(urls: &Urls, r: &LocalRef) -> Value {
    json!({
        "id": urls.actor(r).as_str(),
        "preferredUsername": urls.username(r),
        "inbox": urls.inbox(r).as_str(),
        "outbox": urls.outbox(r).as_str(),
        "followers": urls.followers(r).as_str(),
        "endpoints": { "sharedInbox": urls.shared_inbox().as_str() },
    })
}

/// A petition as an item of a `petitions` collection: its actor document without the key
/// and without `@context` (the collection carries it). A petition gets its key pair only
/// when it is fetched or sends something, and listing a thousand petitions must not make
/// a thousand keys; whoever needs the key fetches the petition itself.
pub fn petition_item(urls: &Urls, petition: &Petition, count: i64) -> Value {
    let mut doc = actor_base(urls, &LocalRef::Petition(petition.slug.clone()));
    merge(&mut doc, petition_fields(urls, petition, count));
    doc
}

/// A petition's own terms (`/ns`), plus `attachment` for Mastodon's profile table. Its
/// `attributedTo` is its own moderators collection, as Lemmy reads it (a URL it keeps once
/// per community); the organization is our `organization`. The summary ends with the count,
/// the only part Lemmy shows.
fn petition_fields(urls: &Urls, petition: &Petition, count: i64) -> Value {
    let redacted;
    let petition = match petition.status {
        PetitionStatus::Hidden => {
            redacted = hidden_view(petition);
            &redacted
        }
        _ => petition,
    };
    let reference = LocalRef::Petition(petition.slug.clone());
    let url = urls.actor(&reference);
    // The goal its page shows (it moves up once reached, unless fixed), so that followers
    // and other instances read the same figures as the petition's own page.
    let goal = petition.shown_goal(count);
    let mut fields = vec!["name", "email"];
    if petition.ask_country {
        fields.push("country");
    }
    if petition.ask_postal_code {
        fields.push("postalCode");
    }
    json!({
        "type": "Group",
        "name": petition.title,
        "summary": format!("{}{}", petition.description_html.as_str(), count_line(count, goal, url.as_str())),
        "url": url.as_str(),
        "attributedTo": urls.moderators(&reference).as_str(),
        "organization": urls.actor(&LocalRef::Organization(petition.organization.slug.clone())).as_str(),
        "published": petition.published_at.map(timestamp),
        "updated": timestamp(petition.updated_at),
        // When its text last changed after publication (`updated` moves with every change,
        // the count's included), and, once won, the organizers' message (sanitized HTML).
        "edited": petition.edited_at.map(timestamp),
        "victoryMessage": petition.victory.as_ref().map(|v| v.html.as_str()),
        "endTime": petition.end_at.map(timestamp),
        "signatureCount": count,
        "signatureGoal": goal,
        "status": petition.status.as_str(),
        "target": petition.target,
        "signatureFields": fields,
        "partners": partners(petition),
        "image": image(urls, petition),
        "attachment": [
            {
                "type": "PropertyValue",
                "name": "Signatures",
                "value": format!("{} / {}", thousands(count), thousands(goal)),
            },
            { "type": "PropertyValue", "name": "Addressed to", "value": escape(&petition.target) },
            { "type": "PropertyValue", "name": "Sign", "value": link(url.as_str(), url.as_str()) },
        ],
    })
}

/// What other servers are told of a petition the moderators hid (the `Update` that says
/// so): its status and the moderators' reason, and nothing of what was hidden (title, text,
/// target, victory message, partners), which its followers' servers would otherwise show.
fn hidden_view(petition: &Petition) -> Petition {
    let reason = petition.hidden_reason.as_deref().unwrap_or_default();
    Petition {
        title: "Hidden by the moderators".to_owned(),
        description_md: String::new(),
        description_html: signons_petition::SafeHtml::from_markdown(&signons_petition::markdown::escape(reason)),
        target: String::new(),
        victory: None,
        partners: Default::default(),
        picture: None,
        ..petition.clone()
    }
}

/// The petition's picture as an `Image`; left out when it has none.
fn image(urls: &Urls, petition: &Petition) -> Value {
    petition.picture.as_ref().map_or(Value::Null, |picture| image_json(urls, picture, &picture.alt))
}

/// A stored image (its widest file) as an `Image`, with its alternative text as its name.
fn image_json(urls: &Urls, stored: &impl StoredImage, alt: &str) -> Value {
    let widest = stored.widths().last().copied().unwrap_or(1);
    let mut url = urls.base().clone();
    url.set_path(&format!("/media/{}", stored.file(widest)));
    url.set_query(None);
    json!({
        "type": "Image",
        "url": url.as_str(),
        "mediaType": "image/jpeg",
        "name": alt,
        "width": widest,
        "height": stored.height_at(widest),
    })
}

/// The organizations that carry the petition beside its own, as embedded actors; left out
/// when there are none.
fn partners(petition: &Petition) -> Value {
    let list = petition.partners.as_slice();
    if list.is_empty() {
        return Value::Null;
    }
    list.iter()
        .map(|p| {
            let username = p.handle.split_once('@').map_or(p.handle.as_str(), |(u, _)| u);
            json!({ "type": "Organization", "id": p.id, "name": p.name, "preferredUsername": username })
        })
        .collect()
}

fn merge(doc: &mut Value, extra: Value) {
    if let (Value::Object(doc), Value::Object(extra)) = (doc, extra) {
        doc.extend(extra.into_iter().filter(|(_, v)| !v.is_null()));
    }
}

// ---------------------------------------------------------------------------------------
// Remote actors

/// A remote actor as stored: where to deliver to it, and its key.
#[derive(Debug, Clone)]
pub struct RemoteActor {
    pub url: Url,
    pub host: String,
    pub kind: String,
    pub username: String,
    pub name: Option<String>,
    pub inbox: Url,
    pub shared_inbox: Option<Url>,
    pub public_key_pem: String,
    pub fetched_at: NaiveDateTime,
    /// The Ed25519 `Multikey`s of its `assertionMethod`, each checked to be its own.
    pub assertion_keys: Vec<PublishedKey>,
}

/// An assertion key a remote actor publishes, as kept (in `ap_remote_actors.assertion_keys`,
/// a JSON array of these).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedKey {
    pub id: Url,
    pub public_key_multibase: String,
}

/// A remote actor as stored; its URLs are parsed into a `RemoteActor`.
#[derive(Queryable, Selectable)]
#[diesel(table_name = ra)]
struct RemoteActorRow {
    url: String,
    host: String,
    kind: String,
    username: String,
    name: Option<String>,
    inbox: String,
    shared_inbox: Option<String>,
    public_key_pem: String,
    fetched_at: NaiveDateTime,
    assertion_keys: Option<String>,
}

impl RemoteActor {
    fn from_row(row: RemoteActorRow) -> Result<Self, FederationError> {
        Ok(RemoteActor {
            url: Url::parse(&row.url)?,
            host: row.host,
            kind: row.kind,
            username: row.username,
            name: row.name,
            inbox: Url::parse(&row.inbox)?,
            shared_inbox: row.shared_inbox.as_deref().map(Url::parse).transpose()?,
            public_key_pem: row.public_key_pem,
            fetched_at: row.fetched_at,
            assertion_keys: row.assertion_keys.as_deref().map(serde_json::from_str).transpose()?.unwrap_or_default(),
        })
    }

    /// The assertion key with this id, if the actor publishes it.
    pub fn assertion_key(&self, id: &Url) -> Option<ed25519_dalek::VerifyingKey> {
        let key = self.assertion_keys.iter().find(|k| &k.id == id)?;
        crate::proof::decode_public_key_multibase(&key.public_key_multibase).ok()
    }

    pub fn find(conn: &mut signons_store::DbConnection, url: &str) -> Result<Option<Self>, FederationError> {
        let row: Option<RemoteActorRow> =
            ra::table.filter(ra::url.eq(url)).select(RemoteActorRow::as_select()).first(conn).optional()?;
        row.map(Self::from_row).transpose()
    }

    /// `username@host`, as people write it.
    pub fn handle(&self) -> String {
        format!("{}@{}", self.username, self.host)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteActorJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub inbox: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    pub public_key: PublicKey,
    /// FEP-521a: verification methods, of which Signons keeps the Ed25519 `Multikey`s. Kept
    /// as raw JSON: other servers publish other key types, or bare references, which are
    /// skipped rather than refusing the actor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assertion_method: Option<Value>,
}

/// At most this many assertion keys are kept per actor: enough for a rotation or two.
const ASSERTION_KEYS_MAX: usize = 8;

/// The Ed25519 `Multikey`s of an actor document's `assertionMethod` that the actor
/// controls: declared in its own document (`{actor}#…`) with `controller` the actor.
/// Anything else is skipped.
pub fn published_keys(json: &RemoteActorJson) -> Vec<PublishedKey> {
    let entries = match &json.assertion_method {
        Some(Value::Array(entries)) => entries.as_slice(),
        Some(one) => std::slice::from_ref(one),
        None => &[],
    };
    let mut keys = Vec::new();
    for entry in entries {
        let text = |name: &str| entry.get(name).and_then(Value::as_str);
        if text("type") != Some("Multikey") || text("controller") != Some(json.id.as_str()) {
            continue;
        }
        let (Some(id), Some(multibase)) = (text("id").and_then(|id| Url::parse(id).ok()), text("publicKeyMultibase"))
        else {
            continue;
        };
        let mut document = id.clone();
        document.set_fragment(None);
        if document != json.id || id.fragment().is_none() || keys.iter().any(|k: &PublishedKey| k.id == id) {
            continue;
        }
        if crate::proof::decode_public_key_multibase(multibase).is_ok() {
            keys.push(PublishedKey { id, public_key_multibase: multibase.to_owned() });
        }
        if keys.len() == ASSERTION_KEYS_MAX {
            break;
        }
    }
    keys
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub shared_inbox: Option<Url>,
}

const ACTOR_KINDS: [&str; 5] = ["Person", "Service", "Application", "Group", "Organization"];
const PEM_MAX: usize = 8 * 1024;

#[async_trait::async_trait]
impl Object for RemoteActor {
    type DataType = FederationData;
    type Kind = RemoteActorJson;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.url
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        Some(self.fetched_at.and_utc())
    }

    async fn read_from_id(object_id: Url, data: &FederationContext) -> Result<Option<Self>, FederationError> {
        data.db.read_async(move |conn| RemoteActor::find(conn, object_id.as_str())).await
    }

    async fn into_json(self, _: &FederationContext) -> Result<RemoteActorJson, FederationError> {
        let assertion_method = (!self.assertion_keys.is_empty()).then(|| {
            Value::Array(
                self.assertion_keys
                    .iter()
                    .map(|k| {
                        json!({
                            "id": k.id.as_str(),
                            "type": "Multikey",
                            "controller": self.url.as_str(),
                            "publicKeyMultibase": k.public_key_multibase,
                        })
                    })
                    .collect(),
            )
        });
        Ok(RemoteActorJson {
            kind: self.kind,
            id: self.url.clone(),
            preferred_username: Some(self.username),
            name: self.name,
            inbox: self.inbox,
            endpoints: Some(Endpoints { shared_inbox: self.shared_inbox }),
            public_key: PublicKey {
                id: format!("{}#main-key", self.url),
                owner: self.url,
                public_key_pem: self.public_key_pem,
            },
            assertion_method,
        })
    }

    async fn verify(
        json: &RemoteActorJson,
        expected_domain: &Url,
        data: &FederationContext,
    ) -> Result<(), FederationError> {
        crate::urls::same_host(expected_domain, &json.id)?;
        // Its id names it as a partner (a link), its inboxes are delivered to.
        let shared = json.endpoints.as_ref().and_then(|e| e.shared_inbox.as_ref());
        for url in [Some(&json.id), Some(&json.inbox), shared].into_iter().flatten() {
            crate::urls::remote_link(url, data.allow_local)?;
        }
        verify_domains_match(&json.id, &json.inbox)?;
        if let Some(shared) = json.endpoints.as_ref().and_then(|e| e.shared_inbox.as_ref()) {
            verify_domains_match(&json.id, shared)?;
        }
        if json.public_key.owner != json.id {
            return Err(FederationError::Invalid("the key belongs to another actor".into()));
        }
        if !ACTOR_KINDS.contains(&json.kind.as_str()) {
            return Err(FederationError::Invalid(format!("{:?} is not an actor type", clean_text(&json.kind, 40))));
        }
        let pem = &json.public_key.public_key_pem;
        if pem.len() > PEM_MAX || !pem.trim_start().starts_with("-----BEGIN ") {
            return Err(FederationError::Invalid("the public key is not a PEM key of a sensible size".into()));
        }
        if !pem.chars().all(|c| c.is_ascii_graphic() || c.is_ascii_whitespace()) {
            return Err(FederationError::Invalid("the public key holds characters no PEM key has".into()));
        }
        Ok(())
    }

    async fn from_json(json: RemoteActorJson, data: &FederationContext) -> Result<Self, FederationError> {
        let host = host_of(&json.id).ok_or_else(|| FederationError::Invalid("an actor without a host".into()))?;
        let username = json
            .preferred_username
            .as_deref()
            .map(|u| clean_text(u, 100))
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| host.clone());
        let assertion_keys = published_keys(&json);
        let actor = RemoteActor {
            assertion_keys,
            url: json.id,
            host,
            kind: json.kind,
            username,
            name: json.name.as_deref().map(|n| clean_text(n, 200)),
            inbox: json.inbox,
            shared_inbox: json.endpoints.and_then(|e| e.shared_inbox),
            public_key_pem: json.public_key.public_key_pem,
            fetched_at: signons_store::now(),
        };
        let row = actor.clone();
        // NULL when there is none, as for actors kept before the column existed.
        let stored_keys =
            (!row.assertion_keys.is_empty()).then(|| serde_json::to_string(&row.assertion_keys)).transpose()?;
        data.db
            .write_async(move |conn| -> Result<(), FederationError> {
                let values = (
                    ra::host.eq(&row.host),
                    ra::kind.eq(&row.kind),
                    ra::username.eq(&row.username),
                    ra::name.eq(&row.name),
                    ra::inbox.eq(row.inbox.as_str()),
                    ra::shared_inbox.eq(row.shared_inbox.as_ref().map(Url::as_str)),
                    ra::public_key_pem.eq(&row.public_key_pem),
                    ra::fetched_at.eq(row.fetched_at),
                    ra::assertion_keys.eq(stored_keys.as_deref()),
                );
                signons_store::on_each_backend!(conn, |c| diesel::insert_into(ra::table)
                    .values((ra::url.eq(row.url.as_str()), values))
                    .on_conflict(ra::url)
                    .do_update()
                    .set(values)
                    .execute(c))?;
                Ok(())
            })
            .await?;
        Ok(actor)
    }
}

impl Actor for RemoteActor {
    fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        None
    }

    fn inbox(&self) -> Url {
        self.inbox.clone()
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.shared_inbox.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use signons_store::testing::{TempDatabase, TestBackend};

    #[test]
    fn a_hidden_petition_tells_other_servers_its_reason_and_nothing_it_hid() {
        let tmp = TempDatabase::new(TestBackend::Sqlite);
        let db = tmp.open();
        let (_, mut petition) = db.write(signons_petition::testing::sample_petition).unwrap();
        let urls = Urls::new("https://signons.example").unwrap();
        let shown = petition_fields(&urls, &petition, 3);
        assert_eq!(shown["name"], "Plant trees in the school yard");
        assert!(shown["summary"].as_str().unwrap().contains("Shade for the children"), "{shown}");

        petition.status = PetitionStatus::Hidden;
        petition.hidden_reason = Some("Hateful <b>content</b>".into());
        let hidden = petition_fields(&urls, &petition, 3);
        let text = hidden.to_string();
        for hid in ["Plant trees", "Shade for the children", "The mayor"] {
            assert!(!text.contains(hid), "{hid:?} went out: {text}");
        }
        assert_eq!(hidden["status"], "hidden");
        assert!(hidden["summary"].as_str().unwrap().contains("Hateful &lt;b&gt;content&lt;/b&gt;"), "{hidden}");
    }
}
