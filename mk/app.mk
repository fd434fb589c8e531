# The desktop app (src-tauri + ui): run, package, UI tests, the real-window end-to-end run,
# the wire-type drift check, the command check and the app benchmark. Included from the Makefile.

# `make run` builds the dev profile (the build CI's end-to-end run shares); `make run
# APP_PROFILE=app-dev` optimizes every dependency (a longer first build, a quicker window on
# large workspaces; the app benchmark uses it).
APP_PROFILE ?= dev
APP_BIN := $(CARGO_TARGET_DIR)/$(if $(filter dev,$(APP_PROFILE)),debug,$(APP_PROFILE))/scimlens-app
XVFB_RUN := xvfb-run -a -s '-screen 0 1280x800x24'
# What building and running the window needs on Debian/Ubuntu (the test tools come from
# `make setup`).
APP_APT_PACKAGES := libwebkit2gtk-4.1-dev build-essential file libssl-dev \
	libayatana-appindicator3-dev librsvg2-dev libxdo-dev
# The real-window flows (the other ignored test in e2e.rs is the large-workspace benchmark that
# `make app-bench` runs).
E2E_TEST := real_window_imports_diagnoses_drills_down_and_exports
UI_SOURCES := $(shell find ui/src ui/public -type f 2>/dev/null) ui/index.html ui/vite.config.ts ui/tsconfig.json

.PHONY: run app-deps ui-deps ui package ui-test ui-lint e2e e2e-screenshots tauri-driver bindings-check \
	commands-check app-bench

## Builds what is missing and opens the app window (a second launch takes seconds).
run: app-deps ui
	$(CARGO) build -q --profile $(APP_PROFILE) -p scimlens-app
	$(APP_BIN)

## System WebKit packages (apt, when this is Debian/Ubuntu) and the UI's npm packages.
app-deps:
	@if command -v dpkg >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then \
	  missing=$$(for p in $(APP_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	  if [ -n "$$missing" ]; then \
	    echo "installing: $$missing"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	  fi; \
	else echo "not Debian/Ubuntu: install the Tauri prerequisites yourself (see the README)"; fi
	@command -v npm >/dev/null 2>&1 || { echo "npm (Node.js 20 or newer) is required"; exit 1; }
	@$(MAKE) -s ui-deps

ui-deps: ui/node_modules/.package-lock.json

ui/node_modules/.package-lock.json: ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	@touch $@

## The web UI (ui/dist, embedded into the app binary at compile time); rebuilt only when its
## sources change.
ui: ui/dist/.built

ui/dist/.built: ui/node_modules/.package-lock.json $(UI_SOURCES)
	cd ui && npm run -s build
	@touch $@

## A Debian package of the app (release build, about 7 minutes on 2 cores).
package: app-deps ui
	ui/node_modules/.bin/tauri build --bundles deb
	@ls -1 $(CARGO_TARGET_DIR)/release/bundle/deb/*.deb

ui-lint: ui-deps
	cd ui && npm run -s lint && npm run -s typecheck && npx tsc --noEmit -p tests/tsconfig.json

## Vitest (UI logic), then Playwright in Debian's Chromium against the built UI (mocked IPC).
ui-test: ui-lint ui
	cd ui && npx vitest run && npm run -s test:browser

tauri-driver:
	@command -v tauri-driver >/dev/null 2>&1 || [ -x "$${CARGO_HOME:-$$HOME/.cargo}/bin/tauri-driver" ] || \
	  $(CARGO) install tauri-driver --version '^2' --locked

## The real window: tauri-driver + WebKitWebDriver under Xvfb (screenshots in target/e2e-screenshots).
e2e: ui tauri-driver
	$(XVFB_RUN) $(CARGO) test -q -p scimlens-app --test e2e -- --ignored --nocapture --exact $(E2E_TEST)

## The same run, also refreshing docs/screenshots.
e2e-screenshots: ui tauri-driver
	SCIMLENS_SCREENSHOTS=docs $(XVFB_RUN) $(CARGO) test -q -p scimlens-app --test e2e -- --ignored --nocapture --exact $(E2E_TEST)

## Regenerates the wire types (ts-rs) and fails when the committed ones differ.
bindings-check: ui
	$(CARGO) test -q --workspace --lib export_bindings
	git diff --exit-code -- ui/src/bindings
	@untracked=$$(git ls-files --others --exclude-standard ui/src/bindings); \
	  if [ -n "$$untracked" ]; then echo "uncommitted new bindings: $$untracked"; exit 1; fi

## The Tauri commands agree everywhere they are named: the #[tauri::command] fns, generate_handler!,
## build.rs's COMMANDS, the capabilities, ui/src/backend's calls (argument keys and types, result
## types) and the browser tests' mock (scripts/check-commands.mjs says what it checks). A few seconds.
commands-check: ui-deps
	node scripts/check-commands.mjs

## Command-layer timings on a 1,000,000-record workspace, cold start and memory of the window.
app-bench: ui
	scripts/app-bench.sh

## The app crate embeds ui/dist at compile time, so whatever compiles it needs the UI built.
lint core-test: ui

app-test: commands-check ui-test bindings-check e2e
