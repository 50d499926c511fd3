//! The test SMTP relay (crate `signons-smtp-sink`), and how the tests read what it got.

use crate::mail::Mail;
pub use signons_smtp_sink::{reserve_port, smtp_url, Received, SmtpSink};

/// A received message, parsed.
pub trait ReceivedMail {
    fn mail(&self) -> Mail;
}

impl ReceivedMail for Received {
    #[track_caller]
    fn mail(&self) -> Mail {
        Mail::parse(&self.data).unwrap_or_else(|| panic!("the sink received an unreadable message:\n{}", self.data))
    }
}
