//! The harness: one real server per test (SQLite in a temporary folder, or a fresh
//! PostgreSQL database dropped when the test ends), an HTTP client that refuses to see a
//! 5xx, and small helpers for the organizer's API, the browser's forms and the database.

use crate::mail::Mail;
use actix_web::web;
use diesel::prelude::*;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};
use signons_app::config::RawConfig;
use signons_app::state::AppState;
use signons_app::Application;
use signons_store::schema::{jobs, petition_counters, petitions, signatures};
use signons_store::testing::TempDatabase;
use signons_store::{DbConnection, StoreError};
use std::collections::HashSet;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use signons_store::Backend;

pub const ORGANIZER_EMAIL: &str = "organizer@example.org";
pub const ORGANIZER_PASSWORD: &str = "correct horse battery staple";
pub const ORGANIZATION: &str = "friends-of-the-park";
/// How long anything asynchronous (an email, a retry) may take before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Polls `check` until it gives a value; fails the test after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

// ---------------------------------------------------------------------------------------
// Databases: a fresh copy of the migrated template per test

/// A database for one test, copied from the migrated template (`signons_store::testing`),
/// on the PostgreSQL server at `TEST_POSTGRES_URL` (default
/// `postgres://postgres@127.0.0.1:5432`) or in a temporary folder for SQLite; dropped when
/// the value is, whether the test passed or panicked. Fails the test when PostgreSQL cannot
/// be reached: postgres tests never skip.
pub fn test_database(backend: Backend) -> TempDatabase {
    TempDatabase::new(backend)
}

// ---------------------------------------------------------------------------------------
// HTTP

/// A response, read whole. Every request of the suite goes through `send`, which fails the
/// test on any 5xx: no input may make the server fail.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

pub async fn send(request: reqwest::RequestBuilder) -> Response {
    let response = request.send().await.expect("the request reached the server");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("the response body");
    let body = String::from_utf8_lossy(&bytes).into_owned();
    assert!(!status.is_server_error(), "the server answered {status}:\n{body}");
    Response { status, headers, body }
}

impl Response {
    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body:\n{}", self.body);
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Asserts a JSON error: the status and its `error` code.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> Value {
        self.expect(status);
        let body = self.json();
        assert_eq!(body["error"], code, "{body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "an error has a message: {body}");
        body
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    pub fn location(&self) -> &str {
        self.header("location").unwrap_or_else(|| panic!("no Location header ({}): {}", self.status, self.body))
    }

    /// The CSRF token of the page's forms.
    #[track_caller]
    pub fn csrf(&self) -> String {
        hidden_field(&self.body, "csrf").unwrap_or_else(|| panic!("no csrf field in the page:\n{}", self.body))
    }

    /// The field names of a 422's `fields`.
    #[track_caller]
    pub fn invalid_fields(&self) -> Vec<String> {
        let body = self.expect_error(422, "invalid_input");
        body["fields"]
            .as_array()
            .unwrap_or_else(|| panic!("no fields in {body}"))
            .iter()
            .map(|f| f["field"].as_str().expect("a field name").to_owned())
            .collect()
    }

    /// Asserts that the page contains `needle`.
    #[track_caller]
    pub fn contains(&self, needle: &str) -> &Self {
        assert!(self.body.contains(needle), "{needle:?} not found in the page:\n{}", self.body);
        self
    }

    #[track_caller]
    pub fn lacks(&self, needle: &str) -> &Self {
        assert!(!self.body.contains(needle), "{needle:?} must not be in the page:\n{}", self.body);
        self
    }

    /// Asserts that the page runs no script but the instance's own files (`/static/*.js`,
    /// loaded by `<script src>` with nothing inside): nothing injected got through.
    #[track_caller]
    pub fn lacks_foreign_script(&self) -> &Self {
        let mut rest = self.body.as_str();
        while let Some(at) = rest.find("<script") {
            let tag = &rest[at..];
            let own =
                ["<script src=\"/static/share.js\" defer></script>", "<script src=\"/static/pow.js\" defer></script>"]
                    .iter()
                    .find(|t| tag.starts_with(**t));
            let Some(own) = own else { panic!("a script that is not the instance's own:\n{}", self.body) };
            rest = &tag[own.len()..];
        }
        self
    }
}

/// The value of `<input type="hidden" name="NAME" value="…">` in a page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// The value attribute of the input with this id, as the page escaped it.
pub fn input_value(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("<input id=\"{id}\""))?;
    let tag = &html[start..start + html[start..].find('>')?];
    let v = tag.find(" value=\"")? + " value=\"".len();
    Some(tag[v..v + tag[v..].find('"')?].to_owned())
}

fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(30))
}

