//! What our petitions and organizations say (posts): stored in `petition_posts`, sent to
//! followers when said (a `Create` from the author, an `Announce` from the organization),
//! and read back for outboxes, note pages and petition pages. Functions taking a
//! connection run in the caller's transaction, so a post is sent if and only if it is
//! stored.

use crate::follows::follower_inboxes;
use crate::objects::{link, Post, PostKind};
use crate::outgoing::{announce_create, announce_note, create_note, petition_boost};
use crate::{delivery, FederationError, LocalRef, Urls};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use signons_petition::{Petition, PetitionStatus, SafeHtml};
use signons_store::schema::{organizations, petition_posts as pp, petitions};
use signons_store::{DbConnection, Id};
use std::collections::HashSet;
use url::Url;

/// The longest news organizers may post, in characters of Markdown.
pub const NEWS_MAX: usize = 5_000;

/// Stores a post and sends it to its author's followers (see `deliver`).
pub(crate) fn say(
    conn: &mut DbConnection,
    urls: &Urls,
    petition: &Petition,
    kind: PostKind,
    body_html: String,
    milestone: Option<i64>,
) -> Result<Post, FederationError> {
    let post = store_post(conn, petition, kind, body_html, milestone)?;
    deliver(conn, urls, &post)?;
    Ok(post)
}

