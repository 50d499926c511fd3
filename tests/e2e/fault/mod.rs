//! Faults: processes killed with SIGKILL, a relay, a database and remote instances that go
//! away and come back. Each test asserts that nothing is lost and nothing is done twice.
//!
//! Here: two `signons serve` processes share one PostgreSQL database and its job queue,
//! and one of them is killed with SIGKILL in the middle of a batch. Every email still
//! reaches a relay exactly once, and every delivery an inbox exactly once: the dead
//! process's jobs are taken up once their lease lapses, never while the live process that
//! holds them renews it. The modules: `kill` (SIGKILL in the middle of a signing load),
//! `postgres` (a private PostgreSQL cluster stopped and started under load), `remote` (a
//! remote instance unreachable for many attempts, then back). The SMTP outage is
//! `email::smtp_outage_delays_mail_and_loses_none`; `make test-faults` runs them all.

mod kill;
mod postgres;
mod remote;

use crate::helpers::*;
use crate::smtp::SmtpSink;
use diesel::prelude::*;
use signons_store::jobs::{JobState, Queue};
use signons_store::schema::jobs;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Emails in flight per process.
const CONCURRENCY: usize = 4;
/// The lease the processes take on a job (the smallest the configuration allows).
const LEASE: Duration = Duration::from_secs(3);

