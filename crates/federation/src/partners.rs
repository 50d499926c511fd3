//! Coalitions across instances: a petition names partner organizations (see
//! `signons_petition::partners`), each of which may live on another instance. A partner's
//! instance collects its own signers for the petition (see `sent`), with their opt-ins
//! for that partner; when the partner posts news about the petition, its instance emails
//! it to those signers (`sent_news`) and sends it to the petition's instance, which relays it to the
//! petition's followers as the petition's own news, naming the partner.

use crate::objects::{escape, timestamp, PUBLIC};
use crate::outgoing::{Create, WithContext};
use crate::remote::{NoteJson, RemotePetition};
use crate::{delivery, follows, FederationData, FederationError, LocalRef, Urls};
use activitypub_federation::kinds::activity::CreateType;
use serde_json::json;
use signons_petition::{Organization, Petition, SafeHtml};
use signons_store::{DbConnection, Id};
use url::Url;

/// Our organization `org`, a partner of the remote petition `petition`, posts news about
/// it (Markdown): emailed to the signers of this instance who asked news (a mailing of
/// `crate::sent_news`, in this transaction), and sent to the petition's instance (and the
/// organization's followers). Returns how many signers ask it now.
pub fn post_news(
    conn: &mut DbConnection,
    data: &FederationData,
    org: &Organization,
    petition: &RemotePetition,
    markdown: &str,
) -> Result<usize, FederationError> {
    let urls = &data.urls;
    let author = LocalRef::Organization(org.slug.clone());
    let actor = urls.actor(&author);
    if !petition.partners.as_slice().iter().any(|p| p.id == actor.as_str()) {
        return Err(FederationError::Petition(signons_petition::PetitionError::Forbidden));
    }
    let petition_url = Url::parse(&petition.url)?;
    let html = SafeHtml::from_markdown(markdown);
    let note_id = urls.note(Id::new().as_str());
    let now = signons_store::now();
    let create = WithContext::new(
        urls,
        Create {
            kind: CreateType::Create,
            id: suffixed(&note_id),
            actor: actor.clone(),
            published: timestamp(now),
            to: [PUBLIC],
            cc: [urls.followers(&author)],
            object: json!({
                "type": "Note",
                "id": note_id.as_str(),
                "attributedTo": actor.as_str(),
                "content": html.as_str(),
                "mediaType": "text/html",
                "audience": petition_url.as_str(),
                "published": timestamp(now),
                "postKind": "partner-news",
                "to": [PUBLIC, petition_url.as_str()],
            }),
        },
    );
    let mut inboxes = vec![petition.inbox_url()?];
    inboxes.extend(follows::follower_inboxes(conn, urls, std::slice::from_ref(&author))?);
    delivery::enqueue(conn, &create, &inboxes)?;
    let mailing = crate::sent_news::Mailing {
        id: note_id.as_str(),
        petition_url: &petition.url,
        organization: &org.name,
        html: html.as_str(),
        text: markdown,
    };
    let emailed = crate::sent_news::queue_mailing(conn, &data.signing.queue, mailing)?;
    Ok(usize::try_from(emailed).unwrap_or(usize::MAX))
}

fn suffixed(note: &Url) -> Url {
    let mut id = note.clone();
    id.set_path(&format!("{}/create", note.path()));
    id
}

/// A note from another instance about one of our petitions: if its author is one of the
/// petition's partners, it becomes the petition's news (naming the partner), which its
/// followers get as any news. Returns whether it was taken.
pub fn receive_news(
    conn: &mut DbConnection,
    urls: &Urls,
    petition_slug: &str,
    note: &NoteJson,
) -> Result<bool, FederationError> {
    let petition: Petition = match signons_petition::petition::find(conn, petition_slug) {
        Ok(p) => p,
        Err(signons_petition::PetitionError::NotFound) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    if !petition.is_public() {
        return Ok(false);
    }
    let Some(partner) = petition.partners.as_slice().iter().find(|p| p.id == note.attributed_to.as_str()) else {
        return Ok(false);
    };
    let body =
        format!("<p><strong>{}</strong>:</p>{}", escape(&partner.name), crate::remote::clean_html(&note.content)?);
    crate::posts::partner_news(conn, urls, &petition, body)?;
    Ok(true)
}
