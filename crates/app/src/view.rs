//! What templates and the API show of a petition.

use chrono::NaiveDateTime;
use serde::Serialize;
use signons_petition::{Petition, PetitionStatus, SafeHtml};

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
    pub published_at: Option<NaiveDateTime>,
}

impl PetitionView {
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
            published_at: p.published_at,
        }
    }
}
