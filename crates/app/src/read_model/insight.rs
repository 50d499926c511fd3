//! A petition's insight, for its organizers: confirmed signatures over time (drawn as an SVG
//! chart on the server), by country and by postal-code prefix, the share who asked for
//! news, and where signatures came from (this instance, or each other instance that
//! collected them) and how signers arrived (the page itself, a shared link, the embedded
//! widget, another instance). Counts what the count counts: confirmed, not invalidated, not withdrawn.

use crate::error::AppError;
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use serde::Serialize;
use signons_petition::Petition;
use signons_store::schema::{petition_origin_counts as oc, remote_signatures as rs, signatures as s};
use signons_store::{DbConnection, Id};
use std::collections::BTreeMap;

/// The rows of a breakdown shown at most; the rest are summed as one "other" row.
const TOP: usize = 12;
/// Postal codes are grouped by their first characters: a district, never an address.
const POSTAL_PREFIX: usize = 2;
/// The chart's drawing area, in SVG units.
const WIDTH: i64 = 640;
const HEIGHT: i64 = 200;

#[derive(Debug, Serialize)]
pub struct Insight {
    pub total: i64,
    pub days: Vec<Day>,
    pub chart: Option<Chart>,
    pub countries: Vec<Share>,
    pub postal_prefixes: Vec<Share>,
    /// Of the signatures collected here (others' signers are theirs to ask).
    pub local: i64,
    pub opted_in: i64,
    pub opted_in_percent: i64,
    pub origins: Vec<Share>,
    pub arrivals: Vec<Arrival>,
}

/// The insight as the API answers it: the counts, without the chart's drawing, each way
/// of arriving named without its translation key's prefix (`direct`, `shared-link`,
/// `embed`, `other-instance`).
#[derive(Debug, Serialize)]
pub struct ApiInsight<'a> {
    pub total: i64,
    pub days: &'a [Day],
    pub countries: &'a [Share],
    pub postal_prefixes: &'a [Share],
    pub local: i64,
    pub opted_in: i64,
    pub opted_in_percent: i64,
    pub origins: &'a [Share],
    pub arrivals: Vec<ApiArrival>,
}

#[derive(Debug, Serialize)]
pub struct ApiArrival {
    pub way: &'static str,
    pub signatures: i64,
    pub percent: i64,
}

impl Insight {
    pub fn api(&self) -> ApiInsight<'_> {
        ApiInsight {
            total: self.total,
            days: &self.days,
            countries: &self.countries,
            postal_prefixes: &self.postal_prefixes,
            local: self.local,
            opted_in: self.opted_in,
            opted_in_percent: self.opted_in_percent,
            origins: &self.origins,
            arrivals: self
                .arrivals
                .iter()
                .map(|a| ApiArrival {
                    way: a.key.strip_prefix("insight-arrival-").unwrap_or(a.key),
                    signatures: a.signatures,
                    percent: a.percent,
                })
                .collect(),
        }
    }
}

/// How many signers arrived one way: `key` names the way in the translations.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Arrival {
    pub key: &'static str,
    pub signatures: i64,
    pub percent: i64,
}

#[derive(Debug, Serialize)]
pub struct Day {
    pub day: String,
    pub signatures: i64,
    pub cumulative: i64,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Share {
    /// `None` for "not given" (or, in origins, this instance).
    pub label: Option<String>,
    pub signatures: i64,
    pub percent: i64,
}

/// The cumulative count as a line, the signatures of each day as bars.
#[derive(Debug, Serialize)]
pub struct Chart {
    pub width: i64,
    pub height: i64,
    pub points: String,
    pub bars: Vec<Bar>,
    pub max_cumulative: i64,
    /// Where the line ends (at the top: the total), marked so that one day still shows.
    pub last_x: i64,
    pub first_day: String,
    pub last_day: String,
}

#[derive(Debug, Serialize)]
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
}

/// The petition's signatures collected here that count.
#[diesel::dsl::auto_type(no_type_alias)]
fn local_counted<'a>(petition: &'a Id) -> _ {
    s::petition_id.eq(petition).and(s::confirmed_at.is_not_null()).and(s::invalidated_at.is_null())
}

/// Its signatures other instances attested that count: not withdrawn, and from an
/// instance whose signatures are counted (an admin may have stopped counting one).
#[diesel::dsl::auto_type(no_type_alias)]
fn remote_counted<'a>(petition: &'a Id, hosts: &'a [String]) -> _ {
    rs::petition_id.eq(petition).and(rs::withdrawn_at.is_null()).and(rs::origin_host.eq_any(hosts))
}

/// The day of a timestamp as `YYYY-MM-DD`, the same text on SQLite (which stores it as
/// text) and PostgreSQL (whose text form of a timestamp starts so).
fn day_of(column: &str) -> diesel::expression::SqlLiteral<Text> {
    sql::<Text>(&format!("substr(CAST({column} AS TEXT), 1, 10)"))
}

