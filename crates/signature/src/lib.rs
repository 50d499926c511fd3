//! Signatures: the signer's input parsed into domain types, signing with double opt-in
//! (pending until the emailed link is confirmed), withdrawal, the sharded counters that
//! give each petition its count, and retention (purge and anonymization).

pub mod counts;
pub mod digest;
pub mod error;
mod pg_batch;
pub mod retention;
pub mod signer;
pub mod signing;

pub use error::SignatureError;
pub use pg_batch::PgSignBatcher;
pub use signer::{SignatureInput, SignerEmail, ValidSignature};
pub use signing::{Confirmation, Elsewhere, PublicSigner, SigningContext, TokenPage};