/// A visitor with a browser: a cookie jar, an optional `Accept-Language`, no redirects
/// followed (the tests look at each 303).
#[derive(Clone)]
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

impl Browser {
    pub fn new(base: &str, accept_language: Option<&str>) -> Self {
        let headers: Vec<(&str, &str)> = accept_language.map(|l| ("accept-language", l)).into_iter().collect();
        Browser::with_headers(base, &headers)
    }

    /// A browser whose requests reach the app through the trusted proxy from `client`
    /// (the `X-Forwarded-For` the proxy adds; the app must trust it).
    pub fn from_address(base: &str, client: &str) -> Self {
        Browser::with_headers(base, &[("x-forwarded-for", client)])
    }

    fn with_headers(base: &str, extra: &[(&str, &str)]) -> Self {
        let mut headers = HeaderMap::new();
        for (name, value) in extra {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes()).expect("a header name");
            headers.insert(name, value.parse().expect("a header value"));
        }
        let client = client_builder().cookie_store(true).default_headers(headers).build().expect("an HTTP client");
        Browser { client, base: base.to_owned() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        send(self.client.get(self.url(path))).await
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        send(self.client.post(self.url(path)).form(fields)).await
    }

    /// A form body sent as given, bytes and all.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Response {
        send(self.client.post(self.url(path)).header("content-type", content_type).body(body)).await
    }

    /// The CSRF token this browser's forms carry (any page sets the cookie; the login
    /// page always has a form).
    pub async fn csrf(&self) -> String {
        self.get("/login").await.expect(200).csrf()
    }

    /// Reloads a page until `ok` holds: public pages are served from a cache that may be
    /// about a second old.
    pub async fn page_until(&self, path: &str, what: &str, ok: impl Fn(&Response) -> bool) -> Response {
        eventually(&format!("{path}: {what}"), DEADLINE, || async {
            let page = self.get(path).await;
            ok(&page).then_some(page)
        })
        .await
    }

    /// Logs in through the form.
    pub async fn login(&self, email: &str, password: &str) {
        let csrf = self.get("/login").await.expect(200).csrf();
        let r = self
            .post_form("/login", &[("csrf", &csrf), ("email", email), ("password", password), ("next", "/dashboard")])
            .await;
        r.expect(303);
        assert_eq!(r.location(), "/dashboard");
    }

    /// Opens a link from an email, then presses the button of its page (confirm or
    /// withdraw). Returns the page the button leads to.
    pub async fn follow_and_press(&self, link: &str) -> Response {
        let path = link.strip_prefix(&self.base).unwrap_or_else(|| panic!("{link} is not a link of {}", self.base));
        let page = self.get(path).await;
        page.expect(200);
        let action = format!("action=\"{path}\"");
        page.contains(&action);
        self.post_form(path, &[("csrf", &page.csrf())]).await
    }
}

/// A JSON API client, with or without an organizer's token.
#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

