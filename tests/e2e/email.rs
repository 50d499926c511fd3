//! Email over a real SMTP conversation: multipart text and HTML in the signer's language,
//! and an outage that delays mail without losing or duplicating it.

use crate::helpers::{eventually, send, Backend, Options, Table, TestApp, DEADLINE};
use crate::smtp::{reserve_port, smtp_url, ReceivedMail, SmtpSink};
use diesel::prelude::*;
use serde_json::json;
use signons_store::schema::{jobs, signatures};

on_both_backends! {
    smtp_delivers_multipart_mail_in_the_signers_language => smtp_delivers_multipart_mail_in_the_signers_language_sqlite, smtp_delivers_multipart_mail_in_the_signers_language_postgres;
    smtp_outage_delays_mail_and_loses_none => smtp_outage_delays_mail_and_loses_none_sqlite, smtp_outage_delays_mail_and_loses_none_postgres;
    emails_are_written_when_sent => emails_are_written_when_sent_sqlite, emails_are_written_when_sent_postgres;
}

async fn smtp_delivers_multipart_mail_in_the_signers_language(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::spawn_with(backend, Options { smtp_url: Some(sink.url()), ..Options::default() }).await;
    let slug = app.create_petition("Save the Rhône riverbanks", true).await;
    assert_eq!(slug, "save-the-rhone-riverbanks");

    app.sign(&slug, "Ann Smith", "ann.smith@example.org").await.expect(202);
    let received = sink.next_message().await;
    assert_eq!(received.rcpt_to, ["ann.smith@example.org"]);
    assert_eq!(received.mail_from, "noreply@localhost");
    let mail = received.mail();
    assert!(mail.content_type.starts_with("multipart/alternative"), "{}", mail.content_type);
    assert_eq!(mail.parts.len(), 2, "a text and an HTML part");
    assert!(mail.part("text/plain").is_some() && mail.part("text/html").is_some());
    assert_eq!(mail.to, "ann.smith@example.org");
    assert_eq!(mail.from, "Signons <noreply@localhost>");
    assert_eq!(mail.subject, "Confirm your signature: Save the Rhône riverbanks");
    assert!(mail.text().contains("Hello Ann Smith,"), "{}", mail.text());
    assert!(mail.html().contains("<html lang=\"en\">"));
    assert!(mail.html().contains("Confirm my signature"));
    let link = mail.confirm_link(&app.url);
    app.browser().follow_and_press(&link).await.expect(200);
    app.assert_count(&slug, 1).await;

    // A French-speaking signer (their browser's language) gets the email in French.
    let signed = send(
        app.public_api()
            .post_builder(&format!("/petitions/{slug}/signatures"))
            .header("accept-language", "fr-FR,fr;q=0.9,en;q=0.5")
            .json(&json!({ "name": "Jean Dupont", "email": "jean.dupont@example.org" })),
    )
    .await;
    signed.expect(202);
    let mail = sink.next_message().await.mail();
    assert_eq!(mail.to, "jean.dupont@example.org");
    assert_eq!(mail.subject, "Confirmez votre signature\u{a0}: Save the Rhône riverbanks");
    assert!(mail.text().contains("Bonjour Jean Dupont,"), "{}", mail.text());
    assert!(mail.text().contains("Le lien est valable 72 heures."), "{}", mail.text());
    assert!(mail.html().contains("<html lang=\"fr\">"));
    assert!(mail.html().contains("Confirmer ma signature"));
    mail.confirm_link(&app.url);

    app.wait_mail_queue_empty().await;
    assert_eq!(sink.received().len(), 2);
    assert_eq!(app.outbox_files(), 0, "with SMTP, nothing goes to the outbox");
}