/// A `signons serve` child process, killed when dropped.
struct Process {
    child: tokio::process::Child,
    port: u16,
    /// Its data folder, when it has one of its own (else the caller keeps it, to start the
    /// same instance again: the link key lives there).
    _dir: Option<tempfile::TempDir>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Process {
    /// A process sending email to `smtp_url`.
    fn start(database_url: &str, smtp_url: &str) -> Process {
        let port = free_port();
        Self::start_with(
            database_url,
            port,
            &[
                ("SIGNONS_PUBLIC_URL", format!("http://127.0.0.1:{port}")),
                ("SIGNONS_SMTP_URL", smtp_url.to_owned()),
                ("SIGNONS_MAIL_CONCURRENCY", CONCURRENCY.to_string()),
            ],
        )
    }

    /// A process with a data folder of its own, removed when it is dropped.
    fn start_with(database_url: &str, port: u16, env: &[(&str, String)]) -> Process {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut process = Self::start_in(dir.path(), database_url, port, env);
        process._dir = Some(dir);
        process
    }

    /// A process on `data_dir`, which the caller keeps (to start the same instance again).
    fn start_in(data_dir: &Path, database_url: &str, port: u16, env: &[(&str, String)]) -> Process {
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_signons-under-test"))
            .arg("serve")
            .env_remove("SIGNONS_CONFIG")
            .env("SIGNONS_BIND", format!("127.0.0.1:{port}"))
            .env("SIGNONS_DATABASE_URL", database_url)
            .env("SIGNONS_DATA_DIR", data_dir)
            .env("SIGNONS_MAIL_RETRY_SECONDS", "1")
            .env("SIGNONS_JOB_LEASE_SECONDS", LEASE.as_secs().to_string())
            .env("SIGNONS_WORKERS", "1")
            .env("RUST_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .kill_on_drop(true)
            .spawn()
            .expect("signons serve starts");
        Process { child, port, _dir: None }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until the process answers `/healthz`; fails the test if it exits first.
    async fn ready(&mut self) {
        let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(5)).build().unwrap();
        let url = format!("{}/healthz", self.base());
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("signons serve exited before answering: {status}");
            }
            if client.get(&url).send().await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "signons serve did not answer {url}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no cleanup, no last write.
    async fn kill(&mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }
}

/// An organizer, their organization and an API token, written straight to the database
/// (as `signons admin create-organizer` and `create-token` would).
async fn organizer_token(db: &signons_store::Database) -> String {
    db.write_async(|conn| -> Result<String, signons_store::StoreError> {
        signons_petition::organization::create_organizer(conn, ORGANIZER_EMAIL, ORGANIZATION, ORGANIZER_PASSWORD)
            .expect("the organizer is created");
        let token = signons_petition::auth::create_api_token(conn, ORGANIZER_EMAIL).expect("a token");
        Ok(token.expose().to_owned())
    })
    .await
    .unwrap()
}

/// Creates and publishes a petition through a process's API; returns its slug.
async fn create_petition(base: &str, token: &str, title: &str) -> String {
    let api = Api {
        client: reqwest::Client::builder().no_proxy().build().unwrap(),
        base: base.to_owned(),
        token: Some(token.to_owned()),
    };
    let created = api
        .post(
            "/petitions",
            &serde_json::json!({
                "title": title,
                "target": "The city council",
                "description": "Keep it **open** for everyone who needs it.",
                "goal": 1000,
                "publish": true,
            }),
        )
        .await;
    created.expect(201).json()["slug"].as_str().unwrap().to_owned()
}

/// The `Message-ID` header of a raw message.
fn message_id(data: &str) -> String {
    data.lines()
        .find_map(|l| l.strip_prefix("Message-ID:").or_else(|| l.strip_prefix("Message-Id:")))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no Message-ID in:\n{data}"))
}

/// The number of jobs of `queue` not done yet (queued, running or dead); `None` while
/// the database does not answer (the PostgreSQL restart test reads through it too).
async fn jobs_left(db: &signons_store::Database, queue: Queue) -> Option<i64> {
    db.read_async(move |conn| -> Result<i64, signons_store::StoreError> {
        Ok(jobs::table.filter(jobs::queue.eq(queue)).count().get_result(conn)?)
    })
    .await
    .ok()
}

/// The address of every signature the petition `slug` holds, in the database.
async fn stored_signers(db: &signons_store::Database, slug: &str) -> std::collections::BTreeSet<String> {
    use signons_store::schema::{petitions, signatures};
    let slug = slug.to_owned();
    db.read_async(move |conn| -> Result<Vec<String>, signons_store::StoreError> {
        Ok(signatures::table
            .inner_join(petitions::table)
            .filter(petitions::slug.eq(slug))
            .select(signatures::email)
            .load(conn)?)
    })
    .await
    .unwrap()
    .into_iter()
    .collect()
}

/// The recipient of each email the sink accepted.
fn recipients(sink: &SmtpSink) -> Vec<String> {
    sink.received().into_iter().flat_map(|m| m.rcpt_to).collect()
}

/// The payload and holder of each running job of `queue`.
async fn running(db: &signons_store::Database, queue: Queue) -> Vec<(String, Option<String>)> {
    db.read_async(move |conn| -> Result<Vec<(String, Option<String>)>, signons_store::StoreError> {
        Ok(jobs::table
            .filter(jobs::queue.eq(queue))
            .filter(jobs::state.eq(JobState::Running))
            .select((jobs::payload, jobs::locked_by))
            .load(conn)?)
    })
    .await
    .unwrap()
}

/// Waits until `queue` holds no job at all: each was done.
async fn wait_drained(db: &signons_store::Database, queue: Queue, what: &str) {
    eventually(what, Duration::from_secs(60), || async { (jobs_left(db, queue).await == Some(0)).then_some(()) }).await;
}

#[actix_web::test]
async fn a_killed_process_s_emails_are_sent_once_by_the_other_postgres() {
    let pg = test_database(Backend::Postgres);
    let db = signons_store::Database::connect(&pg.url, 2).unwrap();
    const EMAILS: usize = 200;
    let queue = signons_mail::MailQueue::new();
    db.write(|conn| -> Result<(), signons_mail::MailError> {
        for i in 0..EMAILS {
            let email = signons_mail::Email {
                to: format!("signer{i}@example.org"),
                subject: format!("Confirm signature {i}"),
                text: format!("Signature {i}"),
                html: format!("<p>Signature {i}</p>"),
                list_unsubscribe: None,
            };
            queue.enqueue(conn, &email)?;
        }
        Ok(())
    })
    .unwrap();

    // A relay that takes 20 ms per message, for each process its own.
    let (sink_a, sink_b) =
        (SmtpSink::start_slow(Duration::from_millis(20)), SmtpSink::start_slow(Duration::from_millis(20)));
    let mut a = Process::start(&pg.url_string(), &sink_a.url());
    eventually("process A to send some emails", DEADLINE, || async { (recipients(&sink_a).len() >= 20).then_some(()) })
        .await;

    // A's relay stops answering: A's batch is stuck in the middle, each of its emails
    // waiting for the answer to DATA, every other job of A's recorded as sent.
    sink_a.hold();
    let running = || running(&db, Queue::Email);
    let held = eventually("A's batch to be held mid-send", DEADLINE, || async {
        let running = running().await;
        (sink_a.waiting() == CONCURRENCY && running.len() == CONCURRENCY).then_some(running)
    })
    .await;
    let holder = held[0].1.clone();
    assert!(held.iter().all(|(_, by)| *by == holder), "one process holds them: {held:?}");

    // B starts while A is alive: for twice the lease, it does not take A's jobs, because A
    // renews their lease while it waits.
    let _b = Process::start(&pg.url_string(), &sink_b.url());
    eventually("process B to send emails", DEADLINE, || async { (!recipients(&sink_b).is_empty()).then_some(()) })
        .await;
    tokio::time::sleep(LEASE * 2).await;
    let still = running().await;
    let held_payloads: Vec<&String> = held.iter().map(|(p, _)| p).collect();
    for payload in &held_payloads {
        assert!(still.iter().any(|(p, by)| p == *payload && *by == holder), "A keeps its job while alive: {payload}");
    }

    // SIGKILL in the middle of the batch: its emails were never acknowledged by A's relay.
    a.kill().await;
    wait_drained(&db, Queue::Email, "every email to be sent").await;

    let mut times: HashMap<String, usize> = HashMap::new();
    for to in recipients(&sink_a).into_iter().chain(recipients(&sink_b)) {
        *times.entry(to).or_default() += 1;
    }
    assert_eq!(times.len(), EMAILS, "every email arrived");
    let twice: Vec<_> = times.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "each email exactly once: {twice:?}");
    // The four held ones went out through B.
    for (payload, _) in &held {
        let to = serde_json::from_str::<serde_json::Value>(payload).unwrap()["to"].as_str().unwrap().to_owned();
        assert!(recipients(&sink_b).contains(&to), "{to} was taken up by B");
    }
}

/// A remote instance's inbox that answers each delivery after a delay; while held, never
/// (a delivery counts as received only once it is answered); while refusing, with a 503
/// (counted, not received).
#[derive(Clone, Default)]
struct Inbox {
    /// The id of each activity answered, in the order they were answered.
    answered: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    held: std::sync::Arc<std::sync::atomic::AtomicBool>,
    waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    refusing: std::sync::Arc<std::sync::atomic::AtomicBool>,
    refused: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// The inbox URL of a remote instance on `port`, named `localhost:PORT`.
fn inbox_url(port: u16) -> url::Url {
    url::Url::parse(&format!("http://localhost:{port}/inbox")).unwrap()
}

impl Inbox {
    /// Serves on a free port of 127.0.0.1; returns its inbox URL, named `localhost:PORT`.
    fn start(delay: Duration) -> (Inbox, url::Url) {
        let reserved = signons_smtp_sink::reserve_port();
        let url = inbox_url(reserved.port);
        (Self::start_on(reserved, delay), url)
    }

