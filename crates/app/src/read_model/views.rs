//! What pages and the API show of a petition (local or remote) and of its news: plain
//! data built from the domain types, nothing loaded here.

use chrono::{NaiveDateTime, SubsecRound};
use serde::Serialize;
use signons_petition::image::StoredImage;
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
    /// The goal its organizers set.
    pub goal: i64,
    /// Whether they fixed it: otherwise the goal shown steps up once reached.
    pub goal_fixed: bool,
    /// The goal its pages show: `goal`, or once reached (and not fixed) the next step
    /// (100 → 200 → 500 → 1,000 …).
    pub displayed_goal: i64,
    pub total_signatures: i64,
    /// Progress toward the displayed goal, 0 to 100.
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
    /// Its picture; null when it has none.
    pub picture: Option<ImageView>,
}

/// A stored image as pages show it (a petition's picture, an organization's logo): an
/// `<img>` with its `srcset` (`partials/image.html`), and the absolute address of its
/// widest file (the shared link's preview, the ActivityPub `icon`).
#[derive(Debug, Clone, Serialize)]
pub struct ImageView {
    /// The file an `<img src>` names (about 960 pixels for a picture, 128 for a logo, or
    /// the widest, when narrower), and its size.
    pub src: String,
    pub width: u32,
    pub height: u32,
    /// Every file and its width: `/media/…-480.jpg 480w, …`.
    pub srcset: String,
    pub alt: String,
    /// The widest file, absolute, and its size.
    pub url: String,
    pub url_width: u32,
    pub url_height: u32,
}

impl ImageView {
    pub fn new<I: StoredImage>(image: &I, alt: &str, public_url: &str) -> Self {
        let widths = image.widths();
        let widest = widths.last().copied().unwrap_or(1);
        let shown = widths.iter().copied().find(|w| *w >= I::SIZES.shown()).unwrap_or(widest);
        ImageView {
            src: format!("/media/{}", image.file(shown)),
            width: shown,
            height: image.height_at(shown),
            srcset: widths.iter().map(|w| format!("/media/{} {w}w", image.file(*w))).collect::<Vec<_>>().join(", "),
            alt: alt.to_owned(),
            url: format!("{public_url}/media/{}", image.file(widest)),
            url_width: widest,
            url_height: image.height_at(widest),
        }
    }

    pub fn picture(p: &signons_petition::picture::Picture, public_url: &str) -> Self {
        ImageView::new(p, &p.alt, public_url)
    }

    /// A logo's alternative text is its organization's name.
    pub fn logo(logo: &signons_petition::logo::Logo, organization: &str, public_url: &str) -> Self {
        ImageView::new(logo, organization, public_url)
    }
}

impl PetitionView {
    /// Views of many petitions, each with its count from `totals` (0 when it has none).
    pub fn all(petitions: &[Petition], totals: &HashMap<Id, i64>, public_url: &str) -> Vec<Self> {
        petitions.iter().map(|p| PetitionView::new(p, totals.get(&p.id).copied().unwrap_or(0), public_url)).collect()
    }

    pub fn new(p: &Petition, count: i64, public_url: &str) -> Self {
        let displayed_goal = p.shown_goal(count);
        let percent = if displayed_goal > 0 { (count.saturating_mul(100) / displayed_goal).clamp(0, 100) } else { 0 };
        PetitionView {
            slug: p.slug.clone(),
            url: format!("{public_url}/p/{}", p.slug),
            title: p.title.clone(),
            target: p.target.clone(),
            organization: p.organization.name.clone(),
            organization_slug: p.organization.slug.clone(),
            description_html: p.description_html.clone(),
            goal: p.goal,
            goal_fixed: p.goal_fixed,
            displayed_goal,
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
            picture: p.picture.as_ref().map(|picture| ImageView::picture(picture, public_url)),
        }
    }
}

/// The decision maker's response, as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct ResponseView {
    pub responder: String,
    /// As written (Markdown), and rendered and sanitized.
    pub text: String,
    pub text_html: SafeHtml,
    /// RFC 3339, in UTC; and the day, for pages.
    pub posted_at: String,
    pub updated_at: String,
    pub updated_on: String,
}

impl ResponseView {
    pub fn new(r: &signons_petition::response::Response) -> Self {
        ResponseView {
            responder: r.responder.clone(),
            text: r.markdown.clone(),
            text_html: r.html.clone(),
            posted_at: signons_federation::objects::timestamp(r.posted_at),
            updated_at: signons_federation::objects::timestamp(r.updated_at),
            updated_on: r.updated_at.format("%Y-%m-%d").to_string(),
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
            organization: p.organization_handle(),
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
    /// `open`, `closed` or `won`.
    pub status: String,
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
            goal: p.displayed_goal,
            percent: p.percent,
            open: p.status == PetitionStatus::Open,
            status: p.status.as_str().to_owned(),
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
            status: p.status.clone(),
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

/// A recent public signer as the petition page shows them: how long ago they signed is
/// said when the page is rendered (the snapshot and the page are a second or so old), and
/// the exact time goes in the `<time>` element.
#[derive(Debug, Clone, Serialize)]
pub struct SignerView {
    /// The signature's id, for its organizers' button that hides the comment (the page
    /// shows it only to them); `None` for another instance's signer.
    pub id: Option<String>,
    pub name: String,
    /// Their place, as they typed it.
    pub country: Option<String>,
    pub comment: Option<String>,
    /// RFC 3339, in UTC.
    pub confirmed_at: String,
    /// "2 minutes ago", in the page's language.
    pub ago: String,
}

impl SignerView {
    pub fn all(signers: &[signons_signature::PublicSigner], locale: signons_render::Locale) -> Vec<Self> {
        let now = signons_store::now();
        signers
            .iter()
            .map(|s| SignerView {
                id: s.id.as_ref().map(|id| id.as_str().to_owned()),
                name: s.name.clone(),
                country: s.country.clone(),
                comment: s.comment.clone(),
                confirmed_at: signons_federation::objects::timestamp(s.confirmed_at),
                ago: signons_render::relative_time(locale, s.confirmed_at, now),
            })
            .collect()
    }
}

/// A recent public signer as the API gives them (`GET /api/v1/petitions/{slug}/signers`):
/// what the page shows, the comment gone once its organizers hid it.
#[derive(Debug, Clone, Serialize)]
pub struct ApiSigner {
    pub name: String,
    pub country: Option<String>,
    pub comment: Option<String>,
    /// RFC 3339, in UTC.
    pub confirmed_at: String,
}

impl ApiSigner {
    pub fn new(s: &signons_signature::PublicSigner) -> Self {
        ApiSigner {
            name: s.name.clone(),
            country: s.country.clone(),
            comment: s.comment.clone(),
            confirmed_at: signons_federation::objects::timestamp(s.confirmed_at),
        }
    }
}

/// A petition's breakdown maps drawn for one language: by country first, then by
/// département (none when it asks for neither or none of its signatures falls on a shape).
pub fn map_views(
    maps: &signons_render::map::Maps,
    places: &signons_render::map::Breakdowns,
    locale: signons_render::Locale,
) -> Vec<signons_render::map::MapView> {
    use signons_render::map::MapKind;
    [(MapKind::Countries, &places.countries), (MapKind::Departements, &places.departements)]
        .into_iter()
        .filter_map(|(kind, b)| b.as_ref().map(|b| maps.view(kind, b, locale)))
        .collect()
}