/// The other instances whose signatures of the petition are counted.
fn counted_hosts(conn: &mut DbConnection, p: &Petition) -> Result<Vec<String>, AppError> {
    oc::table
        .filter(oc::petition_id.eq(&p.id))
        .filter(oc::counted.eq(true))
        .select(oc::origin_host)
        .load(conn)
        .map_err(AppError::internal)
}

/// What the breakdown maps count: signatures by country as typed and by the first three
/// characters of a five-character postal code (enough to tell Corsica's two
/// départements apart; still a district, never an address), local and remote alike.
pub fn places(conn: &mut DbConnection, p: &Petition) -> Result<Vec<signons_render::map::PlaceCount>, AppError> {
    let hosts = counted_hosts(conn, p)?;
    let case =
        |column: &str| format!("CASE WHEN length(trim({column})) = 5 THEN upper(substr(trim({column}), 1, 3)) END");
    let prefix = |column: &str| sql::<Nullable<Text>>(&case(column));
    let country = || sql::<Nullable<Text>>("country");
    // diesel groups by one expression of a literal at a time: both columns in one.
    let both = |column: &str| sql::<Nullable<Text>>(&format!("country, {}", case(column)));
    let mut groups: Vec<signons_render::map::PlaceCount> = s::table
        .filter(local_counted(&p.id))
        .group_by(both("postal_code"))
        .select((country(), prefix("postal_code"), count_star()))
        .load(conn)
        .map_err(AppError::internal)?;
    if !hosts.is_empty() {
        let remote: Vec<signons_render::map::PlaceCount> = rs::table
            .filter(remote_counted(&p.id, &hosts))
            .group_by(both("postal_code"))
            .select((country(), prefix("postal_code"), count_star()))
            .load(conn)
            .map_err(AppError::internal)?;
        groups.extend(remote);
    }
    Ok(groups)
}

pub fn load(conn: &mut DbConnection, p: &Petition, host: &str) -> Result<Insight, AppError> {
    let hosts = counted_hosts(conn, p)?;
    let local_days: Vec<(String, i64)> = s::table
        .filter(local_counted(&p.id))
        .group_by(day_of("confirmed_at"))
        .select((day_of("confirmed_at"), count_star()))
        .load(conn)
        .map_err(AppError::internal)?;
    let remote_days: Vec<(String, i64)> = rs::table
        .filter(remote_counted(&p.id, &hosts))
        .group_by(day_of("confirmed_at"))
        .select((day_of("confirmed_at"), count_star()))
        .load(conn)
        .map_err(AppError::internal)?;
    let mut by_day: BTreeMap<String, i64> = BTreeMap::new();
    for (day, n) in local_days.into_iter().chain(remote_days) {
        *by_day.entry(day).or_default() += n;
    }
    let mut cumulative = 0;
    let days: Vec<Day> = by_day
        .into_iter()
        .map(|(day, signatures)| {
            cumulative += signatures;
            Day { day, signatures, cumulative }
        })
        .collect();
    let total = cumulative;

    let mut countries: BTreeMap<Option<String>, i64> = BTreeMap::new();
    let local_countries: Vec<(Option<String>, i64)> = s::table
        .filter(local_counted(&p.id))
        .group_by(s::country)
        .select((s::country, count_star()))
        .load(conn)
        .map_err(AppError::internal)?;
    let remote_countries: Vec<(Option<String>, i64)> = rs::table
        .filter(remote_counted(&p.id, &hosts))
        .group_by(rs::country)
        .select((rs::country, count_star()))
        .load(conn)
        .map_err(AppError::internal)?;
    for (country, n) in local_countries.into_iter().chain(remote_countries) {
        *countries.entry(country.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty())).or_default() += n;
    }

    let prefix = |column: &str| sql::<Nullable<Text>>(&format!("upper(substr(trim({column}), 1, {POSTAL_PREFIX}))"));
    let mut postal: BTreeMap<Option<String>, i64> = BTreeMap::new();
    let local_postal: Vec<(Option<String>, i64)> = s::table
        .filter(local_counted(&p.id))
        .group_by(prefix("postal_code"))
        .select((prefix("postal_code"), count_star()))
        .load(conn)
        .map_err(AppError::internal)?;
    let remote_postal: Vec<(Option<String>, i64)> = rs::table
        .filter(remote_counted(&p.id, &hosts))
        .group_by(prefix("postal_code"))
        .select((prefix("postal_code"), count_star()))
        .load(conn)
        .map_err(AppError::internal)?;
    for (code, n) in local_postal.into_iter().chain(remote_postal) {
        *postal.entry(code.filter(|c| !c.is_empty())).or_default() += n;
    }

    let opt_ins: Vec<(bool, i64)> = s::table
        .filter(local_counted(&p.id))
        .group_by(s::opt_in)
        .select((s::opt_in, count_star()))
        .load(conn)
        .map_err(AppError::internal)?;
    let local: i64 = opt_ins.iter().map(|(_, n)| n).sum();
    let opted_in: i64 = opt_ins.iter().filter(|(o, _)| *o).map(|(_, n)| n).sum();

    let remote_origins: Vec<(String, i64)> = rs::table
        .filter(remote_counted(&p.id, &hosts))
        .group_by(rs::origin_host)
        .select((rs::origin_host, count_star()))
        .load(conn)
        .map_err(AppError::internal)?;
    let mut origins: BTreeMap<Option<String>, i64> = BTreeMap::new();
    if local > 0 {
        origins.insert(Some(host.to_owned()), local);
    }
    for (origin, n) in remote_origins {
        *origins.entry(Some(origin)).or_default() += n;
    }

    let sources: Vec<(signons_signature::Source, i64)> = s::table
        .filter(local_counted(&p.id))
        .group_by(s::source)
        .select((s::source, count_star()))
        .load(conn)
        .map_err(AppError::internal)?;
    let of = |source| sources.iter().filter(|(s, _)| *s == source).map(|(_, n)| n).sum::<i64>();
    use signons_signature::Source;
    let arrivals = [
        ("insight-arrival-direct", of(Source::Direct)),
        ("insight-arrival-shared-link", of(Source::SharedLink)),
        ("insight-arrival-embed", of(Source::Embed)),
        ("insight-arrival-other-instance", total - local),
    ]
    .into_iter()
    .map(|(key, signatures)| Arrival { key, signatures, percent: percent(signatures, total) })
    .collect();

    Ok(Insight {
        total,
        arrivals,
        chart: chart(&days),
        days,
        countries: shares(countries, total),
        postal_prefixes: if p.ask_postal_code { shares(postal, total) } else { Vec::new() },
        local,
        opted_in,
        opted_in_percent: percent(opted_in, local),
        origins: shares(origins, total),
    })
}

