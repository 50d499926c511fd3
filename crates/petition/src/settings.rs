//! The instance's settings that its admins change on the web (`/admin/settings`): its name,
//! description and contact, how organizers join, whether petitions are reviewed before
//! they are published, and how long signers' personal data is kept. Each is a row of
//! `instance_settings`; a setting never saved takes the value the configuration file gives
//! (`Defaults`), so a new instance runs as configured until an admin changes something.

use crate::fields::{self, FieldErrors};
use crate::PetitionError;
use diesel::prelude::*;
use signons_store::schema::instance_settings as s;
use signons_store::DbConnection;

signons_store::text_enum! {
    /// How organizers join (`signup_mode`): anyone may create an organization on the web,
    /// or only people an organization's owner invited.
    pub enum SignupMode {
        Open = "open",
        Invitation = "invitation",
    }
}

signons_store::text_enum! {
    /// Whether an organizer's petition is reviewed by an admin before it is published
    /// (`premoderation`).
    pub enum Premoderation {
        Off = "off",
        On = "on",
    }
}

const NAME: &str = "instance_name";
const DESCRIPTION: &str = "instance_description";
const CONTACT: &str = "contact_email";
const SIGNUP: &str = "signup_mode";
const PREMODERATION: &str = "premoderation";
const RETENTION: &str = "anonymize_after_days";

pub const NAME_MAX: usize = 80;
pub const DESCRIPTION_MAX: usize = 2_000;
/// Personal data is kept at least a day after a petition ends (its organizers export the
/// list), and at most about ten years.
pub const RETENTION_DAYS: std::ops::RangeInclusive<i64> = 1..=3_650;

/// What the configuration file says, for the settings no admin saved.
#[derive(Debug, Clone)]
pub struct Defaults {
    pub name: String,
    pub anonymize_after_days: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InstanceSettings {
    pub name: String,
    /// Plain text shown on the home and privacy pages; may be empty.
    pub description: String,
    /// Who to write to about the instance and its data; may be empty.
    pub contact: String,
    pub signup: SignupMode,
    pub premoderation: Premoderation,
    /// Signers' names and addresses are anonymized this many days after their petition
    /// closed.
    pub anonymize_after_days: i64,
}

impl InstanceSettings {
    pub fn signup_open(&self) -> bool {
        self.signup == SignupMode::Open
    }

    pub fn premoderated(&self) -> bool {
        self.premoderation == Premoderation::On
    }
}

/// The settings as this process last read them, shared by the pages, the federation
/// handlers and the maintenance: read on every page, so a lock held only to clone an `Arc`.
#[derive(Clone)]
pub struct Shared(std::sync::Arc<std::sync::RwLock<std::sync::Arc<InstanceSettings>>>);

impl Shared {
    pub fn new(settings: InstanceSettings) -> Self {
        Shared(std::sync::Arc::new(std::sync::RwLock::new(std::sync::Arc::new(settings))))
    }

    /// Settings as configured, before any admin saved some (tests, tools).
    pub fn of_defaults(defaults: &Defaults) -> Self {
        Shared::new(InstanceSettings {
            name: defaults.name.clone(),
            description: String::new(),
            contact: String::new(),
            signup: SignupMode::Invitation,
            premoderation: Premoderation::Off,
            anonymize_after_days: defaults.anonymize_after_days,
        })
    }

    /// Default settings with this name (tests).
    pub fn named(name: &str) -> Self {
        Shared::of_defaults(&Defaults { name: name.to_owned(), anonymize_after_days: 30 })
    }

    pub fn get(&self) -> std::sync::Arc<InstanceSettings> {
        // A poisoned lock only means a writer panicked while swapping an `Arc`: the value
        // inside is whole.
        self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    pub fn set(&self, settings: InstanceSettings) {
        *self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner) = std::sync::Arc::new(settings);
    }
}

/// The settings form as typed.
#[derive(Debug, Default, Clone, serde::Deserialize, serde::Serialize)]
pub struct SettingsForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub signup: String,
    #[serde(default)]
    pub premoderation: String,
    #[serde(default)]
    pub anonymize_after_days: String,
}

impl SettingsForm {
    pub fn of(settings: &InstanceSettings) -> Self {
        SettingsForm {
            name: settings.name.clone(),
            description: settings.description.clone(),
            contact: settings.contact.clone(),
            signup: settings.signup.as_str().to_owned(),
            premoderation: settings.premoderation.as_str().to_owned(),
            anonymize_after_days: settings.anonymize_after_days.to_string(),
        }
    }

