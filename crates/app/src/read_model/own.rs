//! An organizer's own petitions, as their pages and the export read them.

use crate::error::AppError;
use signons_petition::{petition, Organizer, Petition, PetitionStatus};
use signons_store::DbConnection;

/// One of `organizer`'s organization's petitions, read fresh: another organization's is not
/// found (404), whatever it is, so nothing is learnt of it; a removed one is gone (410).
pub fn petition(conn: &mut DbConnection, organizer: &Organizer, slug: &str) -> Result<Petition, AppError> {
    let p = petition::find(conn, slug)?;
    if !organizer.acts_for(&p.organization.id) {
        return Err(AppError::NotFound);
    }
    if p.status == PetitionStatus::Removed {
        return Err(AppError::Gone);
    }
    Ok(p)
}
