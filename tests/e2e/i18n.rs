//! English and French: the browser's language picks the pages and the emails; the
//! language link overrides it.

use crate::helpers::{Backend, TestApp};

on_both_backends! {
    french_pages_and_emails_then_back_to_english => french_pages_and_emails_then_back_to_english_sqlite, french_pages_and_emails_then_back_to_english_postgres;
}

async fn french_pages_and_emails_then_back_to_english(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Sauvons la piscine municipale", true).await;
    let fr = app.browser_in("fr-FR,fr;q=0.9,en;q=0.5");

    let home = fr.get("/").await;
    home.expect(200).contains("<html lang=\"fr\">").contains("<h1>Pétitions</h1>");
    assert_eq!(home.header("content-language"), Some("fr"));

    let page = fr.get(&format!("/p/{slug}")).await;
    page.expect(200)
        .contains("<html lang=\"fr\">")
        .contains("Signer cette pétition")
        .contains("Votre nom")
        .contains("<strong>0 signature</strong>")
        .contains(&format!("href=\"/lang/en?next=%2Fp%2F{slug}\""));

    // Signing in French: French pages, a French email.
    let signed = fr
        .post_form(
            &format!("/p/{slug}/sign"),
            &[("csrf", &page.csrf()), ("name", "Léa Moreau"), ("email", "lea.moreau@example.org")],
        )
        .await;
    signed.expect(303);
    fr.get(signed.location()).await.expect(200).contains("Consultez vos e-mails");
    let mail = app.next_email_to("lea.moreau@example.org").await;
    assert_eq!(mail.subject, "Confirmez votre signature\u{a0}: Sauvons la piscine municipale");
    assert!(mail.text().contains("Bonjour Léa Moreau,"), "{}", mail.text());
    assert!(mail.text().contains("Le lien est valable 72 heures."), "{}", mail.text());
    assert!(mail.html().contains("<html lang=\"fr\">"));
    let link = mail.confirm_link(&app.url);
    let path = link.strip_prefix(&app.url).expect("a local link");
    fr.get(path).await.expect(200).contains("Confirmez votre signature").contains("Confirmer ma signature");
    fr.follow_and_press(&link).await.expect(200).contains("Merci, votre signature compte\u{a0}!");
    fr.page_until(&format!("/p/{slug}"), "the count", |p| p.body.contains("<strong>1 signature</strong>")).await;
    fr.get("/p/no-such-petition").await.expect(404).contains("Erreur 404");

    // The language link switches to English, although the browser still prefers French.
    let switched = fr.get(&format!("/lang/en?next=%2Fp%2F{slug}")).await;
    switched.expect(303);
    assert_eq!(switched.location(), format!("/p/{slug}"));
    assert!(switched.header("set-cookie").is_some_and(|c| c.starts_with("signons_lang=en")));
    fr.get(&format!("/p/{slug}"))
        .await
        .expect(200)
        .contains("<html lang=\"en\">")
        .contains("Sign this petition")
        .contains(&format!("href=\"/lang/fr?next=%2Fp%2F{slug}\""));
    fr.get("/").await.expect(200).contains("<h1>Petitions</h1>");

    // And back; an unknown language is a 404, and the link goes nowhere but this site.
    fr.get("/lang/fr?next=/").await.expect(303);
    fr.get("/").await.expect(200).contains("<html lang=\"fr\">");
    fr.get("/lang/de").await.expect(404);
    assert_eq!(fr.get("/lang/en?next=//evil.example/").await.expect(303).location(), "/");
    assert_eq!(fr.get("/lang/en?next=https://evil.example/").await.expect(303).location(), "/");
}
