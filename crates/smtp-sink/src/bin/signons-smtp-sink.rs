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
            print!("{}", summary(m));
        }
        shown = received.len();
    }
}

/// What is printed of a message: who to whom, its subject, its `List-Unsubscribe` link, and
/// the links of its text part, decoded (quoted-printable folds long links over lines).
fn summary(m: &signons_smtp_sink::Received) -> String {
    let envelope = format!("from {} to {}", m.mail_from, m.rcpt_to.join(", "));
    let parsed = match mailparse::parse_mail(m.data.as_bytes()) {
        Ok(parsed) => parsed,
        Err(e) => return format!("{envelope}: a message that does not parse ({e})\n"),
    };
    let header =
        |name: &str| parsed.headers.iter().find(|h| h.get_key().eq_ignore_ascii_case(name)).map(|h| h.get_value());
    let mut out = format!("{envelope}: {}\n", header("Subject").unwrap_or_default());
    if let Some(unsubscribe) = header("List-Unsubscribe") {
        out.push_str(&format!("  List-Unsubscribe: {unsubscribe}\n"));
    }
    let text = std::iter::once(&parsed)
        .chain(parsed.subparts.iter())
        .find(|p| p.ctype.mimetype == "text/plain")
        .and_then(|p| p.get_body().ok())
        .unwrap_or_default();
    for link in text.split_whitespace().filter(|w| w.starts_with("http")) {
        out.push_str(&format!("  {}\n", link.trim_end_matches(['>', ')', '"', '.', ','])));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A news email as lettre writes it: a link longer than a quoted-printable line is
    /// folded with soft breaks, and is printed whole.
    #[test]
    fn folded_links_are_printed_whole() {
        let link =
            "http://127.0.0.1:8080/u/01a23cd5-c2fe-7256-b253-dd2606df3e6e.vVTFfdvt62cSaCQeg-zoV_kfAaNf7LNyqB6giWoy0m4";
        let data = format!(
            "Subject: News: Save the park\r\nList-Unsubscribe: <{link}>\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
             To stop: {}=\r\n{}\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>x</p>\r\n--b--\r\n",
            &link[..70],
            &link[70..]
        );
        let m = signons_smtp_sink::Received {
            mail_from: "a@example.org".into(),
            rcpt_to: vec!["b@example.org".into()],
            data,
            at: std::time::Instant::now(),
        };
        let printed = summary(&m);
        assert!(printed.contains("News: Save the park"), "{printed}");
        assert!(printed.contains(&format!("List-Unsubscribe: <{link}>")), "{printed}");
        assert!(printed.contains(&format!("  {link}\n")), "{printed}");
    }
}
