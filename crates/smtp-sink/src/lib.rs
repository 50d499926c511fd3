#![allow(clippy::unwrap_used, clippy::expect_used)] // a test tool: a broken sink is a failed test
//! A small SMTP server that accepts every message and keeps it: enough of RFC 5321 for
//! lettre (EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT). It can be
//! started on a port chosen in advance, to play an outage and its end. It can also answer
//! slowly, or hold its answer to DATA until released, as a remote relay under load does:
//! a message counts as received only once its `250` is sent, and one whose client went
//! away before that is dropped (the client never heard it was accepted).
//!
//! It is a crate of its own because both the end-to-end tests and the bench (which
//! measures the time from signing to the relay) talk to it; nothing in the product does.
//! Its binary (`cargo run -p signons-smtp-sink -- --delay-ms 300`) is the same relay for a
//! try by hand: it prints each message it accepts.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// A message as the sink received it: the envelope, the data, and when it was accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: String,
    pub at: std::time::Instant,
}

pub struct SmtpSink {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    pace: Arc<Pace>,
    seen: Mutex<usize>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        // Dropping the accept loop drops its JoinSet, which ends every connection.
        self.server.abort();
    }
}

/// A port held for a sink that starts later: bound, so no one else can take it, but not
/// listening, so connections to it are refused, as with a server that is down.
pub struct ReservedPort {
    socket: tokio::net::TcpSocket,
    pub port: u16,
}

pub fn reserve_port() -> ReservedPort {
    reserve(0)
}

/// `port` on loopback (0: any free one), bound but not listening yet.
pub fn reserve(port: u16) -> ReservedPort {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket.bind(([127, 0, 0, 1], port).into()).expect("a free port");
    let port = socket.local_addr().expect("its address").port();
    ReservedPort { socket, port }
}

impl ReservedPort {
    /// Starts listening (for a server of another protocol than SMTP: the tests' fake
    /// remote instances also play "down, then back" on a reserved port).
    pub fn listen(self) -> std::net::TcpListener {
        self.socket.listen(256).expect("listens").into_std().expect("a std listener")
    }
}

pub fn smtp_url(port: u16) -> String {
    format!("smtp://127.0.0.1:{port}")
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        Self::start_on(reserve_port())
    }

    /// A sink that waits `delay` before it answers each message's DATA.
    pub fn start_slow(delay: Duration) -> SmtpSink {
        let sink = Self::start();
        sink.set_delay(delay);
        sink
    }

    /// Sets how long each message's DATA waits for its answer.
    pub fn set_delay(&self, delay: Duration) {
        *self.pace.delay.lock().expect("lock") = delay;
    }

    /// Starts listening on a port reserved earlier.
    pub fn start_on(reserved: ReservedPort) -> SmtpSink {
        let listener = reserved.socket.listen(256).expect("the SMTP sink listens");
        let port = listener.local_addr().expect("its address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        let pace = Arc::new(Pace::default());
        let pace_ = pace.clone();
        let server = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let (store, pace) = (store.clone(), pace_.clone());
                connections.spawn(async move {
                    if let Err(e) = serve(stream, store, pace).await {
                        eprintln!("SMTP sink: connection ended: {e}");
                    }
                });
                while connections.try_join_next().is_some() {}
            }
        });
        SmtpSink { port, received, pace, seen: Mutex::new(0), server }
    }

    /// From now on, answers to DATA wait until the client goes away (and then the message
    /// is dropped): a relay that stopped answering mid-batch.
    pub fn hold(&self) {
        self.pace.held.store(true, Ordering::SeqCst);
    }

    /// Ends `hold`: the messages held are accepted now (those whose client is still there).
    pub fn release(&self) {
        self.pace.held.store(false, Ordering::SeqCst);
    }

    /// Messages whose DATA answer is being held or delayed right now.
    pub fn waiting(&self) -> usize {
        self.pace.waiting.load(Ordering::SeqCst)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        smtp_url(self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }

    /// Waits (20 s at most, then panics: a test failure) for the next message not handed
    /// out before.
    pub async fn next_message(&self) -> Received {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            {
                let mut seen = self.seen.lock().expect("lock");
                if let Some(message) = self.received().get(*seen).cloned() {
                    *seen += 1;
                    return message;
                }
            }
            assert!(std::time::Instant::now() < deadline, "no message reached the SMTP sink");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// How the sink answers DATA: after a delay, and not while held.
#[derive(Default)]
struct Pace {
    delay: Mutex<Duration>,
    held: AtomicBool,
    waiting: AtomicUsize,
}

impl Pace {
    /// Waits as the sink is set to, watching the client meanwhile: `false` if the client
    /// closed the connection before the answer.
    async fn wait(&self, lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> std::io::Result<bool> {
        let delay = *self.delay.lock().expect("lock");
        if delay.is_zero() && !self.held.load(Ordering::SeqCst) {
            return Ok(true);
        }
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + delay;
        let mut byte = [0u8; 1];
        let outcome = loop {
            let ready = tokio::time::Instant::now() >= deadline && !self.held.load(Ordering::SeqCst);
            if ready {
                break Ok(true);
            }
            let wait = deadline.saturating_duration_since(tokio::time::Instant::now()).max(Duration::from_millis(1));
            tokio::select! {
                read = tokio::io::AsyncReadExt::read(lines, &mut byte) => match read {
                    Ok(0) | Err(_) => break Ok(false),
                    // A client does not speak before the answer; ignore it if it does.
                    Ok(_) => {}
                },
                _ = tokio::time::sleep(wait.min(Duration::from_millis(20))) => {}
            }
        };
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        outcome
    }
}

async fn serve(stream: TcpStream, store: Arc<Mutex<Vec<Received>>>, pace: Arc<Pace>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP test sink\r\n").await?;
    let mut mail_from = String::new();
    let mut rcpt_to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end();
        let verb = command.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink.test greets you\r\n250 8BITMIME\r\n",
            "HELO" => b"250 sink.test\r\n",
            "MAIL" => {
                mail_from = angle_address(command);
                rcpt_to.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                rcpt_to.push(angle_address(command));
                b"250 OK\r\n"
            }
            "DATA" => {
                write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    // Dot-stuffing: a line that starts with a dot was sent with one more.
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                if !pace.wait(&mut lines).await? {
                    return Ok(()); // the client left before hearing the message was accepted
                }
                store.lock().expect("lock").push(Received {
                    mail_from: std::mem::take(&mut mail_from),
                    rcpt_to: std::mem::take(&mut rcpt_to),
                    data,
                    at: std::time::Instant::now(),
                });
                b"250 OK: queued\r\n"
            }
            "RSET" => {
                mail_from.clear();
                rcpt_to.clear();
                b"250 OK\r\n"
            }
            "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 Command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// The address of `MAIL FROM:<a@b> …` or `RCPT TO:<a@b>`.
fn angle_address(command: &str) -> String {
    match (command.find('<'), command.find('>')) {
        (Some(a), Some(b)) if a < b => command[a + 1..b].to_owned(),
        _ => command.split_once(':').map(|(_, v)| v.trim().to_owned()).unwrap_or_default(),
    }
}
