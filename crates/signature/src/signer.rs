//! What a signer types, parsed: name, email (and its canonical form), the fields the
//! petition asks for, comment and choices.

use serde::{Deserialize, Serialize};
use signons_petition::fields::{self, FieldError, FieldErrors};
use signons_petition::Petition;

/// An email address as the signer typed it, validated, with its canonical form: the key
/// that says whether two addresses are the same person's mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerEmail {
    address: String,
    canonical: String,
}

impl SignerEmail {
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let input = input.trim();
        let err = |code| FieldError { field: "email", code, limit: None };
        if input.is_empty() {
            return Err(err("error-required"));
        }
        if input.len() > Self::MAX_LEN {
            return Err(FieldError { field: "email", code: "error-too-long", limit: Some(Self::MAX_LEN as u64) });
        }
        let options = email_address::Options::default().without_display_text().without_domain_literal();
        let parsed =
            email_address::EmailAddress::parse_with_options(input, options).map_err(|_| err("error-email-invalid"))?;
        let local = parsed.local_part();
        let domain = parsed.domain().to_lowercase();
        if !domain.contains('.') || local.starts_with('"') {
            return Err(err("error-email-invalid"));
        }
        if is_disposable(&domain) {
            return Err(err("error-email-disposable"));
        }
        let address = format!("{local}@{domain}");
        let canonical = canonicalize(local, &domain);
        // What is left of the name once the provider's tag is stripped must still be a
        // mailbox: `+news@gmail.com` and `a.+news@outlook.com` name none (and every such
        // address would share one canonical form, one person for the count).
        if email_address::EmailAddress::parse_with_options(&canonical, options).is_err() {
            return Err(err("error-email-invalid"));
        }
        Ok(SignerEmail { canonical, address })
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn canonical(&self) -> &str {
        &self.canonical
    }
}

/// Whether mail to `domain` (lowercase) goes to a throwaway inbox: the domain or one of
/// its parents is on `mailchecker`'s list. Such an address confirms a signature and is gone,
/// so one person could sign again and again.
fn is_disposable(domain: &str) -> bool {
    static LIST: std::sync::OnceLock<std::collections::HashSet<&'static str>> = std::sync::OnceLock::new();
    let list = LIST.get_or_init(|| mailchecker::blacklist().into_iter().collect());
    let mut rest = domain.trim_end_matches('.');
    loop {
        if list.contains(rest) {
            return true;
        }
        match rest.split_once('.') {
            Some((_, parent)) if parent.contains('.') => rest = parent,
            _ => return false,
        }
    }
}

/// Mail providers that deliver `name+tag@` to `name@`, so that the tag names no other
/// person. Elsewhere `+` is an ordinary character, and `a+b@` may be someone else's
/// mailbox: stripping it there would let one person receive another's withdraw link.
const PLUS_ADDRESSING: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "fastmail.com",
    "fastmail.fm",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "posteo.de",
    "posteo.net",
    "mailbox.org",
];

/// Lowercase; without `+tag` for providers known to ignore it (`PLUS_ADDRESSING`); for
/// Gmail also without dots (Gmail ignores them).
fn canonicalize(local: &str, domain: &str) -> String {
    let local = local.to_lowercase();
    let local = match PLUS_ADDRESSING.contains(&domain) {
        true => local.split('+').next().unwrap_or(&local).to_owned(),
        false => local,
    };
    let (local, domain) = match domain {
        "gmail.com" | "googlemail.com" => (local.replace('.', ""), "gmail.com"),
        d => (local, d),
    };
    format!("{local}@{domain}")
}

signons_store::text_enum! {
    /// How the signer reached the sign form, for the organizers' insight: the petition's
    /// own page, the widget embedded in another site, or a link from the page's share box
    /// (its `?via=share`). Told by the form and the page it was posted from, never by a
    /// cookie; signatures collected by other instances are counted apart.
    pub enum Source {
        Direct = "direct",
        Embed = "embed",
        SharedLink = "shared_link",
    }
}

// Written out: `text_enum!` declares the variants, so `#[default]` cannot mark one.
#[allow(clippy::derivable_impls)]
impl Default for Source {
    fn default() -> Self {
        Source::Direct
    }
}

/// The sign form or API body, before validation. Checkboxes arrive as "on" or absent.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SignatureInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub opt_in: bool,
    /// Set by the page that received the form, not by what the signer sent.
    #[serde(skip)]
    pub source: Source,
}

#[derive(Debug, Clone)]
pub struct ValidSignature {
    pub name: String,
    pub email: SignerEmail,
    pub country: Option<String>,
    pub postal_code: Option<String>,
    pub comment: Option<String>,
    pub public: bool,
    pub opt_in: bool,
    pub source: Source,
}

pub const NAME_MAX: usize = 100;
pub const COUNTRY_MAX: usize = 60;
pub const POSTAL_CODE_MAX: usize = 12;
pub const COMMENT_MAX: usize = 1000;

