//! A petition's confirmed signatures as its organizers take them away: a CSV file (the
//! download, and the API with `Accept: text/csv`), the API's OSDI-shaped pages, and the
//! rows of the printable list for the decision maker; and the people of an organizer's
//! organizations, OSDI-shaped pages too. The CSV and the list are streamed:
//! rows are read a page at a time (`signature::export`, keyset-paginated) while the answer
//! is being sent, so a million rows take the memory of one page.

use crate::error::AppError;
use actix_web::web::Bytes;
use chrono::SecondsFormat;
use futures_util::Stream;
use serde::Serialize;
use serde_json::{json, Value};
use signons_petition::Petition;
use signons_signature::export::{self, Cursor, ExportRow};
use signons_signature::people;
use signons_store::{Database, Id};
use std::collections::HashMap;

/// Which columns a petition's export has: country and postal code only when it asked
/// them; `instance` names, for each row, the instance that collected it.
#[derive(Debug, Clone)]
pub struct Columns {
    pub country: bool,
    pub postal_code: bool,
    /// Our host: the `instance` of our own signatures.
    pub host: String,
}

impl Columns {
    pub fn new(p: &Petition, host: &str) -> Self {
        Columns { country: p.ask_country, postal_code: p.ask_postal_code, host: host.to_owned() }
    }

    fn header(&self) -> Vec<&'static str> {
        let mut h = vec!["name", "email"];
        if self.country {
            h.push("country");
        }
        if self.postal_code {
            h.push("postal_code");
        }
        h.extend(["comment", "public", "opt_in", "confirmed_at", "instance", "comment_hidden"]);
        h
    }

    fn record(&self, row: &ExportRow) -> Vec<String> {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let mut r = vec![text(&row.name), text(&row.email)];
        if self.country {
            r.push(text(&row.country));
        }
        if self.postal_code {
            r.push(text(&row.postal_code));
        }
        r.push(text(&row.comment));
        r.push(row.public.to_string());
        // Unknown for another instance's signer: their instance keeps who asked for news.
        r.push(row.opt_in.map(|b| b.to_string()).unwrap_or_default());
        r.push(rfc3339(row));
        r.push(row.origin.clone().unwrap_or_else(|| self.host.clone()));
        r.push(row.comment_hidden.to_string());
        r
    }

    /// The header line alone, or the rows as CSV lines.
    fn csv(&self, header: bool, rows: &[ExportRow]) -> Result<Bytes, AppError> {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
        if header {
            w.write_record(self.header()).map_err(AppError::internal)?;
        }
        for row in rows {
            w.write_record(self.record(row).iter().map(|cell| guard_formula(cell).into_owned()))
                .map_err(AppError::internal)?;
        }
        Ok(Bytes::from(w.into_inner().map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?))
    }
}

