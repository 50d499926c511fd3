//! Bulk invalidation, as the UK Parliament petitions site does it: an admin names a
//! petition and some of its signatures (by the network they came from, the domain of their
//! email, the time they were made), sees how many would go (`preview`), then invalidates
//! them (`invalidate`). An invalidated signature stays as a row, marked `invalidated_at`:
//! it no longer counts (confirmed ones leave the counters in the same transaction), no
//! longer shows among the recent signers, its links are dead, and its address cannot sign
//! that petition again (the answer to a new try is the usual one, and no email goes). The
//! row is erased by retention like any other. Every invalidation is recorded
//! (`signature_invalidations`: who, when, the filter, how many).
//!
//! Networks are matched through their keyed hashes (`network`): only a range of whole
//! stored networks (a /24 or a /48, or up to `network::MAX_NETWORKS` of them) can be named.
//!
//! The signatures our signers sent to a petition of another instance (`sent_signatures`,
//! named by the petition's handle, `slug@host`) are invalidated the same way
//! (`preview_sent`, `invalidate_sent`, recorded in `sent_signature_invalidations`); the
//! caller then withdraws the confirmed ones from the petition's count over federation
//! (`signons_federation::sent::invalidate`).

use crate::network::{NetworkKey, NetworkRange, RangeError};
use crate::{counts, SignatureError};
use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::Bool;
use serde::Serialize;
use signons_petition::{FieldErrors, Petition};
use signons_store::schema::{
    sent_signature_invalidations as ssi, sent_signatures as ss, sent_withdraw_tokens as swt,
    signature_invalidations as si, signatures as s, withdraw_tokens as wt,
};
use signons_store::{DbConnection, Id};

/// How many of the signatures that would go the preview shows.
pub const EXAMPLES: i64 = 10;
/// Longer than any domain (253) with room for a stray space.
const DOMAIN_MAX: usize = 255;

/// What the admin typed, as the command line and the admin page take it (empty means not
/// given).
#[derive(Debug, Clone, Default)]
pub struct FilterInput {
    pub petition: String,
    pub network: String,
    pub domain: String,
    pub from: String,
    pub until: String,
}

/// Which signatures of a petition: those that match every criterion given (at least one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filter {
    #[serde(skip)]
    pub petition: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    #[serde(skip)]
    range: Option<NetworkRange>,
    /// The domain of the canonical email, exactly (`example.org` is not `mail.example.org`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Signed at or after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDateTime>,
    /// Signed before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDateTime>,
}

/// The condition of a filter on one of the two tables of signatures (`signatures`,
/// `sent_signatures`), which name the columns it reads alike.
macro_rules! matching {
    ($filter:expr, $key:expr, $t:ident, $petition:expr) => {{
        let f: &Filter = $filter;
        let mut c: Box<dyn BoxableExpression<$t::table, Db, SqlType = Bool>> =
            Box::new($petition.and($t::invalidated_at.is_null()));
        if let Some(range) = &f.range {
            let hashes: Vec<String> = range.hashes($key).into_iter().map(|h| h.as_str().to_owned()).collect();
            c = Box::new(c.and($t::network_hash.assume_not_null().eq_any(hashes)));
        }
        if let Some(domain) = &f.domain {
            // The domain holds no `%` or `_` (`is_domain`), so it matches as written.
            c = Box::new(c.and($t::email_canonical.like(format!("%@{domain}"))));
        }
        if let Some(from) = f.from {
            c = Box::new(c.and($t::created_at.ge(from)));
        }
        if let Some(until) = f.until {
            c = Box::new(c.and($t::created_at.lt(until)));
        }
        c
    }};
}

