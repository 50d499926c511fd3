#!/usr/bin/env bash
# `make fuzz`: builds the fuzz targets once, then runs each for FUZZ_SECONDS seconds (30 by
# default) from a corpus seeded with fuzz/seeds/ and, for the inbox, the federation
# fixtures. Exits non-zero on the first crash, leaving the input in
# fuzz/artifacts/<target>/ (see fuzz/README.md: every crash becomes a regression test).
#
# cargo fuzz normally wants a nightly toolchain; CI may have only stable. RUSTC_BOOTSTRAP=1
# lets stable rustc take the unstable flags cargo fuzz passes (-Z…), and the sanitizer is
# off by default: the code fuzzed is safe Rust, a crash is a panic, and an uninstrumented
# build is faster to make and to run. FUZZ_SANITIZER=address turns AddressSanitizer on.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-30}"
targets="${FUZZ_TARGETS:-inbox_activity sign_form markdown picture}"
sanitizer="${FUZZ_SANITIZER:-none}"
cargo="${CARGO:-cargo}"
# cargo fuzz builds with one codegen unit by default: 16 let each crate build on both cores
# (the fuzzed code runs a little slower, which a run of seconds does not notice).
flags=(--sanitizer "$sanitizer" --codegen-units "${FUZZ_CODEGEN_UNITS:-16}")
export RUSTC_BOOTSTRAP=1

if ! $cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo fuzz is missing: run ./.ci/setup (or cargo install cargo-fuzz --locked)" >&2
  exit 1
fi

started=$(date +%s)
# One build of every target (they share their dependencies); `run` then builds nothing.
$cargo fuzz build "${flags[@]}"
echo "fuzz: targets built in $(( $(date +%s) - started )) s"

for target in $targets; do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  if [ -d "fuzz/seeds/$target" ]; then cp -n fuzz/seeds/"$target"/* "$corpus"/; fi
  if [ "$target" = inbox_activity ]; then
    cp -n crates/federation/fixtures/accepted/*.json crates/federation/fixtures/sent/*.json "$corpus"/
  fi
  echo "fuzz: $target for $seconds s"
  # -timeout: an input that takes 10 s is a finding too (a hang); -rss_limit_mb: so is one
  # that takes 2 GB.
  $cargo fuzz run "${flags[@]}" "$target" "$corpus" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
echo "fuzz: no crash in $(echo $targets | wc -w) targets, $(( $(date +%s) - started )) s in all"
