//! Reading the emails the application sends, from the outbox or the SMTP sink: a small
//! MIME reader (headers, RFC 2047 encoded words, multipart, quoted-printable and base64
//! bodies) and the links the emails carry.

use base64::Engine;

#[derive(Debug, Clone)]
pub struct Part {
    pub content_type: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub from: String,
    pub subject: String,
    /// The top-level Content-Type, e.g. `multipart/alternative; boundary=…`.
    pub content_type: String,
    pub parts: Vec<Part>,
    pub raw: String,
}

impl Mail {
    /// Parses a whole message; `None` while it is incomplete (a file still being written).
    pub fn parse(raw: &str) -> Option<Mail> {
        let raw = raw.replace("\r\n", "\n");
        let (headers, body) = split_message(&raw)?;
        let header = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
        let content_type = header("content-type").unwrap_or_else(|| "text/plain".into());
        let parts = if content_type.to_ascii_lowercase().starts_with("multipart/") {
            let boundary = parameter(&content_type, "boundary")?;
            let end = format!("--{boundary}--");
            if !body.contains(&end) {
                return None;
            }
            let body = &body[..body.find(&end)?];
            body.split(&format!("--{boundary}\n")).skip(1).map(parse_part).collect::<Option<Vec<_>>>()?
        } else {
            vec![parse_part(&raw)?]
        };
        Some(Mail {
            to: address(&header("to")?),
            from: decode_header(&header("from").unwrap_or_default()),
            subject: decode_header(&header("subject")?),
            content_type,
            parts,
            raw,
        })
    }

    pub fn part(&self, mime: &str) -> Option<&str> {
        self.parts.iter().find(|p| p.content_type.to_ascii_lowercase().starts_with(mime)).map(|p| p.body.as_str())
    }

    #[track_caller]
    /// A header of the message (unfolded), by name without case.
    pub fn header(&self, name: &str) -> Option<String> {
        let (headers, _) = split_message(&self.raw)?;
        headers.into_iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    pub fn text(&self) -> &str {
        self.part("text/plain").unwrap_or_else(|| panic!("no text part in:\n{}", self.raw))
    }

    #[track_caller]
    pub fn html(&self) -> &str {
        self.part("text/html").unwrap_or_else(|| panic!("no HTML part in:\n{}", self.raw))
    }

    /// Every link of the text part that starts with `prefix`.
    pub fn links(&self, prefix: &str) -> Vec<String> {
        links(self.text(), prefix)
    }

    /// The confirmation link `{public_url}/s/{token}`; asserts there is exactly one, and
    /// that the HTML part has it too.
    #[track_caller]
    pub fn confirm_link(&self, public_url: &str) -> String {
        self.only_link(&format!("{public_url}/s/"))
    }

    #[track_caller]
    pub fn withdraw_link(&self, public_url: &str) -> String {
        self.only_link(&format!("{public_url}/w/"))
    }

    /// The one-click unsubscribe link of a news email (RFC 8058), after checking that both
    /// headers are there, that it is `public_url`'s, and that the text part carries it too.
    #[track_caller]
    pub fn unsubscribe_link(&self, public_url: &str) -> String {
        let header = self.header("List-Unsubscribe").expect("a List-Unsubscribe header");
        let link = header.trim().trim_start_matches('<').trim_end_matches('>').to_owned();
        assert!(link.starts_with(&format!("{public_url}/u/")), "{link}");
        assert_eq!(self.header("List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
        assert!(self.text().contains(&link), "the text part carries the same link");
        link
    }

    #[track_caller]
    fn only_link(&self, prefix: &str) -> String {
        let found = self.links(prefix);
        assert_eq!(found.len(), 1, "expected one {prefix}… link in:\n{}", self.text());
        let link = found[0].clone();
        let html = crate::helpers::unescape_html(self.html());
        assert!(html.contains(&format!("href=\"{link}\"")), "the HTML part lacks {link}:\n{html}");
        link
    }
}

/// Links in `text` starting with `prefix`, each running to the end of its token.
pub fn links(text: &str, prefix: &str) -> Vec<String> {
    text.match_indices(prefix)
        .map(|(i, _)| {
            let rest = &text[i + prefix.len()..];
            let token: String =
                rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
            format!("{prefix}{token}")
        })
        .collect()
}

/// Headers (unfolded) and body of a message or part.
fn split_message(raw: &str) -> Option<(Vec<(String, String)>, &str)> {
    let (head, body) = raw.split_once("\n\n")?;
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            let (_, value) = headers.last_mut()?;
            value.push(' ');
            value.push_str(line.trim());
        } else {
            let (name, value) = line.split_once(':')?;
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    Some((headers, body))
}

fn parse_part(raw: &str) -> Option<Part> {
    let (headers, body) = split_message(raw)?;
    let header = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
    let content_type = header("content-type").unwrap_or_else(|| "text/plain".into());
    let encoding = header("content-transfer-encoding").unwrap_or_default().to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "quoted-printable" => {
            quoted_printable::decode(body.replace('\n', "\r\n"), quoted_printable::ParseMode::Robust).ok()?
        }
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD.decode(compact).ok()?
        }
        _ => body.as_bytes().to_vec(),
    };
    let body = String::from_utf8(bytes).ok()?.replace("\r\n", "\n");
    Some(Part { content_type, body: body.trim_end_matches('\n').to_owned() })
}

/// A header parameter such as `boundary="…"`.
fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// The bare address of `Name <a@b>` or `a@b`.
fn address(value: &str) -> String {
    let value = decode_header(value);
    match (value.rfind('<'), value.rfind('>')) {
        (Some(a), Some(b)) if a < b => value[a + 1..b].to_owned(),
        _ => value.trim().to_owned(),
    }
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); whitespace between
/// two encoded words is dropped, as the RFC says.
pub fn decode_header(value: &str) -> String {
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut previous_was_word = false;
    for (i, token) in value.split_whitespace().enumerate() {
        match decode_word(token) {
            Some(bytes) => {
                if !previous_was_word && i > 0 {
                    out.push(' ');
                }
                pending.extend(bytes);
                previous_was_word = true;
            }
            None => {
                out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut pending)));
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(token);
                previous_was_word = false;
            }
        }
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out
}