    /// The settings the form says, or every field that is wrong.
    pub fn parse(&self) -> Result<InstanceSettings, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check(fields::text("name", &self.name, 1, NAME_MAX, false));
        let description = errors.check(fields::text("description", &self.description, 0, DESCRIPTION_MAX, true));
        let contact = match self.contact.trim() {
            "" => Some(String::new()),
            typed => errors.check(crate::organization::parse_login_email(typed).map_err(|mut e| {
                e.field = "contact";
                e
            })),
        };
        let signup = SignupMode::parse(self.signup.trim());
        if signup.is_none() {
            errors.push("signup", "error-choice-invalid", None);
        }
        let premoderation = Premoderation::parse(self.premoderation.trim());
        if premoderation.is_none() {
            errors.push("premoderation", "error-choice-invalid", None);
        }
        let days = self.anonymize_after_days.trim().parse::<i64>().ok().filter(|d| RETENTION_DAYS.contains(d));
        if days.is_none() {
            errors.push("anonymize_after_days", "error-days-invalid", Some(*RETENTION_DAYS.end() as u64));
        }
        match (name, description, contact, signup, premoderation, days) {
            (Some(name), Some(description), Some(contact), Some(signup), Some(premoderation), Some(days))
                if errors.is_empty() =>
            {
                Ok(InstanceSettings { name, description, contact, signup, premoderation, anonymize_after_days: days })
            }
            _ => Err(errors),
        }
    }
}

/// The settings as saved, each missing one taken from `defaults`. A stored value this
/// binary cannot read is an error, not a default: an instance an admin closed to sign-ups
/// must not open because of a bad row.
pub fn load(conn: &mut DbConnection, defaults: &Defaults) -> Result<InstanceSettings, PetitionError> {
    let rows: Vec<(String, String)> = s::table
        .filter(s::name.eq_any([NAME, DESCRIPTION, CONTACT, SIGNUP, PREMODERATION, RETENTION]))
        .select((s::name, s::value))
        .load(conn)?;
    let get = |name: &str| rows.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let unreadable = PetitionError::UnreadableSetting;
    let signup = match get(SIGNUP) {
        None => SignupMode::Invitation,
        Some(v) => SignupMode::parse(v).ok_or_else(|| unreadable(SIGNUP))?,
    };
    let premoderation = match get(PREMODERATION) {
        None => Premoderation::Off,
        Some(v) => Premoderation::parse(v).ok_or_else(|| unreadable(PREMODERATION))?,
    };
    let anonymize_after_days = match get(RETENTION) {
        None => defaults.anonymize_after_days,
        Some(v) => v.parse().map_err(|_| unreadable(RETENTION))?,
    };
    Ok(InstanceSettings {
        name: get(NAME).map_or_else(|| defaults.name.clone(), str::to_owned),
        description: get(DESCRIPTION).unwrap_or_default().to_owned(),
        contact: get(CONTACT).unwrap_or_default().to_owned(),
        signup,
        premoderation,
        anonymize_after_days,
    })
}

/// Whether petitions are reviewed before they are published, read where a petition is
/// published (in its transaction).
pub fn premoderated(conn: &mut DbConnection) -> Result<bool, PetitionError> {
    let value: Option<String> = s::table.filter(s::name.eq(PREMODERATION)).select(s::value).first(conn).optional()?;
    Ok(value.as_deref() == Some(Premoderation::On.as_str()))
}

/// Saves every setting (in the caller's transaction).
pub fn save(conn: &mut DbConnection, settings: &InstanceSettings) -> Result<(), PetitionError> {
    let days = settings.anonymize_after_days.to_string();
    let values = [
        (NAME, settings.name.as_str()),
        (DESCRIPTION, settings.description.as_str()),
        (CONTACT, settings.contact.as_str()),
        (SIGNUP, settings.signup.as_str()),
        (PREMODERATION, settings.premoderation.as_str()),
        (RETENTION, days.as_str()),
    ];
    for (name, value) in values {
        // Update first, then insert: the portable connection has no ON CONFLICT.
        let updated = diesel::update(s::table.filter(s::name.eq(name))).set(s::value.eq(value)).execute(conn)?;
        if updated == 0 {
            diesel::insert_into(s::table).values((s::name.eq(name), s::value.eq(value))).execute(conn)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> SettingsForm {
        SettingsForm {
            name: " Signons Lyon ".into(),
            description: "Petitions of the associations of Lyon.\nRun by volunteers.".into(),
            contact: "Admin@Example.org".into(),
            signup: "open".into(),
            premoderation: "on".into(),
            anonymize_after_days: "90".into(),
        }
    }

    #[test]
    fn a_good_form_reads_as_settings() {
        let s = form().parse().unwrap();
        assert_eq!(s.name, "Signons Lyon");
        assert_eq!(s.contact, "admin@example.org");
        assert!(s.signup_open() && s.premoderated());
        assert_eq!(s.anonymize_after_days, 90);
        assert_eq!(SettingsForm::of(&s).parse().unwrap(), s);
    }

    #[test]
    fn each_bad_field_is_named() {
        let bad = SettingsForm {
            name: "".into(),
            contact: "not an address".into(),
            signup: "everyone".into(),
            premoderation: "maybe".into(),
            anonymize_after_days: "0".into(),
            ..form()
        };
        let errors = bad.parse().unwrap_err();
        for field in ["name", "contact", "signup", "premoderation", "anonymize_after_days"] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
        let too_long = SettingsForm { anonymize_after_days: "99999999999999999999".into(), ..form() };
        assert!(too_long.parse().unwrap_err().get("anonymize_after_days").is_some());
    }
}
