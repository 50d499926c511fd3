//! SIGKILL in the middle of a signing load, on SQLite (a file) and on PostgreSQL: every
//! signature that got a 2xx is there after the restart, and each stored signature's
//! confirmation email reaches the relay as one message (one `Message-ID`). The design
//! allows one thing more, and no other: an email the relay accepted just before the kill,
//! whose sending was not yet recorded, goes again after the restart with the same
//! `Message-ID` (docs/architecture.md, "The job queue"). So a message may arrive twice
//! only if its first copy arrived before the kill, and at most as many as the process had
//! emails in flight.

use super::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

on_both_backends! {
    sigkill_mid_signing_loses_no_signature_and_sends_each_email_once => sigkill_mid_signing_loses_no_signature_and_sends_each_email_once_sqlite, sigkill_mid_signing_loses_no_signature_and_sends_each_email_once_postgres;
}

/// Sign requests at most (each from its own address).
const SIGNERS: usize = 600;
/// Requests in flight at once.
const IN_FLIGHT: usize = 24;
/// The process is killed once this many requests got their 202, and the relay got this
/// many emails (so that the kill finds emails being sent too).
const KILL_AFTER: usize = 120;
const MAILED_BEFORE_KILL: usize = 10;

/// What became of one sign request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Accepted,
    /// Any other status (none is expected: the process answers 202 or dies).
    Other(u16),
    /// No answer: the process died with the request in flight, or before it was sent.
    None,
}

fn signer(i: usize) -> String {
    format!("signer{i:03}@example.org")
}

