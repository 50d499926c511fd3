//! Confirmation links, read back from the `.eml` files the server's mail worker writes into
//! `{data_dir}/outbox/` (quoted-printable bodies).

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

/// How many `.eml` files the outbox holds.
pub fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries.filter_map(Result::ok).filter(|e| e.path().extension().is_some_and(|x| x == "eml")).count()
        })
        .unwrap_or(0)
}

/// Waits until the outbox holds at least `want` emails, or until it stops growing for
/// `stall`; returns how many it holds.
pub async fn wait_for(dir: &Path, want: usize, stall: Duration) -> usize {
    let mut last = (count(dir), Instant::now());
    loop {
        let n = count(dir);
        if n >= want {
            return n;
        }
        if n > last.0 {
            last = (n, Instant::now());
        } else if last.1.elapsed() >= stall {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The confirmation tokens of every email in the outbox that has not been `seen` yet.
pub fn confirm_tokens(
    dir: &Path,
    public_url: &str,
    seen: &mut HashSet<std::path::PathBuf>,
) -> anyhow::Result<Vec<String>> {
    let prefix = format!("{public_url}/s/");
    let mut tokens = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_none_or(|x| x != "eml") || seen.contains(&path) {
            continue;
        }
        let raw = std::fs::read(&path)?;
        if let Some(token) = token_in(&raw, &prefix) {
            tokens.push(token);
        }
        seen.insert(path);
    }
    Ok(tokens)
}

/// Finds `{prefix}{token}` in a raw email, decoding quoted-printable (soft line breaks,
/// `=3D`, …) first.
pub fn token_in(raw: &[u8], prefix: &str) -> Option<String> {
    let decoded = quoted_printable::decode(raw, quoted_printable::ParseMode::Robust).ok()?;
    let text = String::from_utf8_lossy(&decoded);
    let start = text.find(prefix)? + prefix.len();
    let token: String =
        text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_link_split_by_soft_line_breaks() {
        let raw = b"Content-Transfer-Encoding: quoted-printable\r\n\r\nConfirm: http://127.0.0.1:9/s/abcDEF=\r\n123-_x\r\nbye";
        assert_eq!(token_in(raw, "http://127.0.0.1:9/s/").as_deref(), Some("abcDEF123-_x"));
        assert_eq!(token_in(b"nothing here", "http://127.0.0.1:9/s/"), None);
    }
}
