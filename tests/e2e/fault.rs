//! Faults across processes: two `signons serve` processes share one PostgreSQL database
//! and its job queue, and one of them is killed with SIGKILL in the middle of a batch.
//! Every email still reaches a relay exactly once: the dead process's jobs are taken up
//! once their lease lapses, never while the live process that holds them renews it.

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

impl Process {
    fn start(database_url: &str, smtp_url: &str) -> Process {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_signons-under-test"))
            .arg("serve")
            .env_remove("SIGNONS_CONFIG")
            .env("SIGNONS_BIND", format!("127.0.0.1:{port}"))
            .env("SIGNONS_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("SIGNONS_DATABASE_URL", database_url)
            .env("SIGNONS_DATA_DIR", dir.path())
            .env("SIGNONS_SMTP_URL", smtp_url)
            .env("SIGNONS_MAIL_CONCURRENCY", CONCURRENCY.to_string())
            .env("SIGNONS_MAIL_RETRY_SECONDS", "1")
            .env("SIGNONS_JOB_LEASE_SECONDS", LEASE.as_secs().to_string())
            .env("SIGNONS_WORKERS", "1")
            .env("RUST_LOG", "warn")
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
    let running = || async {
        db.read_async(|conn| -> Result<Vec<(String, Option<String>)>, signons_store::StoreError> {
            Ok(jobs::table
                .filter(jobs::queue.eq(Queue::Email))
                .filter(jobs::state.eq(JobState::Running))
                .select((jobs::payload, jobs::locked_by))
                .load(conn)?)
        })
        .await
        .unwrap()
    };
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
    eventually("every email to be sent", Duration::from_secs(60), || async {
        let left = db
            .read_async(|conn| -> Result<i64, signons_store::StoreError> {
                Ok(jobs::table.filter(jobs::queue.eq(Queue::Email)).count().get_result(conn)?)
            })
            .await
            .unwrap();
        (left == 0).then_some(())
    })
    .await;

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
