//! The URLs of this instance's actors and objects, and the reverse: which local actor a URL
//! names. Organization names and petition slugs share one namespace, so `/o/x` and `/p/x`
//! never both exist.

use url::Url;

#[derive(Debug, Clone)]
pub struct Urls {
    base: Url,
    host: String,
}

/// A local actor, named by its URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LocalRef {
    Instance,
    Organization(String),
    Petition(String),
}

/// `host` or `host:port`, lowercase: how instances are named in policies, queues and
/// handles.
pub fn host_of(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Whether two URLs belong to the same server, port included (the library's check ignores
/// ports, which matters when several instances share `localhost`).
pub fn same_host(a: &Url, b: &Url) -> Result<(), crate::FederationError> {
    match (host_of(a), host_of(b)) {
        (Some(x), Some(y)) if x == y => Ok(()),
        _ => Err(crate::FederationError::Invalid(format!("{b} does not belong to the server of {a}"))),
    }
}

/// A URL another server gave us, that we keep and may show as a link (`href`), fetch or
/// deliver to: `https` with a host and no credentials, never `javascript:`, `data:` or any
/// other scheme (`javascript://host/%0a...` has a host, and would run when clicked). Plain
/// `http` only with `allow_http` (`federation_allow_local`: instances on one machine).
/// Every URL of a remote document that is stored goes through here.
pub fn remote_link(url: &Url, allow_http: bool) -> Result<Url, crate::FederationError> {
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => allow_http,
        _ => false,
    };
    let host_ok = url.host_str().is_some_and(|h| !h.is_empty());
    if !scheme_ok || !host_ok || !url.username().is_empty() || url.password().is_some() {
        let what = if allow_http { "an http(s) URL" } else { "an https URL" };
        return Err(crate::FederationError::Invalid(format!(
            "{:?} is not {what} of a server",
            url.as_str().chars().take(100).collect::<String>()
        )));
    }
    Ok(url.clone())
}

impl Urls {
    pub fn new(public_url: &str) -> Result<Self, url::ParseError> {
        let base = Url::parse(public_url.trim_end_matches('/'))?;
        let host = host_of(&base).ok_or(url::ParseError::EmptyHost)?;
        Ok(Urls { base, host })
    }

    /// `host[:port]` of this instance.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    fn join(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(path);
        url
    }

    pub fn actor(&self, actor: &LocalRef) -> Url {
        match actor {
            LocalRef::Instance => self.join("/actor"),
            LocalRef::Organization(name) => self.join(&format!("/o/{name}")),
            LocalRef::Petition(slug) => self.join(&format!("/p/{slug}")),
        }
    }

    /// The user part of an actor's handle (`preferredUsername`): the slug, or the host for
    /// the instance actor.
    pub fn username(&self, actor: &LocalRef) -> String {
        match actor {
            LocalRef::Instance => self.host.clone(),
            LocalRef::Organization(name) | LocalRef::Petition(name) => name.clone(),
        }
    }

    pub fn inbox(&self, actor: &LocalRef) -> Url {
        self.join(&format!("{}/inbox", self.actor(actor).path()))
    }

    pub fn outbox(&self, actor: &LocalRef) -> Url {
        self.join(&format!("{}/outbox", self.actor(actor).path()))
    }

    pub fn followers(&self, actor: &LocalRef) -> Url {
        self.join(&format!("{}/followers", self.actor(actor).path()))
    }

    /// The open petitions of the instance or of an organization, a paged collection that
    /// a server following it reads once its follow is accepted (`catalog`).
    pub fn petitions(&self, actor: &LocalRef) -> Url {
        self.join(&format!("{}/petitions", self.actor(actor).path()))
    }

    /// A petition's moderators (its `attributedTo`): Lemmy keeps that URL per community, so
    /// each petition needs its own.
    pub fn moderators(&self, actor: &LocalRef) -> Url {
        self.join(&format!("{}/moderators", self.actor(actor).path()))
    }

    pub fn key_id(&self, actor: &LocalRef) -> Url {
        let mut url = self.actor(actor);
        url.set_fragment(Some("main-key"));
        url
    }

    pub fn shared_inbox(&self) -> Url {
        self.join("/inbox")
    }

    pub fn note(&self, id: &str) -> Url {
        self.join(&format!("/notes/{id}"))
    }

    /// The id of an attestation of ours: one of our signers' signatures of another
    /// instance's petition (see `sent`).
    pub fn attestation(&self, signature: &signons_store::Id) -> Url {
        self.join(&format!("/attestations/{signature}"))
    }

    /// Which of our signatures an attestation id names, if it is one of ours.
    pub fn parse_attestation(&self, url: &Url) -> Option<signons_store::Id> {
        if host_of(url).as_deref() != Some(self.host.as_str()) {
            return None;
        }
        signons_store::Id::parse(url.path().strip_prefix("/attestations/")?)
    }

    /// A fresh id for an activity we send.
    pub fn new_activity(&self) -> Url {
        self.join(&format!("/activities/{}", uuid::Uuid::now_v7()))
    }

    /// The JSON-LD context of our own terms.
    pub fn ns(&self) -> Url {
        self.join("/ns")
    }

    pub fn home(&self) -> Url {
        self.join("/")
    }

    /// Which local actor `url` names, if it is one of ours.
    pub fn parse_local(&self, url: &Url) -> Option<LocalRef> {
        if host_of(url).as_deref() != Some(self.host.as_str()) || url.query().is_some() {
            return None;
        }
        let path = url.path();
        if path == "/actor" {
            return Some(LocalRef::Instance);
        }
        let (kind, name) = path.strip_prefix('/')?.split_once('/')?;
        if name.is_empty() || name.contains('/') {
            return None;
        }
        match kind {
            "o" => Some(LocalRef::Organization(name.to_owned())),
            "p" => Some(LocalRef::Petition(name.to_owned())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_links_are_https_or_http_when_local() {
        let parse = |s: &str| Url::parse(s).unwrap();
        assert!(remote_link(&parse("https://social.example/users/a"), false).is_ok());
        assert!(remote_link(&parse("https://social.example/users/a"), true).is_ok());
        assert!(remote_link(&parse("http://localhost:8541/p/a"), true).is_ok());
        assert!(remote_link(&parse("http://social.example/users/a"), false).is_err(), "http needs allow_local");
        for bad in [
            "javascript:alert(1)",
            "javascript://social.example/%0aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript://social.example/x",
            "ftp://social.example/x",
            "file:///etc/passwd",
            "https://user:pass@social.example/x",
            "mailto:a@social.example",
        ] {
            assert!(remote_link(&parse(bad), true).is_err(), "{bad}");
            assert!(remote_link(&parse(bad), false).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_urls_round_trip() {
        let urls = Urls::new("http://localhost:8541/").unwrap();
        assert_eq!(urls.host(), "localhost:8541");
        for actor in [LocalRef::Instance, LocalRef::Organization("amis".into()), LocalRef::Petition("save-it".into())] {
            assert_eq!(urls.parse_local(&urls.actor(&actor)), Some(actor.clone()));
        }
        assert_eq!(urls.inbox(&LocalRef::Petition("x1".into())).as_str(), "http://localhost:8541/p/x1/inbox");
        for other in ["http://localhost:8551/p/x", "http://localhost:8541/p/x/inbox", "http://localhost:8541/q/x"] {
            assert_eq!(urls.parse_local(&Url::parse(other).unwrap()), None, "{other}");
        }
    }
}
