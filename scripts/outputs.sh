#!/usr/bin/env bash
# Every user-visible output of the CLI over every fixture, written under OUTDIR, so a change that
# must not alter behaviour can be checked with `diff -r before after`:
#   scripts/outputs.sh /tmp/before   # on the old commit
#   scripts/outputs.sh /tmp/after    # on the new one
#   diff -r /tmp/before /tmp/after
# Times that depend on the clock (a report's generation time, a fetch's stamp) are masked.
set -euo pipefail
out=${1:?usage: scripts/outputs.sh OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SCIMLENS:-${CARGO_TARGET_DIR:-$root/target}/debug/scimlens}
[ -x "$bin" ] || { echo "no scimlens binary at $bin: cargo build -p scimlens-cli first"; exit 1; }
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
mask() { sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2}| UTC)?/<time>/g' -e "s#$work#<work>#g"; }
run() { # run NAME ARGS...: stdout, stderr and exit status of one command
  local name=$1; shift
  local rc=0
  (cd "$work" && "$bin" "$@") >"$work/.o" 2>"$work/.e" || rc=$?
  { mask <"$work/.o"; echo "--- stderr"; mask <"$work/.e"; echo "--- exit $rc"; } >"$out/$name"
}
cd "$root/tests/fixtures"
find . -type f ! -name '*.md' ! -path './directory/*' ! -path './store/*' | sort | while read -r f; do
  name=$(echo "${f#./}" | tr '/' '_')
  for fmt in text json csv md html; do
    run "analyze.$name.$fmt" analyze "$root/tests/fixtures/$f" --format "$fmt"
  done
done
# The demo: its report, compare and preflight, then every command over its workspace.
export SCIMLENS_WORKSPACE="$work/demo.sqlite"
run demo demo --dir "$work/demo"
logs=$(find "$work/demo" -type f ! -path '*/directory/*' ! -path '*/identitystore/*' | sort)
# shellcheck disable=SC2086
run import import $logs
run store-import store-import "$work"/demo/identitystore/*
run store-import.again store-import "$root"/tests/fixtures/identitystore/*.json
run directory-import directory-import "$work"/demo/directory/*
run sources sources
run snapshots snapshots
for fmt in text json csv md html; do
  run "report.$fmt" report --format "$fmt"
  run "report.pseudonymized.$fmt" report --format "$fmt" --pseudonymize-key-file <(printf 'fixed-key-for-outputs')
  run "compare.$fmt" compare --all --format "$fmt"
  run "compare.over-time.$fmt" compare --over-time --format "$fmt"
done
for f in "$root"/tests/fixtures/directory/*.{csv,json}; do
  for fmt in text json csv md html; do
    run "preflight.$(basename "$f").$fmt" preflight "$f" --against-store --format "$fmt"
  done
done
run mapping mapping
run store-export store-export
for who in $(sed -n 's/^ *"name": "\(.*\)",*$/\1/p' "$out/report.json" | sort -u | head -8) nobody@example.com; do
  run "entity.$who" entity "$who"
  run "store-find.$who" store-find "$who"
done
echo "outputs in $out: $(ls "$out" | wc -l) files"
