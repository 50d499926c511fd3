//! An organizer's account: changing the password, resetting a forgotten one through a
//! single-use link, and the API tokens they hold (named, listed, expiring, revoked).
//!
//! Passwords are checked and hashed (argon2, slow on purpose) by the caller outside any
//! write transaction; the functions here that write take the finished hash
//! (`HashedPassword`), so SQLite's one writer never waits for argon2.

use crate::password::{hash_password, StoredHash};
use crate::{FieldError, FieldErrors, Organizer, PetitionError};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use signons_store::schema::{api_tokens, organizations, organizers, password_resets, sessions};
use signons_store::{DbConnection, Id, Token, TokenHash};

pub use crate::organization::MIN_PASSWORD_CHARS;

/// Beyond this a password is refused: argon2 takes any length, but nobody types more, and
/// the bound keeps hashing cheap to reason about.
pub const MAX_PASSWORD_CHARS: usize = 1_000;
/// How long a reset link works.
pub const RESET_LINK_MINUTES: i64 = 60;
/// Reset emails one account is sent per hour at most, whoever asks: more requests are
/// answered as usual, and send nothing.
pub const RESETS_PER_HOUR: i64 = 3;
/// `last_used_at` is written at most this often per token, so API calls stay reads.
const LAST_USED_PRECISION: TimeDelta = TimeDelta::hours(1);

/// A new password, typed twice, long enough.
pub struct NewPassword(String);

impl NewPassword {
    /// `field` and `again_field` name the two inputs, for the form's errors.
    pub fn parse(
        field: &'static str,
        again_field: &'static str,
        first: &str,
        again: &str,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let len = first.chars().count();
        if len < MIN_PASSWORD_CHARS {
            errors.push(field, "error-too-short", Some(MIN_PASSWORD_CHARS as u64));
        } else if len > MAX_PASSWORD_CHARS {
            errors.push(field, "error-too-long", Some(MAX_PASSWORD_CHARS as u64));
        } else if first != again {
            errors.push(again_field, "error-password-mismatch", None);
        }
        if errors.is_empty() {
            Ok(NewPassword(first.to_owned()))
        } else {
            Err(errors)
        }
    }

