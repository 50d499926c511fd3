//! Finds the interface's languages: one folder of `web/locales` each (`en`, `fr`, …,
//! holding `main.ftl`), so that adding a language is adding a folder. Writes the list, and a
//! `Locale` constant per language, for `src/locale.rs`.

// A build script that cannot read the folders must stop the build, with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/locales");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut codes: Vec<String> = std::fs::read_dir(&dir)
        .expect("web/locales is readable")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("main.ftl").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    codes.sort();
    for code in &codes {
        // A folder name is a language tag (`pt`, `pt-BR`): letters, digits and hyphens.
        let valid = !code.is_empty()
            && code.split('-').all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(valid, "web/locales/{code} is not named after a language tag (en, fr, pt-BR)");
    }
    assert!(codes.iter().any(|c| c == "en"), "web/locales/en (the fallback language) is missing");
    assert!(codes.len() <= usize::from(u8::MAX), "too many languages");
    let mut out = String::new();
    writeln!(out, "/// The language tags of `web/locales`' folders, sorted.").unwrap();
    writeln!(out, "pub(crate) const CODES: [&str; {}] = {:?};", codes.len(), codes).unwrap();
    writeln!(out, "impl Locale {{").unwrap();
    for (i, code) in codes.iter().enumerate() {
        // `pt-BR` → `PtBr`, as Rust names a variant.
        let name: String = code
            .split('-')
            .map(|part| {
                let lower = part.to_ascii_lowercase();
                let mut chars = lower.chars();
                chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
            })
            .collect();
        writeln!(out, "    /// `web/locales/{code}`.").unwrap();
        writeln!(out, "    #[allow(non_upper_case_globals)]").unwrap();
        writeln!(out, "    pub const {name}: Locale = Locale({i});").unwrap();
    }
    writeln!(out, "}}").unwrap();
    let target = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("locales.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
