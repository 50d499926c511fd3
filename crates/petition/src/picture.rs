//! A petition's picture: which stored image it shows, its size and its alternative text.
//! The image files themselves (decoded, re-encoded, resized: `{image_id}-{width}.jpg`) are
//! the app's; this module keeps the row and its rules. One per petition: a new one
//! replaces it, and the caller deletes the old files once the change is committed.

use crate::fields::{self, FieldErrors};
use crate::organization::Organizer;
use crate::petition::{editable, Petition};
use crate::PetitionError;
use diesel::prelude::*;
use serde::Serialize;
use signons_store::schema::petition_images as pi;
use signons_store::DbConnection;

/// The longest alternative text, in characters.
pub const ALT_MAX: usize = 200;
/// The widths an image is stored at, when the original is at least as wide; the widest
/// stored is the original's width when it is narrower than the last.
pub const WIDTHS: [u32; 3] = [480, 960, 1600];

/// A petition's picture as stored: `width` and `height` are those of its widest file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Queryable, Selectable)]
#[diesel(table_name = pi)]
pub struct Picture {
    pub image_id: String,
    pub width: i32,
    pub height: i32,
    pub alt: String,
}

impl Picture {
    /// The widths of its files, narrowest first: those of `WIDTHS` narrower than its
    /// widest, then its widest.
    pub fn widths(&self) -> Vec<u32> {
        widths_for(u32::try_from(self.width).unwrap_or(0))
    }

    /// The height of its file `width` wide (its ratio kept, at least 1).
    pub fn height_at(&self, width: u32) -> u32 {
        scaled_height(u32::try_from(self.width).unwrap_or(1), u32::try_from(self.height).unwrap_or(1), width)
    }

    /// The name of its file `width` wide.
    pub fn file(&self, width: u32) -> String {
        file_name(&self.image_id, width)
    }

    /// The names of all its files.
    pub fn files(&self) -> Vec<String> {
        self.widths().into_iter().map(|w| self.file(w)).collect()
    }
}

/// The widths stored for an image whose widest file is `widest` wide.
pub fn widths_for(widest: u32) -> Vec<u32> {
    let mut widths: Vec<u32> = WIDTHS.iter().copied().filter(|w| *w < widest).collect();
    widths.push(widest.max(1));
    widths
}

/// `height` for an image `width` wide, scaled to `to` wide (at least 1).
pub fn scaled_height(width: u32, height: u32, to: u32) -> u32 {
    let h = u64::from(height) * u64::from(to) / u64::from(width.max(1));
    u32::try_from(h.max(1)).unwrap_or(u32::MAX)
}

pub fn file_name(image_id: &str, width: u32) -> String {
    format!("{image_id}-{width}.jpg")
}

/// Whether `name` is a file name this module makes (`{32 hex}-{digits}.jpg`): nothing else
/// is ever served, so no path can leave the media folder.
pub fn is_file_name(name: &str) -> bool {
    let Some((id, rest)) = name.split_once('-') else { return false };
    let Some(width) = rest.strip_suffix(".jpg") else { return false };
    id.len() == 32
        && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && (1..=5).contains(&width.len())
        && width.bytes().all(|b| b.is_ascii_digit())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_never_exceed_the_original() {
        assert_eq!(widths_for(2000), vec![480, 960, 1600, 2000]);
        assert_eq!(widths_for(1600), vec![480, 960, 1600]);
        assert_eq!(widths_for(1000), vec![480, 960, 1000]);
        assert_eq!(widths_for(300), vec![300]);
        assert_eq!(scaled_height(1000, 500, 480), 240);
        assert_eq!(scaled_height(1000, 1, 480), 1);
    }

    #[test]
    fn only_names_made_here_are_file_names() {
        let id = "0123456789abcdef0123456789abcdef";
        assert!(is_file_name(&format!("{id}-480.jpg")));
        assert!(!is_file_name(&format!("../{id}-480.jpg")));
        assert!(!is_file_name(&format!("{id}-480.jpg/..")));
        assert!(!is_file_name(&format!("{id}-.jpg")));
        assert!(!is_file_name(&format!("{}-480.jpg", id.to_uppercase())));
        assert!(!is_file_name("..%2fx"));
        assert!(!is_file_name("x"));
    }
}