impl Filter {
    /// Parses the admin's input: every error at once, each on its field (`petition`,
    /// `network`, `domain`, `from`, `until`, or `filter` when no criterion is given). Each
    /// code is the translation key of its message.
    pub fn parse(input: &FilterInput) -> Result<Filter, FieldErrors> {
        let mut errors = FieldErrors::default();
        let petition = input.petition.trim().to_owned();
        if petition.is_empty() {
            errors.push("petition", "error-required", None);
        }
        let network = input.network.trim();
        let range = match network {
            "" => None,
            text => match NetworkRange::parse(text) {
                Ok(range) => Some(range),
                Err(RangeError::Malformed) => {
                    errors.push("network", "invalidate-error-network", None);
                    None
                }
                Err(RangeError::TooNarrow(max)) => {
                    errors.push("network", "invalidate-error-network-narrow", Some(u64::from(max)));
                    None
                }
                Err(RangeError::TooWide(min)) => {
                    errors.push("network", "invalidate-error-network-wide", Some(u64::from(min)));
                    None
                }
            },
        };
        let domain = match input.domain.trim().trim_start_matches('@').to_lowercase() {
            d if d.is_empty() => None,
            d if is_domain(&d) => Some(d),
            _ => {
                errors.push("domain", "invalidate-error-domain", None);
                None
            }
        };
        let mut time = |field: &'static str, text: &str| match text.trim() {
            "" => None,
            t => match parse_time(t) {
                Some(t) => Some(t),
                None => {
                    errors.push(field, "invalidate-error-time", None);
                    None
                }
            },
        };
        let (from, until) = (time("from", &input.from), time("until", &input.until));
        if let (Some(from), Some(until)) = (from, until) {
            if from >= until {
                errors.push("until", "invalidate-error-window", None);
            }
        }
        let given = [!network.is_empty(), !input.domain.trim().is_empty(), from.is_some(), until.is_some()];
        if errors.is_empty() && !given.contains(&true) {
            errors.push("filter", "invalidate-error-no-filter", None);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Filter { petition, network: range.map(|r| r.to_string()), range, domain, from, until })
    }

    /// The filter as recorded and shown: JSON of the criteria given, normalized.
    pub fn describe(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Whether the petition is another instance's (`slug@host`): then its signatures are
    /// the ones our signers sent it.
    pub fn is_remote(&self) -> bool {
        self.petition.contains('@')
    }

    /// The signatures of `petition` that match and are not invalidated yet.
    fn condition(&self, petition: &Id, key: &NetworkKey) -> Condition {
        matching!(self, key, s, s::petition_id.eq(petition.clone()))
    }

    /// The same among the signatures sent to the remote petition `petition_url`.
    fn sent_condition(&self, petition_url: &str, key: &NetworkKey) -> SentCondition {
        matching!(self, key, ss, ss::petition_url.eq(petition_url.to_owned()))
    }
}

type Db = <DbConnection as diesel::Connection>::Backend;
type Condition = Box<dyn BoxableExpression<s::table, Db, SqlType = Bool>>;
type SentCondition = Box<dyn BoxableExpression<ss::table, Db, SqlType = Bool>>;

/// Letters, digits and hyphens in dot-separated labels: what a mail domain is (so also no
/// `%` or `_`, which `LIKE` would read as wildcards).
fn is_domain(d: &str) -> bool {
    d.len() <= DOMAIN_MAX
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// RFC 3339 (`2026-12-01T10:00:00Z`, any offset), or a date and time without offset, in
/// UTC (`2026-12-01T10:00`, what a `datetime-local` field sends; a space for the `T` too).
fn parse_time(t: &str) -> Option<NaiveDateTime> {
    if let Ok(t) = DateTime::parse_from_rfc3339(t) {
        return Some(t.naive_utc());
    }
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
}

/// What an invalidation would do.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub petition_slug: String,
    pub petition_title: String,
    /// Signatures not yet confirmed (they never counted).
    pub pending: i64,
    /// Confirmed signatures: the count drops by this much.
    pub confirmed: i64,
    /// The newest few, without full addresses.
    pub examples: Vec<Example>,
    /// The filter, normalized.
    pub filter: Filter,
    /// The petition's earlier invalidations, newest first (at most `EXAMPLES`).
    pub earlier: Vec<Record>,
}

/// A signature that would go, as the preview shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Example {
    /// The first letter of the address and its domain (`a…@example.org`), or empty once
    /// retention erased it.
    pub email: String,
    pub signed_at: String,
    pub confirmed_at: Option<String>,
}

/// What an invalidation did.
#[derive(Debug, Clone, Serialize)]
pub struct Invalidated {
    /// The record of it in `signature_invalidations`.
    pub id: Id,
    pub petition_slug: String,
    pub petition_title: String,
    pub pending: i64,
    pub confirmed: i64,
}

