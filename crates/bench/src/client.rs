//! A minimal HTTP/1.1 client: one keep-alive connection per virtual user, requests sent one
//! after the other on it, so the generator costs as little CPU as possible and every
//! connection behaves like one browser tab.

use anyhow::{bail, Context as _};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::time::Duration;

/// Every request gives up after this long (counted as an error).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Response {
    pub status: StatusCode,
    pub body: Bytes,
}

/// One connection; reconnects by itself after a transport error.
pub struct Conn {
    addr: SocketAddr,
    host: HeaderValue,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// The `signons_csrf` cookie, once the server set one.
    pub csrf: Option<String>,
    pub accept_language: &'static str,
    /// An API token, sent as `Authorization: Bearer …`.
    pub bearer: Option<String>,
    /// The `signons_session` cookie, once a login set one (organizer pages).
    pub session: Option<String>,
}

impl Conn {
    pub fn new(addr: SocketAddr, accept_language: &'static str) -> anyhow::Result<Self> {
        Ok(Conn {
            addr,
            host: HeaderValue::from_str(&addr.to_string())?,
            sender: None,
            csrf: None,
            accept_language,
            bearer: None,
            session: None,
        })
    }

    async fn connect(&mut self) -> anyhow::Result<&mut SendRequest<Full<Bytes>>> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = tokio::net::TcpStream::connect(self.addr)
                .await
                .with_context(|| format!("cannot connect to {}", self.addr))?;
            stream.set_nodelay(true)?;
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(async move {
                // Ends when the connection closes; errors show up on the request side.
                let _ = connection.await;
            });
            self.sender = Some(sender);
        }
        match self.sender.as_mut() {
            Some(s) => Ok(s),
            None => bail!("no connection"),
        }
    }

    /// Sends one request and reads the whole response. Keeps the CSRF cookie the server
    /// sets, and sends it back on later requests, as a browser does.
    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        content_type: Option<&'static str>,
        body: Bytes,
    ) -> anyhow::Result<Response> {
        let result = tokio::time::timeout(REQUEST_TIMEOUT, self.request_inner(method, path, content_type, body)).await;
        match result {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => {
                self.sender = None;
                Err(e)
            }
            Err(_) => {
                self.sender = None;
                bail!("timed out after {}s", REQUEST_TIMEOUT.as_secs())
            }
        }
    }

    async fn request_inner(
        &mut self,
        method: Method,
        path: &str,
        content_type: Option<&'static str>,
        body: Bytes,
    ) -> anyhow::Result<Response> {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.host.clone())
            .header(header::ACCEPT_LANGUAGE, self.accept_language);
        if let Some(ct) = content_type {
            builder = builder.header(header::CONTENT_TYPE, ct);
        }
        if let Some(token) = &self.bearer {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let cookies: Vec<String> = [("signons_csrf", &self.csrf), ("signons_session", &self.session)]
            .into_iter()
            .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name}={v}")))
            .collect();
        if !cookies.is_empty() {
            builder = builder.header(header::COOKIE, cookies.join("; "));
        }
        let request = builder.body(Full::new(body))?;
        let sender = self.connect().await?;
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        for cookie in parts.headers.get_all(header::SET_COOKIE) {
            let Some((name, value)) = cookie.to_str().ok().and_then(|c| c.split(';').next()?.split_once('=')) else {
                continue;
            };
            match name {
                "signons_csrf" => self.csrf = Some(value.to_owned()),
                "signons_session" => self.session = Some(value.to_owned()),
                _ => {}
            }
        }
        Ok(Response { status: parts.status, body })
    }

    pub async fn get(&mut self, path: &str) -> anyhow::Result<Response> {
        self.request(Method::GET, path, None, Bytes::new()).await
    }

    pub async fn post_json(&mut self, path: &str, body: &serde_json::Value) -> anyhow::Result<Response> {
        self.request(Method::POST, path, Some("application/json"), Bytes::from(serde_json::to_vec(body)?)).await
    }

    pub async fn post_form(&mut self, path: &str, body: String) -> anyhow::Result<Response> {
        self.request(Method::POST, path, Some("application/x-www-form-urlencoded"), Bytes::from(body)).await
    }
}
