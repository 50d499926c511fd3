//! Pages rendered once for every visitor, kept split where each visitor's own token goes
//! (their CSRF token), so each answer is a copy with that token spliced in and no visitor
//! ever sees another's. It knows nothing of what the pages show: keys and versions are the
//! caller's (a page is kept only with the version of the data it was rendered from).

use crate::http_cache::hash_of;
use actix_web::web::Bytes;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};

/// One rendered page, split at the placeholder.
pub struct SplicedPage {
    /// The version of the data it was rendered from.
    pub version: u64,
    parts: Vec<Bytes>,
    /// A hash of the HTML (with the placeholder), for the ETag.
    tag: u64,
}

impl SplicedPage {
    /// The page with `token` where the placeholder was.
    pub fn body_with(&self, token: &[u8]) -> Vec<u8> {
        let len = self.parts.iter().map(|p| p.len()).sum::<usize>() + token.len() * self.parts.len();
        let mut body = Vec::with_capacity(len);
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(token);
            }
            body.extend_from_slice(part);
        }
        body
    }

    /// The ETag of the page with `token`: the body differs per visitor, so the tag does too.
    pub fn etag_with(&self, token: &[u8]) -> String {
        format!("\"p{:016x}{:08x}\"", self.tag, hash_of(token) as u32)
    }
}

/// Rendered pages by key (for instance a slug and a language), at most `capacity`.
pub struct PageCache<K> {
    pages: Mutex<HashMap<K, Arc<SplicedPage>>>,
    capacity: usize,
    /// Stands for the token in cached pages: random per process, so no text of a page's
    /// data can contain it.
    placeholder: String,
}

impl<K: Hash + Eq> PageCache<K> {
    pub fn new(capacity: usize) -> Self {
        PageCache {
            pages: Mutex::new(HashMap::new()),
            capacity,
            placeholder: format!("csrf{}", signons_store::Token::generate().hash().as_str()),
        }
    }

    /// What to render where the visitor's token goes.
    pub fn placeholder(&self) -> &str {
        &self.placeholder
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, Arc<SplicedPage>>> {
        // Every update is a single insert or removal: a poisoned lock is still consistent.
        self.pages.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The page of `key` if it was rendered from `version`.
    pub fn get(&self, key: &K, version: u64) -> Option<Arc<SplicedPage>> {
        self.lock().get(key).filter(|p| p.version == version).cloned()
    }

    /// Keeps `html` (rendered with `placeholder()`) for `key`, unless a page rendered from
    /// newer data is already there.
    pub fn insert(&self, key: K, version: u64, html: &str) -> Arc<SplicedPage> {
        let page = Arc::new(SplicedPage {
            version,
            tag: hash_of(html.as_bytes()),
            parts: html.split(self.placeholder.as_str()).map(|p| Bytes::copy_from_slice(p.as_bytes())).collect(),
        });
        let mut pages = self.lock();
        if pages.len() > self.capacity {
            pages.clear();
        }
        if pages.get(&key).is_none_or(|p| p.version < page.version) {
            pages.insert(key, page.clone());
        }
        page
    }

    /// Forgets the pages whose key fails `keep` (their data changed).
    pub fn retain(&self, keep: impl Fn(&K) -> bool) {
        self.lock().retain(|k, _| keep(k));
    }

    pub fn clear(&self) {
        self.lock().clear();
    }
}