async fn smtp_outage_delays_mail_and_loses_none(backend: Backend) {
    let reserved = reserve_port();
    let port = reserved.port;
    let app = TestApp::spawn_with(backend, Options { smtp_url: Some(smtp_url(port)), ..Options::default() }).await;
    let slug = app.create_petition("Keep the night bus running", true).await;

    // Nothing listens: the signs succeed, the emails wait in the queue with their error,
    // tried again and again.
    const SIGNERS: [&str; 4] = ["nora@example.org", "omar@example.org", "pia@example.org", "quentin@example.org"];
    for email in SIGNERS {
        app.sign(&slug, "Night Owl", email).await.expect(202);
    }
    let errors = eventually("every email to fail twice", DEADLINE, || async {
        let failed = app
            .read(|conn| {
                jobs::table
                    .filter(jobs::queue.eq(signons_store::jobs::Queue::Email))
                    .filter(jobs::last_error.is_not_null())
                    .filter(jobs::attempts.ge(2))
                    .select(jobs::last_error)
                    .load::<Option<String>>(conn)
            })
            .await;
        (failed.len() == SIGNERS.len()).then_some(failed)
    })
    .await;
    for error in errors {
        assert!(error.is_some_and(|e| !e.contains('@')), "an error is kept, without the address");
    }
    assert_eq!(app.count_rows(Table::OutgoingEmails).await, SIGNERS.len() as i64, "every email waits");

    // The server comes back: each email arrives, once.
    let sink = SmtpSink::start_on(reserved);
    assert_eq!(sink.port(), port);
    app.wait_mail_queue_empty().await;
    let received = sink.received();
    let mut recipients: Vec<&str> = received.iter().flat_map(|m| m.rcpt_to.iter().map(String::as_str)).collect();
    recipients.sort_unstable();
    assert_eq!(recipients, SIGNERS, "each delivered exactly once");
    let link = received.iter().find(|m| m.rcpt_to == ["nora@example.org"]).unwrap().mail().confirm_link(&app.url);
    app.browser().follow_and_press(&link).await.expect(200);
    app.assert_count(&slug, 1).await;
}

/// A signature's email is written when it is sent, from the signature as it then is:
/// while the relay is down, one signature is purged (as retention does) and another
/// address signs twice. When the relay is back, the purged one's email is not sent (and
/// not kept to retry), the replaced confirmation is not sent, and the one email that goes
/// out greets the latest submission with links that work. The queue never held a link.
async fn emails_are_written_when_sent(backend: Backend) {
    let reserved = reserve_port();
    let app =
        TestApp::spawn_with(backend, Options { smtp_url: Some(smtp_url(reserved.port)), ..Options::default() }).await;
    let slug = app.create_petition("Plant a hedge along the canal", true).await;
    app.sign(&slug, "Gone Soon", "gone@example.org").await.expect(202);
    app.sign(&slug, "Someone Else", "hedge@example.org").await.expect(202);
    app.sign(&slug, "Hazel Hedge", "hedge@example.org").await.expect(202);
    let payloads = app
        .read(|conn| {
            jobs::table
                .filter(jobs::queue.eq(signons_store::jobs::Queue::Email))
                .select(jobs::payload)
                .load::<String>(conn)
        })
        .await;
    // The replaced confirmation may already have been dropped by a send attempt.
    assert!((2..=3).contains(&payloads.len()), "{payloads:?}");
    for payload in &payloads {
        assert!(!payload.contains("/s/") && !payload.contains("/w/") && !payload.contains("example.org"), "{payload}");
    }
    let purged = app
        .write(|conn| diesel::delete(signatures::table.filter(signatures::email.eq("gone@example.org"))).execute(conn))
        .await;
    assert_eq!(purged, 1);

    let sink = SmtpSink::start_on(reserved);
    app.wait_mail_queue_empty().await;
    let received = sink.received();
    let recipients: Vec<&String> = received.iter().flat_map(|m| &m.rcpt_to).collect();
    assert_eq!(recipients, ["hedge@example.org"], "only the live signature's latest email");
    let dead = app
        .read(|conn| {
            jobs::table.filter(jobs::queue.eq(signons_store::jobs::Queue::Email)).count().get_result::<i64>(conn)
        })
        .await;
    assert_eq!(dead, 0, "nothing kept to retry");
    let mail = received[0].mail();
    assert!(mail.text().contains("Hello Hazel Hedge,"), "{}", mail.text());
    app.browser().follow_and_press(&mail.confirm_link(&app.url)).await.expect(200);
    app.assert_count(&slug, 1).await;
}
