//! The organizations of an API token's organizer, as `GET /api/v1/organizations` lists
//! them: each with its profile, the organizer's role in it, its page and its logo.

use crate::error::AppError;
use crate::read_model::views::ImageView;
use serde::Serialize;
use signons_petition::{members, Organizer, Role};
use signons_store::Database;

#[derive(Debug, Serialize)]
pub struct ApiOrganization {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub website: Option<String>,
    /// The token's organizer's role in it.
    pub role: Role,
    /// Its page.
    pub url: String,
    /// Its logo's widest file; null when it has none.
    pub logo: Option<String>,
}

/// The organizer's organizations, by name (as their memberships are read).
pub async fn of_organizer(
    db: &Database,
    public_url: &str,
    organizer: Organizer,
) -> Result<Vec<ApiOrganization>, AppError> {
    let found = db
        .read_async(move |conn| -> Result<_, AppError> {
            let mut found = Vec::with_capacity(organizer.memberships.len());
            for m in organizer.memberships {
                let profile = members::profile(conn, &m.organization.id)?;
                let logo = signons_petition::logo::of(conn, &m.organization.id)?;
                found.push((m, profile, logo));
            }
            Ok(found)
        })
        .await?;
    Ok(found
        .into_iter()
        .map(|(m, profile, logo)| {
            let o = m.organization;
            ApiOrganization {
                url: format!("{public_url}/o/{}", o.slug),
                logo: logo.map(|l| ImageView::logo(&l, &o.name, public_url).url),
                slug: o.slug,
                name: o.name,
                description: profile.description,
                website: profile.website,
                role: m.role,
            }
        })
        .collect())
}