impl Api {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.client.request(method, format!("{}/api/v1{path}", self.base));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        send(self.request(reqwest::Method::POST, path).json(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Response {
        send(self.request(reqwest::Method::PUT, path).json(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        send(self.request(reqwest::Method::PATCH, path).json(body)).await
    }

    /// A POST with headers of the test's choosing (language, content type).
    pub fn post_builder(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, path)
    }
}

// ---------------------------------------------------------------------------------------
// The application

/// What a test changes in the configuration. By default: the outbox, no rate limit.
#[derive(Default)]
pub struct Options {
    pub smtp_url: Option<String>,
    /// 0 turns the limit off.
    pub sign_rate_per_ip_per_hour: u32,
    /// Named `http://localhost:PORT` and allowed to federate with other local instances,
    /// retrying failed deliveries after a second.
    pub federation: bool,
    /// Believe `X-Forwarded-For` from the default trusted proxies (loopback, where the
    /// tests connect from).
    pub trust_forwarded_for: bool,
    /// Named `https://127.0.0.1:PORT` (still served over plain http: a TLS proxy's view).
    pub https: bool,
    /// `metrics_allow`, when not the default (loopback).
    pub metrics_allow: Option<Vec<String>>,
    pub metrics_token: Option<String>,
    /// Sign forms ask for a proof of work of this many bits.
    pub proof_of_work_bits: Option<u8>,
    /// `signer_emails_per_day`, when not the default.
    pub signer_emails_per_day: Option<u32>,
    /// Any other setting, changed last (before validation).
    pub configure: Option<fn(&mut RawConfig)>,
}

/// Row counts of the tables bad input must not touch, and the emails written so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub petitions: i64,
    pub signatures: i64,
    pub outgoing_emails: i64,
    pub outbox_files: usize,
    pub confirmed: i64,
}

pub struct TestApp {
    pub port: u16,
    /// The public URL, without a trailing slash.
    pub url: String,
    pub state: web::Data<AppState>,
    pub outbox: PathBuf,
    api_token: Mutex<Option<String>>,
    /// Outbox files already handed to the test.
    seen_outbox: Mutex<HashSet<PathBuf>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    stopper: Option<signons_app::startup::Stopper>,
    config: signons_app::Config,
    // Dropped in this order, after the server was told to stop.
    _dir: tempfile::TempDir,
    /// `None` for another process of the same instance: the first one owns the database.
    _db: Option<TempDatabase>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stopper) = self.stopper.take() {
            // Ends the background workers too; the server itself stops with the runtime.
            stopper.cancel_workers();
        }
        self.server.abort();
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, options: Options) -> TestApp {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let db = test_database(backend);
        let database_url = db.url_string();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("the port").port();
        let host = if options.federation { "localhost" } else { "127.0.0.1" };
        let scheme = if options.https { "https" } else { "http" };
        let url = format!("{scheme}://{host}:{port}");
        let mut raw = RawConfig {
            bind: format!("127.0.0.1:{port}"),
            public_url: url.clone(),
            database_url: Some(database_url),
            data_dir: dir.path().to_owned(),
            smtp_url: options.smtp_url.map(Into::into),
            metrics_allow: options.metrics_allow.unwrap_or_else(|| RawConfig::default().metrics_allow),
            metrics_token: options.metrics_token.map(Into::into),
            mail_retry_seconds: 1,
            workers: 1,
            sign_rate_per_ip_per_hour: options.sign_rate_per_ip_per_hour,
            federation_allow_local: options.federation,
            federation_retry_seconds: 1,
            federation_update_seconds: 1,
            trust_forwarded_for: options.trust_forwarded_for,
            sign_proof_of_work: options.proof_of_work_bits.is_some(),
            sign_proof_of_work_bits: options.proof_of_work_bits.unwrap_or(RawConfig::default().sign_proof_of_work_bits),
            signer_emails_per_day: options.signer_emails_per_day.unwrap_or(RawConfig::default().signer_emails_per_day),
            ..RawConfig::default()
        };
        if let Some(configure) = options.configure {
            configure(&mut raw);
        }
        let config = raw.validate().expect("a valid configuration");
        let app = Application::build_with_listener(config.clone(), listener).await.expect("the application starts");
        assert_eq!(app.port(), port);
        let state = app.state();
        let stopper = Some(app.stopper());
        let server = actix_web::rt::spawn(app.run_until_stopped());
        TestApp {
            stopper,
            config,
            port,
            outbox: dir.path().join("outbox"),
            url,
            state,
            api_token: Mutex::new(None),
            seen_outbox: Mutex::new(HashSet::new()),
            server,
            _dir: dir,
            _db: Some(db),
        }
    }

    /// Stops the server and its workers, as a crash or a maintenance would: the port
    /// refuses connections until `start_again`.
    pub async fn stop(&mut self) {
        if let Some(stopper) = self.stopper.take() {
            stopper.stop().await;
        }
        (&mut self.server).await.ok();
    }

    /// Starts the same instance again: same port, same database.
    pub async fn start_again(&mut self) {
        assert!(self.stopper.is_none(), "start_again needs a stopped instance");
        let listener = std::net::TcpListener::bind(self.config.bind).expect("the port is free again");
        let app = Application::build_with_listener(self.config.clone(), listener).await.expect("it starts again");
        self.state = app.state();
        self.stopper = Some(app.stopper());
        self.server = actix_web::rt::spawn(app.run_until_stopped());
    }

