//! The sign form's body, read as `POST /p/{slug}/sign` reads it (`page::parse_form` into
//! `SignForm`), judged by the bot checks, then validated into a `ValidSignature` for a
//! petition that asks every field and for one that asks none. Nothing panics, and what
//! passes validation holds what the rest of the code relies on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signons_app::bots::ProofOfWork;
use signons_app::routes::public::SignForm;
use signons_signature::signer::{COMMENT_MAX, COUNTRY_MAX, NAME_MAX, POSTAL_CODE_MAX};
use signons_signature::SignerEmail;
use std::sync::OnceLock;

fn proof_of_work() -> &'static ProofOfWork {
    static POW: OnceLock<ProofOfWork> = OnceLock::new();
    POW.get_or_init(|| ProofOfWork::new([7; 32], 8))
}

fn text_within(s: &str, max: usize, multiline: bool) {
    assert_eq!(s, s.trim(), "{s:?} is not trimmed");
    assert!(!s.is_empty() && s.chars().count() <= max, "{s:?} is not within 1..={max}");
    assert!(s.chars().all(|c| !c.is_control() || (multiline && matches!(c, '\n' | '\r' | '\t'))), "{s:?}");
}

fuzz_target!(|data: &[u8]| {
    let Ok(form) = signons_app::page::parse_form::<SignForm>(data) else { return };
    let bots = form.bots();
    let _ = bots.judge(None, 1_800_000_000);
    let _ = bots.judge(Some(proof_of_work()), 1_800_000_000);
    let input = form.input();
    for (ask_country, ask_postal_code) in [(false, false), (true, true)] {
        let Ok(valid) = input.validate_asking(ask_country, ask_postal_code) else { continue };
        text_within(&valid.name, NAME_MAX, false);
        if let Some(comment) = &valid.comment {
            text_within(comment, COMMENT_MAX, true);
        }
        assert_eq!(valid.country.is_some(), ask_country);
        assert_eq!(valid.postal_code.is_some(), ask_postal_code);
        if let Some(country) = &valid.country {
            text_within(country, COUNTRY_MAX, false);
        }
        if let Some(code) = &valid.postal_code {
            text_within(code, POSTAL_CODE_MAX, false);
            assert!(code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == ' ' || c == '-'));
        }
        // The address as stored parses again to the same person; the canonical form is an
        // address too, and canonical already (the key that says who signed).
        let email = &valid.email;
        let again = SignerEmail::parse(email.address()).expect("a stored address parses again");
        assert_eq!(again.canonical(), email.canonical());
        let canonical = SignerEmail::parse(email.canonical()).expect("a canonical form is an address");
        assert_eq!(canonical.canonical(), email.canonical(), "canonicalizing twice changes {:?}", email.address());
    }
});
