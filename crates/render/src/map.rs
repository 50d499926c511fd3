//! The breakdown maps: a petition's signatures by country on a world map, and by French
//! département (the first digits of a code postal), drawn on the server as SVG with no tile
//! server and no script. The shapes come from `web/maps/` (the `@svg-maps` packages,
//! simplified by `tools/maps.py`; see its README), embedded in the binary and parsed once
//! when the renderer is made.
//!
//! Two steps, so that the costly one happens once per petition snapshot: `Maps::breakdowns`
//! turns the counts the database grouped by what signers typed into counts per shape, and
//! `Maps::view` draws one breakdown for one language (shapes, classes, titles, legend, table).

use crate::Locale;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use thiserror::Error;

const WORLD: &str = include_str!("../../../web/maps/world.json");
const DEPARTEMENTS: &str = include_str!("../../../web/maps/fr-departements.json");

/// How many colour classes a map uses at most.
pub const CLASSES: usize = 5;

#[derive(Debug, Error)]
#[error("map data {name} is not valid: {source}")]
pub struct MapError {
    name: &'static str,
    source: serde_json::Error,
}

#[derive(Debug, Deserialize)]
struct Atlas {
    width: u32,
    height: u32,
    shapes: Vec<Shape>,
    /// Country names (the world map only), by ISO code: English and French, the first of
    /// each being the one shown, the others alternatives signers may type.
    #[serde(default)]
    names: HashMap<String, Names>,
}

#[derive(Debug, Deserialize)]
struct Shape {
    id: String,
    name: String,
    d: String,
}

/// A country's names by language tag (`en`, `fr`: those `tools/maps.py` writes), the usual
/// one first. A language without its own names shows the English ones.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
struct Names(HashMap<String, Vec<String>>);

impl Names {
    fn all(&self) -> impl Iterator<Item = &String> {
        self.0.values().flatten()
    }

    fn first_in(&self, locale: Locale) -> Option<&String> {
        self.0.get(locale.code()).or_else(|| self.0.get("en")).and_then(|names| names.first())
    }
}

/// Which map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MapKind {
    Countries,
    Departements,
}

/// Signatures per shape (largest first), and those no shape takes: a place not recognised,
/// not given, or (on public pages) in a cell too small to show on its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breakdown {
    pub cells: Vec<(String, i64)>,
    pub other: i64,
}

impl Breakdown {
    pub fn total(&self) -> i64 {
        self.cells.iter().map(|(_, n)| n).sum::<i64>() + self.other
    }

    fn from_counts(counts: HashMap<String, i64>, mut other: i64, min_cell: i64) -> Option<Self> {
        let mut cells: Vec<(String, i64)> = Vec::with_capacity(counts.len());
        for (code, n) in counts {
            if n >= min_cell {
                cells.push((code, n));
            } else {
                other += n;
            }
        }
        if cells.is_empty() {
            return None;
        }
        cells.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Some(Breakdown { cells, other })
    }
}

/// A petition's maps: each `None` when the petition does not ask for it or no signature
/// falls on one of its shapes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breakdowns {
    pub countries: Option<Breakdown>,
    pub departements: Option<Breakdown>,
}

/// Signatures grouped as the database can: the country as typed, the first three
/// characters of a five-character postal code (upper-cased; `None` for another length or
/// none), and how many.
pub type PlaceCount = (Option<String>, Option<String>, i64);

/// The map data, parsed.
pub struct Maps {
    world: Atlas,
    departements: Atlas,
    /// Lower-cased codes and names (English and French, alternatives too) to ISO codes.
    by_name: HashMap<String, String>,
}

impl std::fmt::Debug for Maps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Maps").field("countries", &self.world.shapes.len()).finish_non_exhaustive()
    }
}

impl Maps {
    pub fn load() -> Result<Self, MapError> {
        let world: Atlas = serde_json::from_str(WORLD).map_err(|source| MapError { name: "world.json", source })?;
        let departements: Atlas =
            serde_json::from_str(DEPARTEMENTS).map_err(|source| MapError { name: "fr-departements.json", source })?;
        let mut by_name = HashMap::new();
        for (code, names) in &world.names {
            for name in names.all() {
                by_name.insert(name.to_lowercase(), code.clone());
            }
            by_name.insert(code.to_lowercase(), code.clone());
        }
        // What people write that is no ISO code: the United Kingdom's usual abbreviation.
        by_name.insert("uk".into(), "GB".into());
        Ok(Maps { world, departements, by_name })
    }

