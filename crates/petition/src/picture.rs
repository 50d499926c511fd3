//! A petition's picture: which stored image it shows, its size and its alternative text.
//! The image files themselves are the app's, their names and widths `image`'s; this module
//! keeps the row and its rules. One per petition: a new one
//! replaces it, and the caller deletes the old files once the change is committed.

use crate::fields::{self, FieldErrors};
use crate::image::{Sizes, StoredImage};
use crate::organization::Organizer;
use crate::petition::{editable, Petition, PetitionStatus};
use crate::PetitionError;
use diesel::prelude::*;
use serde::Serialize;
use signons_store::schema::{petition_images as pi, petitions};
use signons_store::{DbConnection, Id};

/// The longest alternative text, in characters.
pub const ALT_MAX: usize = 200;

/// A petition's picture as stored: `width` and `height` are those of its widest file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Queryable, Selectable)]
#[diesel(table_name = pi)]
pub struct Picture {
    pub image_id: String,
    pub width: i32,
    pub height: i32,
    pub alt: String,
}

impl StoredImage for Picture {
    const SIZES: Sizes = Sizes::Picture;

    fn image_id(&self) -> &str {
        &self.image_id
    }

    fn size(&self) -> (i32, i32) {
        (self.width, self.height)
    }
}

/// The alternative text the form asks, once checked: required, one line, at most
/// `ALT_MAX` characters.
pub fn parse_alt(alt: &str) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::default();
    match errors.check(fields::text("alt", alt, 1, ALT_MAX, false)) {
        Some(alt) if errors.is_empty() => Ok(alt),
        _ => Err(errors),
    }
}

/// Sets the petition's picture (any petition its organizer may edit), replacing the one it
/// had, which is returned so that its files can be deleted after the commit.
pub fn set(
    conn: &mut DbConnection,
    organizer: &Organizer,
    slug: &str,
    picture: &Picture,
) -> Result<(Petition, Option<Picture>), PetitionError> {
    let petition = editable(conn, organizer, slug)?;
    let old = of(conn, &petition)?;
    let now = signons_store::now();
    // Update first, then insert: diesel's portable connection has no ON CONFLICT.
    let replaced = diesel::update(pi::table.filter(pi::petition_id.eq(&petition.id)))
        .set((
            pi::image_id.eq(&picture.image_id),
            pi::width.eq(picture.width),
            pi::height.eq(picture.height),
            pi::alt.eq(&picture.alt),
            pi::created_at.eq(now),
        ))
        .execute(conn)?;
    if replaced == 0 {
        diesel::insert_into(pi::table)
            .values((
                pi::petition_id.eq(&petition.id),
                pi::image_id.eq(&picture.image_id),
                pi::width.eq(picture.width),
                pi::height.eq(picture.height),
                pi::alt.eq(&picture.alt),
                pi::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    let petition = Petition { picture: Some(picture.clone()), ..petition };
    Ok((petition, old))
}

/// Removes the petition's picture; returns the one removed (its files to delete after the
/// commit), if it had one.
pub fn remove(
    conn: &mut DbConnection,
    organizer: &Organizer,
    slug: &str,
) -> Result<(Petition, Option<Picture>), PetitionError> {
    let petition = editable(conn, organizer, slug)?;
    let old = of(conn, &petition)?;
    diesel::delete(pi::table.filter(pi::petition_id.eq(&petition.id))).execute(conn)?;
    Ok((Petition { picture: None, ..petition }, old))
}

fn of(conn: &mut DbConnection, petition: &Petition) -> Result<Option<Picture>, PetitionError> {
    Ok(pi::table
        .filter(pi::petition_id.eq(&petition.id))
        .select(Picture::as_select())
        .first::<Picture>(conn)
        .optional()?)
}

/// The petition whose picture `image_id` is, if any: its organization and its status
/// (whoever may see the petition may see its picture).
pub fn petition_of(conn: &mut DbConnection, image_id: &str) -> Result<Option<(Id, PetitionStatus)>, PetitionError> {
    Ok(pi::table
        .inner_join(petitions::table)
        .filter(pi::image_id.eq(image_id))
        .select((petitions::organization_id, petitions::status))
        .first(conn)
        .optional()?)
}
