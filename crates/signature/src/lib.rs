//! Signatures: the signer's input parsed into domain types, signing with double opt-in
//! (pending until the emailed link is confirmed), withdrawal, the sharded counters that
//! give each petition its count, retention (purge and anonymization), and the signature
//! emails: queued as references, composed by the mail worker with links derived from the
//! instance's link key (`links`, `emails`), and the caps on how often one address is
//! emailed (`recipients`); the keyed hash of each signer's network (`network`) and the
//! admin's bulk invalidation by network, email domain and time (`invalidation`); the
//! organizers' export of confirmed signatures, a keyset-paginated page at a time (`export`);
//! the people of an organization's petitions, one per canonical email (`people`);
//! the organizers' news emailed to the signers who asked it, and its unsubscribe link (`news`).

pub mod comments;
pub mod counts;
pub mod digest;
pub mod emails;
pub mod error;
pub mod export;
pub mod invalidation;
pub mod links;
pub mod network;
pub mod news;
pub mod people;
mod pg_batch;
pub mod recipients;
pub mod retention;
pub mod signer;
pub mod signing;

pub use emails::SignatureEmails;
pub use error::SignatureError;
pub use links::LinkKey;
pub use network::{NetworkHash, NetworkKey};
pub use pg_batch::PgSignBatcher;
pub use recipients::{RecipientCaps, RecipientLimits};
pub use signer::{SignatureInput, SignerEmail, Source, ValidSignature};
pub use signing::{Confirmation, Elsewhere, PublicSigner, SigningContext, TokenPage};