fn petition(conn: &mut DbConnection, slug: &str) -> Result<Petition, SignatureError> {
    Ok(signons_petition::petition::find(conn, slug)?)
}

/// How many signatures of each state `filter` names, and a few of them. Changes nothing.
pub fn preview(conn: &mut DbConnection, key: &NetworkKey, filter: &Filter) -> Result<Preview, SignatureError> {
    let petition = petition(conn, &filter.petition)?;
    let condition = || filter.condition(&petition.id, key);
    let pending: i64 = s::table.filter(condition()).filter(s::confirmed_at.is_null()).count().get_result(conn)?;
    let confirmed: i64 = s::table.filter(condition()).filter(s::confirmed_at.is_not_null()).count().get_result(conn)?;
    let rows: Vec<ExampleRow> = s::table
        .filter(condition())
        .order((s::created_at.desc(), s::id.desc()))
        .limit(EXAMPLES)
        .select((s::email, s::created_at, s::confirmed_at))
        .load(conn)?;
    Ok(Preview {
        petition_slug: petition.slug,
        petition_title: petition.title,
        pending,
        confirmed,
        examples: examples(rows),
        filter: filter.clone(),
        earlier: history(conn, &petition.id, EXAMPLES)?,
    })
}

/// An example's address, when it signed, and when it confirmed.
type ExampleRow = (String, NaiveDateTime, Option<NaiveDateTime>);

fn examples(rows: Vec<ExampleRow>) -> Vec<Example> {
    rows.into_iter()
        .map(|(email, signed, confirmed)| Example {
            email: mask(&email),
            signed_at: time(signed),
            confirmed_at: confirmed.map(time),
        })
        .collect()
}