fn decode_word(token: &str) -> Option<Vec<u8>> {
    let inner = token.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut pieces = inner.splitn(3, '?');
    let _charset = pieces.next()?;
    let encoding = pieces.next()?.to_ascii_lowercase();
    let text = pieces.next()?;
    match encoding.as_str() {
        "b" => base64::engine::general_purpose::STANDARD.decode(text).ok(),
        "q" => {
            let mut bytes = Vec::new();
            let mut chars = text.bytes();
            while let Some(c) = chars.next() {
                match c {
                    b'_' => bytes.push(b' '),
                    b'=' => {
                        let hex = [chars.next()?, chars.next()?];
                        bytes.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
                    }
                    c => bytes.push(c),
                }
            }
            Some(bytes)
        }
        _ => None,
    }
}

#[test]
fn reads_encoded_headers_and_parts() {
    assert_eq!(decode_header("=?utf-8?b?Vm91cyBhdmV6IGTDqWrDoCBzaWduw6k=?= : x"), "Vous avez déjà signé : x");
    assert_eq!(decode_header("=?utf-8?b?w6k=?=\n =?utf-8?b?w6k=?="), "éé");
    assert_eq!(decode_header("=?UTF-8?Q?caf=C3=A9_au_lait?="), "café au lait");
    let raw = "To: a@b.org\r\nFrom: S <s@x.org>\r\nSubject: =?utf-8?b?w6k=?=\r\nContent-Type: multipart/alternative;\r\n boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nd=C3=A9j=C3=A0 http://h/s/ab-c_d=\r\nef\r\n--XX\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPGEgaHJlZj0iaHR0cDovL2gvcy9hYi1jX2RlZiI+eDwvYT4=\r\n--XX--\r\n";
    let m = Mail::parse(raw).unwrap();
    assert_eq!((m.to.as_str(), m.subject.as_str()), ("a@b.org", "é"));
    assert_eq!(m.text(), "déjà http://h/s/ab-c_def");
    assert_eq!(m.confirm_link("http://h"), "http://h/s/ab-c_def");
    assert!(Mail::parse(&raw[..raw.len() - 8]).is_none(), "an unfinished message is not read");
}
