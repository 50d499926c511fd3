//! What pages and the API show of a petition (local or remote) and of its news: plain
//! data built from the domain types, nothing loaded here.

use chrono::{NaiveDateTime, SubsecRound};
use serde::Serialize;
use signons_petition::{Petition, PetitionStatus, SafeHtml};
use signons_store::Id;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
pub struct PetitionView {
    pub slug: String,
    pub url: String,
    pub title: String,
    pub target: String,
    pub organization: String,
    pub organization_slug: String,
    pub description_html: SafeHtml,
    pub goal: i64,
    pub total_signatures: i64,
    /// Progress toward the goal, 0 to 100.
    pub percent: i64,
    pub status: PetitionStatus,
    pub end_date: Option<String>,
    pub ask_country: bool,
    pub ask_postal_code: bool,
    pub accepts_signatures: bool,
    /// RFC 3339, in UTC (`2026-12-02T19:36:57Z`), as every time the API gives.
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Always false: see `RemotePetitionView`.
    pub remote: bool,
    /// The organizations that carry it beside its own.
    pub partners: Vec<signons_petition::Partner>,
    /// When its text last changed after publication: RFC 3339 (API), and the day (pages).
    pub edited_at: Option<String>,
    pub edited_on: Option<String>,
    /// Once won: when, and its organizers' message (sanitized HTML).
    pub won_at: Option<String>,
    pub victory_html: Option<SafeHtml>,
    /// Closed, and could take signatures again now (its end date not passed).
    pub can_reopen: bool,
    /// Why the moderators hid it, while hidden (only its organizers see it: a hidden
    /// petition is in no public list nor the API).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden_reason: Option<String>,
}

impl PetitionView {
    /// Views of many petitions, each with its count from `totals` (0 when it has none).
    pub fn all(petitions: &[Petition], totals: &HashMap<Id, i64>, public_url: &str) -> Vec<Self> {
        petitions.iter().map(|p| PetitionView::new(p, totals.get(&p.id).copied().unwrap_or(0), public_url)).collect()
    }

    pub fn new(p: &Petition, count: i64, public_url: &str) -> Self {
        let percent = if p.goal > 0 { (count.saturating_mul(100) / p.goal).clamp(0, 100) } else { 0 };
        PetitionView {
            slug: p.slug.clone(),
            url: format!("{public_url}/p/{}", p.slug),
            title: p.title.clone(),
            target: p.target.clone(),
            organization: p.organization.name.clone(),
            organization_slug: p.organization.slug.clone(),
            description_html: p.description_html.clone(),
            goal: p.goal,
            total_signatures: count,
            percent,
            status: p.status,
            end_date: p.end_date().map(|d| d.format("%Y-%m-%d").to_string()),
            ask_country: p.ask_country,
            ask_postal_code: p.ask_postal_code,
            accepts_signatures: p.accepts_signatures(signons_store::now()),
            published_at: p.published_at.map(|t| t.and_utc().trunc_subsecs(0)),
            remote: false,
            partners: p.partners.as_slice().to_vec(),
            edited_at: p.edited_at.map(signons_federation::objects::timestamp),
            edited_on: p.edited_at.map(|d| d.format("%Y-%m-%d").to_string()),
            won_at: p.won_at.map(signons_federation::objects::timestamp),
            victory_html: p.victory.as_ref().map(|v| v.html.clone()),
            can_reopen: p.can_reopen(signons_store::now()),
            hidden_reason: p.hidden_reason.clone(),
        }
    }
}

/// A petition received from another instance (`slug@host`), as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct RemotePetitionView {
    /// `slug@host`: how it is addressed here.
    pub slug: String,
    /// Its page on this instance.
    pub url: String,
    /// Its page on its home instance, where it is signed.
    pub origin_url: String,
    pub host: String,
    pub title: String,
    pub target: String,
    pub description_html: String,
    pub goal: i64,
    pub total_signatures: i64,
    pub percent: i64,
    pub status: String,
    pub end_date: Option<String>,
    pub remote: bool,
    /// Its organization, as `name@host` (the documents carry its address, not its name).
    pub organization: String,
    pub ask_country: bool,
    pub ask_postal_code: bool,
    pub accepts_signatures: bool,
    pub partners: Vec<signons_petition::Partner>,
    /// The names of its partners that are organizations of this instance: a signer here
    /// asks news from them.
    pub local_partners: Vec<String>,
    /// Once won, its organizers' message, as its instance sent it (sanitized here).
    pub victory_html: Option<String>,
    /// When its text last changed after publication, as its instance said: the day.
    pub edited_on: Option<String>,
}