fn rfc3339(row: &ExportRow) -> String {
    row.confirmed_at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, a tab or a carriage
/// return first) gets a leading `'`, so that what a signer typed is shown, never run.
pub fn guard_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// A safe file name for the download: the slug's letters, digits and dashes, and the date.
pub fn file_name(slug: &str, today: chrono::NaiveDate) -> String {
    let safe: String =
        slug.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(80).collect::<String>().to_lowercase();
    format!("signatures-{safe}-{today}.csv")
}

/// The whole export as CSV: the header line, then the rows a page at a time.
pub fn csv_stream(db: Database, petition: Id, columns: Columns) -> impl Stream<Item = Result<Bytes, AppError>> {
    pages(db, petition, move |first, rows| columns.csv(first, rows))
}

/// Every confirmed signature, a page at a time, each page turned into bytes by `chunk`
/// (called once first with no rows, `first` true, for what comes before them). An error
/// ends the stream (the answer is cut short, and the error logged).
pub fn pages<F>(db: Database, petition: Id, chunk: F) -> impl Stream<Item = Result<Bytes, AppError>>
where
    F: Fn(bool, &[ExportRow]) -> Result<Bytes, AppError> + 'static,
{
    enum Step {
        Start,
        After(Option<Cursor>),
        Done,
    }
    futures_util::stream::unfold((Step::Start, db, petition, chunk), |(step, db, petition, chunk)| async move {
        match step {
            Step::Done => None,
            Step::Start => {
                let bytes = chunk(true, &[]);
                Some((bytes, (Step::After(None), db, petition, chunk)))
            }
            Step::After(cursor) => {
                let id = petition.clone();
                let read = db
                    .read_async(move |conn| {
                        export::page(conn, &id, cursor.as_ref(), export::MAX_PAGE).map_err(AppError::from)
                    })
                    .await;
                let rows = match read {
                    Ok(rows) => rows,
                    Err(e) => {
                        crate::error::log_if_internal(&e);
                        return Some((Err(e), (Step::Done, db, petition, chunk)));
                    }
                };
                if rows.is_empty() {
                    return None;
                }
                let next = match usize::try_from(export::MAX_PAGE).is_ok_and(|max| rows.len() >= max) {
                    true => Step::After(rows.last().map(ExportRow::cursor)),
                    false => Step::Done,
                };
                Some((chunk(false, &rows), (next, db, petition, chunk)))
            }
        }
    })
}

/// The printable list's rows (`<tr>`s): the name a signer made public, `anonymous` for
/// the others, and the places the petition asked; never an email.
pub fn print_rows(columns: &Columns, rows: &[ExportRow], anonymous: &str) -> Bytes {
    let mut html = String::with_capacity(rows.len() * 64);
    for row in rows {
        let name = row.name.as_deref().filter(|_| row.public).unwrap_or(anonymous);
        html.push_str("<tr><td>");
        html.push_str(&signons_render::escape_html(name));
        html.push_str("</td>");
        for (asked, value) in [(columns.country, &row.country), (columns.postal_code, &row.postal_code)] {
            if asked {
                html.push_str("<td>");
                html.push_str(&signons_render::escape_html(value.as_deref().unwrap_or("")));
                html.push_str("</td>");
            }
        }
        html.push_str("</tr>\n");
    }
    Bytes::from(html)
}

/// A person as OSDI has them: the whole name as typed in `name` (OSDI splits given and
/// family names; signers type one name), and the postal address when there is one.
fn osdi_person(name: Option<&str>, email_addresses: Vec<Value>, address: serde_json::Map<String, Value>) -> Value {
    let mut person = json!({ "name": name, "email_addresses": email_addresses });
    if !address.is_empty() {
        person["postal_addresses"] = json!([address]);
    }
    person
}

/// One signature as the API shows it, after OSDI's `osdi:signature`: `created_date`, the
/// `person` with `email_addresses` and `postal_addresses`, `comments`, `origin_system`.
fn osdi_signature(columns: &Columns, row: &ExportRow) -> Value {
    let emails = row.email.iter().map(|e| json!({ "address": e, "primary": true })).collect();
    let mut address = serde_json::Map::new();
    if columns.country {
        address.insert("country".into(), json!(row.country));
    }
    if columns.postal_code {
        address.insert("postal_code".into(), json!(row.postal_code));
    }
    let person = osdi_person(row.name.as_deref(), emails, address);
    json!({
        "identifiers": [format!("signons:{}", row.id)],
        "created_date": rfc3339(row),
        "origin_system": row.origin.as_deref().unwrap_or(&columns.host),
        "comments": row.comment,
        "comment_hidden": row.comment_hidden,
        "public": row.public,
        "opt_in": row.opt_in,
        "person": person,
    })
}

/// One page of the API's list.
#[derive(Serialize)]
pub struct ApiPage {
    pub total_records: i64,
    pub per_page: i64,
    pub total_pages: i64,
    /// The `cursor` of the next page; `null` on the last one.
    pub next_cursor: Option<String>,
    #[serde(rename = "_links")]
    pub links: Value,
    #[serde(rename = "_embedded")]
    pub embedded: Value,
}

/// A page of `per_page` signatures after `after`; `total` is the petition's count (its
/// counters, which invalidation and withdrawals keep right), `base` the list's URL.
pub async fn api_page(
    db: &Database,
    petition: Id,
    columns: &Columns,
    after: Option<Cursor>,
    per_page: i64,
    total: i64,
    base: &str,
) -> Result<ApiPage, AppError> {
    // One more than asked says whether a next page exists.
    let rows = db
        .read_async(move |conn| export::page(conn, &petition, after.as_ref(), per_page + 1).map_err(AppError::from))
        .await?;
    let more = rows.len() as i64 > per_page;
    let shown = &rows[..rows.len().min(usize::try_from(per_page).unwrap_or(0))];
    let next_cursor = more.then(|| shown.last().map(|r| r.cursor().encode())).flatten();
    let embedded = json!({ "osdi:signatures": shown.iter().map(|r| osdi_signature(columns, r)).collect::<Vec<_>>() });
    Ok(ApiPage::new(total, per_page, next_cursor, base, embedded))
}

impl ApiPage {
    /// A page of a list at `base`, with the `_links` to itself and to the next page.
    fn new(total: i64, per_page: i64, next_cursor: Option<String>, base: &str, embedded: Value) -> Self {
        let mut links = json!({ "self": { "href": format!("{base}?per_page={per_page}") } });
        if let Some(c) = &next_cursor {
            links["next"] = json!({ "href": format!("{base}?per_page={per_page}&cursor={c}") });
        }
        ApiPage {
            total_records: total,
            per_page,
            total_pages: (total + per_page - 1) / per_page.max(1),
            next_cursor,
            links,
            embedded,
        }
    }
}

/// One person as the API shows them, after OSDI's `osdi:person`: `email_addresses` with
/// `status` (`subscribed` while any of their signatures still asks news), the postal
/// address of their latest signature that gave one, and in `custom_fields.petitions` the
/// petitions they signed (slug, when, whether they asked its news).
fn osdi_person_of(person: &people::Person, slugs: &HashMap<Id, String>) -> Value {
    let subscribed = person.signed.iter().any(|s| s.opt_in);
    let status = if subscribed { "subscribed" } else { "unsubscribed" };
    let emails = vec![json!({ "address": person.email, "primary": true, "status": status })];
    let mut address = serde_json::Map::new();
    if let Some(c) = &person.country {
        address.insert("country".into(), json!(c));
    }
    if let Some(c) = &person.postal_code {
        address.insert("postal_code".into(), json!(c));
    }
    let mut json = osdi_person(Some(&person.name), emails, address);
    let date = |t: chrono::NaiveDateTime| t.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true);
    json["created_date"] = json!(person.signed.first().map(|s| date(s.confirmed_at)));
    json["modified_date"] = json!(person.signed.last().map(|s| date(s.confirmed_at)));
    let petitions: Vec<Value> = person
        .signed
        .iter()
        .map(|s| {
            json!({
                "slug": slugs.get(&s.petition),
                "signed_date": date(s.confirmed_at),
                "opt_in": s.opt_in,
            })
        })
        .collect();
    json["custom_fields"] = json!({ "petitions": petitions });
    json
}

