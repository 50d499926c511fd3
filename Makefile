# Signons — the two commands that matter: `make run` and `make test`.
CARGO ?= cargo
export PGHOST ?= 127.0.0.1
export PGUSER ?= postgres

.PHONY: run test lint fmt build release migrate setup clean

## run: build and serve on http://127.0.0.1:8080 (SQLite in data/, emails in data/outbox/)
run:
	$(CARGO) run --bin signons -- serve

## test: the whole suite, on SQLite and PostgreSQL (postgres on 127.0.0.1:5432)
test:
	$(CARGO) test --workspace --all-targets --no-fail-fast

## lint: formatting and clippy, warnings as errors
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

build:
	$(CARGO) build --workspace --all-targets

release:
	$(CARGO) build --release --bin signons

migrate:
	$(CARGO) run --bin signons -- migrate

## setup: system packages the build and tests need (Debian)
setup:
	./.ci/setup

clean:
	rm -rf data
