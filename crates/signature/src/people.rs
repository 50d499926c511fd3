//! The people of a set of petitions (an organization's): their confirmed signers, one
//! person per canonical email, read a page at a time after a cursor (keyset pagination on
//! the canonical email). Only signatures collected here are people: another instance's
//! signers left their email there. Unconfirmed, invalidated and anonymized signatures are
//! no one's; a withdrawn one is deleted already.

use crate::SignatureError;
use base64::Engine as _;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use signons_store::schema::signatures as s;
use signons_store::{DbConnection, Id};

/// The signatures that make someone a person of these petitions.
#[diesel::dsl::auto_type(no_type_alias)]
fn counted<'a>(petitions: &'a [Id]) -> _ {
    s::petition_id
        .eq_any(petitions)
        .and(s::confirmed_at.is_not_null())
        .and(s::invalidated_at.is_null())
        .and(s::anonymized_at.is_null())
        .and(s::email_canonical.ne(""))
}

/// Where a page starts: after the person with this canonical email. Handed to API clients
/// as an opaque string (`encode`), taken back only through `parse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&self.0)
    }

    /// `None` for anything `encode` did not make.
    pub fn parse(s: &str) -> Option<Cursor> {
        if s.len() > 1024 {
            return None;
        }
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).ok()?;
        let email = String::from_utf8(raw).ok()?;
        (!email.is_empty() && !email.chars().any(char::is_control)).then_some(Cursor(email))
    }
}

/// One signature of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub petition: Id,
    pub opt_in: bool,
    pub confirmed_at: NaiveDateTime,
}

/// One person: what their latest signature says of them, and every signature they made,
/// oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
    /// From their latest signature that gave one.
    pub country: Option<String>,
    pub postal_code: Option<String>,
    pub signed: Vec<Signed>,
    cursor: Cursor,
}

impl Person {
    pub fn cursor(&self) -> Cursor {
        self.cursor.clone()
    }
}

/// How many people the petitions have.
pub fn total(conn: &mut DbConnection, petitions: &[Id]) -> Result<i64, SignatureError> {
    Ok(s::table
        .filter(counted(petitions))
        .select(diesel::dsl::count(s::email_canonical).aggregate_distinct())
        .first(conn)?)
}

/// Up to `limit` people after `after`, by canonical email.
pub fn page(
    conn: &mut DbConnection,
    petitions: &[Id],
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Person>, SignatureError> {
    let mut query = s::table
        .filter(counted(petitions))
        .select(s::email_canonical)
        .distinct()
        .order(s::email_canonical.asc())
        .limit(limit.max(1))
        .into_boxed();
    if let Some(Cursor(email)) = after {
        query = query.filter(s::email_canonical.gt(email.clone()));
    }
    let emails: Vec<String> = query.load(conn)?;
    type Row = (String, String, String, Option<String>, Option<String>, Id, bool, Option<NaiveDateTime>);
    let rows: Vec<Row> = s::table
        .filter(counted(petitions))
        .filter(s::email_canonical.eq_any(&emails))
        .order((s::email_canonical.asc(), s::confirmed_at.asc(), s::id.asc()))
        .select((
            s::email_canonical,
            s::name,
            s::email,
            s::country,
            s::postal_code,
            s::petition_id,
            s::opt_in,
            s::confirmed_at,
        ))
        .load(conn)?;
    let mut people: Vec<Person> = Vec::with_capacity(emails.len());
    for (canonical, name, email, country, postal_code, petition, opt_in, confirmed_at) in rows {
        let Some(confirmed_at) = confirmed_at else { continue };
        let signed = Signed { petition, opt_in, confirmed_at };
        let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        let (country, postal_code) = (given(country), given(postal_code));
        match people.last_mut() {
            Some(p) if p.cursor.0 == canonical => {
                // Rows come oldest first: the latest signature says who they are now.
                p.name = name;
                p.email = email;
                if country.is_some() || postal_code.is_some() {
                    (p.country, p.postal_code) = (country, postal_code);
                }
                p.signed.push(signed);
            }
            _ => people.push(Person {
                name,
                email,
                country,
                postal_code,
                signed: vec![signed],
                cursor: Cursor(canonical),
            }),
        }
    }
    Ok(people)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_what_they_did_not_make() {
        let c = Cursor("ann@example.org".into());
        assert_eq!(Cursor::parse(&c.encode()), Some(c));
        for bad in ["", "???", &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("a\nb")] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }
}