    /// The ISO 3166-1 code of a country as a signer typed it: a code, or a name in English
    /// or French (case does not matter).
    pub fn country_code(&self, typed: &str) -> Option<&str> {
        self.by_name.get(&typed.trim().to_lowercase()).map(String::as_str)
    }

    /// The département of a French postal code's first three characters: its first two
    /// digits, Corsica's `20` split into 2A (200xx, 201xx) and 2B (202xx, 206xx). `None`
    /// for the overseas ones (97x, 98x: not on the map) and anything else.
    pub fn departement(prefix: &str) -> Option<String> {
        let b = prefix.as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let code = match (&prefix[..2], b[2]) {
            ("20", b'0' | b'1') => "2A".to_owned(),
            ("20", _) => "2B".to_owned(),
            ("00", _) => return None,
            (two, _) if two < "96" => two.to_owned(),
            _ => return None,
        };
        Some(code)
    }

    /// Counts per shape. A postal code counts toward a département when the petition does not
    /// ask the country (its codes are taken as French) or the signer's country is France.
    /// Départements under `min_cell` signatures join "other" (public pages hide small cells).
    pub fn breakdowns(
        &self,
        groups: &[PlaceCount],
        ask_country: bool,
        ask_postal_code: bool,
        min_cell: i64,
    ) -> Breakdowns {
        let (mut countries, mut other_countries) = (HashMap::new(), 0);
        let (mut departements, mut other_departements) = (HashMap::new(), 0);
        for (country, prefix, n) in groups {
            let code = country.as_deref().and_then(|c| self.country_code(c));
            match code {
                Some(code) => *countries.entry(code.to_owned()).or_insert(0) += n,
                None => other_countries += n,
            }
            let french = !ask_country || code == Some("FR");
            match prefix.as_deref().filter(|_| french).and_then(Maps::departement) {
                Some(d) => *departements.entry(d).or_insert(0) += n,
                None => other_departements += n,
            }
        }
        Breakdowns {
            // A country is too large to single anyone out: only postal areas get `min_cell`.
            countries: ask_country.then(|| Breakdown::from_counts(countries, other_countries, 1)).flatten(),
            departements: ask_postal_code
                .then(|| Breakdown::from_counts(departements, other_departements, min_cell))
                .flatten(),
        }
    }

    /// A shape's name in the visitor's language (départements keep their French names).
    fn name(&self, kind: MapKind, code: &str, locale: Locale) -> Option<String> {
        match kind {
            MapKind::Countries => self.world.names.get(code).and_then(|n| n.first_in(locale)),
            MapKind::Departements => self.departements.shapes.iter().find(|s| s.id == code).map(|s| &s.name),
        }
        .cloned()
    }

    /// The map and its table, for one language.
    pub fn view(&self, kind: MapKind, breakdown: &Breakdown, locale: Locale) -> MapView {
        let atlas = match kind {
            MapKind::Countries => &self.world,
            MapKind::Departements => &self.departements,
        };
        let counts: HashMap<&str, i64> = breakdown.cells.iter().map(|(c, n)| (c.as_str(), *n)).collect();
        let max = breakdown.cells.iter().map(|(_, n)| *n).max().unwrap_or(0);
        let scale = Scale::new(max);
        let shapes = atlas
            .shapes
            .iter()
            .map(|s| {
                let name = self.name(kind, &s.id, locale).unwrap_or_else(|| s.name.clone());
                match counts.get(s.id.as_str()) {
                    Some(&n) => ShapeView {
                        d: s.d.clone(),
                        class: Some(scale.colour(n)),
                        title: signature_title(locale, &name, n),
                    },
                    None => ShapeView { d: s.d.clone(), class: None, title: name },
                }
            })
            .collect();
        let total = breakdown.total();
        let mut rows: Vec<RowView> = breakdown
            .cells
            .iter()
            .map(|(code, n)| RowView {
                label: self.name(kind, code, locale).map(|name| match kind {
                    MapKind::Countries => name,
                    MapKind::Departements => format!("{code} {name}"),
                }),
                signatures: *n,
                percent: percent(*n, total),
            })
            .collect();
        if breakdown.other > 0 {
            rows.push(RowView { label: None, signatures: breakdown.other, percent: percent(breakdown.other, total) });
        }
        MapView {
            kind,
            width: atlas.width,
            height: atlas.height,
            shapes,
            legend: scale.legend(locale),
            rows,
            places: breakdown.cells.len(),
            total,
        }
    }
}

