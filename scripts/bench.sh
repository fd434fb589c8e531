#!/usr/bin/env bash
# Import benchmark: prints the figures of the README's Benchmarks section against its targets.
#   1. On one generated Entra portal JSON of RECORDS records, in the same run: the parse floor
#      (examples/parse_floor: one typed serde_json pass over the file, read whole into memory
#      first), `scimlens import`, and DuckDB's read_json when DuckDB can be imported; the ratios
#      to the floor (target <= 2x) and to DuckDB (target <= 0.5x); peak RSS (target < 150 MB).
#   2. Unless BIG=0: BIG records imported into an empty workspace (linear cost: at most 5.5x the
#      RECORDS time when BIG is five times RECORDS), then another RECORDS-record log (another
#      seed) imported into that workspace (target: the same rate as into an empty one); the
#      diagnosis over BIG records (examples/diagnose_bench) and the entity search on it
#      (examples/search_bench: first search after start and later ones).
#   3. Unless HUGE=0: HUGE (5,000,000) records generated straight into gzip (no file of the full
#      size on disk; the workspace needs about 1.4 GB per million records), imported: time and
#      peak memory.
# The machine's load average is printed with every figure: on a shared machine they move with it.
# Needs: a release build (made here), GNU time; DuckDB from .venv/bin/python, DUCKDB_PYTHON or
# python3 (`pip install duckdb`), skipped when none has it.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${RECORDS:-200000}
BIG=${BIG:-1000000}
OUT=${BENCH_DIR:-$PWD/bench-out}
mkdir -p "$OUT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release -q -p scimlens-cli -p scimlens-core --features scimlens-core/internals --bins --examples
REL=$CARGO_TARGET_DIR/release
BIN=$REL/scimlens

DUCK_PY=
for py in "${DUCKDB_PYTHON:-}" "$PWD/.venv/bin/python" python3; do
  if [ -n "$py" ] && "$py" -c 'import duckdb' 2>/dev/null; then DUCK_PY=$py; break; fi
done

load() { cut -d' ' -f1-3 /proc/loadavg; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
gen() { # records seed -> file
  local file=$OUT/entra-portal-$1-seed$2.json
  [ -f "$file" ] || "$BIN" generate --format entra-portal-json --records "$1" --seed "$2" -o "$file" >/dev/null
  echo "$file"
}
measure() { # label, command... -> "seconds peak_MiB"
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >"$OUT/$label.out" 2>"$OUT/$label.err" \
    || { cat "$OUT/$label.err" >&2; exit 1; }
  read -r secs kb < "$OUT/time.txt"
  echo "$secs $((kb / 1024))"
}

FILE=$(gen "$RECORDS" 42)
SIZE_MB=$(( $(stat -c %s "$FILE") / 1000000 ))
# Warm the page cache so no side pays for the first read.
cat "$FILE" > /dev/null

echo "== $RECORDS records ($SIZE_MB MB), one run, same file; load average before: $(load)"
read -r fsecs fmb <<<"$(measure floor "$REL/examples/parse_floor" "$FILE")"
echo "  parse floor (typed serde_json pass)  ${fsecs} s  peak ${fmb} MiB   (load $(load))"
rm -f "$OUT/ws.sqlite"*
read -r ssecs smb <<<"$(measure import "$BIN" --workspace "$OUT/ws.sqlite" import "$FILE")"
echo "  scimlens import                      ${ssecs} s  peak ${smb} MiB   (load $(load))"
if [ -n "$DUCK_PY" ]; then
  read -r dsecs dmb <<<"$(measure duckdb "$DUCK_PY" -c "import duckdb; c = duckdb.connect(); c.execute(\"CREATE TABLE t AS SELECT * FROM read_json('$FILE')\"); print(c.execute('SELECT count(*) FROM t').fetchone()[0])")"
  echo "  DuckDB read_json                     ${dsecs} s  peak ${dmb} MiB   (load $(load))"
fi
echo "  import / parse floor: $(ratio "$ssecs" "$fsecs")x (target <= 2x)"
if [ -n "$DUCK_PY" ]; then
  echo "  import / DuckDB:      $(ratio "$ssecs" "$dsecs")x (target <= 0.5x)"
else
  echo "  DuckDB: not installed (pip install duckdb into .venv to compare)"
fi
echo "  peak memory of the import: ${smb} MiB (target < 150 MB = $((150000000 / 1048576)) MiB)"
echo "  workspace $(( $(stat -c %s "$OUT/ws.sqlite") / 1000000 )) MB"

[ "$BIG" = 0 ] && exit 0

BIGFILE=$(gen "$BIG" 42)
cat "$BIGFILE" > /dev/null
rm -f "$OUT/big.sqlite"*
echo "== $BIG records ($(( $(stat -c %s "$BIGFILE") / 1000000 )) MB) into an empty workspace; load before: $(load)"
read -r bsecs bmb <<<"$(measure import-big "$BIN" --workspace "$OUT/big.sqlite" import "$BIGFILE")"
echo "  scimlens import  ${bsecs} s  peak ${bmb} MiB   (load $(load))"
echo "  $BIG / $RECORDS records: $(ratio "$bsecs" "$ssecs")x the time for $(ratio "$BIG" "$RECORDS")x the records (target <= 5.5x for 5x)"

MORE=$(gen "$RECORDS" 43)
cat "$MORE" > /dev/null
read -r msecs mmb <<<"$(measure import-more "$BIN" --workspace "$OUT/big.sqlite" import "$MORE")"
echo "== another $RECORDS records into the $BIG-record workspace: ${msecs} s  peak ${mmb} MiB   (load $(load))"
echo "  $(ratio "$msecs" "$ssecs")x the time into an empty workspace (target: the same rate, 1x)"

DIAG=$("$REL/examples/diagnose_bench" "$OUT/big.sqlite")
echo "== diagnosis over $((BIG + RECORDS)) records: $DIAG   (load $(load))"
python3 - "$DIAG" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
print(f"  rules change {d['rules_change_alone_seconds']:.2f} s (target <= 1 s), "
      f"{d['rules_change_seconds']:.2f} s with the report")
print(f"  rebuild from every record {d['from_scratch_alone_seconds']:.2f} s (target <= 10 s), "
      f"{d['from_scratch_seconds']:.2f} s with the report")
PY
NAMES=$("$REL/examples/search_bench" "$OUT/big.sqlite" --names)
echo "== search on that workspace (budget 150 ms), a fresh process; load before: $(load)"
# shellcheck disable=SC2086 # three names, one word each
"$REL/examples/search_bench" "$OUT/big.sqlite" $NAMES | sed 's/^/  /'
if [ "${HUGE:=5000000}" != 0 ]; then
  # The log is generated into gzip as it is written (no file of its full size, 13 GB at five
  # million, on disk), and the import unwraps it as it reads. The workspace (and its
  # write-ahead log during the import) takes about 1.4 GB per million records.
  rm -f "$OUT/huge.sqlite"*
  [ -f "$OUT/huge-$HUGE.json.gz" ] \
    || "$BIN" generate --format entra-portal-json --records "$HUGE" --seed 44 -o - 2>/dev/null \
       | gzip -1 > "$OUT/huge-$HUGE.json.gz"
  read -r hsecs hmb <<<"$(measure import-huge "$BIN" --workspace "$OUT/huge.sqlite" import "$OUT/huge-$HUGE.json.gz")"
  echo "== $HUGE records (gzip, unwrapped as read) into an empty workspace: ${hsecs} s  peak ${hmb} MiB (target < 143 MiB)   (load $(load))"
  rm -f "$OUT/huge.sqlite"*
fi
echo "load average after: $(load)"
