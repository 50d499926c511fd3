//! The `signons` command line, run as an admin would: the federation policy commands and
//! their errors, on a fresh SQLite database.

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