fn percent(part: i64, whole: i64) -> i64 {
    if whole > 0 {
        (part * 100 + whole / 2) / whole
    } else {
        0
    }
}

/// Largest first; past the first `TOP`, one row "other" (label `Some("")`) sums the rest.
fn shares(counts: BTreeMap<Option<String>, i64>, total: i64) -> Vec<Share> {
    let mut rows: Vec<(Option<String>, i64)> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let rest: i64 = rows.iter().skip(TOP).map(|(_, n)| n).sum();
    rows.truncate(TOP);
    if rest > 0 {
        rows.push((Some(String::new()), rest));
    }
    rows.into_iter().map(|(label, n)| Share { label, signatures: n, percent: percent(n, total) }).collect()
}

/// Days with signatures along x (evenly: a day without any is not drawn), the cumulative
/// count as a line scaled to the drawing's height, each day's signatures as a bar.
fn chart(days: &[Day]) -> Option<Chart> {
    let (first, last) = (days.first()?, days.last()?);
    let max_cumulative = last.cumulative.max(1);
    let max_day = days.iter().map(|d| d.signatures).max().unwrap_or(1).max(1);
    let n = days.len() as i64;
    let step = WIDTH / n.max(1);
    let x = |i: i64| if n == 1 { WIDTH / 2 } else { i * WIDTH / (n - 1) };
    let points = days
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{},{}", x(i as i64), HEIGHT - d.cumulative * HEIGHT / max_cumulative))
        .collect::<Vec<_>>()
        .join(" ");
    let bar_width = (step * 3 / 5).clamp(1, 24);
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let height = (d.signatures * (HEIGHT / 2) / max_day).max(1);
            let x = (x(i as i64) - bar_width / 2).clamp(0, WIDTH - bar_width);
            Bar { x, y: HEIGHT - height, width: bar_width, height }
        })
        .collect();
    Some(Chart {
        width: WIDTH,
        height: HEIGHT,
        points,
        bars,
        max_cumulative: last.cumulative,
        last_x: x(n - 1),
        first_day: first.day.clone(),
        last_day: last.day.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdowns_put_the_largest_first_and_sum_the_rest() {
        let mut counts = BTreeMap::new();
        for i in 0..20 {
            counts.insert(Some(format!("C{i:02}")), i + 1);
        }
        counts.insert(None, 100);
        let total = counts.values().sum();
        let rows = shares(counts, total);
        assert_eq!(rows.len(), TOP + 1);
        assert_eq!(rows[0], Share { label: None, signatures: 100, percent: 32 });
        assert_eq!(rows[1].label.as_deref(), Some("C19"));
        let other = rows.last().unwrap();
        assert_eq!(other.label.as_deref(), Some(""));
        assert_eq!(other.signatures, (1..=9).sum::<i64>());
    }

    #[test]
    fn the_chart_rises_to_the_top_on_the_last_day() {
        let days = vec![
            Day { day: "2026-12-01".into(), signatures: 3, cumulative: 3 },
            Day { day: "2026-12-02".into(), signatures: 1, cumulative: 4 },
        ];
        let c = chart(&days).unwrap();
        assert_eq!(c.points, format!("0,{} {WIDTH},0", HEIGHT - 3 * HEIGHT / 4));
        assert_eq!(c.bars[0].height, HEIGHT / 2);
        assert!(c.bars.iter().all(|b| b.x >= 0 && b.x + b.width <= WIDTH));
        assert!(chart(&[]).is_none());
    }
}
