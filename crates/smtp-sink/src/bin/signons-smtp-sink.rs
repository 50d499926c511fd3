//! The test relay, run by hand: `signons-smtp-sink --port 2525 --delay-ms 300`, then serve
//! Signons with `SIGNONS_SMTP_URL=smtp://127.0.0.1:2525`. Each accepted message is printed
//! (envelope, subject, and its links), nothing is delivered anywhere; Ctrl-C stops it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test tool, as the library

use clap::Parser;
use std::time::Duration;

#[derive(Parser)]
#[command(about = "A test SMTP relay on loopback that accepts every message and prints it")]
struct Args {
    /// The port to listen on, on 127.0.0.1.
    #[arg(long, default_value_t = 2525)]
    port: u16,
    /// How long each message waits for the relay's answer, as a loaded relay does.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let sink = signons_smtp_sink::SmtpSink::start_on(signons_smtp_sink::reserve(args.port));
    sink.set_delay(Duration::from_millis(args.delay_ms));
    println!("listening on {} (answering each message after {} ms)", sink.url(), args.delay_ms);
    let mut shown = 0;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return,
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
        let received = sink.received();
        for m in &received[shown..] {
            let subject = m.data.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap_or("");
            println!("from {} to {}: {subject}", m.mail_from, m.rcpt_to.join(", "));
            for link in m.data.split_whitespace().filter(|w| w.starts_with("http")) {
                println!("  {}", link.trim_end_matches(['>', ')', '"']));
            }
        }
        shown = received.len();
    }
}