fn time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The remote petition whose sent signatures a filter names (the caller found it by the
/// filter's handle).
#[derive(Debug, Clone)]
pub struct SentPetition {
    /// Its handle, `slug@host`, as the filter gave it.
    pub handle: String,
    pub url: String,
    pub title: String,
}

/// `preview` among the signatures sent to a remote petition.
pub fn preview_sent(
    conn: &mut DbConnection,
    key: &NetworkKey,
    filter: &Filter,
    petition: &SentPetition,
) -> Result<Preview, SignatureError> {
    let condition = || filter.sent_condition(&petition.url, key);
    let pending: i64 = ss::table.filter(condition()).filter(ss::confirmed_at.is_null()).count().get_result(conn)?;
    let confirmed: i64 =
        ss::table.filter(condition()).filter(ss::confirmed_at.is_not_null()).count().get_result(conn)?;
    let rows: Vec<ExampleRow> = ss::table
        .filter(condition())
        .order((ss::created_at.desc(), ss::id.desc()))
        .limit(EXAMPLES)
        .select((ss::email, ss::created_at, ss::confirmed_at))
        .load(conn)?;
    let earlier: Vec<RecordRow> = ssi::table
        .filter(ssi::petition_url.eq(&petition.url))
        .order((ssi::created_at.desc(), ssi::id.desc()))
        .limit(EXAMPLES)
        .select((ssi::actor, ssi::filter, ssi::pending, ssi::confirmed, ssi::created_at))
        .load(conn)?;
    Ok(Preview {
        petition_slug: petition.handle.clone(),
        petition_title: petition.title.clone(),
        pending,
        confirmed,
        examples: examples(rows),
        filter: filter.clone(),
        earlier: earlier.into_iter().map(Record::from).collect(),
    })
}

/// `invalidate` among the signatures sent to a remote petition, in the caller's
/// transaction: they are marked, their links die, and none goes out in a later `Sign`.
/// Returns what was done and the confirmed ones the petition's instance may count (not
/// refused by it), which the caller withdraws there.
pub fn invalidate_sent(
    conn: &mut DbConnection,
    key: &NetworkKey,
    filter: &Filter,
    petition: &SentPetition,
    actor: &str,
) -> Result<(Invalidated, Vec<Id>), SignatureError> {
    let now = signons_store::now();
    // What the petition's instance may count: confirmed, and not refused.
    let counted: Vec<Id> = ss::table
        .filter(filter.sent_condition(&petition.url, key))
        .filter(ss::confirmed_at.is_not_null())
        .filter(ss::answer.is_null().or(ss::answer.ne("rejected")))
        .select(ss::id)
        .load(conn)?;
    let dead = || {
        (
            ss::invalidated_at.eq(Some(now)),
            ss::confirm_token_hash.eq(None::<String>),
            ss::withdraw_token_hash.eq(None::<String>),
        )
    };
    let pending =
        diesel::update(ss::table.filter(filter.sent_condition(&petition.url, key)).filter(ss::confirmed_at.is_null()))
            .set(dead())
            .execute(conn)?;
    let confirmed = diesel::update(
        ss::table.filter(filter.sent_condition(&petition.url, key)).filter(ss::confirmed_at.is_not_null()),
    )
    .set(dead())
    .execute(conn)?;
    let invalidated =
        ss::table.filter(ss::petition_url.eq(&petition.url)).filter(ss::invalidated_at.is_not_null()).select(ss::id);
    diesel::delete(swt::table.filter(swt::signature_id.eq_any(invalidated))).execute(conn)?;
    let (pending, confirmed) =
        (i64::try_from(pending).unwrap_or(i64::MAX), i64::try_from(confirmed).unwrap_or(i64::MAX));
    let id = Id::new();
    diesel::insert_into(ssi::table)
        .values((
            ssi::id.eq(&id),
            ssi::petition_url.eq(&petition.url),
            ssi::actor.eq(actor),
            ssi::filter.eq(filter.describe()),
            ssi::pending.eq(pending),
            ssi::confirmed.eq(confirmed),
            ssi::created_at.eq(now),
        ))
        .execute(conn)?;
    tracing::info!(petition = %petition.url, pending, confirmed, filter = %filter.describe(), "sent signatures invalidated");
    let done = Invalidated {
        id,
        petition_slug: petition.handle.clone(),
        petition_title: petition.title.clone(),
        pending,
        confirmed,
    };
    Ok((done, counted))
}

/// Invalidates what `filter` names, in one transaction (the caller's): the signatures are
/// marked, their links die, confirmed ones leave the count, and the action is recorded
/// under `actor` (an admin's email, or "command line").
pub fn invalidate(
    conn: &mut DbConnection,
    key: &NetworkKey,
    filter: &Filter,
    actor: &str,
) -> Result<Invalidated, SignatureError> {
    let petition = petition(conn, &filter.petition)?;
    let now = signons_store::now();
    let dead = || {
        (
            s::invalidated_at.eq(Some(now)),
            s::confirm_token_hash.eq(None::<String>),
            s::withdraw_token_hash.eq(None::<String>),
        )
    };
    // Pending ones first: a confirmation racing this (PostgreSQL) either committed before,
    // and its row is caught as confirmed below, or finds its link dead.
    let pending =
        diesel::update(s::table.filter(filter.condition(&petition.id, key)).filter(s::confirmed_at.is_null()))
            .set(dead())
            .execute(conn)?;
    let confirmed =
        diesel::update(s::table.filter(filter.condition(&petition.id, key)).filter(s::confirmed_at.is_not_null()))
            .set(dead())
            .execute(conn)?;
    // The withdraw links sent after the first go too.
    let invalidated =
        s::table.filter(s::petition_id.eq(&petition.id)).filter(s::invalidated_at.is_not_null()).select(s::id);
    diesel::delete(wt::table.filter(wt::signature_id.eq_any(invalidated))).execute(conn)?;
    let (pending, confirmed) =
        (i64::try_from(pending).unwrap_or(i64::MAX), i64::try_from(confirmed).unwrap_or(i64::MAX));
    if confirmed > 0 {
        counts::add(conn, &petition.id, -confirmed)?;
    }
    let id = Id::new();
    diesel::insert_into(si::table)
        .values((
            si::id.eq(&id),
            si::petition_id.eq(&petition.id),
            si::actor.eq(actor),
            si::filter.eq(filter.describe()),
            si::pending.eq(pending),
            si::confirmed.eq(confirmed),
            si::created_at.eq(now),
        ))
        .execute(conn)?;
    tracing::info!(petition = %petition.slug, pending, confirmed, filter = %filter.describe(), "signatures invalidated");
    Ok(Invalidated { id, petition_slug: petition.slug, petition_title: petition.title, pending, confirmed })
}

/// An invalidation as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub actor: String,
    pub filter: String,
    pub pending: i64,
    pub confirmed: i64,
    pub at: String,
}

