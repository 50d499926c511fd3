//! Faults across processes: two `signons serve` processes share one PostgreSQL database
//! and its job queue, and one of them is killed with SIGKILL in the middle of a batch.
//! Every email still reaches a relay exactly once, and every delivery an inbox exactly
//! once: the dead process's jobs are taken up once their lease lapses, never while the
//! live process that holds them renews it.

use crate::helpers::*;
use crate::smtp::SmtpSink;
use diesel::prelude::*;
use signons_store::jobs::{JobState, Queue};
use signons_store::schema::jobs;
use std::collections::HashMap;
use std::time::Duration;

/// Emails in flight per process.
const CONCURRENCY: usize = 4;
/// The lease the processes take on a job (the smallest the configuration allows).
const LEASE: Duration = Duration::from_secs(3);

/// A `signons serve` child process, killed when dropped.
struct Process {
    child: tokio::process::Child,
    _dir: tempfile::TempDir,
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

    fn start_with(database_url: &str, port: u16, env: &[(&str, String)]) -> Process {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_signons-under-test"))
            .arg("serve")
            .env_remove("SIGNONS_CONFIG")
            .env("SIGNONS_BIND", format!("127.0.0.1:{port}"))
            .env("SIGNONS_DATABASE_URL", database_url)
            .env("SIGNONS_DATA_DIR", dir.path())
            .env("SIGNONS_MAIL_RETRY_SECONDS", "1")
            .env("SIGNONS_JOB_LEASE_SECONDS", LEASE.as_secs().to_string())
            .env("SIGNONS_WORKERS", "1")
            .env("RUST_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .kill_on_drop(true)
            .spawn()
            .expect("signons serve starts");
        Process { child, _dir: dir }
    }
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
    eventually(what, Duration::from_secs(60), || async {
        let left = db
            .read_async(move |conn| -> Result<i64, signons_store::StoreError> {
                Ok(jobs::table.filter(jobs::queue.eq(queue)).count().get_result(conn)?)
            })
            .await
            .unwrap();
        (left == 0).then_some(())
    })
    .await;
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
    a.child.start_kill().unwrap();
    a.child.wait().await.unwrap();
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

/// A remote instance's inbox that answers each delivery after a delay, or, while held,
/// never: a delivery counts as received only once it is answered.
#[derive(Clone, Default)]
struct Inbox {
    /// The id of each activity answered.
    answered: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    held: std::sync::Arc<std::sync::atomic::AtomicBool>,
    waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Inbox {
    /// Serves on a free port of 127.0.0.1; returns its inbox URL, named `localhost:PORT`.
    fn start(delay: Duration) -> (Inbox, url::Url) {
        use std::sync::atomic::Ordering;
        let inbox = Inbox::default();
        let shared = inbox.clone();
        let server = actix_web::HttpServer::new(move || {
            let inbox = shared.clone();
            actix_web::App::new().default_service(actix_web::web::to(move |body: actix_web::web::Bytes| {
                let inbox = inbox.clone();
                async move {
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
            }))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .expect("a free port");
        let port = server.addrs()[0].port();
        actix_web::rt::spawn(server.run());
        (inbox, url::Url::parse(&format!("http://localhost:{port}/inbox")).unwrap())
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
    a.child.start_kill().unwrap();
    a.child.wait().await.unwrap();
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
