//! End-to-end tests of Signons: the real server, over HTTP, against SQLite and against
//! PostgreSQL (a fresh database per test on 127.0.0.1:5432, or `TEST_POSTGRES_URL`),
//! with email read from the outbox folder or received by a test SMTP server.
//!
//! Each behaviour is an `async fn name(backend: Backend)`, run once per backend as
//! `name_sqlite` and `name_postgres`.

// A failed expectation in a test is a failed test: helpers may unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Runs each `async fn name(backend: Backend)` as two tests, one per database backend.
macro_rules! on_both_backends {
    ($($name:ident => $sqlite:ident, $postgres:ident;)+) => {
        $(
            #[actix_web::test]
            async fn $sqlite() {
                $name($crate::helpers::Backend::Sqlite).await
            }

            #[actix_web::test]
            async fn $postgres() {
                $name($crate::helpers::Backend::Postgres).await
            }
        )+
    };
}

mod abuse;
mod accounts;
mod admin;
mod api_doc;
mod api_more;
mod bad_input;
mod browser;
mod email;
mod export;
mod fault;
mod federation;
mod federation_abuse;
mod finding;
mod helpers;
mod i18n;
mod insight;
mod invalidation;
mod lifecycle;
mod logo;
mod mail;
mod maps;
mod milestones;
mod moderation;
mod news;
mod organizations;
mod organizer;
mod people;
mod picture;
mod proof;
mod response;
mod settings;
mod sharing;
mod sign_elsewhere;
mod signing;
mod smtp;
mod system;
