//! Hashes the migration files (both trees, names and contents) into
//! `SIGNONS_MIGRATIONS_HASH`, so that the test helpers (`testing`) name their template
//! databases after exactly the migrations embedded in this build: a changed migration gets
//! a new template instead of reusing one migrated by older files.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let root = Path::new("../../migrations");
    // A directory here makes cargo rerun the script when any file below it changes.
    println!("cargo:rerun-if-changed=../../migrations");
    let mut all = Vec::new();
    files(root, &mut all);
    all.sort();
    let mut hasher = Sha256::new();
    for path in &all {
        let relative = path.strip_prefix(root).unwrap_or(path);
        hasher.update(relative.to_string_lossy().as_bytes());
        hasher.update([0]);
        // A file that cannot be read here cannot be embedded either; the build fails there.
        hasher.update(std::fs::read(path).unwrap_or_default());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=SIGNONS_MIGRATIONS_HASH={hex}");
}
