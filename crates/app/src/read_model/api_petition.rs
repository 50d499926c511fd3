//! A local petition as the JSON API shows it: the page's view, its Markdown, and its
//! count broken down by the instance that collected the signatures.

use crate::read_model::views::PetitionView;
use serde::Serialize;
use signons_petition::Petition;
use std::collections::BTreeMap;

#[derive(Serialize)]
pub struct ApiPetition {
    #[serde(flatten)]
    pub view: PetitionView,
    pub description: String,
    /// The victory message as written (Markdown), once won.
    pub victory_message: Option<String>,
    /// Confirmed signatures, by the instance that collected them.
    pub signatures_by_instance: BTreeMap<String, i64>,
    /// The decision maker's response, once posted; null before.
    pub response: Option<crate::read_model::views::ResponseView>,
}

impl ApiPetition {
    /// `count` is the whole count; `by_origin`, the part other instances collected (by
    /// host), the rest being this instance's.
    pub fn new(public_url: &str, p: &Petition, count: i64, by_origin: &[(String, i64)]) -> Self {
        ApiPetition {
            view: PetitionView::new(p, count, public_url),
            description: p.description_md.clone(),
            victory_message: p.victory.as_ref().map(|v| v.markdown.clone()),
            signatures_by_instance: crate::read_model::views::by_instance(public_url, count, by_origin),
            response: None,
        }
    }
}