    /// The argon2id hash to store (slow: call it outside write transactions).
    pub fn hash(&self) -> Result<HashedPassword, PetitionError> {
        hash_password(&self.0).map(HashedPassword)
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

/// An argon2id hash, made only by `NewPassword::hash`.
#[derive(Debug)]
pub struct HashedPassword(pub(crate) String);

/// The organizer's stored hash, read so that the current password is checked once the
/// connection is back in the pool (`check_password`).
pub fn password_hash(conn: &mut DbConnection, organizer: &Id) -> Result<StoredHash, PetitionError> {
    let hash: String = organizers::table.find(organizer).select(organizers::password_hash).first(conn)?;
    Ok(StoredHash::new(hash))
}

/// Checks a password typed on a form against the stored hash (slow on purpose: argon2; run
/// it on a blocking thread). A wrong one is a field error of `field`, so the form says
/// where the mistake is.
pub fn check_password(hash: &StoredHash, field: &'static str, password: &str) -> Result<(), PetitionError> {
    if hash.verify(password) {
        Ok(())
    } else {
        Err(PetitionError::Invalid(FieldErrors(vec![FieldError { field, code: "error-wrong-password", limit: None }])))
    }
}

/// `password_hash` then `check_password` in one go (tests; the web layer checks off the
/// connection).
pub fn check_current_password(
    conn: &mut DbConnection,
    organizer: &Id,
    field: &'static str,
    password: &str,
) -> Result<(), PetitionError> {
    check_password(&password_hash(conn, organizer)?, field, password)
}

/// Stores a new password and ends every session of the organizer but `keep` (the one that
/// changed it); pending reset links and every API token die too, since whoever knew the old
/// password may have made one. Returns how many sessions were ended.
pub fn set_password(
    conn: &mut DbConnection,
    organizer: &Id,
    hash: HashedPassword,
    keep: Option<&TokenHash>,
) -> Result<usize, PetitionError> {
    let updated =
        diesel::update(organizers::table.find(organizer)).set(organizers::password_hash.eq(hash.0)).execute(conn)?;
    if updated == 0 {
        return Err(PetitionError::NotFound);
    }
    diesel::delete(password_resets::table.filter(password_resets::organizer_id.eq(organizer))).execute(conn)?;
    diesel::delete(api_tokens::table.filter(api_tokens::organizer_id.eq(organizer))).execute(conn)?;
    end_other_sessions(conn, organizer, keep)
}

/// Deletes the organizer's sessions, all of them or all but `keep`.
pub fn end_other_sessions(
    conn: &mut DbConnection,
    organizer: &Id,
    keep: Option<&TokenHash>,
) -> Result<usize, PetitionError> {
    let mine = sessions::table.filter(sessions::organizer_id.eq(organizer));
    Ok(match keep {
        Some(keep) => diesel::delete(mine.filter(sessions::token_hash.ne(keep))).execute(conn)?,
        None => diesel::delete(mine).execute(conn)?,
    })
}

/// Records a reset link for the account with this email, if there is one and it was sent
/// fewer than `RESETS_PER_HOUR` links in the last hour. Returns the organizer to email, or
/// `None`; the caller answers the same in both cases, so nobody learns which addresses
/// have accounts. `token` is the link's secret (only its hash is stored).
pub fn request_password_reset(
    conn: &mut DbConnection,
    email: &str,
    token: &TokenHash,
) -> Result<Option<Organizer>, PetitionError> {
    let Ok(email) = crate::organization::parse_login_email(email) else {
        return Ok(None);
    };
    let Some(organizer) = crate::organization::organizer_by_email(conn, &email)? else {
        return Ok(None);
    };
    if crate::people::is_disabled(conn, &organizer.id)? {
        tracing::info!("password reset refused: the account is disabled");
        return Ok(None);
    }
    let now = signons_store::now();
    let recent: i64 = password_resets::table
        .filter(password_resets::organizer_id.eq(&organizer.id))
        .filter(password_resets::created_at.gt(now - TimeDelta::hours(1)))
        .count()
        .get_result(conn)?;
    if recent >= RESETS_PER_HOUR {
        tracing::info!("password reset refused: too many for this account in the last hour");
        return Ok(None);
    }
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::token_hash.eq(token),
            password_resets::organizer_id.eq(&organizer.id),
            password_resets::created_at.eq(now),
            password_resets::expires_at.eq(now + TimeDelta::minutes(RESET_LINK_MINUTES)),
        ))
        .execute(conn)?;
    Ok(Some(organizer))
}

/// The organizer a reset link is for, if it is live: unknown (or used) links and expired
/// ones are told apart, so the page can say which.
pub fn reset_link_organizer(conn: &mut DbConnection, token: &TokenHash) -> Result<Organizer, PetitionError> {
    let row: Option<(crate::organization::OrganizerRow, NaiveDateTime)> = password_resets::table
        .inner_join(organizers::table.inner_join(organizations::table))
        .filter(password_resets::token_hash.eq(token))
        // A link sent before the account was disabled no longer works.
        .filter(organizers::disabled_at.is_null())
        .select((crate::organization::OrganizerRow::as_select(), password_resets::expires_at))
        .first(conn)
        .optional()?;
    match row {
        None => Err(PetitionError::ResetLinkInvalid),
        Some((_, expires_at)) if expires_at <= signons_store::now() => Err(PetitionError::ResetLinkExpired),
        Some((organizer, _)) => organizer.with_memberships(conn),
    }
}

/// Uses a reset link: the new password is stored, the link and every other one of the
/// account die, and every session of the account ends.
pub fn reset_password(
    conn: &mut DbConnection,
    token: &TokenHash,
    hash: HashedPassword,
) -> Result<Organizer, PetitionError> {
    let organizer = reset_link_organizer(conn, token)?;
    set_password(conn, &organizer.id, hash, None)?;
    Ok(organizer)
}