fn postal_code(input: &str) -> Result<String, FieldError> {
    let code = fields::text("postal_code", input, 2, POSTAL_CODE_MAX, false)?;
    if code.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-') {
        Ok(code.to_uppercase())
    } else {
        Err(FieldError { field: "postal_code", code: "error-postal-code-invalid", limit: None })
    }
}

impl SignatureInput {
    /// Parses every field, asking for country and postal code only where the petition does.
    pub fn validate(&self, petition: &Petition) -> Result<ValidSignature, FieldErrors> {
        self.validate_asking(petition.ask_country, petition.ask_postal_code)
    }

    /// `validate` for a petition that asks country and postal code as said (one of another
    /// instance, whose fields arrive by federation).
    pub fn validate_asking(&self, ask_country: bool, ask_postal_code: bool) -> Result<ValidSignature, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check(fields::text("name", &self.name, 1, NAME_MAX, false));
        let email = errors.check(SignerEmail::parse(&self.email));
        let country = if ask_country {
            errors
                .check(fields::text("country", self.country.as_deref().unwrap_or(""), 2, COUNTRY_MAX, false))
                .map(Some)
        } else {
            Some(None)
        };
        let postal_code = if ask_postal_code {
            errors.check(postal_code(self.postal_code.as_deref().unwrap_or(""))).map(Some)
        } else {
            Some(None)
        };
        let comment = errors.check(fields::optional_text("comment", self.comment.as_deref(), COMMENT_MAX, true));
        match (name, email, country, postal_code, comment) {
            (Some(name), Some(email), Some(country), Some(postal_code), Some(comment)) if errors.is_empty() => {
                Ok(ValidSignature {
                    name,
                    email,
                    country,
                    postal_code,
                    comment,
                    public: self.public,
                    opt_in: self.opt_in,
                    source: self.source,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_emails() {
        let e = SignerEmail::parse("  Jean.Dupont+petitions@GMail.com ").unwrap();
        assert_eq!(e.address(), "Jean.Dupont+petitions@gmail.com");
        assert_eq!(e.canonical(), "jeandupont@gmail.com");
        assert_eq!(SignerEmail::parse("A.B@Example.org").unwrap().canonical(), "a.b@example.org");
        assert_eq!(SignerEmail::parse("Ann+news@FastMail.com").unwrap().canonical(), "ann@fastmail.com");
        // Elsewhere a `+` may be part of another person's address.
        assert_eq!(SignerEmail::parse("ann+bob@example.org").unwrap().canonical(), "ann+bob@example.org");
        assert_ne!(
            SignerEmail::parse("ann+bob@example.org").unwrap().canonical(),
            SignerEmail::parse("ann@example.org").unwrap().canonical()
        );
        assert_eq!(
            SignerEmail::parse("x@googlemail.com").unwrap().canonical(),
            SignerEmail::parse("X@gmail.com").unwrap().canonical()
        );
    }

    /// The migration that made earlier canonical forms again names the same providers.
    #[test]
    fn the_migration_knows_the_same_providers() {
        for sql in [
            include_str!("../../../migrations/sqlite/2026-12-04-000002_plus_addressing/up.sql"),
            include_str!("../../../migrations/postgres/2026-12-04-000002_plus_addressing/up.sql"),
        ] {
            for domain in PLUS_ADDRESSING {
                assert_eq!(sql.matches(&format!("'{domain}'")).count(), 2, "{domain}");
            }
            assert_eq!(
                sql.matches("'").count(),
                4 * PLUS_ADDRESSING.len() + 8,
                "no other provider in the list (and the patterns '%+%' and '@', twice each)"
            );
        }
    }

    /// Found by the property `canonical_form_is_a_canonical_address`: the canonical forms
    /// of these were `@gmail.com` and `a.@outlook.com`, no addresses at all.
    #[test]
    fn addresses_with_no_mailbox_left_once_canonical_are_refused() {
        for bad in ["+@gmail.com", "+news@gmail.com", "a.+@outlook.com", "a.+news@outlook.com", "+x@FastMail.com"] {
            assert_eq!(SignerEmail::parse(bad).unwrap_err().code, "error-email-invalid", "{bad}");
        }
        // Elsewhere a `+` is part of the name, and Gmail's dots go: these are mailboxes.
        assert_eq!(SignerEmail::parse("+news@example.org").unwrap().canonical(), "+news@example.org");
        assert_eq!(SignerEmail::parse("a.+news@gmail.com").unwrap().canonical(), "a@gmail.com");
    }

    #[test]
    fn disposable_domains_are_refused() {
        for bad in ["someone@mailinator.com", "x@YOPMAIL.com", "a@guerrillamail.com", "b@sub.mailinator.com"] {
            assert_eq!(SignerEmail::parse(bad).unwrap_err().code, "error-email-disposable", "{bad}");
        }
        for good in ["a@example.org", "jean@laposte.net", "x@gmail.com", "z@orange.fr", "m@proton.me"] {
            assert!(SignerEmail::parse(good).is_ok(), "{good}");
        }
        for provider in PLUS_ADDRESSING {
            assert!(!is_disposable(provider), "{provider} keeps its mail");
        }
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "plain",
            "a@b",
            "a@@b.org",
            "<script>@x.org",
            "Jean <j@x.org>",
            "a b@x.org",
            "a@[127.0.0.1]",
            &format!("{}@x.org", "a".repeat(260)),
        ] {
            assert!(SignerEmail::parse(bad).is_err(), "{bad}");
        }
    }

    /// Properties of canonical emails, over generated addresses (proptest's default 256
    /// cases each: a second or so).
    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// A mailbox's name as people type it: letters of both cases, digits, dots inside,
        /// and maybe a `+tag`.
        fn local() -> impl Strategy<Value = String> {
            "[A-Za-z0-9]([A-Za-z0-9._-]{0,14}[A-Za-z0-9])?(\\+[A-Za-z0-9_-]{0,8})?"
                .prop_filter("no dot next to a dot", |l| !l.contains(".."))
        }

        /// A domain that is not a known plus-addressing provider nor a disposable one.
        fn other_domain() -> impl Strategy<Value = String> {
            "[a-z][a-z0-9]{1,10}\\.(org|net|fr|de|example)"
                .prop_filter("not a plus-addressing provider", |d| !PLUS_ADDRESSING.contains(&d.as_str()))
                .prop_filter("not disposable", |d| !is_disposable(d))
        }

        fn any_domain() -> impl Strategy<Value = String> {
            prop_oneof![other_domain(), proptest::sample::select(PLUS_ADDRESSING).prop_map(str::to_owned)]
        }

        /// Upper-cases the letters of `s` where `mask` says so (a way of typing it).
        fn typed(s: &str, mask: u64) -> String {
            s.chars()
                .enumerate()
                .map(|(i, c)| if mask >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c })
                .collect()
        }

        proptest! {
            /// Whatever is typed, parsing answers: an address or a field error.
            #[test]
            fn parsing_never_panics(input in ".{0,300}") {
                let _ = SignerEmail::parse(&input);
            }

            #[test]
            fn parsing_never_panics_on_near_addresses(input in "[ -~]{0,40}@[ -~]{0,40}") {
                let _ = SignerEmail::parse(&input);
            }

            /// A valid address's canonical form is a valid address, and canonical already:
            /// canonicalizing it again changes nothing.
            #[test]
            fn canonical_form_is_a_canonical_address(local in local(), domain in any_domain()) {
                let email = SignerEmail::parse(&format!("{local}@{domain}")).unwrap();
                let again = SignerEmail::parse(email.canonical());
                prop_assert!(again.is_ok(), "{} has canonical form {}, not an address", email.address(), email.canonical());
                prop_assert_eq!(again.unwrap().canonical().to_owned(), email.canonical().to_owned());
            }

            /// The same for anything that parses, not only for addresses shaped as above.
            #[test]
            fn canonical_form_of_anything_valid_is_canonical(input in "[A-Za-z0-9.+_!#$%&'*/=?^`{|}~-]{1,20}@(gmail\\.com|googlemail\\.com|fastmail\\.com|example\\.org|[a-z]{1,5}\\.[a-z]{2,3})") {
                if let Ok(email) = SignerEmail::parse(&input) {
                    let again = SignerEmail::parse(email.canonical());
                    prop_assert!(again.is_ok(), "{} has canonical form {}, not an address", email.address(), email.canonical());
                    prop_assert_eq!(again.unwrap().canonical().to_owned(), email.canonical().to_owned());
                }
            }

            /// The domain's case never matters; the local part's case matters for nothing
            /// either (one person typing their address differently).
            #[test]
            fn case_does_not_make_another_person(local in local(), domain in any_domain(), m1 in any::<u64>(), m2 in any::<u64>()) {
                let plain = SignerEmail::parse(&format!("{local}@{domain}")).unwrap();
                let shouted = SignerEmail::parse(&format!("{}@{}", typed(&local, m1), typed(&domain, m2))).unwrap();
                prop_assert_eq!(plain.canonical(), shouted.canonical());
                // The address kept for sending has its domain in lower case, its local part as typed.
                let expected_address = format!("{}@{domain}", typed(&local, m1));
                prop_assert_eq!(shouted.address(), expected_address.as_str());
            }

            /// `+tag` is dropped for the providers that ignore it, and only for them.
            #[test]
            fn plus_tags_are_stripped_only_where_the_provider_ignores_them(
                name in "[a-z0-9]{1,12}",
                tag in "[a-z0-9]{1,8}",
                provider in proptest::sample::select(PLUS_ADDRESSING),
                other in other_domain(),
            ) {
                let tagged = SignerEmail::parse(&format!("{name}+{tag}@{provider}")).unwrap();
                let untagged = SignerEmail::parse(&format!("{name}@{provider}")).unwrap();
                prop_assert_eq!(tagged.canonical(), untagged.canonical());
                let tagged = SignerEmail::parse(&format!("{name}+{tag}@{other}")).unwrap();
                let untagged = SignerEmail::parse(&format!("{name}@{other}")).unwrap();
                prop_assert_ne!(tagged.canonical(), untagged.canonical());
                prop_assert_eq!(tagged.canonical(), format!("{name}+{tag}@{other}"));
            }
        }
    }
}
