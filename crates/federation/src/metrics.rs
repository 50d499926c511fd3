//! Counters of what federation did since the process started, for `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct FederationMetrics {
    pub deliveries_sent: AtomicU64,
    pub delivery_failures: AtomicU64,
    pub deliveries_given_up: AtomicU64,
    /// Deliveries not made because the policy refused the instance since they were queued.
    pub deliveries_dropped: AtomicU64,
    /// Deliveries the other server answered with a 4xx (not 408 or 429): not retried.
    pub deliveries_refused: AtomicU64,
    pub received_processed: AtomicU64,
    pub received_ignored: AtomicU64,
    pub received_duplicate: AtomicU64,
    pub received_refused: AtomicU64,
    /// Instances unreachable for `instance_gone_days` whose data was purged.
    pub instances_purged: AtomicU64,
}

impl FederationMetrics {
    pub fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// `(name, labels, help, value)` of each counter, in the Prometheus text format's terms.
    pub fn counters(&self) -> Vec<(&'static str, &'static str, &'static str, u64)> {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        vec![
            ("signons_federation_deliveries_total", "result=\"sent\"", DELIVERIES, get(&self.deliveries_sent)),
            ("signons_federation_deliveries_total", "result=\"failed\"", DELIVERIES, get(&self.delivery_failures)),
            ("signons_federation_deliveries_total", "result=\"given_up\"", DELIVERIES, get(&self.deliveries_given_up)),
            ("signons_federation_deliveries_total", "result=\"dropped\"", DELIVERIES, get(&self.deliveries_dropped)),
            ("signons_federation_deliveries_total", "result=\"refused\"", DELIVERIES, get(&self.deliveries_refused)),
            ("signons_federation_received_total", "outcome=\"processed\"", RECEIVED, get(&self.received_processed)),
            ("signons_federation_received_total", "outcome=\"ignored\"", RECEIVED, get(&self.received_ignored)),
            ("signons_federation_received_total", "outcome=\"duplicate\"", RECEIVED, get(&self.received_duplicate)),
            ("signons_federation_received_total", "outcome=\"refused\"", RECEIVED, get(&self.received_refused)),
            ("signons_federation_instances_purged_total", "", PURGED, get(&self.instances_purged)),
        ]
    }
}

const DELIVERIES: &str = "Attempts to deliver an activity to a remote inbox, by result.";
const PURGED: &str =
    "Remote instances unreachable for instance_gone_days whose deliveries, followers and actors were purged.";
const RECEIVED: &str = "Activities received in our inboxes, by outcome.";
