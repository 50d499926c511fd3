//! Coalitions: the partner organizations that carry a petition beside its own, each of
//! this instance or of another, named by its ActivityPub actor. Each partner's instance
//! collects its own signers and their opt-ins for that partner; the petition's count is
//! one. Kept as a JSON column of the petition (a short list, read with it every time).

use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};

/// The most partners a petition names.
pub const MAX_PARTNERS: usize = 20;
const MAX_NAME: usize = 200;

/// One partner organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partner {
    /// Its actor (`https://host/o/name`).
    pub id: String,
    pub name: String,
    /// `name@host`, how people find it.
    pub handle: String,
}

/// A petition's partners, in the order its organizers gave.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, FromSqlRow)]
#[serde(transparent)]
pub struct Partners(Vec<Partner>);

/// Why a list of partners is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartnersError {
    #[error("at most {MAX_PARTNERS} partners")]
    TooMany,
    #[error("a partner needs an http(s) actor id, a name and a handle")]
    Malformed,
}

impl Partners {
    /// Checks and trims each partner; the same actor named twice is kept once.
    pub fn new(partners: Vec<Partner>) -> Result<Self, PartnersError> {
        if partners.len() > MAX_PARTNERS {
            return Err(PartnersError::TooMany);
        }
        let mut kept: Vec<Partner> = Vec::with_capacity(partners.len());
        for p in partners {
            let clean = |s: &str| s.chars().filter(|c| !c.is_control()).take(MAX_NAME).collect::<String>();
            let (name, handle) = (clean(p.name.trim()), clean(p.handle.trim()));
            let id_ok =
                url::Url::parse(&p.id).is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
            if !id_ok || name.trim().is_empty() || handle.is_empty() {
                return Err(PartnersError::Malformed);
            }
            if !kept.iter().any(|k| k.id == p.id) {
                kept.push(Partner { id: p.id, name: name.trim().to_owned(), handle });
            }
        }
        Ok(Partners(kept))
    }

    pub fn as_slice(&self) -> &[Partner] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// As stored: a JSON array.
    pub fn to_json(&self) -> String {
        serde_json::Value::from(self.0.iter().map(|p| serde_json::json!(p)).collect::<Vec<_>>()).to_string()
    }
}

impl<'de> Deserialize<'de> for Partners {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Partners::new(Vec::<Partner>::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl<DB> FromSql<Text, DB> for Partners
where
    DB: diesel::backend::Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        let s = String::from_sql(bytes)?;
        Ok(serde_json::from_str(&s)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partner(id: &str) -> Partner {
        Partner { id: id.into(), name: " Friends ".into(), handle: "friends@a.example".into() }
    }

    #[test]
    fn partners_are_checked() {
        let p = Partners::new(vec![partner("https://a.example/o/friends"), partner("https://a.example/o/friends")])
            .unwrap();
        assert_eq!(p.as_slice().len(), 1, "the same actor once");
        assert_eq!(p.as_slice()[0].name, "Friends");
        assert_eq!(Partners::new(vec![partner("javascript:alert(1)")]), Err(PartnersError::Malformed));
        let many = (0..=MAX_PARTNERS).map(|i| partner(&format!("https://a.example/o/p{i}"))).collect();
        assert_eq!(Partners::new(many), Err(PartnersError::TooMany));
        assert!(serde_json::from_str::<Partners>(r#"[{"id": "ftp://x", "name": "n", "handle": "h"}]"#).is_err());
    }
}
