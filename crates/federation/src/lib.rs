//! ActivityPub for Signons, on top of `activitypub_federation`: the instance, organization
//! and petition actors, the objects and activities they send and accept, the inbox, the
//! durable delivery queue and the admin's federation policy. It is its own crate because
//! it is the one place that speaks to untrusted servers; the domain crates stay unaware
//! of it.

pub mod activities;
pub mod actors;
pub mod catalog;
pub mod context;
pub mod data;
pub mod delivery;
pub mod discovery;
pub mod dns;
pub mod error;
pub mod follows;
pub mod health;
pub mod inbox;
pub mod keys;
pub mod known_key;
pub mod lifecycle;
pub mod metrics;
pub mod objects;
pub mod outgoing;
pub mod partners;
pub mod policy;
pub mod posts;
pub mod progress;
pub mod proof;
pub mod remote;
pub mod sent;
pub mod sent_news;
pub mod sign;
pub mod urls;

pub use data::{FederationContext, FederationData};
pub use error::FederationError;
pub use urls::{LocalRef, Urls};

/// The media type of ActivityPub documents.
pub const ACTIVITY_JSON: &str = "application/activity+json";
