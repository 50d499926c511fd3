//! An organization's logo: which stored image it shows and its size. Its alternative text
//! is the organization's name. One per organization, set and removed by its owners; a new
//! one replaces it, and the caller deletes the old files once the change is committed.

use crate::image::{Sizes, StoredImage};
use crate::organization::Organizer;
use crate::PetitionError;
use diesel::prelude::*;
use serde::Serialize;
use signons_store::schema::organization_logos as ol;
use signons_store::{DbConnection, Id};

/// An organization's logo as stored: `width` and `height` are those of its widest file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Queryable, Selectable)]
#[diesel(table_name = ol)]
pub struct Logo {
    pub image_id: String,
    pub width: i32,
    pub height: i32,
}

impl StoredImage for Logo {
    const SIZES: Sizes = Sizes::Logo;

    fn image_id(&self) -> &str {
        &self.image_id
    }

    fn size(&self) -> (i32, i32) {
        (self.width, self.height)
    }
}

/// The organization's logo, if it has one.
pub fn of(conn: &mut DbConnection, organization: &Id) -> Result<Option<Logo>, PetitionError> {
    Ok(ol::table.filter(ol::organization_id.eq(organization)).select(Logo::as_select()).first(conn).optional()?)
}

/// Sets the organization's logo (owners only), replacing the one it had, which is
/// returned so that its files can be deleted after the commit.
pub fn set(
    conn: &mut DbConnection,
    actor: &Organizer,
    organization: &Id,
    logo: &Logo,
) -> Result<Option<Logo>, PetitionError> {
    if !actor.may_manage(organization) {
        return Err(PetitionError::Forbidden);
    }
    let old = of(conn, organization)?;
    let now = signons_store::now();
    // Update first, then insert: diesel's portable connection has no ON CONFLICT.
    let replaced = diesel::update(ol::table.filter(ol::organization_id.eq(organization)))
        .set((
            ol::image_id.eq(&logo.image_id),
            ol::width.eq(logo.width),
            ol::height.eq(logo.height),
            ol::created_at.eq(now),
        ))
        .execute(conn)?;
    if replaced == 0 {
        diesel::insert_into(ol::table)
            .values((
                ol::organization_id.eq(organization),
                ol::image_id.eq(&logo.image_id),
                ol::width.eq(logo.width),
                ol::height.eq(logo.height),
                ol::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(old)
}

/// Removes the organization's logo (owners only); returns the one removed (its files to
/// delete after the commit), if it had one.
pub fn remove(conn: &mut DbConnection, actor: &Organizer, organization: &Id) -> Result<Option<Logo>, PetitionError> {
    if !actor.may_manage(organization) {
        return Err(PetitionError::Forbidden);
    }
    let old = of(conn, organization)?;
    diesel::delete(ol::table.filter(ol::organization_id.eq(organization))).execute(conn)?;
    Ok(old)
}

/// Whether `image_id` is an organization's logo (logos are public, as organizations are).
pub fn is_logo(conn: &mut DbConnection, image_id: &str) -> Result<bool, PetitionError> {
    let n: i64 = ol::table.filter(ol::image_id.eq(image_id)).count().get_result(conn)?;
    Ok(n > 0)
}
