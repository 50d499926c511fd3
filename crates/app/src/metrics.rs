//! `/metrics` in the Prometheus text format: counters kept in memory since start (HTTP
//! answers by status class, federation) and a few gauges read from the database when
//! scraped (queues, open petitions). Nothing personal.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// HTTP answers by status class: 1xx … 5xx.
static HTTP_RESPONSES: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];

pub fn count_response(status: u16) {
    if let Some(counter) = (status / 100).checked_sub(1).and_then(|i| HTTP_RESPONSES.get(usize::from(i))) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

type Samples = Vec<(String, u64)>;

/// What the database says when scraped.
pub struct Gauges {
    pub open_petitions: i64,
    /// Each queue's jobs by state.
    pub jobs: Vec<(signons_store::jobs::Queue, signons_store::jobs::QueueCounts)>,
    pub followers: i64,
}

impl Gauges {
    fn pending(&self, queue: signons_store::jobs::Queue) -> i64 {
        self.jobs.iter().find(|(q, _)| *q == queue).map_or(0, |(_, c)| c.pending())
    }
}

pub fn render(gauges: &Gauges, federation: &signons_federation::metrics::FederationMetrics) -> String {
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: &[(String, u64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let labels = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let http: Vec<(String, u64)> = HTTP_RESPONSES
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("class=\"{}xx\"", i + 1), c.load(Ordering::Relaxed)))
        .collect();
    family("signons_http_responses_total", "counter", "HTTP answers since start, by status class.", &http);
    let mut counters: Vec<(&str, &str, Samples)> = Vec::new();
    for (name, labels, help, value) in federation.counters() {
        match counters.iter_mut().find(|(n, _, _)| *n == name) {
            Some((_, _, samples)) => samples.push((labels.to_owned(), value)),
            None => counters.push((name, help, vec![(labels.to_owned(), value)])),
        }
    }
    for (name, help, samples) in &counters {
        family(name, "counter", help, samples);
    }
    let gauge = |v: i64| vec![(String::new(), u64::try_from(v).unwrap_or(0))];
    family("signons_petitions_open", "gauge", "Open petitions.", &gauge(gauges.open_petitions));
    use signons_store::jobs::Queue;
    family("signons_emails_pending", "gauge", "Emails waiting to be sent.", &gauge(gauges.pending(Queue::Email)));
    family(
        "signons_federation_deliveries_pending",
        "gauge",
        "Activities waiting to be delivered (one per inbox).",
        &gauge(gauges.pending(Queue::Delivery)),
    );
    let by_state: Samples = gauges
        .jobs
        .iter()
        .flat_map(|(queue, c)| {
            [("queued", c.queued), ("running", c.running), ("dead", c.dead)]
                .map(|(state, n)| (format!("queue=\"{queue}\",state=\"{state}\""), u64::try_from(n).unwrap_or(0)))
        })
        .collect();
    family("signons_jobs", "gauge", "Background jobs by queue and state (dead ones wait for an admin).", &by_state);
    family(
        "signons_federation_followers",
        "gauge",
        "Remote followers of this instance's actors.",
        &gauge(gauges.followers),
    );
    out
}
