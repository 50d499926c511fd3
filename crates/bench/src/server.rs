//! The server under test: a child process of the bench, on 127.0.0.1 only, killed by its
//! PID when the guard drops (also on error); and the throw-away PostgreSQL database.

use anyhow::{bail, Context as _};
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What the server is started with.
#[derive(Clone)]
pub struct ServerConfig {
    pub binary: PathBuf,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub workers: Option<usize>,
    pub db_pool_size: Option<u32>,
    pub log_level: String,
    pub extra_env: Vec<(String, String)>,
}

impl ServerConfig {
    fn command(&self, addr: SocketAddr) -> Command {
        let mut cmd = Command::new(&self.binary);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("SIGNONS_BIND", addr.to_string())
            .env("SIGNONS_PUBLIC_URL", format!("http://{addr}"))
            .env("SIGNONS_DATABASE_URL", &self.database_url)
            .env("SIGNONS_DATA_DIR", &self.data_dir)
            .env("SIGNONS_SIGN_RATE_PER_IP_PER_HOUR", "0")
            .env("RUST_LOG", &self.log_level);
        cmd.envs(self.extra_env.iter().map(|(k, v)| (k, v)));
        if let Some(w) = self.workers {
            cmd.env("SIGNONS_WORKERS", w.to_string());
        }
        if let Some(p) = self.db_pool_size {
            cmd.env("SIGNONS_DB_POOL_SIZE", p.to_string());
        }
        cmd
    }

    /// Runs `signons admin …` (the database is migrated by it) and returns its stdout.
    pub fn admin(&self, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
        let mut cmd = self.command(SocketAddr::from(([127, 0, 0, 1], 0)));
        cmd.arg("admin").args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().with_context(|| format!("cannot run {}", self.binary.display()))?;
        if let Some(mut pipe) = child.stdin.take() {
            if let Some(input) = stdin {
                pipe.write_all(input.as_bytes())?;
            }
        }
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!("signons admin {args:?} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

/// The running server. Dropping it kills the process (by its PID) and waits for it.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl Server {
    pub fn start(config: &ServerConfig) -> anyhow::Result<Self> {
        let addr = free_port()?;
        let log = config.data_dir.join("server.log");
        let log_file = std::fs::File::create(&log)?;
        let child = config
            .command(addr)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("cannot start {}", config.binary.display()))?;
        Ok(Server { child, addr, log })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `/healthz` answers 200.
    pub async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited ({status}); its log: {}", tail(&self.log));
            }
            if let Ok(mut conn) = crate::client::Conn::new(self.addr, "en") {
                if let Ok(r) = conn.get("/healthz").await {
                    if r.status.is_success() {
                        return Ok(());
                    }
                }
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("the server did not become ready in 60 s; its log: {}", tail(&self.log));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Fails if the server died under load.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("the server exited ({status}); its log: {}", tail(&self.log));
        }
        Ok(())
    }

    /// Resident memory now and its peak since the last `reset_peak`, in KiB, from
    /// /proc/PID/status (VmRSS, VmHWM).
    pub fn memory(&self) -> anyhow::Result<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let field = |name: &str| -> anyhow::Result<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .with_context(|| format!("no {name} in /proc/{}/status", self.pid()))
        };
        Ok(Memory { rss_kib: field("VmRSS:")?, peak_kib: field("VmHWM:")? })
    }

    /// Starts a new peak-RSS measurement (writes 5 to /proc/PID/clear_refs). Returns false
    /// if the kernel refused; VmHWM is then the peak since the server started.
    pub fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5").is_ok()
    }

    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        // A polite SIGTERM to this PID first, then SIGKILL if it lingers.
        let pid = self.pid().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    pub rss_kib: u64,
    pub peak_kib: u64,
}

fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// The last lines of the server's log, for error messages.
pub fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}
