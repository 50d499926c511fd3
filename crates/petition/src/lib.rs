//! Organizations, their organizers (passwords, sessions, API tokens) and their petitions:
//! the domain types that parse user input, the petition lifecycle (draft → open → closed)
//! and the queries behind them.

pub mod account;
pub mod auth;
pub mod error;
pub mod fields;
pub mod image;
pub mod logo;
pub mod markdown;
pub mod members;
pub mod milestones;
pub mod moderation;
pub mod organization;
pub mod partners;
pub mod password;
pub mod people;
pub mod petition;
pub mod picture;
pub mod response;
pub mod settings;
pub mod slug;

pub use error::PetitionError;
pub use fields::{FieldError, FieldErrors};
pub use markdown::SafeHtml;
pub use organization::{Membership, Organization, Organizer, Role};
pub use partners::{Partner, Partners};
pub use petition::{Petition, PetitionInput, PetitionStatus, Victory, VictoryMessage};
pub use slug::Slug;

#[cfg(feature = "testing")]
pub mod testing;