fn signature_title(locale: Locale, name: &str, n: i64) -> String {
    crate::Renderer::translate(locale, "map-shape-title", &[("name", name.into()), ("count", n.into())])
}

fn percent(part: i64, whole: i64) -> i64 {
    if whole > 0 {
        (part * 100 + whole / 2) / whole
    } else {
        0
    }
}

/// A drawn map, ready for `partials/map.html`.
#[derive(Debug, Clone, Serialize)]
pub struct MapView {
    pub kind: MapKind,
    pub width: u32,
    pub height: u32,
    pub shapes: Vec<ShapeView>,
    pub legend: Vec<LegendItem>,
    /// The table, the map's accessible equivalent: each shape with signatures, largest
    /// first, then "other" (no label).
    pub rows: Vec<RowView>,
    /// How many shapes have signatures, and the signatures the table sums.
    pub places: usize,
    pub total: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShapeView {
    pub d: String,
    /// `c0` (fewest) … `c4` (most); `None` for a shape without signatures (neutral).
    pub class: Option<&'static str>,
    /// "France: 1,234 signatures", or only the name.
    pub title: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LegendItem {
    pub class: &'static str,
    /// "1", "4–16", "296–1,234".
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RowView {
    pub label: Option<String>,
    pub signatures: i64,
    pub percent: i64,
}

/// The colour classes of a map whose largest cell is `max`: at most `CLASSES`, their
/// lower bounds growing geometrically from 1 to `max` (a petition's signatures pile up in a
/// few places, so even steps would leave all but one in the palest class). Fewer classes
/// when `max` is small, each then spread over the whole palette.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scale {
    /// Each class's lowest count, increasing; the last class goes up to `max`.
    lower: Vec<i64>,
    max: i64,
}

/// The sequential palette's classes, palest first (ColorBrewer Blues, safe for every common
/// colour blindness; the colours themselves are in `signons.css`).
const PALETTE: [&str; CLASSES] = ["c0", "c1", "c2", "c3", "c4"];

impl Scale {
    pub fn new(max: i64) -> Self {
        let max = max.max(1);
        let mut lower: Vec<i64> = Vec::with_capacity(CLASSES);
        for i in 0..CLASSES {
            let bound = ((max as f64).powf(i as f64 / CLASSES as f64)).round() as i64;
            let bound = bound.clamp(1, max);
            if lower.last().is_none_or(|last| bound > *last) {
                lower.push(bound);
            }
        }
        Scale { lower, max }
    }

    /// The index of `n`'s class.
    pub fn class_of(&self, n: i64) -> usize {
        self.lower.iter().rposition(|low| n >= *low).unwrap_or(0)
    }

    /// The CSS class of `n`: classes spread over the palette, the last always the darkest.
    pub fn colour(&self, n: i64) -> &'static str {
        self.palette(self.class_of(n))
    }

    fn palette(&self, class: usize) -> &'static str {
        let k = self.lower.len();
        let index = if k <= 1 { CLASSES - 1 } else { class * (CLASSES - 1) / (k - 1) };
        PALETTE[index.min(CLASSES - 1)]
    }