/// Forgets reset links past their expiry.
pub fn delete_expired_resets(conn: &mut DbConnection) -> Result<usize, PetitionError> {
    Ok(diesel::delete(password_resets::table.filter(password_resets::expires_at.le(signons_store::now())))
        .execute(conn)?)
}

// ---------------------------------------------------------------------------------------
// API tokens

/// What names a token in lists and in `revoke`: the first 16 hex digits of its hash, which
/// say nothing of the token itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct TokenId(String);

const TOKEN_ID_LEN: usize = 16;

impl TokenId {
    pub fn of(hash: &TokenHash) -> Self {
        TokenId(hash.as_str().chars().take(TOKEN_ID_LEN).collect())
    }

    /// Only what `of` makes: 16 lowercase hex digits.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        (s.len() == TOKEN_ID_LEN && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
            .then(|| TokenId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `LIKE` pattern of the hashes it names. The id is 16 hex digits (parsed), so the
    /// pattern holds no wildcard but its own.
    pub fn prefix_pattern(&self) -> String {
        format!("{}%", self.0)
    }
}

impl std::fmt::Display for TokenId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A token's label, as its owner wrote it (what script or tool holds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(String);

impl TokenName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        crate::fields::text("name", input, 1, 60, false).map(TokenName)
    }
}

/// How long a new token lives: a number of days (1 to 3650), or for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetime(Option<TimeDelta>);

impl TokenLifetime {
    pub const FOREVER: TokenLifetime = TokenLifetime(None);

    /// `""` or `never`: for ever; otherwise a whole number of days.
    pub fn parse_days(input: &str) -> Result<Self, FieldError> {
        let input = input.trim();
        if input.is_empty() || input.eq_ignore_ascii_case("never") {
            return Ok(Self::FOREVER);
        }
        match input.parse::<i64>() {
            Ok(days) if (1..=3650).contains(&days) => Ok(TokenLifetime(Some(TimeDelta::days(days)))),
            _ => Err(FieldError { field: "expires_in_days", code: "error-token-lifetime", limit: Some(3650) }),
        }
    }

    fn expires_at(self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        self.0.map(|d| now + d)
    }
}

/// A token as its owner sees it in lists: never its secret.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ApiTokenInfo {
    pub id: TokenId,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    /// To within an hour.
    pub last_used_at: Option<NaiveDateTime>,
    pub expired: bool,
}

/// Creates a token; the secret is returned this once and never stored.
pub fn create_token(
    conn: &mut DbConnection,
    organizer: &Id,
    name: &TokenName,
    lifetime: TokenLifetime,
) -> Result<(TokenId, Token), PetitionError> {
    let token = Token::generate();
    let hash = token.hash();
    let now = signons_store::now();
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::token_hash.eq(&hash),
            api_tokens::organizer_id.eq(organizer),
            api_tokens::created_at.eq(now),
            api_tokens::name.eq(&name.0),
            api_tokens::expires_at.eq(lifetime.expires_at(now)),
        ))
        .execute(conn)?;
    Ok((TokenId::of(&hash), token))
}

/// A token's row: hash, name, created, expires, last used.
type TokenRow = (TokenHash, String, NaiveDateTime, Option<NaiveDateTime>, Option<NaiveDateTime>);

/// The organizer's tokens, newest first.
pub fn list_tokens(conn: &mut DbConnection, organizer: &Id) -> Result<Vec<ApiTokenInfo>, PetitionError> {
    let rows: Vec<TokenRow> = api_tokens::table
        .filter(api_tokens::organizer_id.eq(organizer))
        .order(api_tokens::created_at.desc())
        .select((
            api_tokens::token_hash,
            api_tokens::name,
            api_tokens::created_at,
            api_tokens::expires_at,
            api_tokens::last_used_at,
        ))
        .load(conn)?;
    let now = signons_store::now();
    Ok(rows
        .into_iter()
        .map(|(hash, name, created_at, expires_at, last_used_at)| ApiTokenInfo {
            id: TokenId::of(&hash),
            name,
            created_at,
            expires_at,
            last_used_at,
            expired: expires_at.is_some_and(|e| e <= now),
        })
        .collect())
}

