//! The documents we serve besides actors: notes, collections and our JSON-LD context, and
//! the text helpers (dates, numbers, HTML) every document we build uses. Built with `json!`
//! because every document is written once here and read by other servers; what we
//! *accept* is parsed into types (`activities`, `remote`).

use crate::{LocalRef, Urls};
use chrono::NaiveDateTime;
use serde_json::{json, Value};

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The `@context` of every document we serve: ActivityStreams, the security vocabulary
/// (keys), our own terms (`/ns`) and the few Mastodon and schema.org terms we use.
pub fn context(urls: &Urls) -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        urls.ns().as_str(),
        {
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value"
        }
    ])
}

/// The document served at `/ns`: our terms, for JSON-LD processors.
pub fn ns_document(urls: &Urls) -> Value {
    let ns = format!("{}#", urls.ns());
    json!({
        "@context": {
            "signons": ns,
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "signatureCount": { "@id": "signons:signatureCount", "@type": "xsd:nonNegativeInteger" },
            "signatureGoal": { "@id": "signons:signatureGoal", "@type": "xsd:nonNegativeInteger" },
            "status": { "@id": "signons:status" },
            "target": { "@id": "signons:target" },
            "signatureFields": { "@id": "signons:signatureFields", "@container": "@set" },
            "organization": { "@id": "signons:organization", "@type": "@id" },
            "petitions": { "@id": "signons:petitions", "@type": "@id" },
            "postKind": { "@id": "signons:postKind" },
            "partners": { "@id": "signons:partners", "@container": "@list" },
            "victoryMessage": { "@id": "signons:victoryMessage" },
            "edited": { "@id": "signons:edited", "@type": "xsd:dateTime" },
            "Sign": "signons:Sign",
            "attestations": { "@id": "signons:attestations", "@container": "@set" },
            "confirmed": { "@id": "signons:confirmed", "@type": "xsd:dateTime" },
            "digest": { "@id": "signons:digest" },
            "country": { "@id": "signons:country" },
            "postalCode": { "@id": "signons:postalCode" },
            "reason": { "@id": "signons:reason" }
        }
    })
}

pub fn timestamp(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// 12345 → "12,345".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// Escapes text for HTML content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn link(url: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", escape(url), escape(text))
}

/// What a petition (or its organization) said to followers, as stored.
#[derive(Debug, Clone)]
pub struct Post {
    pub id: String,
    pub kind: PostKind,
    pub petition_slug: String,
    pub organization_slug: String,
    pub body_html: String,
    pub created_at: NaiveDateTime,
}

signons_store::text_enum! {
    /// What a post says (`petition_posts.kind`); it decides who says it. A value this
    /// binary does not know fails the query instead of being taken for news.
    pub enum PostKind {
        /// The petition was published: said by its organization.
        Published = "published",
        News = "news",
        Milestone = "milestone",
    }
}

impl Post {
    /// Who writes it: always the organization (the note's `attributedTo`, its `Create`'s
    /// actor). A petition is a `Group`, and Lemmy takes posts only from people and
    /// organizations; the petition distributes its posts by announcing them (FEP-1b12).
    pub fn author(&self) -> LocalRef {
        LocalRef::Organization(self.organization_slug.clone())
    }

    /// Whether it is posted in the petition (news, milestones: the petition announces it
    /// and lists it in its outbox), rather than about it (the launch note).
    pub fn in_petition(&self) -> bool {
        matches!(self.kind, PostKind::News | PostKind::Milestone)
    }
}

/// A post as a `Note`. `audience` names the petition, so other Signons instances (and
/// Lemmy-style servers) know what it is about; `postKind` (ours) tells another Signons
/// instance which notes are the petition's own news, now that the organization writes all.
pub fn note_json(urls: &Urls, post: &Post) -> Value {
    let author = post.author();
    let petition = urls.actor(&LocalRef::Petition(post.petition_slug.clone()));
    json!({
        "type": "Note",
        "id": urls.note(&post.id).as_str(),
        "attributedTo": urls.actor(&author).as_str(),
        "content": post.body_html,
        "mediaType": "text/html",
        "url": petition.as_str(),
        "audience": petition.as_str(),
        "published": timestamp(post.created_at),
        "postKind": post.kind.as_str(),
        "to": [PUBLIC],
        "cc": [urls.followers(&author).as_str()],
    })
}

/// An `OrderedCollection` of `total` items (an outbox, before its items are added).
pub fn collection(id: &str, total: i64) -> Value {
    json!({ "type": "OrderedCollection", "id": id, "totalItems": total })
}

/// A followers collection: its size only. Lemmy reads a community's subscriber count from
/// a `Collection` with `totalItems` and an `items` array it requires but does not read, so
/// the followers themselves are never listed.
pub fn followers_collection(id: &str, total: i64) -> Value {
    json!({ "type": "Collection", "id": id, "totalItems": total, "items": [] })
}

/// A petition's moderators (its `attributedTo`): its organization, which Lemmy then lets
/// update and delete the community.
pub fn moderators_collection(urls: &Urls, petition: &LocalRef, organization: &LocalRef) -> Value {
    json!({
        "type": "OrderedCollection",
        "id": urls.moderators(petition).as_str(),
        "totalItems": 1,
        "orderedItems": [urls.actor(organization).as_str()],
    })
}

/// The line a petition's `summary` ends with: its count, for servers that show only the
/// summary (Lemmy). Another Signons instance removes it again (`strip_count_line`), since
/// it shows `signatureCount` itself.
pub fn count_line(count: i64, goal: i64, petition_url: &str) -> String {
    format!(
        "<p>Signatures: {} / {} · {}</p>",
        thousands(count),
        thousands(goal),
        link(petition_url, "Sign the petition")
    )
}

/// A document to embed in another (an activity's `object`): the outer one carries the
/// `@context`.
pub fn without_context(mut doc: Value) -> Value {
    if let Value::Object(map) = &mut doc {
        map.remove("@context");
    }
    doc
}

pub fn with_context(urls: &Urls, mut doc: Value) -> Value {
    if let Value::Object(map) = &mut doc {
        map.insert("@context".into(), context(urls));
    }
    doc
}
