//! PostgreSQL stopped and started again under load. Not the shared server of the other
//! tests: a private cluster of this test's own (initdb in a temporary folder, on a free
//! port), so stopping it disturbs nobody. Meanwhile the app answers 503 with
//! `Retry-After` (never a 500, never a hang), `/readyz` says the database is unavailable,
//! `/healthz` still answers; once the database is back the app recovers by itself, every
//! signature that got a 2xx is there, and each one's email goes once, even those the
//! relay accepted while the database was away (their sending is recorded once it is back,
//! not repeated when their lease lapses).
//!
//! The PostgreSQL binaries must be installed (`/usr/lib/postgresql/*/bin`, as on CI): the
//! test fails without them, it never skips.

use super::*;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The longest any request may take, database down or not.
const ANSWER_BOUND: Duration = Duration::from_secs(10);
/// The longest the app may take to say the database is away (`/readyz`), and to recover
/// once it is back.
const NOTICE_BOUND: Duration = Duration::from_secs(10);
const RECOVERY_BOUND: Duration = Duration::from_secs(20);

/// A PostgreSQL cluster of the test's own, stopped (immediately) and removed when dropped.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    /// Run its commands as the `postgres` user (initdb refuses root).
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

/// The newest installed PostgreSQL's `bin` folder.
fn postgres_bin() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (/usr/lib/postgresql): the fault tests need its binaries")
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).expect("initdb and pg_ctl under /usr/lib/postgresql/*/bin")
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

