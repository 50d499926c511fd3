# Signons — the two commands that matter: `make run` and `make test`.
CARGO ?= cargo
export PGHOST ?= 127.0.0.1
export PGUSER ?= postgres

.PHONY: run demo test test-faults interop-deps lint fmt build release migrate setup clean bench bench-quick fuzz maps

## run: build and serve on http://127.0.0.1:8080 (SQLite in data/, emails in data/outbox/)
run:
	$(CARGO) run --bin signons -- serve

## demo: three federating instances, alpha on http://localhost:8541, beta on :8551, gamma on :8561 (Ctrl-C stops)
demo:
	./deploy/demo.sh

## test: the whole suite, on SQLite and PostgreSQL (postgres on 127.0.0.1:5432); the fault
## tests below are part of it
test: interop-deps
	$(CARGO) test --workspace --all-targets --no-fail-fast

## test-faults: only the fault tests (tests/e2e/fault/ and the SMTP outage): SIGKILL mid
## signing, SMTP down, a private PostgreSQL cluster restarted under load (needs the
## PostgreSQL binaries in /usr/lib/postgresql/*/bin), a remote instance down then back
test-faults:
	$(CARGO) test -p signons-tests --test e2e -- fault:: email::smtp_outage

## interop-deps: the npm packages of the interop peer (tests/interop) and of the browser
## test (tests/browser: playwright-core and axe-core; Chromium itself comes from Debian,
## `make setup`), when missing or outdated
INTEROP := tests/interop
BROWSER := tests/browser
interop-deps: $(INTEROP)/node_modules/.package-lock.json $(BROWSER)/node_modules/.package-lock.json

%/node_modules/.package-lock.json: %/package-lock.json %/package.json
	npm ci --prefix $* --no-audit --no-fund
	touch $@

## lint: formatting and clippy, warnings as errors (the fuzz targets, a workspace of their
## own, are checked for formatting here and built by `make fuzz`)
FUZZ_SOURCES = fuzz/src/lib.rs $(wildcard fuzz/fuzz_targets/*.rs)
lint:
	$(CARGO) fmt --all -- --check
	rustfmt --edition 2021 --check $(FUZZ_SOURCES)
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all
	rustfmt --edition 2021 $(FUZZ_SOURCES)

## fuzz: builds the cargo fuzz targets (fuzz/: inbox_activity, sign_form, markdown) and runs
## each for FUZZ_SECONDS seconds (default 30); fails on any crash, whose input is left in
## fuzz/artifacts/. Works on stable Rust (see fuzz/run.sh); cargo-fuzz comes from .ci/setup.
fuzz:
	./fuzz/run.sh

build:
	$(CARGO) build --workspace --all-targets

release:
	$(CARGO) build --release --bin signons

## maps: fetches the map data with npm and writes web/maps/ again (see web/maps/README.md);
## the build itself never needs the network
maps:
	python3 tools/maps.py

migrate:
	$(CARGO) run --bin signons -- migrate

## bench: the performance scenarios of issue 4, federated signatures between two
## instances (scenario 7) and the soak (scenario 8: 10 minutes of signing at half the
## signing rate; it fails the bench on an error, memory growing by 10 % or more, or a lost
## signature), on SQLite and PostgreSQL (postgres on 127.0.0.1:5432; copies
## signons_test_<random> of the migrated template are created and dropped, the template
## signons_template_<hash> stays for the next run). About 30 minutes. BENCH_ARGS passes
## options, e.g. BENCH_ARGS="--backend sqlite --markdown out.md" or "--soak-seconds 120".
bench:
	$(CARGO) build --release -p signons-app -p signons-bench
	./target/release/signons-bench $(BENCH_ARGS)

## bench-quick: the same, a few seconds per scenario (for development, not for figures)
bench-quick:
	$(CARGO) build --release -p signons-app -p signons-bench
	./target/release/signons-bench --quick $(BENCH_ARGS)

## setup: system packages the build and tests need (Debian)
setup:
	./.ci/setup

clean:
	rm -rf data