/// A row of either table of invalidations (selected by name from `signature_invalidations`,
/// in the same order from `sent_signature_invalidations`).
#[derive(Queryable, Selectable)]
#[diesel(table_name = si)]
struct RecordRow {
    actor: String,
    filter: String,
    pending: i64,
    confirmed: i64,
    created_at: NaiveDateTime,
}

impl From<RecordRow> for Record {
    fn from(r: RecordRow) -> Self {
        Record { actor: r.actor, filter: r.filter, pending: r.pending, confirmed: r.confirmed, at: time(r.created_at) }
    }
}

/// The invalidations of a petition, newest first.
fn history(conn: &mut DbConnection, petition: &Id, limit: i64) -> Result<Vec<Record>, SignatureError> {
    let rows: Vec<RecordRow> = si::table
        .filter(si::petition_id.eq(petition))
        .order((si::created_at.desc(), si::id.desc()))
        .limit(limit)
        .select(RecordRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Record::from).collect())
}

/// `ann.lee@example.org` → `a…@example.org`: enough to recognize a pattern (one domain, a
/// run of look-alike names), not to write to anyone.
fn mask(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}…@{domain}")
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(network: &str, domain: &str, from: &str, until: &str) -> FilterInput {
        FilterInput {
            petition: "plant-trees".into(),
            network: network.into(),
            domain: domain.into(),
            from: from.into(),
            until: until.into(),
        }
    }

    fn codes(input: &FilterInput) -> Vec<(&'static str, &'static str)> {
        Filter::parse(input).unwrap_err().0.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn filters_parse_and_refuse_clearly() {
        let f =
            Filter::parse(&input("203.0.113.9/24", "@Example.ORG", "2026-12-01T10:00:00+01:00", "2026-12-02T00:00"))
                .unwrap();
        assert_eq!(f.network.as_deref(), Some("203.0.113.0/24"));
        assert_eq!(f.domain.as_deref(), Some("example.org"));
        assert_eq!(f.from.unwrap().to_string(), "2026-12-01 09:00:00");
        assert_eq!(f.until.unwrap().to_string(), "2026-12-02 00:00:00");
        assert_eq!(
            f.describe(),
            r#"{"network":"203.0.113.0/24","domain":"example.org","from":"2026-12-01T09:00:00","until":"2026-12-02T00:00:00"}"#
        );
        assert_eq!(codes(&input("", "", "", "")), [("filter", "invalidate-error-no-filter")]);
        assert_eq!(codes(&input("203.0.113.0/28", "", "", "")), [("network", "invalidate-error-network-narrow")]);
        assert_eq!(codes(&input("10.0.0.0/8", "", "", "")), [("network", "invalidate-error-network-wide")]);
        assert_eq!(codes(&input("203.0.113.0", "", "", "")), [("network", "invalidate-error-network")]);
        assert_eq!(codes(&input("", "exa%mple.org", "", "")), [("domain", "invalidate-error-domain")]);
        assert_eq!(codes(&input("", "a_b.org", "", "")), [("domain", "invalidate-error-domain")]);
        assert_eq!(codes(&input("", "", "yesterday", "")), [("from", "invalidate-error-time")]);
        assert_eq!(
            codes(&input("", "", "2026-12-02T00:00:00Z", "2026-12-01T00:00:00Z")),
            [("until", "invalidate-error-window")]
        );
        let no_petition = FilterInput { petition: " ".into(), ..input("", "example.org", "", "") };
        assert_eq!(codes(&no_petition), [("petition", "error-required")]);
    }

    #[test]
    fn masked_emails_keep_the_first_letter_and_the_domain() {
        assert_eq!(mask("ann.lee@example.org"), "a…@example.org");
        assert_eq!(mask("Émile@exemple.fr"), "É…@exemple.fr");
        assert_eq!(mask(""), "");
    }
}