impl RemotePetitionView {
    pub fn new(p: &signons_federation::remote::RemotePetition, public_url: &str) -> Self {
        let count = p.signature_count;
        let percent =
            if p.signature_goal > 0 { (count.saturating_mul(100) / p.signature_goal).clamp(0, 100) } else { 0 };
        RemotePetitionView {
            slug: p.handle(),
            url: format!("{public_url}/p/{}", p.handle()),
            // Checked when received (`remote_link`); a row kept before that check with
            // another scheme links to the page here rather than to whatever it holds.
            origin_url: if p.page_url.starts_with("https://") || p.page_url.starts_with("http://") {
                p.page_url.clone()
            } else {
                format!("{public_url}/p/{}", p.handle())
            },
            host: p.host.clone(),
            title: p.title.clone(),
            target: p.target.clone(),
            description_html: p.summary_html.clone(),
            goal: p.signature_goal,
            total_signatures: count,
            percent,
            status: p.status.clone(),
            end_date: p.end_at.map(|d| d.format("%Y-%m-%d").to_string()),
            remote: true,
            organization: organization_handle(&p.attributed_to, &p.host),
            ask_country: p.ask_country,
            ask_postal_code: p.ask_postal_code,
            accepts_signatures: p.accepts_signatures(signons_store::now()),
            partners: p.partners.as_slice().to_vec(),
            local_partners: p
                .partners
                .as_slice()
                .iter()
                .filter(|x| x.id.starts_with(&format!("{public_url}/o/")))
                .map(|x| x.name.clone())
                .collect(),
            victory_html: p.victory_html.clone().filter(|_| p.status == "won"),
            edited_on: p.edited_at.map(|d| d.format("%Y-%m-%d").to_string()),
        }
    }
}

/// A petition's count by instance: `by_origin` (what other instances collected, by host)
/// and the rest of `count` under this instance's own host.
pub fn by_instance(
    public_url: &str,
    count: i64,
    by_origin: &[(String, i64)],
) -> std::collections::BTreeMap<String, i64> {
    let host = url::Url::parse(public_url).ok().and_then(|u| signons_federation::urls::host_of(&u)).unwrap_or_default();
    let remote: i64 = by_origin.iter().map(|(_, n)| n).sum();
    let mut by: std::collections::BTreeMap<String, i64> = by_origin.iter().cloned().collect();
    by.insert(host, count - remote);
    by
}

/// `name@host` for an organization's address `https://host/o/name`; the host alone for
/// any other address.
fn organization_handle(url: &str, host: &str) -> String {
    match url.rsplit_once("/o/") {
        Some((_, name)) if !name.is_empty() && !name.contains('/') => format!("{name}@{host}"),
        _ => host.to_owned(),
    }
}

/// A petition in the listing page (`GET /petitions`), where this instance's petitions and
/// those of the instances it follows are shown together: a remote one is marked with its
/// home instance, a local one with its organization.
#[derive(Debug, Clone, Serialize)]
pub struct ListedPetition {
    /// How it is addressed here (`/p/{handle}`): its slug, or `slug@host` for another
    /// instance's.
    pub handle: String,
    pub title: String,
    pub target: String,
    pub total_signatures: i64,
    pub goal: i64,
    pub percent: i64,
    pub open: bool,
    /// The organization of a petition of this instance.
    pub organization: Option<String>,
    /// The home instance (`host[:port]`) of a petition of another instance.
    pub host: Option<String>,
}

impl ListedPetition {
    pub fn local(p: &PetitionView) -> Self {
        ListedPetition {
            handle: p.slug.clone(),
            title: p.title.clone(),
            target: p.target.clone(),
            total_signatures: p.total_signatures,
            goal: p.goal,
            percent: p.percent,
            open: p.status == PetitionStatus::Open,
            organization: Some(p.organization.clone()),
            host: None,
        }
    }

    pub fn remote(p: &RemotePetitionView) -> Self {
        ListedPetition {
            handle: p.slug.clone(),
            title: p.title.clone(),
            target: p.target.clone(),
            total_signatures: p.total_signatures,
            goal: p.goal,
            percent: p.percent,
            open: p.status == "open",
            organization: None,
            host: Some(p.host.clone()),
        }
    }
}

/// A petition's news or milestone, on its page (local or remote) and in the API.
#[derive(Debug, Clone, Serialize)]
pub struct NewsView {
    /// Sanitized HTML: ours from Markdown, another instance's through `clean_html`.
    pub content_html: String,
    /// RFC 3339, for the API.
    pub published_at: String,
    /// The day, for pages.
    pub date: String,
}

impl NewsView {
    pub fn new(content_html: String, at: NaiveDateTime) -> Self {
        NewsView {
            content_html,
            published_at: signons_federation::objects::timestamp(at),
            date: at.format("%Y-%m-%d").to_string(),
        }
    }
}