fn store_post(
    conn: &mut DbConnection,
    petition: &Petition,
    kind: PostKind,
    body_html: String,
    milestone: Option<i64>,
) -> Result<Post, FederationError> {
    let id = Id::new();
    let now = signons_store::now();
    diesel::insert_into(pp::table)
        .values((
            pp::id.eq(&id),
            pp::petition_id.eq(&petition.id),
            pp::kind.eq(kind),
            pp::body_html.eq(&body_html),
            pp::milestone.eq(milestone),
            pp::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(Post {
        id: id.as_str().to_owned(),
        kind,
        petition_slug: petition.slug.clone(),
        organization_slug: petition.organization.slug.clone(),
        body_html,
        created_at: now,
    })
}

/// Sends a post. The organization writes it: its `Create` goes to the instance's
/// followers, and its boost (`Announce` by id) to its own followers. A post in a petition
/// (news, milestone) goes to the petition's followers twice: inside the petition's
/// `Announce` (FEP-1b12, what Lemmy reads), and as the petition's plain boost (what
/// Mastodon shows). Lemmy refuses the boost (400), as it refuses Lemmy's own: that is the
/// price of one queue for both, since a follow does not say which software sent it.
/// Each inbox gets each post by one path only, the petition's first.
fn deliver(conn: &mut DbConnection, urls: &Urls, post: &Post) -> Result<(), FederationError> {
    let org = post.author();
    let mut got: HashSet<Url> = HashSet::new();
    if post.in_petition() {
        let petition = LocalRef::Petition(post.petition_slug.clone());
        let to = follower_inboxes(conn, urls, std::slice::from_ref(&petition))?;
        delivery::enqueue(conn, &announce_create(urls, post)?, &to)?;
        delivery::enqueue(conn, &petition_boost(urls, post), &to)?;
        got.extend(to);
    }
    let create_to: Vec<Url> =
        follower_inboxes(conn, urls, &[LocalRef::Instance])?.into_iter().filter(|u| !got.contains(u)).collect();
    delivery::enqueue(conn, &create_note(urls, post), &create_to)?;
    got.extend(create_to);
    if post.in_petition() {
        let announce_to: Vec<Url> = follower_inboxes(conn, urls, std::slice::from_ref(&org))?
            .into_iter()
            .filter(|u| !got.contains(u))
            .collect();
        delivery::enqueue(conn, &announce_note(urls, post), &announce_to)?;
    } else {
        // The launch note: the organization's own followers get its `Create` too.
        let create_to: Vec<Url> = follower_inboxes(conn, urls, std::slice::from_ref(&org))?
            .into_iter()
            .filter(|u| !got.contains(u))
            .collect();
        delivery::enqueue(conn, &create_note(urls, post), &create_to)?;
    }
    Ok(())
}

/// A link to the petition's actor (its page), as post bodies show it.
pub(crate) fn petition_link(urls: &Urls, petition: &Petition) -> String {
    link(urls.actor(&LocalRef::Petition(petition.slug.clone())).as_str(), &petition.title)
}

/// News from the petition's organizers (Markdown, sanitized once here).
pub fn news(
    conn: &mut DbConnection,
    urls: &Urls,
    petition: &Petition,
    markdown: &str,
) -> Result<Post, FederationError> {
    let body = news_body(urls, &petition.slug, &petition.title, markdown);
    say(conn, urls, petition, PostKind::News, body, None)
}

/// News of a partner organization of the petition, as it sent it (sanitized HTML naming
/// the partner: see `partners::receive_news`), relayed as the petition's own.
pub fn partner_news(
    conn: &mut DbConnection,
    urls: &Urls,
    petition: &Petition,
    body_html: String,
) -> Result<Post, FederationError> {
    let body = format!("{body_html}<p>{}</p>", petition_link(urls, petition));
    say(conn, urls, petition, PostKind::News, body, None)
}

/// A news note's content: the organizers' Markdown, rendered and sanitized, then a link to
/// the petition.
pub fn news_body(urls: &Urls, slug: &str, title: &str, markdown: &str) -> String {
    let link = link(urls.actor(&LocalRef::Petition(slug.to_owned())).as_str(), title);
    format!("{}<p>{link}</p>", SafeHtml::from_markdown(markdown).as_str())
}

/// Petitions others may see: published, open, closed or won.
pub const PUBLIC_STATUSES: [PetitionStatus; 3] = signons_petition::petition::PUBLISHED;

/// A post as stored, with the slugs of its petition and organization (joined).
#[derive(Queryable, Selectable)]
#[diesel(table_name = pp)]
struct PostRow {
    id: Id,
    kind: PostKind,
    body_html: String,
    #[diesel(select_expression = petitions::slug)]
    petition_slug: String,
    #[diesel(select_expression = organizations::slug)]
    organization_slug: String,
    created_at: NaiveDateTime,
}

fn post_from_row(row: PostRow) -> Post {
    Post {
        id: row.id.as_str().to_owned(),
        kind: row.kind,
        petition_slug: row.petition_slug,
        organization_slug: row.organization_slug,
        body_html: row.body_html,
        created_at: row.created_at,
    }
}

/// One post, if its petition is public.
pub fn find_post(conn: &mut DbConnection, id: &str) -> Result<Option<Post>, FederationError> {
    let Some(id) = Id::parse(id) else { return Ok(None) };
    let row: Option<PostRow> = pp::table
        .inner_join(petitions::table.inner_join(organizations::table))
        .filter(pp::id.eq(id))
        .filter(petitions::status.eq_any(PUBLIC_STATUSES))
        .select(PostRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(post_from_row))
}

/// The latest posts an actor made (its outbox).
pub fn posts_by(conn: &mut DbConnection, actor: &LocalRef, limit: i64) -> Result<Vec<Post>, FederationError> {
    let rows: Vec<PostRow> =
        posts_query(actor).select(PostRow::as_select()).order(pp::created_at.desc()).limit(limit).load(conn)?;
    Ok(rows.into_iter().map(post_from_row).collect())
}

/// How many posts an actor made (its outbox's `totalItems`).
pub fn post_count(conn: &mut DbConnection, actor: &LocalRef) -> Result<i64, FederationError> {
    Ok(posts_query(actor).count().get_result(conn)?)
}

type PostsQuery<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Filter<
        diesel::dsl::InnerJoin<pp::table, diesel::dsl::InnerJoin<petitions::table, organizations::table>>,
        diesel::dsl::EqAny<petitions::status, [PetitionStatus; 2]>,
    >,
    <DbConnection as diesel::Connection>::Backend,
>;

/// The posts an actor made, public petitions only: the organization's launch notes, a
/// petition's news and milestones, everything for the instance.
fn posts_query<'a>(actor: &LocalRef) -> PostsQuery<'a> {
    let mut query = pp::table
        .inner_join(petitions::table.inner_join(organizations::table))
        .filter(petitions::status.eq_any(PUBLIC_STATUSES))
        .into_boxed();
    match actor {
        LocalRef::Instance => {}
        LocalRef::Organization(name) => {
            query = query.filter(organizations::slug.eq(name.clone())).filter(pp::kind.eq(PostKind::Published));
        }
        LocalRef::Petition(slug) => {
            query = query.filter(petitions::slug.eq(slug.clone())).filter(pp::kind.ne(PostKind::Published));
        }
    }
    query
}
