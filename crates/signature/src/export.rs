//! What organizers export: a petition's confirmed signatures, ours (not invalidated) and
//! those other instances attested (not withdrawn, from instances that still count), in
//! one order, `(confirmed_at, id)`, read a page at a time after a cursor (keyset
//! pagination), so that a million rows are never in memory at once and a page costs the
//! same at the start and at the end.
//!
//! A page reads up to `limit` rows of each table after the cursor and keeps the first
//! `limit` of both together: the two tables' ids never collide (our ids are UUIDs, the
//! remote ones the attestations' URLs), so one cursor orders both.

use crate::SignatureError;
use base64::Engine as _;
use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use signons_store::schema::{petition_origin_counts as oc, remote_signatures as rs, signatures as s};
use signons_store::{DbConnection, Id};

/// The most rows one page may hold (the CSV stream reads pages of this size).
pub const MAX_PAGE: i64 = 1_000;

/// One exported signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    /// Ours: the signature's id; another instance's: its attestation's id (a URL).
    pub id: String,
    /// Empty for an anonymized signature; for another instance's, the name its signer
    /// made public there, if any.
    pub name: Option<String>,
    /// Ours only: email addresses never leave their home instance.
    pub email: Option<String>,
    pub country: Option<String>,
    pub postal_code: Option<String>,
    pub comment: Option<String>,
    /// Its organizers hid the comment from the petition page (`comments::hide`).
    pub comment_hidden: bool,
    pub public: bool,
    /// Ours only: the signer's instance keeps who asked for news.
    pub opt_in: Option<bool>,
    pub confirmed_at: NaiveDateTime,
    /// `None` for ours; the host of the instance that attested it otherwise.
    pub origin: Option<String>,
}

impl ExportRow {
    pub fn cursor(&self) -> Cursor {
        Cursor { confirmed_at: self.confirmed_at, id: self.id.clone() }
    }
}

/// Where a page starts: after the row with this `(confirmed_at, id)`. Handed to API
/// clients as an opaque string (`encode`), taken back only through `parse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    confirmed_at: NaiveDateTime,
    id: String,
}

impl Cursor {
    /// URL-safe base64 of `nanoseconds:id`: nanoseconds, so that a time stored with more
    /// precision than microseconds (an attestation's) still compares equal to itself.
    pub fn encode(&self) -> String {
        let nanos = self.confirmed_at.and_utc().timestamp_nanos_opt().unwrap_or(0);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{nanos}:{}", self.id))
    }

    /// `None` for anything `encode` did not make (ids are at most a URL's length).
    pub fn parse(s: &str) -> Option<Cursor> {
        if s.len() > 4096 {
            return None;
        }
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).ok()?;
        let text = String::from_utf8(raw).ok()?;
        let (nanos, id) = text.split_once(':')?;
        if id.is_empty() || id.chars().any(char::is_control) {
            return None;
        }
        let confirmed_at = DateTime::from_timestamp_nanos(nanos.parse::<i64>().ok()?).naive_utc();
        Some(Cursor { confirmed_at, id: id.to_owned() })
    }
}

/// Up to `limit` (1 to `MAX_PAGE`) confirmed signatures of the petition after `after`,
/// in `(confirmed_at, id)` order.
pub fn page(
    conn: &mut DbConnection,
    petition: &Id,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<ExportRow>, SignatureError> {
    let limit = limit.clamp(1, MAX_PAGE);
    let mut rows = local_page(conn, petition, after, limit)?;
    rows.extend(remote_page(conn, petition, after, limit)?);
    rows.sort_by(|a, b| (a.confirmed_at, &a.id).cmp(&(b.confirmed_at, &b.id)));
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(rows)
}

fn local_page(
    conn: &mut DbConnection,
    petition: &Id,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<ExportRow>, SignatureError> {
    #[derive(Queryable, Selectable)]
    #[diesel(table_name = s)]
    struct Row {
        id: String,
        name: String,
        email: String,
        country: Option<String>,
        postal_code: Option<String>,
        comment: Option<String>,
        public: bool,
        opt_in: bool,
        confirmed_at: Option<NaiveDateTime>,
        comment_hidden_at: Option<NaiveDateTime>,
    }
    let mut query = s::table
        .filter(s::petition_id.eq(petition))
        .filter(s::confirmed_at.is_not_null())
        .filter(s::invalidated_at.is_null())
        .order((s::confirmed_at.asc(), s::id.asc()))
        .limit(limit)
        .select(Row::as_select())
        .into_boxed();
    if let Some(c) = after {
        // `>=` first, so that the index on (petition_id, confirmed_at) bounds the scan: a
        // page late in a million rows costs what the first does.
        query = query
            .filter(s::confirmed_at.ge(c.confirmed_at))
            .filter(s::confirmed_at.gt(c.confirmed_at).or(s::id.gt(c.id.clone())));
    }
    let rows: Vec<Row> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let confirmed_at = r.confirmed_at?;
            Some(ExportRow {
                id: r.id,
                name: Some(r.name).filter(|n| !n.is_empty()),
                email: Some(r.email).filter(|e| !e.is_empty()),
                country: r.country,
                postal_code: r.postal_code,
                comment: r.comment,
                comment_hidden: r.comment_hidden_at.is_some(),
                public: r.public,
                opt_in: Some(r.opt_in),
                confirmed_at,
                origin: None,
            })
        })
        .collect())
}

fn remote_page(
    conn: &mut DbConnection,
    petition: &Id,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<ExportRow>, SignatureError> {
    // What the count leaves out is left out here too: withdrawn, and blocked instances.
    let blocked = oc::table.filter(oc::petition_id.eq(petition)).filter(oc::counted.eq(false)).select(oc::origin_host);
    let mut query = rs::table
        .filter(rs::petition_id.eq(petition))
        .filter(rs::withdrawn_at.is_null())
        .filter(rs::origin_host.ne_all(blocked))
        .order((rs::confirmed_at.asc(), rs::attestation_id.asc()))
        .limit(limit)
        .select((rs::attestation_id, rs::origin_host, rs::display_name, rs::country, rs::postal_code, rs::confirmed_at))
        .into_boxed();
    if let Some(c) = after {
        query = query
            .filter(rs::confirmed_at.ge(c.confirmed_at))
            .filter(rs::confirmed_at.gt(c.confirmed_at).or(rs::attestation_id.gt(c.id.clone())));
    }
    type Remote = (String, String, Option<String>, Option<String>, Option<String>, NaiveDateTime);
    let rows: Vec<Remote> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, origin, name, country, postal_code, confirmed_at)| ExportRow {
            id,
            // The attestation carries a name only when its signer made it public.
            public: name.is_some(),
            name,
            email: None,
            country,
            postal_code,
            comment: None,
            comment_hidden: false,
            opt_in: None,
            confirmed_at,
            origin: Some(origin),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_what_they_did_not_make() {
        let at = DateTime::from_timestamp_nanos(1_765_000_000_123_456_789).naive_utc();
        let c = Cursor { confirmed_at: at, id: "https://b.example/attestations/1".into() };
        assert_eq!(Cursor::parse(&c.encode()), Some(c));
        for bad in ["", "???", "bm9jb2xvbg", &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("12:")] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }
}
