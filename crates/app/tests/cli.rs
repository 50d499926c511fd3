//! The `signons` command line, run as an admin would: the federation policy commands and
//! their errors on a fresh SQLite database, and organizers' API tokens on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

struct Instance {
    dir: tempfile::TempDir,
}

impl Instance {
    fn new() -> Self {
        Instance { dir: tempfile::tempdir().unwrap() }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_signons"))
            .args(args)
            .env_remove("SIGNONS_CONFIG")
            .env("SIGNONS_DATA_DIR", self.dir.path())
            .env("SIGNONS_PUBLIC_URL", "http://localhost:8541")
            .env("SIGNONS_FEDERATION_ALLOW_LOCAL", "true")
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    }

    /// Runs and expects success; returns stdout.
    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "signons {args:?} failed:\n{stdout}\n{stderr}");
        stdout.into_owned()
    }

    /// Runs and expects a failure; returns stderr.
    #[track_caller]
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "signons {args:?} should have failed");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

#[test]
fn federation_policy_from_the_command_line() {
    let i = Instance::new();
    assert!(i.ok(&["federation", "status"]).contains("mode: open"));

    // Nothing listens on port 1: a clear error, and nothing is followed.
    let unreachable = i.fails(&["federation", "follow", "http://localhost:1"]);
    assert!(unreachable.contains("cannot reach http://localhost:1"), "{unreachable}");
    assert_eq!(i.ok(&["federation", "block", "https://Spam.Example/"]), "spam.example is blocked\n");
    assert_eq!(i.ok(&["federation", "allow", "localhost:8551"]), "localhost:8551 is allowed\n");
    assert_eq!(i.ok(&["federation", "mode", "allowlist"]), "federation mode: allowlist\n");
    let status = i.ok(&["federation", "status"]);
    for line in ["mode: allowlist", "block: spam.example", "allow: localhost:8551", "deliveries waiting: 0"] {
        assert!(status.contains(line), "{line:?} in:\n{status}");
    }

    assert!(i.fails(&["federation", "mode", "closed"]).contains("`open` or `allowlist`"));
    assert!(i.fails(&["federation", "block", "not a domain"]).contains("is not a domain"));
    assert!(i.fails(&["federation", "unfollow", "http://localhost:8551/actor"]).contains("does not follow"));
    // In allow-list mode, a domain that is not allowed is refused before any request.
    let refused = i.fails(&["federation", "follow", "http://localhost:8561"]);
    assert!(refused.contains("the federation policy refuses localhost:8561"), "{refused}");
    let refused = i.fails(&["federation", "follow", "petition@spam.example"]);
    assert!(refused.contains("the federation policy refuses spam.example"), "{refused}");

    assert_eq!(i.ok(&["federation", "forget", "spam.example"]), "spam.example has no rule now\n");
    assert_eq!(i.ok(&["federation", "mode", "open"]), "federation mode: open\n");
    let status = i.ok(&["federation", "status"]);
    assert!(
        status.contains("mode: open") && !status.contains("spam.example") && !status.contains("following"),
        "{status}"
    );
}

/// An instance on a fresh database of either backend (PostgreSQL: a database copied from
/// the migrated template, dropped at the end).
struct OnBackend {
    dir: tempfile::TempDir,
    db: signons_store::testing::TempDatabase,
}

impl OnBackend {
    fn new(backend: signons_store::Backend) -> Self {
        OnBackend { dir: tempfile::tempdir().unwrap(), db: signons_store::testing::TempDatabase::new(backend) }
    }

    /// Runs with `stdin` piped in (not a terminal: how scripts give the password).
    fn run(&self, args: &[&str], stdin: &str) -> (bool, String, String) {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_signons"))
            .args(args)
            .env_remove("SIGNONS_CONFIG")
            .env("SIGNONS_DATA_DIR", self.dir.path())
            .env("SIGNONS_DATABASE_URL", self.db.url_string())
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let (ok, stdout, stderr) = self.run(args, "");
        assert!(ok, "signons {args:?} failed:\n{stdout}\n{stderr}");
        stdout
    }

    #[track_caller]
    fn fails(&self, args: &[&str]) -> String {
        let (ok, _, stderr) = self.run(args, "");
        assert!(!ok, "signons {args:?} should have failed");
        stderr
    }
}

fn tokens_from_the_command_line(backend: signons_store::Backend) {
    let i = OnBackend::new(backend);
    // The password from stdin when it is not a terminal (scripts, the demo, the bench).
    let (ok, stdout, stderr) = i.run(
        &["admin", "create-organizer", "--email", "cli@example.org", "--org", "cli-org"],
        "long enough password\n",
    );
    assert!(ok, "{stdout}\n{stderr}");
    let (ok, _, stderr) = i.run(&["admin", "create-organizer", "--email", "two@example.org", "--org", "cli-org"], "");
    assert!(!ok && stderr.contains("no password given"), "{stderr}");

    let old = i.ok(&["admin", "create-token", "--email", "cli@example.org"]);
    let old = old.trim();
    assert_eq!(old.len(), 43, "{old}");
    let new = i.ok(&[
        "admin",
        "tokens",
        "create",
        "--email",
        "cli@example.org",
        "--name",
        "Deploy bot",
        "--expires-in-days",
        "7",
    ]);
    let new = new.trim();
    let list = i.ok(&["admin", "tokens", "list", "--email", "cli@example.org"]);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(
        lines[0].contains("Deploy bot") && lines[0].contains("expires ") && lines[0].contains("never used"),
        "{list}"
    );
    assert!(lines[1].contains("command line") && lines[1].contains("never expires"), "{list}");
    assert!(!list.contains(old) && !list.contains(new), "never the secret: {list}");

    // Bad input: clear errors.
    let bad = i.fails(&["admin", "tokens", "create", "--email", "cli@example.org", "--expires-in-days", "0"]);
    assert!(bad.contains("--expires-in-days"), "{bad}");
    let bad = i.fails(&["admin", "tokens", "create", "--email", "cli@example.org", "--name", ""]);
    assert!(bad.contains("name"), "{bad}");
    assert!(i.fails(&["admin", "tokens", "list", "--email", "nobody@example.org"]).contains("no organizer with email"));
    assert!(i
        .fails(&["admin", "tokens", "revoke", "--email", "cli@example.org", "nope"])
        .contains("is not a token id"));
    let unknown = i.fails(&["admin", "tokens", "revoke", "--email", "cli@example.org", "0123456789abcdef"]);
    assert!(unknown.contains("has no token 0123456789abcdef"), "{unknown}");

    let id = lines[0].split_whitespace().next().unwrap();
    assert_eq!(i.ok(&["admin", "tokens", "revoke", "--email", "cli@example.org", id]), format!("token {id} revoked\n"));
    let list = i.ok(&["admin", "tokens", "list", "--email", "cli@example.org"]);
    assert!(!list.contains("Deploy bot") && list.contains("command line"), "{list}");
}

#[test]
fn tokens_from_the_command_line_sqlite() {
    tokens_from_the_command_line(signons_store::Backend::Sqlite);
}

#[test]
fn tokens_from_the_command_line_postgres() {
    tokens_from_the_command_line(signons_store::Backend::Postgres);
}
