//! The activities our actors send, as typed documents, and their builders: a post's
//! `Create` and `Announce`s, a petition's `Update` and `Delete`, the petition's FEP-1b12
//! `Announce` of its organization's activities, the instance's `Follow` and `Undo`, and the
//! `Accept` the inbox answers a follow with. They are only ever built and
//! serialized (into the delivery queue, or an outbox); what we accept is parsed by
//! `activities`. Field names follow the JSON (`kind` is `type`).

use crate::actors::{actor_json, LocalActor};
use crate::objects::{context, note_json, timestamp, without_context, Post};
use crate::{FederationData, FederationError, LocalRef, Urls};
use activitypub_federation::kinds::activity::{
    AcceptType, AnnounceType, CreateType, DeleteType, FollowType, UndoType, UpdateType,
};
use serde::Serialize;
use serde_json::Value;
use url::Url;

/// What the delivery queue needs of an activity besides its JSON: the id it is stored
/// under, and the local actor whose key signs it.
pub trait OutgoingActivity: Serialize {
    fn id(&self) -> &Url;
    fn actor(&self) -> &Url;
}

/// The audience of everything public we send: `as:Public`.
pub type Public = [&'static str; 1];
const PUBLIC: Public = [crate::objects::PUBLIC];

/// An activity as sent: with the `@context` of every document we serve. An activity
/// embedded in another document (an outbox's items) goes without it: the outer one has it.
#[derive(Debug, Clone, Serialize)]
pub struct WithContext<A> {
    #[serde(rename = "@context")]
    pub context: Value,
    #[serde(flatten)]
    pub activity: A,
}

impl<A> WithContext<A> {
    pub fn new(urls: &Urls, activity: A) -> Self {
        WithContext { context: context(urls), activity }
    }
}

impl<A: OutgoingActivity> OutgoingActivity for WithContext<A> {
    fn id(&self) -> &Url {
        self.activity.id()
    }

    fn actor(&self) -> &Url {
        self.activity.actor()
    }
}

/// Implements `OutgoingActivity` for activities whose `id` and `actor` are fields.
macro_rules! outgoing_activity {
    ($($name:ident),*) => {$(
        impl OutgoingActivity for $name {
            fn id(&self) -> &Url {
                &self.id
            }

            fn actor(&self) -> &Url {
                &self.actor
            }
        }
    )*};
}
outgoing_activity!(Create, Announce, GroupAnnounce, Update, Delete, Follow, Undo, Accept);
pub(crate) use outgoing_activity;

/// A post, as a `Note` embedded whole, from its author.
#[derive(Debug, Clone, Serialize)]
pub struct Create {
    #[serde(rename = "type")]
    pub kind: CreateType,
    pub id: Url,
    pub actor: Url,
    pub published: String,
    pub to: Public,
    pub cc: [Url; 1],
    pub object: Value,
}

/// A boost of a petition's post by its organization, naming the note by id.
#[derive(Debug, Clone, Serialize)]
pub struct Announce {
    #[serde(rename = "type")]
    pub kind: AnnounceType,
    pub id: Url,
    pub actor: Url,
    pub published: String,
    pub to: Public,
    pub cc: [Url; 1],
    pub object: Url,
}

/// A petition relays an activity of its organization (FEP-1b12), embedded whole (without
/// its `@context`): how Lemmy takes posts, updates and deletions in a community, whose own
/// actor must be a person or an organization, never the `Group`.
#[derive(Debug, Clone, Serialize)]
pub struct GroupAnnounce {
    #[serde(rename = "type")]
    pub kind: AnnounceType,
    pub id: Url,
    pub actor: Url,
    pub to: Public,
    pub cc: [Url; 1],
    pub object: Value,
}

/// A petition's actor, embedded whole (without its `@context`), so that the receiver gets
/// the new count and status without fetching it.
#[derive(Debug, Clone, Serialize)]
pub struct Update {
    #[serde(rename = "type")]
    pub kind: UpdateType,
    pub id: Url,
    pub actor: Url,
    pub to: Public,
    pub cc: [Url; 1],
    pub object: Value,
}

/// A removed petition, by itself or by its organization. No `cc`: the petition's followers
/// are forgotten with it, so there is no followers collection left to name.
#[derive(Debug, Clone, Serialize)]
pub struct Delete {
    #[serde(rename = "type")]
    pub kind: DeleteType,
    pub id: Url,
    pub actor: Url,
    pub to: Public,
    pub object: Url,
}

/// A follow: sent by the instance actor, and restated inside the `Undo` and `Accept` of one.
#[derive(Debug, Clone, Serialize)]
pub struct Follow {
    #[serde(rename = "type")]
    pub kind: FollowType,
    pub id: Url,
    pub actor: Url,
    pub object: Url,
}

/// The instance actor's unfollow: the follow it undoes, restated.
#[derive(Debug, Clone, Serialize)]
pub struct Undo {
    #[serde(rename = "type")]
    pub kind: UndoType,
    pub id: Url,
    pub actor: Url,
    pub object: Follow,
}

/// Our actor accepts a follow it received, restated (its id, its actor, and our actor as
/// its object) so that the follower can match it.
#[derive(Debug, Clone, Serialize)]
pub struct Accept {
    #[serde(rename = "type")]
    pub kind: AcceptType,
    pub id: Url,
    pub actor: Url,
    pub object: Follow,
}

/// `url` with `/suffix` added to its path: the ids of a note's `Create` and `Announce`.
fn suffixed(url: &Url, suffix: &str) -> Url {
    let mut url = url.clone();
    url.set_path(&format!("{}/{suffix}", url.path()));
    url
}

/// `Create(Note)` of a post, from its author (the organization).
pub fn create_note(urls: &Urls, post: &Post) -> WithContext<Create> {
    let author = post.author();
    let create = Create {
        kind: CreateType::Create,
        id: suffixed(&urls.note(&post.id), "create"),
        actor: urls.actor(&author),
        published: timestamp(post.created_at),
        to: PUBLIC,
        cc: [urls.followers(&author)],
        object: note_json(urls, post),
    };
    WithContext::new(urls, create)
}

/// `Announce` (boost) of a petition's post by the petition's organization.
pub fn announce_note(urls: &Urls, post: &Post) -> WithContext<Announce> {
    boost(urls, post, LocalRef::Organization(post.organization_slug.clone()), "announce")
}

/// The petition's plain boost of one of its posts, by the note's id: what Mastodon (which
/// cannot read an `Announce` of an activity) shows, after fetching the note.
pub fn petition_boost(urls: &Urls, post: &Post) -> WithContext<Announce> {
    boost(urls, post, LocalRef::Petition(post.petition_slug.clone()), "petition-boost")
}

/// A boost of `post` by the actor `by`, to its followers, with id `{note}/{suffix}`.
fn boost(urls: &Urls, post: &Post, by: LocalRef, suffix: &str) -> WithContext<Announce> {
    let note = urls.note(&post.id);
    let announce = Announce {
        kind: AnnounceType::Announce,
        id: suffixed(&note, suffix),
        actor: urls.actor(&by),
        published: timestamp(post.created_at),
        to: PUBLIC,
        cc: [urls.followers(&by)],
        object: note,
    };
    WithContext::new(urls, announce)
}

/// The petition `slug`'s `Announce`, with id `id`, of its organization's `activity`.
pub fn group_announce(
    urls: &Urls,
    slug: &str,
    id: &Url,
    activity: &impl Serialize,
) -> Result<WithContext<GroupAnnounce>, FederationError> {
    let petition = LocalRef::Petition(slug.to_owned());
    let announce = GroupAnnounce {
        kind: AnnounceType::Announce,
        id: id.clone(),
        actor: urls.actor(&petition),
        to: PUBLIC,
        cc: [urls.followers(&petition)],
        object: without_context(serde_json::to_value(activity)?),
    };
    Ok(WithContext::new(urls, announce))
}

/// The petition's `Announce` of the organization's `Create` of a post in it.
pub fn announce_create(urls: &Urls, post: &Post) -> Result<WithContext<GroupAnnounce>, FederationError> {
    let id = suffixed(&urls.note(&post.id), "petition-announce");
    group_announce(urls, &post.petition_slug, &id, &create_note(urls, post))
}

/// `Update` of a petition's actor, with id `id`: the whole `Group`, as its actor serves it,
/// sent by the petition itself.
pub fn update_group(data: &FederationData, actor: &LocalActor, id: &Url) -> WithContext<Update> {
    update_group_by(data, actor, &actor.url, id)
}

/// The same `Update`, sent by `by` (the petition, or its organization inside the
/// petition's `Announce`).
pub fn update_group_by(data: &FederationData, actor: &LocalActor, by: &Url, id: &Url) -> WithContext<Update> {
    let urls = &data.urls;
    let update = Update {
        kind: UpdateType::Update,
        id: id.clone(),
        actor: by.clone(),
        to: PUBLIC,
        cc: [urls.followers(&actor.reference)],
        object: without_context(actor_json(data, actor)),
    };
    WithContext::new(urls, update)
}

/// `Delete` of `object` (one of our petitions) by `actor` (itself or its organization),
/// with id `id`.
pub fn delete_object(urls: &Urls, id: &Url, actor: &Url, object: &Url) -> WithContext<Delete> {
    let delete =
        Delete { kind: DeleteType::Delete, id: id.clone(), actor: actor.clone(), to: PUBLIC, object: object.clone() };
    WithContext::new(urls, delete)
}

/// The instance actor's follow `id` of `object`.
fn instance_follow(urls: &Urls, id: &Url, object: &Url) -> Follow {
    Follow { kind: FollowType::Follow, id: id.clone(), actor: urls.actor(&LocalRef::Instance), object: object.clone() }
}

/// `Follow` of `object` by the instance actor, with id `id`.
pub fn follow_activity(urls: &Urls, id: &Url, object: &Url) -> WithContext<Follow> {
    WithContext::new(urls, instance_follow(urls, id, object))
}

/// `Undo` of the instance actor's follow `follow_id` of `object`, with id `id`.
pub fn undo_follow_activity(urls: &Urls, id: &Url, follow_id: &Url, object: &Url) -> WithContext<Undo> {
    let undo = Undo {
        kind: UndoType::Undo,
        id: id.clone(),
        actor: urls.actor(&LocalRef::Instance),
        object: instance_follow(urls, follow_id, object),
    };
    WithContext::new(urls, undo)
}

/// `Accept` by our actor `local`, with id `id`, of the follow `follow_id` that `follower`
/// sent it.
pub fn accept_follow(urls: &Urls, id: &Url, local: &Url, follow_id: &Url, follower: &Url) -> WithContext<Accept> {
    let follow =
        Follow { kind: FollowType::Follow, id: follow_id.clone(), actor: follower.clone(), object: local.clone() };
    let accept = Accept { kind: AcceptType::Accept, id: id.clone(), actor: local.clone(), object: follow };
    WithContext::new(urls, accept)
}
