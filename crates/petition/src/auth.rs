//! Organizer authentication: argon2id passwords, browser sessions and API tokens, the
//! latter two stored only as hashes.

use crate::password::StoredHash;
use crate::{Organizer, PetitionError};
use chrono::TimeDelta;
use diesel::prelude::*;
use signons_store::schema::{api_tokens, organizations, organizers, sessions};
use signons_store::{DbConnection, Id, Token};

/// What a login reads from the database: the organizer with this email and their hash, if
/// there is one. The password is checked afterwards (`verify`), once the connection is
/// back in the pool.
#[derive(Debug)]
pub struct LoginCandidate(Option<(Organizer, StoredHash, Disabled)>);

/// Whether an admin disabled the account: told only to whoever gives its right password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Disabled(bool);

/// Reads what checking a login needs; cheap (one indexed read).
pub fn login_candidate(conn: &mut DbConnection, email: &str) -> Result<LoginCandidate, PetitionError> {
    // Stored emails all parsed; anything else (a NUL byte would fail the query on
    // PostgreSQL) is an unknown email.
    let Ok(email) = crate::organization::parse_login_email(email) else {
        return Ok(LoginCandidate(None));
    };
    let row = organizers::table
        .inner_join(organizations::table)
        .filter(organizers::email.eq(email))
        .select((
            crate::organization::OrganizerRow::as_select(),
            organizers::password_hash,
            organizers::disabled_at.is_not_null(),
        ))
        .first::<(crate::organization::OrganizerRow, String, bool)>(conn)
        .optional()?;
    let Some((row, hash, disabled)) = row else { return Ok(LoginCandidate(None)) };
    Ok(LoginCandidate(Some((row.with_memberships(conn)?, StoredHash::new(hash), Disabled(disabled)))))
}

impl LoginCandidate {
    /// Checks the password (argon2: slow, run it on a blocking thread). Unknown emails cost
    /// as much as wrong passwords, so timing does not tell which addresses have accounts.
    pub fn verify(self, password: &str) -> Result<Organizer, PetitionError> {
        match self.0 {
            Some((organizer, hash, disabled)) if hash.verify(password) => match disabled {
                Disabled(false) => Ok(organizer),
                Disabled(true) => Err(PetitionError::AccountDisabled),
            },
            Some(_) => Err(PetitionError::BadCredentials),
            None => {
                // Whatever the decoy says, there is no account to log into.
                let _ = StoredHash::decoy().verify(password);
                Err(PetitionError::BadCredentials)
            }
        }
    }
}

/// Checks an email and password in one go (the command line and tests; the web layer
/// reads with `login_candidate` and checks off the connection).
pub fn login(conn: &mut DbConnection, email: &str, password: &str) -> Result<Organizer, PetitionError> {
    login_candidate(conn, email)?.verify(password)
}

pub fn create_session(conn: &mut DbConnection, organizer: &Id, ttl: TimeDelta) -> Result<Token, PetitionError> {
    let token = Token::generate();
    let now = signons_store::now();
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token.hash()),
            sessions::organizer_id.eq(organizer),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(now + ttl),
        ))
        .execute(conn)?;
    Ok(token)
}

pub fn session_organizer(conn: &mut DbConnection, token: &Token) -> Result<Option<Organizer>, PetitionError> {
    let row = sessions::table
        .inner_join(organizers::table.inner_join(organizations::table))
        .filter(sessions::token_hash.eq(token.hash()))
        .filter(sessions::expires_at.gt(signons_store::now()))
        // A session of an account disabled meanwhile is a visitor's.
        .filter(organizers::disabled_at.is_null())
        .select(crate::organization::OrganizerRow::as_select())
        .first::<crate::organization::OrganizerRow>(conn)
        .optional()?;
    row.map(|r| r.with_memberships(conn)).transpose()
}

pub fn delete_session(conn: &mut DbConnection, token: &Token) -> Result<(), PetitionError> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(token.hash()))).execute(conn)?;
    Ok(())
}

pub fn delete_expired_sessions(conn: &mut DbConnection) -> Result<usize, PetitionError> {
    Ok(diesel::delete(sessions::table.filter(sessions::expires_at.le(signons_store::now()))).execute(conn)?)
}

/// Creates an API token for the organizer with this email; the token is shown only once.
pub fn create_api_token(conn: &mut DbConnection, email: &str) -> Result<Token, PetitionError> {
    let organizer = crate::organization::organizer_by_email(conn, email)?.ok_or(PetitionError::NotFound)?;
    let token = Token::generate();
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::token_hash.eq(token.hash()),
            api_tokens::organizer_id.eq(&organizer.id),
            api_tokens::created_at.eq(signons_store::now()),
        ))
        .execute(conn)?;
    Ok(token)
}