async fn sigkill_mid_signing_loses_no_signature_and_sends_each_email_once(backend: Backend) {
    let database = test_database(backend);
    let db = signons_store::Database::connect(&database.url, 2).unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    // The relay takes a few milliseconds per message, so emails are in flight at the kill.
    let sink = SmtpSink::start_slow(Duration::from_millis(5));
    let port = free_port();
    let env = [
        ("SIGNONS_PUBLIC_URL", format!("http://127.0.0.1:{port}")),
        ("SIGNONS_SMTP_URL", sink.url()),
        ("SIGNONS_MAIL_CONCURRENCY", CONCURRENCY.to_string()),
        // Hundreds of signers from one test client: the per-address limit is not tested here.
        ("SIGNONS_SIGN_RATE_PER_IP_PER_HOUR", "0".to_owned()),
    ];
    let mut process = Process::start_in(data_dir.path(), &database.url_string(), port, &env);
    process.ready().await;
    let token = organizer_token(&db).await;
    let slug = create_petition(&process.base(), &token, "Keep the library open late").await;

    // The load: IN_FLIGHT clients sign one address after the other until the process is
    // killed (then every request fails, and the clients stop).
    let answers: Arc<std::sync::Mutex<Vec<Answer>>> = Arc::new(std::sync::Mutex::new(vec![Answer::None; SIGNERS]));
    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build().unwrap();
    let url = format!("{}/api/v1/petitions/{slug}/signatures", process.base());
    let clients: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let (answers, next, accepted, killed, client, url) =
                (answers.clone(), next.clone(), accepted.clone(), killed.clone(), client.clone(), url.clone());
            tokio::spawn(async move {
                while !killed.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= SIGNERS {
                        return;
                    }
                    let body = serde_json::json!({ "name": format!("Signer {i}"), "email": signer(i) });
                    let answer = match client.post(&url).json(&body).send().await {
                        Ok(r) if r.status().as_u16() == 202 => {
                            accepted.fetch_add(1, Ordering::SeqCst);
                            Answer::Accepted
                        }
                        Ok(r) => Answer::Other(r.status().as_u16()),
                        Err(_) => Answer::None,
                    };
                    answers.lock().unwrap()[i] = answer;
                }
            })
        })
        .collect();
    eventually("signatures to be accepted and emails sent", Duration::from_secs(60), || async {
        (accepted.load(Ordering::SeqCst) >= KILL_AFTER && sink.received().len() >= MAILED_BEFORE_KILL).then_some(())
    })
    .await;
    let mailed_before_kill = sink.received().len();
    process.kill().await;
    let killed_at = Instant::now();
    killed.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.unwrap();
    }
    let answers = answers.lock().unwrap().clone();
    let others: Vec<_> = answers.iter().filter(|a| matches!(a, Answer::Other(_))).collect();
    assert!(others.is_empty(), "every answer was a 202 or none: {others:?}");
    let accepted: BTreeSet<String> = (0..SIGNERS).filter(|i| answers[*i] == Answer::Accepted).map(signer).collect();
    let unanswered = answers.iter().filter(|a| **a == Answer::None).count();
    assert!(accepted.len() >= KILL_AFTER, "{} accepted", accepted.len());
    assert!(unanswered > 0, "the kill came in the middle of the load");

    // The same instance starts again: the same database, data folder (its link key) and port.
    let mut process = Process::start_in(data_dir.path(), &database.url_string(), port, &env);
    process.ready().await;
    // The killed process's emails in flight are taken up once their lease lapses.
    wait_drained(&db, Queue::Email, "every email to be sent after the restart").await;

    // Every 202 is stored; and what is stored is all this petition's signatures (some
    // requests the process died answering were stored too: they count as well).
    let stored = stored_signers(&db, &slug).await;
    let lost: Vec<_> = accepted.difference(&stored).collect();
    assert!(lost.is_empty(), "signatures answered 202 and lost in the kill: {lost:?}");
    assert!(stored.len() <= accepted.len() + unanswered, "nothing stored that was not asked");

    // One message per stored signature: one Message-ID each, and none to anyone else.
    let received = sink.received();
    let mut ids_by_recipient: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut copies: BTreeMap<String, Vec<Instant>> = BTreeMap::new();
    for message in &received {
        let id = message_id(&message.data);
        for to in &message.rcpt_to {
            ids_by_recipient.entry(to.clone()).or_default().insert(id.clone());
        }
        copies.entry(id).or_default().push(message.at);
    }
    let recipients: BTreeSet<String> = ids_by_recipient.keys().cloned().collect();
    let unmailed: Vec<_> = stored.difference(&recipients).collect();
    assert!(unmailed.is_empty(), "stored signatures whose email never came: {unmailed:?}");
    let strangers: Vec<_> = recipients.difference(&stored).collect();
    assert!(strangers.is_empty(), "emails to no stored signature: {strangers:?}");
    let several: Vec<_> = ids_by_recipient.iter().filter(|(_, ids)| ids.len() != 1).collect();
    assert!(several.is_empty(), "one confirmation message per signature: {several:?}");
    // A message sent twice: only one the relay accepted before the kill, and no more of
    // them than the process had in flight.
    let twice: Vec<(&String, &Vec<Instant>)> = copies.iter().filter(|(_, at)| at.len() > 1).collect();
    for (id, at) in &twice {
        assert_eq!(at.len(), 2, "{id} was sent {} times", at.len());
        assert!(at[0] < killed_at, "{id} was sent twice after the kill");
    }
    assert!(twice.len() <= CONCURRENCY, "{} messages sent twice, more than were in flight", twice.len());
    eprintln!(
        "{backend:?}: {} accepted, {unanswered} unanswered, {} stored, {mailed_before_kill} mailed before the kill, \
         {} messages in all, {} sent again",
        accepted.len(),
        stored.len(),
        received.len(),
        twice.len()
    );

    // The links work after the restart: a few signers confirm, and the count says so.
    let browser = Browser::new(&process.base(), None);
    let sample: Vec<&String> = accepted.iter().step_by(accepted.len() / 5).take(5).collect();
    for to in &sample {
        let message = received.iter().find(|m| m.rcpt_to.contains(to)).unwrap();
        let mail = crate::mail::Mail::parse(&message.data).unwrap();
        browser.follow_and_press(&mail.confirm_link(&process.base())).await.expect(200);
    }
    let api = Api { client: client.clone(), base: process.base(), token: None };
    eventually("the count of the confirmed sample", DEADLINE, || async {
        let petition = api.get(&format!("/petitions/{slug}")).await.expect(200).json();
        (petition["total_signatures"] == sample.len()).then_some(())
    })
    .await;
}
