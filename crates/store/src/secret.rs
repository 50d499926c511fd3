//! `Secret`: a value that must never reach a log. Its `Debug` and `Display` print
//! `[redacted]`, so a secret held in a configuration or a message struct stays out of
//! `{:?}`, `tracing` fields and error messages; the value is read only through `expose`,
//! which makes every use visible in review.
//!
//! A tiny newtype rather than the `secrecy` crate: we need `Clone`, `PartialEq` and serde
//! on strings (configuration is read and defaulted through serde), which `secrecy` makes
//! deliberately awkward, and zeroizing memory is not what we are after here.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The value itself: for the one place that needs it (a connection, a comparison).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Secret)
    }
}

/// Serialized as the value: configuration defaults go through serde (figment) before they
/// are read back. Nothing logs a serialized configuration.
impl<T: Serialize> Serialize for Secret<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// A URL as logs and error messages may show it: its scheme, host and port, never its user
/// name, password, path or query. Parsed as a URL, not cut at the first `@`: a password
/// may itself contain `@` (`smtp://user:p@ss@host:25`), and the host is after the last one.
pub fn redact_url(url: &str) -> String {
    // Credentials end at the last `@`; a password may hold `@`, `/`, `?` or `#` (however
    // malformed), so everything up to the last `@` is dropped, and the host ends at the
    // first `/`, `?` or `#` after it. A URL whose query has an `@` shows a wrong host, never
    // a secret.
    let Some((scheme, rest)) = url.split_once("://") else {
        return "[redacted]".to_owned();
    };
    let (credentials, after) = match rest.rsplit_once('@') {
        Some((_, after)) => (true, after),
        None => (false, rest),
    };
    let host = after.split(['/', '?', '#']).next().unwrap_or("");
    let scheme_ok = !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok || host.is_empty() {
        return "[redacted]".to_owned();
    }
    if credentials {
        format!("{scheme}://…@{host}")
    } else {
        format!("{scheme}://{host}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_print_as_redacted() {
        let s = Secret::new("smtp://user:hunter22@mail.example.org".to_owned());
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some([redacted])");
        assert_eq!(s.expose(), "smtp://user:hunter22@mail.example.org");
    }

    #[test]
    fn redacted_urls_keep_only_scheme_host_and_port() {
        // A password with `@` in it: no part of it is shown.
        let shown = redact_url("smtp://user:p@ss@host:25");
        assert_eq!(shown, "smtp://…@host:25");
        assert!(!shown.contains("p@ss") && !shown.contains("ss@") && !shown.contains("user"), "{shown}");
        assert_eq!(redact_url("smtps://u:a@b@c@mail.example.org/helo?tls=required"), "smtps://…@mail.example.org");
        assert_eq!(redact_url("smtp://127.0.0.1:2525"), "smtp://127.0.0.1:2525");
        assert_eq!(redact_url("postgres://app:s3cr@t@db:5432/signons"), "postgres://…@db:5432");
        assert_eq!(redact_url("not a url with a p@ssword"), "[redacted]");
        assert_eq!(redact_url("smtp://user:pw@"), "[redacted]");
        assert_eq!(redact_url("smtp://user:pa/ss@host"), "smtp://…@host");
    }
}