    /// Another process of the same instance: its own port, the same database and public
    /// URL (as several processes behind one address share a PostgreSQL database).
    pub async fn another_process(&self) -> TestApp {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("the port").port();
        let mut config = self.config.clone();
        config.bind = listener.local_addr().expect("the address");
        let dir = tempfile::tempdir().expect("a temporary folder");
        config.data_dir = dir.path().to_owned();
        let app = Application::build_with_listener(config.clone(), listener).await.expect("the second process starts");
        let state = app.state();
        let stopper = Some(app.stopper());
        let server = actix_web::rt::spawn(app.run_until_stopped());
        TestApp {
            port,
            outbox: dir.path().join("outbox"),
            url: self.url.clone(),
            state,
            api_token: Mutex::new(None),
            seen_outbox: Mutex::new(HashSet::new()),
            server,
            stopper,
            config,
            _dir: dir,
            _db: None,
        }
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.url, None)
    }

    /// Runs `signons ARGS` on this instance's database, link key and public URL, as an
    /// admin would on the server; returns whether it succeeded, its stdout and its stderr.
    pub async fn cli(&self, args: &[&str]) -> (bool, String, String) {
        let db = self._db.as_ref().expect("the first process of the instance owns the database");
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_signons-under-test"))
            .args(args)
            .env_remove("SIGNONS_CONFIG")
            .env("SIGNONS_DATABASE_URL", db.url_string())
            .env("SIGNONS_DATA_DIR", &self.config.data_dir)
            .env("SIGNONS_LINK_KEY_FILE", &self.config.link_key_file)
            .env("SIGNONS_PUBLIC_URL", &self.url)
            .env("RUST_LOG", "warn")
            .output()
            .await
            .expect("signons runs");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    }

    pub fn browser_in(&self, accept_language: &str) -> Browser {
        Browser::new(&self.url, Some(accept_language))
    }

    /// The API without credentials, as any script would call it.
    pub fn public_api(&self) -> Api {
        Api { client: client_builder().build().expect("an HTTP client"), base: self.url.clone(), token: None }
    }

    pub fn api_with_token(&self, token: &str) -> Api {
        Api { token: Some(token.to_owned()), ..self.public_api() }
    }

    /// The API as the organizer (created, with a token, on first use).
    pub async fn api(&self) -> Api {
        let token = self.organizer_token().await;
        self.api_with_token(&token)
    }

    /// The admin (the instance's first organizer), logged in, with the CSRF token of the
    /// admin page at `page`.
    pub async fn admin_browser(&self, page: &str) -> (Browser, String) {
        self.organizer_token().await;
        let browser = self.browser();
        browser.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
        let csrf = browser.get(page).await.expect(200).csrf();
        (browser, csrf)
    }

    /// Creates the organizer of `ORGANIZATION` and returns an API token for them.
    pub async fn organizer_token(&self) -> String {
        if let Some(t) = self.api_token.lock().expect("lock").clone() {
            return t;
        }
        let token = self.create_organizer(ORGANIZER_EMAIL, ORGANIZATION).await;
        *self.api_token.lock().expect("lock") = Some(token.clone());
        token
    }

    /// Creates an organizer (and their organization) directly in the database; returns an
    /// API token.
    pub async fn create_organizer(&self, email: &str, organization: &str) -> String {
        let (email, organization) = (email.to_owned(), organization.to_owned());
        self.state
            .db
            .write_async(move |conn| -> Result<String, StoreError> {
                signons_petition::organization::create_organizer(conn, &email, &organization, ORGANIZER_PASSWORD)
                    .expect("the organizer is created");
                let token = signons_petition::auth::create_api_token(conn, &email).expect("a token");
                Ok(token.expose().to_owned())
            })
            .await
            .expect("the database")
    }

    /// Creates a petition through the API (published or as a draft) and returns its slug.
    pub async fn create_petition(&self, title: &str, publish: bool) -> String {
        self.create_petition_with(json!({
            "title": title,
            "target": "The city council",
            "description": "The park is **ours**: keep it green for the children of the neighbourhood.",
            "goal": 100,
            "publish": publish,
        }))
        .await
    }

    pub async fn create_petition_with(&self, body: Value) -> String {
        let r = self.api().await.post("/petitions", &body).await;
        let created = r.expect(201).json();
        created["slug"].as_str().expect("a slug").to_owned()
    }

    /// The petition as the API shows it.
    pub async fn petition(&self, slug: &str) -> Value {
        self.public_api().get(&format!("/petitions/{slug}")).await.expect(200).json()
    }

    /// The count the API gives.
    pub async fn count(&self, slug: &str) -> i64 {
        let p = self.petition(slug).await;
        p["total_signatures"].as_i64().unwrap_or_else(|| panic!("no total_signatures in {p}"))
    }

    /// The count as the database has it right now (the sum of the petition's counters).
    pub async fn db_count(&self, slug: &str) -> i64 {
        let slug = slug.to_owned();
        self.read(move |conn| {
            let id: signons_store::Id =
                petitions::table.filter(petitions::slug.eq(slug)).select(petitions::id).first(conn)?;
            let shards: Vec<i64> = petition_counters::table
                .filter(petition_counters::petition_id.eq(id))
                .select(petition_counters::signatures)
                .load(conn)?;
            Ok(shards.into_iter().sum())
        })
        .await
    }

    /// Asserts the count: exact in the database at once, and in the API once its cache
    /// (about a second) caught up.
    #[track_caller]
    pub fn assert_count<'a>(&'a self, slug: &'a str, expected: i64) -> impl Future<Output = ()> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            assert_eq!(self.db_count(slug).await, expected, "the count in the database ({caller})");
            eventually(&format!("the API to count {expected} ({caller})"), DEADLINE, || async {
                (self.count(slug).await == expected).then_some(())
            })
            .await
        }
    }

    /// Signs through the API.
    pub async fn sign(&self, slug: &str, name: &str, email: &str) -> Response {
        self.sign_with(slug, json!({ "name": name, "email": email, "public": true })).await
    }

    pub async fn sign_with(&self, slug: &str, body: Value) -> Response {
        self.public_api().post(&format!("/petitions/{slug}/signatures"), &body).await
    }

    /// Signs through the API and returns the email that follows.
    pub async fn sign_and_read_email(&self, slug: &str, name: &str, email: &str) -> Mail {
        self.sign(slug, name, email).await.expect(202);
        self.next_email_to(email).await
    }

    // ----- email, through the outbox folder

    /// Every complete email in the outbox, with its file.
    pub fn outbox_emails(&self) -> Vec<(PathBuf, Mail)> {
        let Ok(entries) = std::fs::read_dir(&self.outbox) else { return Vec::new() };
        let mut mails: Vec<(PathBuf, Mail)> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .filter_map(|p| {
                let raw = std::fs::read(&p).ok()?;
                Mail::parse(&String::from_utf8(raw).ok()?).map(|m| (p, m))
            })
            .collect();
        mails.sort_by(|a, b| a.0.cmp(&b.0));
        mails
    }

    pub fn outbox_files(&self) -> usize {
        std::fs::read_dir(&self.outbox)
            .map(|d| d.filter_map(Result::ok).filter(|e| e.path().extension().is_some_and(|x| x == "eml")).count())
            .unwrap_or(0)
    }

    /// Waits for an email to `to` that was not handed out before (addresses compared
    /// without case), and marks it as seen.
    pub async fn next_email_to(&self, to: &str) -> Mail {
        eventually(&format!("an email to {to} in the outbox"), DEADLINE, || async {
            let mut seen = self.seen_outbox.lock().expect("lock");
            let (path, mail) =
                self.outbox_emails().into_iter().find(|(p, m)| !seen.contains(p) && m.to.eq_ignore_ascii_case(to))?;
            seen.insert(path);
            Some(mail)
        })
        .await
    }

    /// Waits until the send queue is empty: every queued email was written or sent.
    pub async fn wait_mail_queue_empty(&self) {
        eventually("an empty mail queue", DEADLINE, || async {
            (self.count_rows(Table::OutgoingEmails).await == 0).then_some(())
        })
        .await
    }

    // ----- the database

    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, diesel::result::Error> + Send + 'static,
    ) -> T {
        self.state.db.read_async(move |conn| f(conn).map_err(StoreError::from)).await.expect("a database read")
    }

    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, diesel::result::Error> + Send + 'static,
    ) -> T {
        self.state.db.write_async(move |conn| f(conn).map_err(StoreError::from)).await.expect("a database write")
    }

    pub async fn count_rows(&self, table: Table) -> i64 {
        self.read(move |conn| match table {
            Table::Petitions => petitions::table.count().get_result(conn),
            Table::Signatures => signatures::table.count().get_result(conn),
            // Emails still to send (queued or being sent), as the mail queue holds them.
            Table::OutgoingEmails => jobs::table
                .filter(jobs::queue.eq(signons_store::jobs::Queue::Email))
                .filter(jobs::state.ne(signons_store::jobs::JobState::Dead))
                .count()
                .get_result(conn),
        })
        .await
    }

    /// The state bad input must leave as it was. Waits for the mail queue to drain first,
    /// so that an email sent meanwhile does not look like a change.
    pub async fn snapshot(&self) -> Snapshot {
        self.wait_mail_queue_empty().await;
        self.current_snapshot().await
    }

    async fn current_snapshot(&self) -> Snapshot {
        let confirmed = self
            .read(|conn| signatures::table.filter(signatures::confirmed_at.is_not_null()).count().get_result(conn))
            .await;
        Snapshot {
            petitions: self.count_rows(Table::Petitions).await,
            signatures: self.count_rows(Table::Signatures).await,
            outgoing_emails: self.count_rows(Table::OutgoingEmails).await,
            outbox_files: self.outbox_files(),
            confirmed,
        }
    }

    /// Asserts that nothing was written since `before`: no petition, signature or email.
    #[track_caller]
    pub fn assert_unchanged<'a>(&'a self, before: &'a Snapshot) -> impl Future<Output = ()> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let now = self.current_snapshot().await;
            assert_eq!(&now, before, "the database changed ({caller})");
        }
    }

    /// The signature rows of an address (compared canonically, as the app does).
    pub async fn signature_rows(&self, canonical_email: &str) -> Vec<SignatureRow> {
        let email = canonical_email.to_owned();
        self.read(move |conn| {
            signatures::table
                .filter(signatures::email_canonical.eq(email))
                .select((
                    signatures::name,
                    signatures::email,
                    signatures::country,
                    signatures::comment,
                    signatures::confirmed_at.is_not_null(),
                ))
                .load::<(String, String, Option<String>, Option<String>, bool)>(conn)
        })
        .await
        .into_iter()
        .map(|(name, email, country, comment, confirmed)| SignatureRow { name, email, country, comment, confirmed })
        .collect()
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Table {
    Petitions,
    Signatures,
    OutgoingEmails,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureRow {
    pub name: String,
    pub email: String,
    pub country: Option<String>,
    pub comment: Option<String>,
    pub confirmed: bool,
}

/// Runs requests side by side on the test's runtime and returns their results in order.
pub async fn all<T: Send + 'static>(futures: Vec<impl Future<Output = T> + Send + 'static>) -> Vec<T> {
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut results = Vec::with_capacity(handles.len());
    for h in handles {
        results.push(h.await.expect("a concurrent request"));
    }
    results
}

/// Form fields with owned values, as `post_form` takes them.
pub fn refs<'a>(fields: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Text as the templates print it (tera's HTML escaping).
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '/' => out.push_str("&#x2F;"),
            c => out.push(c),
        }
    }
    out
}

/// The reverse of `escaped`, as a browser reads attributes.
pub fn unescape_html(html: &str) -> String {
    html.replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Sends bytes as they are on a new connection (paths a client library would normalize,
/// chunked bodies) and returns the status and the whole response. Write errors are
/// ignored: the server may answer before reading everything.
pub async fn raw_http(port: u16, head: &str, body: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("a connection");
        if stream.write_all(head.as_bytes()).await.is_ok() {
            let _ = stream.write_all(body).await;
        }
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response).await;
        String::from_utf8_lossy(&response).into_owned()
    };
    let text = tokio::time::timeout(Duration::from_secs(20), exchange).await.expect("an answer in time");
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP response: {text:?}"));
    assert!(status < 500, "the server answered {status}:\n{text}");
    (status, text)
}

/// A body in HTTP/1.1 chunked encoding, in chunks of 8 KiB.
pub fn chunked(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 64);
    for chunk in body.chunks(8192) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}
