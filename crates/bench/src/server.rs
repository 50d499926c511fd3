//! The server under test: a child process of the bench, on 127.0.0.1 only, killed by its
//! PID when the guard drops (also on error); and the throw-away PostgreSQL database.

use anyhow::{bail, Context as _};
use std::io::{Read, Write};
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
    /// Where the server listens (a free port of 127.0.0.1 picked at start if `None`), and
    /// the public URL it names itself by (`http://{listen}` if `None`). An instance that
    /// federates needs both known before it starts (`http://localhost:PORT`), and its
    /// command-line tools need the same.
    pub listen: Option<SocketAddr>,
    pub public_url: Option<String>,
}

impl ServerConfig {
    fn command(&self, addr: SocketAddr) -> Command {
        let mut cmd = Command::new(&self.binary);
        let public_url = self.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("SIGNONS_BIND", addr.to_string())
            .env("SIGNONS_PUBLIC_URL", public_url)
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
        let mut all = vec!["admin"];
        all.extend_from_slice(args);
        self.cli(&all, stdin)
    }

    /// Runs `signons ARGS…` with this server's environment and returns its stdout. A command
    /// still running after `CLI_TIMEOUT` is killed by its PID.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
        let mut cmd = self.command(self.listen.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0))));
        cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().with_context(|| format!("cannot run {}", self.binary.display()))?;
        // Killed by its PID on every way out of here, unless it ended.
        let mut guard = ChildGuard(Some(&mut child));
        if let Some(child) = guard.0.as_mut() {
            if let Some(mut pipe) = child.stdin.take() {
                if let Some(input) = stdin {
                    pipe.write_all(input.as_bytes())?;
                }
            }
        }
        let deadline = Instant::now() + CLI_TIMEOUT;
        let status = loop {
            let Some(child) = guard.0.as_mut() else { bail!("no child process") };
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if Instant::now() >= deadline {
                bail!("signons {args:?} did not end in {} s: killed", CLI_TIMEOUT.as_secs());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let Some(child) = guard.0.take() else { bail!("no child process") };
        // It ended: what it wrote is in the pipes (a few lines at most).
        let (mut stdout, mut stderr) = (String::new(), String::new());
        if let Some(mut pipe) = child.stdout.take() {
            let _ = pipe.read_to_string(&mut stdout);
        }
        if let Some(mut pipe) = child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        if !status.success() {
            bail!("signons {args:?} failed: {}", stderr.trim());
        }
        Ok(stdout.trim().to_owned())
    }
}

/// How long a command-line tool may run (`federation follow` fetches the followed actor).
const CLI_TIMEOUT: Duration = Duration::from_secs(60);

/// Kills a child process by its PID when dropped, unless it was taken out (it ended).
struct ChildGuard<'a>(Option<&'a mut Child>);

impl Drop for ChildGuard<'_> {
    fn drop(&mut self) {
        if let Some(child) = self.0.take() {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
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
        let addr = match config.listen {
            Some(addr) => addr,
            None => free_port()?,
        };
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

pub fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// The last lines of the server's log, for error messages.
pub fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}