    /// Each class's colour and range of counts, in the visitor's language.
    pub fn legend(&self, locale: Locale) -> Vec<LegendItem> {
        let n = |v: i64| crate::format_number(locale, v);
        (0..self.lower.len())
            .map(|i| {
                let low = self.lower[i];
                let high = self.lower.get(i + 1).map(|next| next - 1).unwrap_or(self.max);
                let label = if low == high { n(low) } else { format!("{}–{}", n(low), n(high)) };
                LegendItem { class: self.palette(i), label }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_grow_geometrically_and_cover_every_count() {
        let s = Scale::new(1234);
        assert_eq!(s.lower, vec![1, 4, 17, 72, 297]);
        assert_eq!(s.class_of(1), 0);
        assert_eq!(s.class_of(3), 0);
        assert_eq!(s.class_of(4), 1);
        assert_eq!(s.class_of(296), 3);
        assert_eq!(s.class_of(1234), 4);
        assert_eq!(s.colour(1234), "c4");
        let legend: Vec<String> = s.legend(Locale::En).into_iter().map(|l| l.label).collect();
        assert_eq!(legend, ["1–3", "4–16", "17–71", "72–296", "297–1,234"]);
        assert_eq!(s.legend(Locale::Fr)[4].label, "297–1\u{202F}234");
    }

    #[test]
    fn few_signatures_make_few_classes_spread_over_the_palette() {
        let s = Scale::new(2);
        assert_eq!(s.lower, vec![1, 2]);
        assert_eq!((s.colour(1), s.colour(2)), ("c0", "c4"));
        let one = Scale::new(1);
        assert_eq!(one.lower, vec![1]);
        assert_eq!(one.colour(1), "c4");
        assert_eq!(one.legend(Locale::En)[0].label, "1");
    }

    #[test]
    fn the_map_data_parses_and_names_countries_in_both_languages() {
        let maps = Maps::load().unwrap();
        assert!(maps.world.shapes.iter().any(|s| s.id == "FR"));
        assert_eq!(maps.departements.shapes.len(), 96);
        assert_eq!(maps.country_code("fr"), Some("FR"));
        assert_eq!(maps.country_code(" Allemagne "), Some("DE"));
        assert_eq!(maps.country_code("Germany"), Some("DE"));
        assert_eq!(maps.country_code("UK"), Some("GB"));
        assert_eq!(maps.country_code("Atlantis"), None);
        assert_eq!(maps.name(MapKind::Countries, "DE", Locale::Fr).as_deref(), Some("Allemagne"));
    }

    #[test]
    fn postal_codes_find_their_departement() {
        assert_eq!(Maps::departement("750").as_deref(), Some("75"));
        assert_eq!(Maps::departement("011").as_deref(), Some("01"));
        assert_eq!(Maps::departement("200").as_deref(), Some("2A"));
        assert_eq!(Maps::departement("202").as_deref(), Some("2B"));
        assert_eq!(Maps::departement("971"), None);
        assert_eq!(Maps::departement("SW1"), None);
    }

    #[test]
    fn breakdowns_merge_small_cells_and_unknown_places_into_other() {
        let maps = Maps::load().unwrap();
        let groups = vec![
            (Some("France".into()), Some("750".into()), 3),
            (Some("FR".into()), Some("130".into()), 1),
            (Some("DE".into()), Some("101".into()), 4),
            (Some("Atlantis".into()), None, 2),
        ];
        let b = maps.breakdowns(&groups, true, true, 3);
        let countries = b.countries.unwrap();
        assert_eq!(countries.cells, vec![("DE".into(), 4), ("FR".into(), 4)]);
        assert_eq!(countries.other, 2);
        let departements = b.departements.unwrap();
        assert_eq!(departements.cells, vec![("75".into(), 3)]);
        assert_eq!(departements.other, 7);
        assert_eq!(maps.breakdowns(&groups, false, false, 1), Breakdowns::default());
    }

    #[test]
    fn a_view_titles_its_shapes_and_ends_its_table_with_other() {
        let maps = Maps::load().unwrap();
        let b = Breakdown { cells: vec![("FR".into(), 1234), ("DE".into(), 1)], other: 5 };
        let v = maps.view(MapKind::Countries, &b, Locale::Fr);
        let fr = v.shapes.iter().find(|s| s.title.starts_with("France")).unwrap();
        assert_eq!(fr.title, "France\u{a0}: 1\u{202F}234 signatures");
        assert_eq!(fr.class, Some("c4"));
        assert!(v.shapes.iter().any(|s| s.class.is_none() && s.title == "Brésil"));
        assert_eq!(v.rows.last().map(|r| (r.label.clone(), r.signatures)), Some((None, 5)));
        assert_eq!(v.total, 1240);
    }
}