    /// Starts listening on a port reserved earlier (until then, connections to it are
    /// refused, as with an instance that is down).
    fn start_on(reserved: signons_smtp_sink::ReservedPort, delay: Duration) -> Inbox {
        use std::sync::atomic::Ordering;
        let inbox = Inbox::default();
        let shared = inbox.clone();
        let listener = reserved.listen();
        let server = actix_web::HttpServer::new(move || {
            let inbox = shared.clone();
            actix_web::App::new().default_service(actix_web::web::to(
                move |req: actix_web::HttpRequest, body: actix_web::web::Bytes| {
                    let inbox = inbox.clone();
                    async move {
                        if req.method() != actix_web::http::Method::POST {
                            // Not a delivery (a fetch): nothing to count.
                            return actix_web::HttpResponse::NotFound().finish();
                        }
                        if inbox.refusing.load(Ordering::SeqCst) {
                            inbox.refused.fetch_add(1, Ordering::SeqCst);
                            return actix_web::HttpResponse::ServiceUnavailable().finish();
                        }
                        if inbox.held.load(Ordering::SeqCst) {
                            // Held until the sender goes away: never answered, never counted.
                            inbox.waiting.fetch_add(1, Ordering::SeqCst);
                            std::future::pending::<()>().await;
                        }
                        tokio::time::sleep(delay).await;
                        let activity: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                        let id = activity["id"].as_str().unwrap_or("no id").to_owned();
                        inbox.answered.lock().unwrap().push(id);
                        actix_web::HttpResponse::Accepted().finish()
                    }
                },
            ))
        })
        .workers(1)
        .listen(listener)
        .expect("the inbox listens");
        actix_web::rt::spawn(server.run());
        inbox
    }

    fn answered(&self) -> Vec<String> {
        self.answered.lock().unwrap().clone()
    }

    fn hold(&self, on: bool) {
        self.held.store(on, std::sync::atomic::Ordering::SeqCst);
    }

