//! Disabled accounts: an instance admin disables an organizer (`/admin/people`), who then
//! cannot log in, whose sessions and API tokens are refused and who is sent no reset link,
//! until an admin enables them again. The checks themselves sit where sessions, tokens,
//! logins and resets are read (`auth`, `account`): a disabled account is filtered there.

use crate::{Organizer, PetitionError};
use diesel::prelude::*;
use signons_store::schema::organizers;
use signons_store::{DbConnection, Id};

/// Disables (`true`) or enables an organizer's account. Admins only, and never their own
/// account: an instance keeps the admin who is acting. Disabling ends the account's
/// sessions at once; its API tokens are kept, refused while it is disabled.
pub fn set_disabled(
    conn: &mut DbConnection,
    actor: &Organizer,
    organizer: &Id,
    disabled: bool,
) -> Result<(), PetitionError> {
    if !actor.is_admin {
        return Err(PetitionError::Forbidden);
    }
    if actor.id == *organizer {
        return Err(PetitionError::OwnAccount);
    }
    let updated = if disabled {
        // A second click keeps the first date.
        let target = organizers::table.find(organizer);
        let found: i64 = target.count().get_result(conn)?;
        diesel::update(target.filter(organizers::disabled_at.is_null()))
            .set(organizers::disabled_at.eq(signons_store::now()))
            .execute(conn)?;
        crate::account::end_other_sessions(conn, organizer, None)?;
        found
    } else {
        diesel::update(organizers::table.find(organizer))
            .set(organizers::disabled_at.eq(None::<chrono::NaiveDateTime>))
            .execute(conn)? as i64
    };
    if updated == 0 {
        return Err(PetitionError::NotFound);
    }
    Ok(())
}

/// Whether an admin disabled this account.
pub fn is_disabled(conn: &mut DbConnection, organizer: &Id) -> Result<bool, PetitionError> {
    Ok(organizers::table
        .find(organizer)
        .select(organizers::disabled_at.is_not_null())
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false))
}
