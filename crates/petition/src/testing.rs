//! Test fixtures (feature `testing`): an organizer and a published petition.

use crate::{petition, Organizer, Petition, PetitionError, PetitionInput};
use signons_store::DbConnection;

/// Creates organizer `org@example.org` of `the-org` and publishes a petition.
pub fn sample_petition(conn: &mut DbConnection) -> Result<(Organizer, Petition), PetitionError> {
    let organizer = crate::organization::create_organizer(conn, "org@example.org", "the-org", "long enough password")?;
    let input = PetitionInput {
        title: "Plant trees in the school yard".into(),
        target: "The mayor".into(),
        description: "Shade for the children, and birds.".into(),
        goal: "100".into(),
        ..Default::default()
    };
    let valid = input.validate(chrono::Utc::now().date_naive()).map_err(PetitionError::Invalid)?;
    let petition = petition::create(conn, &organizer, valid, true)?;
    Ok((organizer, petition))
}