/// Revokes one of the organizer's tokens; `false` when they have none with this id.
pub fn revoke_token(conn: &mut DbConnection, organizer: &Id, id: &TokenId) -> Result<bool, PetitionError> {
    let deleted = diesel::delete(
        api_tokens::table
            .filter(api_tokens::organizer_id.eq(organizer))
            .filter(api_tokens::token_hash.like(id.prefix_pattern())),
    )
    .execute(conn)?;
    Ok(deleted > 0)
}

/// Who an API token acts for, and whether its `last_used_at` is stale enough to write.
pub struct TokenUse {
    pub organizer: Organizer,
    pub touch: bool,
}

/// The organizer behind a live token; `None` for an unknown (or revoked) one, and
/// `ApiTokenExpired` for one past its expiry.
pub fn token_organizer(conn: &mut DbConnection, token: &Token) -> Result<Option<TokenUse>, PetitionError> {
    let row: Option<(crate::organization::OrganizerRow, Option<NaiveDateTime>, Option<NaiveDateTime>)> =
        api_tokens::table
            .inner_join(organizers::table.inner_join(organizations::table))
            .filter(api_tokens::token_hash.eq(token.hash()))
            // A disabled account's tokens are unknown ones until it is enabled again.
            .filter(organizers::disabled_at.is_null())
            .select((crate::organization::OrganizerRow::as_select(), api_tokens::expires_at, api_tokens::last_used_at))
            .first(conn)
            .optional()?;
    let now = signons_store::now();
    match row {
        None => Ok(None),
        Some((_, Some(expires_at), _)) if expires_at <= now => Err(PetitionError::ApiTokenExpired),
        Some((organizer, _, last_used)) => {
            let organizer = organizer.with_memberships(conn)?;
            Ok(Some(TokenUse { organizer, touch: last_used.is_none_or(|t| t + LAST_USED_PRECISION <= now) }))
        }
    }
}

/// Records that a token was used now.
pub fn touch_token(conn: &mut DbConnection, token: &Token) -> Result<(), PetitionError> {
    diesel::update(api_tokens::table.filter(api_tokens::token_hash.eq(token.hash())))
        .set(api_tokens::last_used_at.eq(signons_store::now()))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_are_long_enough_and_typed_twice() {
        assert!(NewPassword::parse("password", "again", "long enough pw", "long enough pw").is_ok());
        let short = NewPassword::parse("password", "again", "short", "short").unwrap_err();
        assert_eq!(short.get("password").map(|e| e.code), Some("error-too-short"));
        let differ = NewPassword::parse("password", "again", "long enough pw", "long enough px").unwrap_err();
        assert_eq!(differ.get("again").map(|e| e.code), Some("error-password-mismatch"));
        let long = "x".repeat(MAX_PASSWORD_CHARS + 1);
        assert!(NewPassword::parse("password", "again", &long, &long).is_err());
        assert_eq!(
            format!("{:?}", NewPassword::parse("p", "a", "long enough pw", "long enough pw").unwrap()),
            "NewPassword(…)"
        );
    }

    #[test]
    fn token_ids_and_lifetimes_parse() {
        let hash = Token::generate().hash();
        let id = TokenId::of(&hash);
        assert_eq!(TokenId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(TokenId::parse("0123456789abcdeF"), None);
        assert_eq!(TokenId::parse("%%%%%%%%%%%%%%%%"), None);
        assert_eq!(TokenId::parse("0123"), None);
        assert_eq!(TokenLifetime::parse_days(""), Ok(TokenLifetime::FOREVER));
        assert_eq!(TokenLifetime::parse_days("never"), Ok(TokenLifetime::FOREVER));
        assert_eq!(TokenLifetime::parse_days("30"), Ok(TokenLifetime(Some(TimeDelta::days(30)))));
        for bad in ["0", "-1", "3651", "ten", "1.5"] {
            assert!(TokenLifetime::parse_days(bad).is_err(), "{bad}");
        }
        assert!(TokenName::parse("  ").is_err());
        assert!(TokenName::parse("CI deploys").is_ok());
    }
}
