//! What each scenario measures: latencies (HdrHistogram, microseconds), successes, errors
//! by kind; and the results table.

use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::time::Duration;

/// One kind of request in one scenario. Each connection records into its own and they
/// are merged at the end, so recording takes no lock.
#[derive(Clone)]
pub struct Recorder {
    pub latency_us: Histogram<u64>,
    pub ok: u64,
    pub errors: BTreeMap<String, u64>,
}

impl Recorder {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Recorder {
            // 1 µs to 10 min, 3 significant digits.
            latency_us: Histogram::new_with_bounds(1, 600_000_000, 3)?,
            ok: 0,
            errors: BTreeMap::new(),
        })
    }

    pub fn success(&mut self, latency: Duration) {
        self.ok += 1;
        self.latency_us.saturating_record(latency.as_micros().max(1) as u64);
    }

    /// A failed request; its latency counts too (a timeout is a long wait for the user).
    pub fn error(&mut self, kind: impl Into<String>, latency: Duration) {
        *self.errors.entry(kind.into()).or_insert(0) += 1;
        self.latency_us.saturating_record(latency.as_micros().max(1) as u64);
    }

    pub fn merge(&mut self, other: &Recorder) {
        let _ = self.latency_us.add(&other.latency_us);
        self.ok += other.ok;
        for (k, v) in &other.errors {
            *self.errors.entry(k.clone()).or_insert(0) += v;
        }
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    pub fn percentile_ms(&self, q: f64) -> f64 {
        self.latency_us.value_at_quantile(q) as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.latency_us.max() as f64 / 1000.0
    }

    pub fn errors_text(&self) -> String {
        if self.errors.is_empty() {
            return "0".into();
        }
        let kinds: Vec<String> = self.errors.iter().map(|(k, v)| format!("{v}×{k}")).collect();
        format!("{} ({})", self.error_count(), kinds.join(", "))
    }
}

/// One line of the results table.
#[derive(Clone)]
pub struct Row {
    pub backend: &'static str,
    pub scenario: String,
    pub elapsed: Duration,
    pub recorder: Recorder,
    /// Resident memory at the end, and its peak during the scenario, in MiB.
    pub rss_end_mib: f64,
    pub rss_peak_mib: f64,
    /// Free text: the goal and whether it was met, count lag, ratio, …
    pub notes: String,
}

impl Row {
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.recorder.ok as f64 / secs
        } else {
            0.0
        }
    }
}

pub fn print_table(rows: &[Row]) {
    println!(
        "\n{:<9} {:<48} {:>9} {:>10} {:>8} {:>8} {:>9} {:>9} {:>8} {:>8}  notes",
        "backend", "scenario", "ok", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "RSS MiB", "peak MiB"
    );
    for r in rows {
        println!(
            "{:<9} {:<48} {:>9} {:>10.0} {:>8.2} {:>8.2} {:>9.2} {:>9.1} {:>8.1} {:>8.1}  errors {}; {}",
            r.backend,
            r.scenario,
            r.recorder.ok,
            r.rate(),
            r.recorder.percentile_ms(0.50),
            r.recorder.percentile_ms(0.99),
            r.recorder.percentile_ms(0.999),
            r.recorder.max_ms(),
            r.rss_end_mib,
            r.rss_peak_mib,
            r.recorder.errors_text(),
            r.notes
        );
    }
}

/// The same table in Markdown, for docs/performance.md.
pub fn markdown_table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| backend | scenario | ok | req/s | p50 ms | p99 ms | p99.9 ms | max ms | errors | RSS end MiB | RSS peak MiB | notes |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {:.1} | {:.1} | {} |\n",
            r.backend,
            r.scenario,
            r.recorder.ok,
            r.rate(),
            r.recorder.percentile_ms(0.50),
            r.recorder.percentile_ms(0.99),
            r.recorder.percentile_ms(0.999),
            r.recorder.max_ms(),
            r.recorder.errors_text(),
            r.rss_end_mib,
            r.rss_peak_mib,
            r.notes
        ));
    }
    out
}
