#!/usr/bin/env bash
# Desktop-app benchmark (figures for the README):
#   1. command layer over IPC (tauri mock runtime) on a 1,000,000-record workspace: first
#      Problems rows, filters and searches, against the issue's budgets (300 ms / 150 ms);
#   2. cold start of the real window to interactive (the UI calls app_ready once its first
#      view has data), with the demo workspace and with the big one;
#   3. in the real window: the Problems view's first rows, search, a row's entity view and the
#      Overview (as WebDriver sees them, round trips included, and by the page's own marks);
#   4. memory of the app: RSS of the app process and of its WebKit processes.
# Needs: xvfb-run (Linux), a built UI (make ui). RECORDS=... changes the size.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
RECORDS=${RECORDS:-1000000}
OUT=${BENCH_DIR:-$PWD/bench-out}
mkdir -p "$OUT"
load() { cut -d' ' -f1-3 /proc/loadavg; }

WS=$OUT/app-$RECORDS.sqlite
if [ ! -f "$WS" ]; then
  cargo build --release -q -p scimlens-cli
  CLI=$CARGO_TARGET_DIR/release/scimlens
  LOG=$OUT/entra-portal-$RECORDS.json
  [ -f "$LOG" ] || "$CLI" generate --format entra-portal-json --records "$RECORDS" -o "$LOG"
  echo "importing $RECORDS records into $WS"
  /usr/bin/time -f "import: %e s, peak %M KB" "$CLI" --workspace "$WS" import "$LOG"
fi

echo "== command layer (IPC, app-dev profile: dependencies optimized, as make run builds); load $(load)"
SCIMLENS_BENCH_WORKSPACE=$WS cargo test -q --profile app-dev -p scimlens-app --test app bench -- --ignored --nocapture --test-threads 1

echo "== Problems, search, entity view and Overview in the real window (tauri-driver + WebKitWebDriver under Xvfb); load $(load)"
SCIMLENS_BENCH_WORKSPACE=$WS xvfb-run -a -s '-screen 0 1280x800x24' \
  cargo test -q --profile app-dev -p scimlens-app --test e2e real_window_problems_on_a_large_workspace -- --ignored --nocapture

echo "== cold start and memory (real window under Xvfb); load $(load)"
cargo build -q --profile app-dev -p scimlens-app
APP=$CARGO_TARGET_DIR/app-dev/scimlens-app

# Runs inside xvfb-run: launches the app RUNS times with the data dir $1 and prints, per run,
# the wall time to interactive and the RSS of the app with its WebKit children.
cat > "$OUT/cold-start.sh" <<'INNER'
#!/usr/bin/env bash
set -euo pipefail
APP=$1 DATA=$2 LABEL=$3 RUNS=${4:-3}
rss_tree() { # pid -> total RSS in MB of it and all descendants
  local total=0 p
  for p in $1 $(pgrep -P "$1" 2>/dev/null; for c in $(pgrep -P "$1" 2>/dev/null); do pgrep -P "$c" 2>/dev/null; done); do
    [ -r /proc/$p/status ] && total=$(( total + $(awk '/VmRSS/ {print $2}' /proc/$p/status) ))
  done
  echo $(( total / 1024 ))
}
for run in $(seq "$RUNS"); do
  log=$(mktemp)
  start=$(date +%s%N)
  SCIMLENS_DATA_DIR=$DATA "$APP" 2>"$log" &
  pid=$!
  for _ in $(seq 600); do grep -q "interactive after" "$log" && break; sleep 0.05; done
  end=$(date +%s%N)
  own=$(grep -o "interactive after [0-9]* ms" "$log" | grep -o "[0-9]*" || echo "?")
  sleep 2
  app_mb=$(( $(awk '/VmRSS/ {print $2}' /proc/$pid/status) / 1024 ))
  echo "$LABEL run $run: interactive after $(( (end - start) / 1000000 )) ms wall (app's own clock: $own ms); RSS app $app_mb MB, app + WebKit processes $(rss_tree $pid) MB"
  kill -TERM $pid; wait $pid 2>/dev/null || true
  rm -f "$log"
done
INNER
chmod +x "$OUT/cold-start.sh"

DEMO_DATA=$(mktemp -d)
BIG_DATA=$(mktemp -d)
printf '["%s"]\n' "$WS" > "$BIG_DATA/recent.json"
# The first demo launch builds the demo workspace; later launches open it.
xvfb-run -a -s '-screen 0 1280x800x24' "$OUT/cold-start.sh" "$APP" "$DEMO_DATA" "demo workspace" 3
xvfb-run -a -s '-screen 0 1280x800x24' "$OUT/cold-start.sh" "$APP" "$BIG_DATA" "$RECORDS-record workspace" 3
rm -rf "$DEMO_DATA" "$BIG_DATA"
echo "load average after: $(load)"
