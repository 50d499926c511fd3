//! A small SMTP server that accepts every message and keeps it: enough of RFC 5321 for
//! lettre (EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT). It can be
//! started on a port chosen in advance, to play an outage and its end.

use crate::helpers::{eventually, DEADLINE};
use crate::mail::Mail;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// A message as the sink received it: the envelope and the data.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: String,
}

impl Received {
    #[track_caller]
    pub fn mail(&self) -> Mail {
        Mail::parse(&self.data).unwrap_or_else(|| panic!("the sink received an unreadable message:\n{}", self.data))
    }
}

pub struct SmtpSink {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
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
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket.bind(([127, 0, 0, 1], 0).into()).expect("a free port");
    let port = socket.local_addr().expect("its address").port();
    ReservedPort { socket, port }
}

pub fn smtp_url(port: u16) -> String {
    format!("smtp://127.0.0.1:{port}")
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        Self::start_on(reserve_port())
    }

    /// Starts listening on a port reserved earlier.
    pub fn start_on(reserved: ReservedPort) -> SmtpSink {
        let listener = reserved.socket.listen(64).expect("the SMTP sink listens");
        let port = listener.local_addr().expect("its address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        let server = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let store = store.clone();
                connections.spawn(async move {
                    if let Err(e) = serve(stream, store).await {
                        eprintln!("SMTP sink: connection ended: {e}");
                    }
                });
                while connections.try_join_next().is_some() {}
            }
        });
        SmtpSink { port, received, seen: Mutex::new(0), server }
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

    /// Waits for the next message not handed out before.
    pub async fn next_message(&self) -> Received {
        eventually("a message at the SMTP sink", DEADLINE, || async {
            let mut seen = self.seen.lock().expect("lock");
            let message = self.received().get(*seen).cloned()?;
            *seen += 1;
            Some(message)
        })
        .await
    }
}

async fn serve(stream: TcpStream, store: Arc<Mutex<Vec<Received>>>) -> std::io::Result<()> {
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
                store.lock().expect("lock").push(Received {
                    mail_from: std::mem::take(&mut mail_from),
                    rcpt_to: std::mem::take(&mut rcpt_to),
                    data,
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
