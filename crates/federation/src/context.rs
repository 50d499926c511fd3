//! The `activitypub_federation` configuration, built from the shared data (`data`) and
//! the instance actor that signs our fetches.

use crate::actors::LocalActor;
use crate::policy::PolicyVerifier;
use crate::{FederationData, FederationError, LocalRef};
use activitypub_federation::config::FederationConfig;
use std::time::Duration;

pub type Config = FederationConfig<FederationData>;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Builds the library's configuration. `data.allow_local` lets instances on one machine
/// federate over plain `http://localhost:PORT` (tests and demos): without it, only https
/// URLs without a port, resolving to public addresses, are fetched or delivered to.
pub async fn build(data: FederationData) -> Result<Config, FederationError> {
    let allow_local = data.allow_local;
    let mut client = reqwest::Client::builder()
        .user_agent(format!("Signons/{} (+{})", env!("CARGO_PKG_VERSION"), data.urls.base()))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .no_proxy();
    if !allow_local {
        // Checked when connecting, on the addresses connected to (see `dns`).
        client = client.dns_resolver(crate::dns::PublicOnlyResolver);
    }
    let client = client.build().map_err(|e| FederationError::Invalid(format!("cannot build the HTTP client: {e}")))?;
    let mut middleware = reqwest_middleware::ClientBuilder::new(client);
    if !allow_local {
        middleware = middleware.with(crate::dns::PublicAddressesOnly);
    }
    let instance = LocalActor::load(&data, &LocalRef::Instance).await?.ok_or(FederationError::NotFound)?;
    let domain = data.urls.host().to_owned();
    let verifier = PolicyVerifier { db: data.db.clone() };
    FederationConfig::builder()
        .domain(domain)
        .app_data(data)
        .client(middleware.with(crate::delivery::RefusalRecorder).build())
        .request_timeout(TIMEOUT)
        .debug(allow_local)
        .allow_http_urls(allow_local)
        .url_verifier(Box::new(verifier))
        // Signatures as Mastodon, Pleroma and most of the fediverse verify them (draft-cavage
        // 10: rsa-sha256 over (request-target), host, date and digest), not the newer
        // hs2019 form with (created) and (expires) that some servers refuse.
        .http_signature_compat(true)
        .signed_fetch_actor(&instance)
        .build()
        .await
        .map_err(|e| FederationError::Invalid(format!("federation configuration: {e}")))
}