/// A page of `per_page` people of `petitions` (id and slug) after `after`, `base` the
/// list's URL.
pub async fn people_page(
    db: &Database,
    petitions: Vec<(Id, String)>,
    after: Option<people::Cursor>,
    per_page: i64,
    base: &str,
) -> Result<ApiPage, AppError> {
    let ids: Vec<Id> = petitions.iter().map(|(id, _)| id.clone()).collect();
    let (total, found) = db
        .read_async(move |conn| -> Result<_, AppError> {
            let total = people::total(conn, &ids)?;
            // One more than asked says whether a next page exists.
            let found = people::page(conn, &ids, after.as_ref(), per_page + 1)?;
            Ok((total, found))
        })
        .await?;
    let slugs: HashMap<Id, String> = petitions.into_iter().collect();
    let more = found.len() as i64 > per_page;
    let shown = &found[..found.len().min(usize::try_from(per_page).unwrap_or(0))];
    let next_cursor = more.then(|| shown.last().map(|p| p.cursor().encode())).flatten();
    let embedded = json!({ "osdi:people": shown.iter().map(|p| osdi_person_of(p, &slugs)).collect::<Vec<_>>() });
    Ok(ApiPage::new(total, per_page, next_cursor, base, embedded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_shown_not_run() {
        for cell in ["=1+1", "+33 1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(guard_formula(cell), format!("'{cell}"));
        }
        for cell in ["", "Ann", "a=b", "'quoted"] {
            assert_eq!(guard_formula(cell), cell);
        }
    }

    #[test]
    fn printed_names_are_escaped_and_private_ones_anonymous() {
        let columns = Columns { country: true, postal_code: false, host: "a.example".into() };
        let row = |name: &str, public: bool| ExportRow {
            id: name.into(),
            name: Some(name.into()),
            email: Some("x@example.org".into()),
            country: Some("FR".into()),
            postal_code: Some("75001".into()),
            comment: None,
            comment_hidden: false,
            public,
            opt_in: Some(true),
            confirmed_at: chrono::NaiveDateTime::default(),
            origin: None,
        };
        let html = print_rows(&columns, &[row("<b>Ann</b>", true), row("Bob", false)], "Anonymous");
        let html = String::from_utf8_lossy(&html);
        assert_eq!(
            html,
            "<tr><td>&lt;b&gt;Ann&lt;&#x2F;b&gt;</td><td>FR</td></tr>\n<tr><td>Anonymous</td><td>FR</td></tr>\n"
        );
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default();
        assert_eq!(file_name("keep-the-park", day), "signatures-keep-the-park-2026-12-02.csv");
        assert_eq!(file_name("a\"b;c/../d\r\n", day), "signatures-abcd-2026-12-02.csv");
    }
}