    fn waiting(&self) -> usize {
        self.waiting.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Answers 503 to every delivery while on.
    fn refuse(&self, on: bool) {
        self.refusing.store(on, std::sync::atomic::Ordering::SeqCst);
    }

    /// Deliveries answered 503 so far.
    fn refused(&self) -> usize {
        self.refused.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[actix_web::test]
async fn a_killed_process_s_deliveries_are_sent_once_by_the_other_postgres() {
    use signons_federation::{delivery, outgoing, urls::Urls};
    const INSTANCES: usize = 4;
    const PER_INSTANCE: usize = 40;
    let pg = test_database(Backend::Postgres);
    let db = signons_store::Database::connect(&pg.url, 2).unwrap();
    // One instance served by two processes: both have its public URL.
    let (port_a, port_b) = (free_port(), free_port());
    let public_url = format!("http://localhost:{port_a}");
    let urls = Urls::new(&public_url).unwrap();
    let inboxes: Vec<(Inbox, url::Url)> = (0..INSTANCES).map(|_| Inbox::start(Duration::from_millis(25))).collect();
    let targets: Vec<url::Url> = inboxes.iter().map(|(_, url)| url.clone()).collect();
    let queued = db
        .write(move |conn| -> Result<usize, signons_federation::FederationError> {
            let mut queued = 0;
            for _ in 0..PER_INSTANCE {
                for inbox in &targets {
                    let object = inbox.join("/actor").unwrap();
                    let follow = outgoing::follow_activity(&urls, &urls.new_activity(), &object);
                    queued += delivery::enqueue(conn, &follow, std::slice::from_ref(inbox))?;
                }
            }
            Ok(queued)
        })
        .unwrap();
    assert_eq!(queued, INSTANCES * PER_INSTANCE);

    let env = |port: u16| {
        Process::start_with(
            &pg.url_string(),
            port,
            &[
                ("SIGNONS_PUBLIC_URL", public_url.clone()),
                ("SIGNONS_FEDERATION_ALLOW_LOCAL", "true".into()),
                ("SIGNONS_FEDERATION_RETRY_SECONDS", "1".into()),
            ],
        )
    };
    let answered = || inboxes.iter().map(|(i, _)| i.answered().len()).sum::<usize>();
    let mut a = env(port_a);
    eventually("process A to deliver some activities", DEADLINE, || async { (answered() >= 20).then_some(()) }).await;

    // Every instance stops answering: A has one delivery in flight to each (an instance's
    // deliveries go one after the other, in order).
    for (inbox, _) in &inboxes {
        inbox.hold(true);
    }
    let running = || running(&db, Queue::Delivery);
    let held = eventually("A's deliveries to be held mid-send", DEADLINE, || async {
        let running = running().await;
        let waiting: usize = inboxes.iter().map(|(i, _)| i.waiting()).sum();
        (waiting == INSTANCES && running.len() == INSTANCES).then_some(running)
    })
    .await;
    let holder = held[0].1.clone();
    assert!(held.iter().all(|(_, by)| *by == holder), "one process holds them: {held:?}");
    let before_b = answered();

    // B starts while A is alive: for twice the lease it takes none of A's deliveries, nor
    // any later one to the same instances (they would overtake the one in flight).
    let _b = env(port_b);
    tokio::time::sleep(LEASE * 2).await;
    let still = running().await;
    for (payload, _) in &held {
        assert!(
            still.iter().any(|(p, by)| p == payload && *by == holder),
            "A keeps its delivery while alive: {payload}"
        );
    }
    assert_eq!(answered(), before_b, "nothing was delivered past the deliveries in flight");

    // The instances answer again, but A's requests in flight never get their answer:
    // A is killed with SIGKILL, mid-send.
    for (inbox, _) in &inboxes {
        inbox.hold(false);
    }
    a.kill().await;
    wait_drained(&db, Queue::Delivery, "every delivery to be made").await;

    for (inbox, url) in &inboxes {
        let mut times: HashMap<String, usize> = HashMap::new();
        for id in inbox.answered() {
            *times.entry(id).or_default() += 1;
        }
        assert_eq!(times.len(), PER_INSTANCE, "{url}: every activity arrived");
        let twice: Vec<_> = times.iter().filter(|(_, n)| **n != 1).collect();
        assert!(twice.is_empty(), "{url}: each activity exactly once: {twice:?}");
    }
    // The held ones were delivered (by B) after all.
    let all: Vec<String> = inboxes.iter().flat_map(|(i, _)| i.answered()).collect();
    for (payload, _) in &held {
        let id =
            serde_json::from_str::<serde_json::Value>(payload).unwrap()["activity_id"].as_str().unwrap().to_owned();
        assert!(all.contains(&id), "{id} was delivered");
    }
}
