//! The data every federation handler shares. Apart from `context` (which builds the
//! library's configuration and needs the instance actor) so that actors, objects and the
//! inbox can name it without depending on the actors themselves.

use signons_store::Database;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Clone)]
pub struct FederationData {
    pub db: Database,
    pub urls: crate::Urls,
    /// The admins' settings (the instance's name, for its actor and NodeInfo).
    pub settings: signons_petition::settings::Shared,
    /// Wakes the delivery worker after activities were queued.
    pub wake: Arc<Notify>,
    pub metrics: Arc<crate::metrics::FederationMetrics>,
    /// How our signers of other instances' petitions are written to (their confirmation,
    /// and a refusal by the petition's instance).
    pub signing: signons_signature::SigningContext,
    /// `federation_allow_local`: plain http and local addresses are fetched and kept
    /// (instances on one machine, in tests and demos). Off in production.
    pub allow_local: bool,
    /// At most this many followers of one of our actors from one registrable domain
    /// (`follows::registrable_domain`); 0: no cap.
    pub followers_per_domain: u32,
}

impl FederationData {
    pub fn instance_name(&self) -> String {
        self.settings.get().name.clone()
    }
}

/// What handlers receive: the data, plus the library's request state (fetch counter).
pub type FederationContext = activitypub_federation::config::Data<FederationData>;
