//! Where email goes: an SMTP server, or (with none configured) one `.eml` file per message
//! in an outbox folder, for development and small test setups.
//!
//! SMTP over `smtp://` (plain, or upgraded with `?tls=required|opportunistic`) uses
//! connections of our own, kept open between messages, one per email in flight: lettre
//! 0.11.23 leaves Nagle's algorithm on, which stalls each message on a delayed ACK (about
//! 40 ms), so the socket is opened here with `TCP_NODELAY` and handed to lettre's SMTP
//! client. `smtps://` (TLS from the first byte) uses lettre's own pooled transport.

use crate::MailError;
use lettre::address::Envelope;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct MailSettings {
    /// May hold the SMTP password: `Secret` keeps it out of `Debug`.
    pub smtp_url: Option<signons_store::Secret<String>>,
    pub outbox_dir: PathBuf,
    pub from: String,
    /// Connections the SMTP client may keep open at once (one per email in flight).
    pub connections: usize,
}

/// How long one SMTP exchange (connecting, or sending one message) may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
/// An idle connection older than this is checked with NOOP before it carries a message:
/// servers close idle connections, and a message must not go down with one.
const IDLE_CHECK: Duration = Duration::from_secs(2);

#[derive(Clone)]
enum Inner {
    Smtp(Arc<SmtpClient>),
    Smtps(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

#[derive(Clone)]
pub struct Transport {
    inner: Inner,
    from: Mailbox,
}

/// Why a send failed: worth retrying, or never going to work.
#[derive(Debug)]
pub enum SendError {
    Transient(String),
    Permanent(String),
}

impl Transport {
    pub fn new(settings: &MailSettings) -> Result<Self, MailError> {
        let from: Mailbox =
            settings.from.parse().map_err(|e| MailError::Settings(format!("mail_from {:?}: {e}", settings.from)))?;
        let inner = match settings.smtp_url.as_ref().map(|u| u.expose()) {
            Some(url) if url.starts_with("smtps://") => Inner::Smtps(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| MailError::Settings(format!("smtp_url: {e}")))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .pool_config(PoolConfig::new().max_size(settings.connections.max(1) as u32))
                    .build(),
            ),
            Some(url) => Inner::Smtp(Arc::new(SmtpClient::from_url(url, settings.connections)?)),
            None => {
                std::fs::create_dir_all(&settings.outbox_dir).map_err(|e| {
                    MailError::Settings(format!("cannot create {}: {e}", settings.outbox_dir.display()))
                })?;
                Inner::Outbox(AsyncFileTransport::new(&settings.outbox_dir), settings.outbox_dir.clone())
            }
        };
        Ok(Transport { inner, from })
    }

    pub fn is_outbox(&self) -> bool {
        matches!(self.inner, Inner::Outbox(..))
    }

    pub fn describe(&self) -> String {
        match &self.inner {
            Inner::Smtp(_) | Inner::Smtps(_) => "SMTP".to_owned(),
            Inner::Outbox(_, dir) => format!("outbox folder {}", dir.display()),
        }
    }

    /// Sends one message. Its `Message-ID` comes from `id` (the job's), so a message sent
    /// again after a crash carries the same one and mail clients show it once.
    pub(crate) async fn send(&self, id: &signons_store::Id, email: &crate::queue::EmailJob) -> Result<(), SendError> {
        let to: Mailbox =
            email.to.parse().map_err(|e| SendError::Permanent(format!("recipient address rejected: {e}")))?;
        let domain = self.from.email.domain().to_owned();
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .message_id(Some(format!("<{id}@{domain}>")))
            .subject(email.subject.as_str());
        if let Some(link) = &email.list_unsubscribe {
            // RFC 8058: mail clients show an "unsubscribe" button that POSTs
            // `List-Unsubscribe=One-Click` to the link, with no login and no cookie.
            builder = builder
                .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{link}>")))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(email.text.clone(), email.html.clone()))
            .map_err(|e| SendError::Permanent(format!("cannot build message: {e}")))?;
        match &self.inner {
            Inner::Smtp(client) => client.send(message.envelope(), &message.formatted()).await,
            Inner::Smtps(t) => t.send(message).await.map(|_| ()).map_err(smtp_error),
            Inner::Outbox(t, _) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| SendError::Transient(format!("cannot write to outbox: {e}"))),
        }
    }
}

/// Only the status code: SMTP replies often quote the recipient's address.
fn smtp_error(e: lettre::transport::smtp::Error) -> SendError {
    let code = e.status().map(|c| c.to_string()).unwrap_or_else(|| "no reply".to_owned());
    if e.is_permanent() {
        SendError::Permanent(format!("SMTP permanent error {code}"))
    } else if e.is_timeout() {
        timed_out()
    } else {
        SendError::Transient(format!("SMTP error {code}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StartTls {
    Never,
    IfOffered,
    Required,
}

/// An SMTP client over `TCP_NODELAY` sockets, with the connections it keeps open.
struct SmtpClient {
    host: String,
    port: u16,
    starttls: StartTls,
    credentials: Option<Credentials>,
    hello: ClientId,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    max_idle: usize,
}

impl SmtpClient {
    /// `smtp://[user:password@]host[:port][/hello-name][?tls=required|opportunistic]`, read
    /// as lettre reads it (port 25 without TLS, 587 with STARTTLS).
    fn from_url(url: &str, connections: usize) -> Result<Self, MailError> {
        let bad = |why: &str| MailError::Settings(format!("smtp_url: {why}"));
        let parsed = url::Url::parse(url).map_err(|_| bad("not a URL"))?;
        if parsed.scheme() != "smtp" {
            return Err(bad("expected smtp:// or smtps://"));
        }
        let host = parsed.host_str().ok_or_else(|| bad("no host"))?.trim_matches(['[', ']']).to_owned();
        let starttls = match parsed.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned()).as_deref() {
            None => StartTls::Never,
            Some("required") => StartTls::Required,
            Some("opportunistic") => StartTls::IfOffered,
            Some(_) => return Err(bad("tls must be required or opportunistic")),
        };
        let port = parsed.port().unwrap_or(if starttls == StartTls::Never { 25 } else { 587 });
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let credentials =
            parsed.password().map(|password| Credentials::new(decode(parsed.username()), decode(password)));
        let hello = match parsed.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        Ok(SmtpClient {
            host,
            port,
            starttls,
            credentials,
            hello,
            idle: Mutex::new(Vec::new()),
            max_idle: connections.max(1),
        })
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let stream =
            tokio::time::timeout(SMTP_TIMEOUT, tokio::net::TcpStream::connect((self.host.as_str(), self.port)))
                .await
                .map_err(|_| timed_out())?
                .map_err(|e| SendError::Transient(format!("cannot connect to the SMTP server: {}", e.kind())))?;
        stream.set_nodelay(true).map_err(|e| SendError::Transient(format!("cannot set TCP_NODELAY: {}", e.kind())))?;
        tokio::time::timeout(SMTP_TIMEOUT, self.open(stream)).await.map_err(|_| timed_out())?.map_err(smtp_error)
    }

    /// EHLO, STARTTLS if asked, and AUTH on a connected socket.
    async fn open(&self, stream: tokio::net::TcpStream) -> Result<AsyncSmtpConnection, lettre::transport::smtp::Error> {
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await?;
        let upgrade = match self.starttls {
            StartTls::Never => false,
            StartTls::IfOffered => conn.can_starttls(),
            StartTls::Required => true,
        };
        if upgrade {
            conn.starttls(TlsParameters::new(self.host.clone())?, &self.hello).await?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials).await?;
        }
        Ok(conn)
    }

    /// A connection for one message: an idle one (checked if it idled a while), or a new one.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, SendError> {
        loop {
            let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            match idle {
                Some((mut conn, since)) => {
                    if since.elapsed() < IDLE_CHECK || conn.test_connected().await {
                        return Ok(conn);
                    }
                    conn.abort().await;
                }
                None => return self.connect().await,
            }
        }
    }

    async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), SendError> {
        let mut conn = self.checkout().await?;
        match tokio::time::timeout(SMTP_TIMEOUT, conn.send(envelope, message)).await {
            Ok(Ok(_)) => {
                if !conn.has_broken() {
                    if let Ok(mut idle) = self.idle.lock() {
                        if idle.len() < self.max_idle {
                            idle.push((conn, Instant::now()));
                        }
                    }
                }
                Ok(())
            }
            Ok(Err(e)) => {
                conn.abort().await;
                Err(smtp_error(e))
            }
            Err(_) => {
                conn.abort().await;
                Err(timed_out())
            }
        }
    }
}

fn timed_out() -> SendError {
    SendError::Transient("SMTP server timed out".to_owned())
}
