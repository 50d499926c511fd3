//! Secret tokens (email links, sessions, API tokens): random, shown once, stored only as
//! a SHA-256 hash so a database leak reveals no usable link.

use base64::Engine;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;

/// A secret token as the user holds it (in a link, a cookie, an `Authorization` header).
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Token(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token from 32 secret bytes someone else drew or derived (the links of a
    /// signature's emails are derived from the instance's link key: `signons_signature::links`).
    /// It looks like, and parses as, a generated one.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        Token(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts only what `generate` produces, so junk never reaches a query.
    pub fn parse(s: &str) -> Option<Self> {
        let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.as_bytes()).ok()?;
        (decoded.len() == 32).then(|| Token(s.to_owned()))
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(hex::encode(Sha256::digest(self.0.as_bytes())))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(…)")
    }
}

/// What the database keeps of a token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<DB> ToSql<Text, DB> for TokenHash
where
    DB: Backend,
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.0.as_str().to_sql(out)
    }
}

impl<DB> FromSql<Text, DB> for TokenHash
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(TokenHash(String::from_sql(bytes)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_and_forged_ones_do_not() {
        let t = Token::generate();
        assert_eq!(Token::parse(t.expose()), Some(t.clone()));
        assert_ne!(t.hash().as_str(), t.expose());
        assert_eq!(Token::parse("abc"), None);
        assert!(Token::parse(&"A".repeat(43)).is_some());
        assert_eq!(Token::parse("<script>"), None);
    }
}
