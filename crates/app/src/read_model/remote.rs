//! Petitions received from other instances, addressed `slug@host`.

use crate::error::AppError;
use crate::read_model::views::{NewsView, RemotePetitionView};
use signons_federation::remote::RemotePetition;
use signons_store::Database;

/// `slug@host`, checked: a well-formed slug and host name, or not found.
fn parse_handle(handle: &str) -> Result<(String, String), AppError> {
    signons_federation::remote::parse_handle(handle).ok_or(AppError::NotFound)
}

/// The remote petition addressed `slug@host`, as stored (what signing it needs).
pub async fn find(db: &Database, handle: &str) -> Result<RemotePetition, AppError> {
    let (slug, host) = parse_handle(handle)?;
    db.read_async(move |conn| signons_federation::remote::find_petition(conn, &slug, &host))
        .await?
        .ok_or(AppError::NotFound)
}

/// A remote petition addressed `slug@host`, with its posts.
pub async fn load(
    db: &Database,
    public_url: &str,
    handle: &str,
) -> Result<(RemotePetitionView, Vec<NewsView>), AppError> {
    let (slug, host) = parse_handle(handle)?;
    let found = db
        .read_async(move |conn| -> Result<_, signons_federation::FederationError> {
            let Some(p) = signons_federation::remote::find_petition(conn, &slug, &host)? else { return Ok(None) };
            let posts = signons_federation::remote::posts_about(conn, &p.url)?;
            Ok(Some((p, posts)))
        })
        .await?;
    let (petition, posts) = found.ok_or(AppError::NotFound)?;
    let posts = posts.into_iter().map(|p| NewsView::new(p.content_html, p.published_at)).collect();
    Ok((RemotePetitionView::new(&petition, public_url), posts))
}
