#!/usr/bin/env bash
# Import benchmark: scimlens vs DuckDB on the same generated Entra portal JSON, plus diagnosis
# over 1,000,000 imported records. Prints figures for the README. Needs: a release build
# (made here), python3 with duckdb (pip), GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${RECORDS:-200000}
BIG=${BIG:-1000000}
OUT=${BENCH_DIR:-$PWD/bench-out}
mkdir -p "$OUT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release -q -p scimlens-cli -p scimlens-core --features scimlens-core/internals --bins --examples
BIN=$CARGO_TARGET_DIR/release/scimlens
DIAG=$CARGO_TARGET_DIR/release/examples/diagnose_bench
python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install -q duckdb

FILE=$OUT/entra-portal-$RECORDS.json
[ -f "$FILE" ] || "$BIN" generate --format entra-portal-json --records "$RECORDS" -o "$FILE"
SIZE_MB=$(( $(stat -c %s "$FILE") / 1000000 ))

measure() { # label, command... -> "label seconds peak_MiB"
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/$label.err" || { cat "$OUT/$label.err"; exit 1; }
  read -r secs kb < "$OUT/time.txt"
  echo "$label $secs $((kb / 1024))"
}

# Warm the page cache so neither side pays for the first read.
cat "$FILE" > /dev/null
rm -f "$OUT/ws.sqlite"*
duck=$(measure duckdb python3 -c "import duckdb,sys; c=duckdb.connect(); c.execute(\"CREATE TABLE t AS SELECT * FROM read_json('$FILE')\"); print(c.execute('select count(*) from t').fetchone())")
ours=$(measure scimlens "$BIN" --workspace "$OUT/ws.sqlite" import "$FILE")
read -r _ dsecs dmb <<<"$duck"
read -r _ ssecs smb <<<"$ours"
# The machine is shared: figures mean little without the load they were measured under.
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "import of $RECORDS records ($SIZE_MB MB):"
echo "  duckdb   ${dsecs}s  peak ${dmb} MiB"
echo "  scimlens ${ssecs}s  peak ${smb} MiB  (ratio $(python3 -c "print(round($ssecs/$dsecs, 2))") of duckdb)"
echo "  workspace $(( $(stat -c %s "$OUT/ws.sqlite") / 1000000 )) MB"

BIGFILE=$OUT/entra-portal-$BIG.json
[ -f "$BIGFILE" ] || "$BIN" generate --format entra-portal-json --records "$BIG" -o "$BIGFILE"
rm -f "$OUT/big.sqlite"*
big=$(measure scimlens-big "$BIN" --workspace "$OUT/big.sqlite" import "$BIGFILE")
read -r _ bsecs bmb <<<"$big"
echo "import of $BIG records: ${bsecs}s peak ${bmb} MiB"
echo "diagnosis over $BIG records: $("$DIAG" "$OUT/big.sqlite")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