impl Cluster {
    fn start() -> Cluster {
        let bin = postgres_bin();
        let as_postgres = is_root();
        let dir = tempfile::tempdir().unwrap();
        if as_postgres {
            let owned = Command::new("chown").args(["postgres:postgres"]).arg(dir.path()).status().unwrap();
            assert!(owned.success(), "chown of the cluster's folder to postgres");
        }
        let cluster = Cluster { bin, data: dir.path().join("data"), port: free_port(), as_postgres, _dir: dir };
        let data = cluster.data.to_str().unwrap().to_owned();
        cluster.run("initdb", &["-D", &data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        cluster.pg_ctl_start();
        cluster
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out = command.args(args).output().unwrap_or_else(|e| panic!("{program} runs: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn pg_ctl_start(&self) {
        let (data, log) = (self.data.to_str().unwrap(), self.data.with_file_name("log"));
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40",
            self.port,
            self.data.parent().unwrap().display()
        );
        self.run("pg_ctl", &["start", "-w", "-t", "60", "-D", data, "-l", log.to_str().unwrap(), "-o", &options]);
    }

    /// `pg_ctl stop -m fast`: every session is ended, the server shuts down cleanly.
    fn stop(&self) {
        self.run("pg_ctl", &["stop", "-w", "-t", "60", "-m", "fast", "-D", self.data.to_str().unwrap()]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let path = self.bin.join("pg_ctl");
        let data = self.data.to_str().unwrap_or_default();
        let args = ["stop", "-w", "-m", "immediate", "-D", data];
        let _ = if self.as_postgres {
            Command::new("runuser").args(["-u", "postgres", "--"]).arg(&path).args(args).output()
        } else {
            Command::new(&path).args(args).output()
        };
    }
}

/// What a request of the load got.
#[derive(Debug, Clone)]
struct Seen {
    what: &'static str,
    /// `None`: no answer at all (a timeout or a broken connection).
    status: Option<u16>,
    retry_after: Option<String>,
    took: Duration,
    /// For a sign request, the address it signed.
    email: Option<String>,
}

#[derive(Default)]
struct Load {
    seen: Mutex<Vec<Seen>>,
    stop: AtomicBool,
    next: AtomicUsize,
}

impl Load {
    fn record(
        &self,
        what: &'static str,
        started: Instant,
        answer: Result<reqwest::Response, reqwest::Error>,
        email: Option<String>,
    ) {
        let (status, retry_after) = match &answer {
            Ok(r) => (
                Some(r.status().as_u16()),
                r.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned),
            ),
            Err(_) => (None, None),
        };
        self.seen.lock().unwrap().push(Seen { what, status, retry_after, took: started.elapsed(), email });
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// One client of the load: a page view, a sign through the API, a sign through the form,
/// a read of the API, again and again until told to stop.
async fn visitor(load: Arc<Load>, base: String, slug: String, n: usize) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(ANSWER_BOUND)
        .build()
        .unwrap();
    // The form's CSRF token, from the page while the database answers.
    let page = client.get(format!("{base}/p/{slug}")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_field(&page, "csrf").expect("the sign form's CSRF token");
    while !load.stop.load(Ordering::SeqCst) {
        let started = Instant::now();
        let r = client.get(format!("{base}/p/{slug}")).send().await;
        load.record("page", started, r, None);

        let i = load.next.fetch_add(1, Ordering::SeqCst);
        let email = format!("api{n}-{i}@example.org");
        let started = Instant::now();
        let body = serde_json::json!({ "name": format!("Api Signer {i}"), "email": email });
        let r = client.post(format!("{base}/api/v1/petitions/{slug}/signatures")).json(&body).send().await;
        load.record("api sign", started, r, Some(email));

        let email = format!("form{n}-{i}@example.org");
        let started = Instant::now();
        let fields = [("csrf", csrf.as_str()), ("name", "Form Signer"), ("email", email.as_str())];
        let r = client.post(format!("{base}/p/{slug}/sign")).form(&fields).send().await;
        load.record("form sign", started, r, Some(email));

        let started = Instant::now();
        let r = client.get(format!("{base}/api/v1/petitions/{slug}")).send().await;
        load.record("api read", started, r, None);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A GET answered within the bound: status and body.
async fn get(client: &reqwest::Client, url: &str) -> (u16, Option<String>, serde_json::Value) {
    let r = client.get(url).send().await.unwrap_or_else(|e| panic!("{url} answers: {e}"));
    let status = r.status().as_u16();
    let retry_after = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = r.text().await.unwrap();
    (status, retry_after, serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body)))
}

#[actix_web::test]
async fn postgres_restart_under_load_answers_503_then_recovers_by_itself() {
    let cluster = Cluster::start();
    let sink = SmtpSink::start();
    let port = free_port();
    let mut process = Process::start_with(
        &cluster.url(),
        port,
        &[
            ("SIGNONS_PUBLIC_URL", format!("http://127.0.0.1:{port}")),
            ("SIGNONS_SMTP_URL", sink.url()),
            ("SIGNONS_SIGN_RATE_PER_IP_PER_HOUR", "0".to_owned()),
            // The default lease: longer than the outage, so that no email is sent again.
            ("SIGNONS_JOB_LEASE_SECONDS", "30".to_owned()),
        ],
    );
    process.ready().await; // it migrated the new cluster's database at start
    let db = signons_store::Database::connect(&signons_store::DatabaseUrl::parse(&cluster.url()).unwrap(), 2).unwrap();
    let token = organizer_token(&db).await;
    let base = process.base();
    let slug = create_petition(&base, &token, "Keep the ferry running in winter").await;
    let client = reqwest::Client::builder().no_proxy().timeout(ANSWER_BOUND).build().unwrap();
    let (status, _, ready) = get(&client, &format!("{base}/readyz")).await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!((ready["status"].as_str(), ready["database"].as_str()), (Some("ready"), Some("ok")), "{ready}");

    let load = Arc::new(Load::default());
    let visitors: Vec<_> = (0..4).map(|n| tokio::spawn(visitor(load.clone(), base.clone(), slug.clone(), n))).collect();
    let signed =
        |load: &Load| load.seen().iter().filter(|s| s.email.is_some() && s.status.is_some_and(|s| s < 400)).count();
    eventually("signatures before the outage", DEADLINE, || async { (signed(&load) >= 10).then_some(()) }).await;

    // The relay holds its answers: emails are being sent when the database stops.
    sink.hold();
    eventually("emails in flight", DEADLINE, || async { (sink.waiting() > 0).then_some(()) }).await;

    // The database stops.
    cluster.stop();
    let stopped = Instant::now();
    let (_, retry_after, unready) = eventually("/readyz to say the database is unavailable", NOTICE_BOUND, || async {
        let (status, retry_after, body) = get(&client, &format!("{base}/readyz")).await;
        (status == 503).then_some((status, retry_after, body))
    })
    .await;
    assert_eq!(unready["status"], "unavailable", "{unready}");
    assert_eq!(unready["database"], "unavailable", "{unready}");
    assert!(unready["message"].as_str().is_some_and(|m| m.contains("database")), "{unready}");
    assert!(retry_after.is_some(), "/readyz tells when to come back");
    // Liveness does not depend on the database: nobody should restart this process.
    let (health, _, _) = get(&client, &format!("{base}/healthz")).await;
    assert_eq!(health, 200);
    // Every kind of request of the load is answered 503 at least once during the outage.
    let outage_start = load.seen().len();
    eventually("503s for pages, the API and forms", DEADLINE, || async {
        let seen = load.seen();
        let kinds: BTreeSet<&str> =
            seen[outage_start..].iter().filter(|s| s.status == Some(503)).map(|s| s.what).collect();
        (kinds.len() == 4).then_some(())
    })
    .await;
    // The relay accepts the emails it held, while the database is away: their sending
    // cannot be recorded yet, and must not be sent again for that.
    let before_release = sink.received().len();
    sink.release();
    eventually("the held emails to be accepted", DEADLINE, || async {
        (sink.waiting() == 0 && sink.received().len() > before_release).then_some(())
    })
    .await;
    let accepted_during_outage = sink.received().len() - before_release;

    // And the outage lasts a while longer: many requests meet it.
    eventually("the load to go on during the outage", DEADLINE, || async {
        (load.seen().len() - outage_start >= 60).then_some(())
    })
    .await;
    let during = load.seen().len() - outage_start;

    // It starts again: the app reconnects by itself, without a restart.
    cluster.pg_ctl_start();
    let restarted = Instant::now();
    eventually("/readyz to be ready again", RECOVERY_BOUND, || async {
        (get(&client, &format!("{base}/readyz")).await.0 == 200).then_some(())
    })
    .await;
    let recovered_in = restarted.elapsed();
    let back = load.seen().len();
    eventually("signatures after the outage", RECOVERY_BOUND, || async {
        let seen = load.seen();
        let after = seen[back..].iter().filter(|s| s.email.is_some() && s.status.is_some_and(|s| s < 400)).count();
        (after >= 10).then_some(())
    })
    .await;
    load.stop.store(true, Ordering::SeqCst);
    for v in visitors {
        v.await.unwrap();
    }
    assert_eq!(process.child.try_wait().unwrap(), None, "the same process served throughout");

    // No 500, no hang, no dropped connection: every answer is a success, a redirect, or
    // a 503 that says when to come back.
    let seen = load.seen();
    for s in &seen {
        assert!(s.took < ANSWER_BOUND, "{} took {:?}", s.what, s.took);
        let status = s.status.unwrap_or_else(|| panic!("{} got no answer", s.what));
        assert!(matches!(status, 200 | 202 | 303 | 503), "{} answered {status}", s.what);
        if status == 503 {
            assert!(s.retry_after.as_deref().is_some_and(|v| v.parse::<u32>().is_ok()), "{s:?}: a Retry-After");
        }
    }

    // Every signature that got a 2xx (or the form's 303) is stored, and its email goes once.
    wait_drained(&db, Queue::Email, "every email to be sent").await;
    let stored = stored_signers(&db, &slug).await;
    let accepted: BTreeSet<String> =
        seen.iter().filter(|s| s.status.is_some_and(|s| s < 400)).filter_map(|s| s.email.clone()).collect();
    let lost: Vec<_> = accepted.difference(&stored).collect();
    assert!(lost.is_empty(), "signatures accepted and lost: {lost:?}");
    let mut sent: BTreeMap<String, usize> = BTreeMap::new();
    for message in sink.received() {
        for to in message.rcpt_to {
            *sent.entry(to).or_default() += 1;
        }
    }
    let wrong: Vec<_> = stored.iter().filter(|e| sent.get(*e) != Some(&1)).map(|e| (e, sent.get(e))).collect();
    assert!(wrong.is_empty(), "each stored signature's email exactly once: {wrong:?}");
    assert_eq!(sent.len(), stored.len(), "no email to anyone else");
    eprintln!(
        "postgres restart: {} requests, {during} during the outage ({:?}), {accepted_during_outage} emails sent \
         meanwhile, {} signatures, recovered {recovered_in:?} after the restart",
        seen.len(),
        restarted - stopped,
        stored.len()
    );
}
