#!/usr/bin/env bash
# Refreshes tests/advisory-db: the RustSec advisories of every crate named in Cargo.lock, cut from
# a full copy of the database (default ../shared/advisory-db, see ../shared/ADVISORY-DB.md), so
# `make audit` works on a machine without that copy. Also records which crate names were looked
# up: `make audit` refuses the cut snapshot when Cargo.lock names a crate it did not look up.
set -euo pipefail
cd "$(dirname "$0")/.."
full=${1:-../shared/advisory-db}
out=tests/advisory-db
[ -d "$full/crates" ] || { echo "no RustSec advisory database at $full"; exit 1; }
rm -rf "$out" && mkdir -p "$out/crates"
names=$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.lock | sort -u)
for n in $names; do
  [ -d "$full/crates/$n" ] && cp -r "$full/crates/$n" "$out/crates/"
done
cp "$full/LICENSE.txt" "$full/support.toml" "$out/" 2>/dev/null || true
printf '%s\n' $names > "$out/checked-crates.txt"
origin=$(git -C "$full" log -1 --format='%H %cs' 2>/dev/null || echo "a copy without git history")
cat > "$out/SNAPSHOT.md" <<MD
# RustSec advisories for this project's crates

Cut from the RustSec advisory database (github.com/rustsec/advisory-db; CC0-1.0, see LICENSE.txt)
by \`scripts/advisory-snapshot.sh\` from \`$full\` ($origin; the shared copy is commit
bf5c0d245a92671908518d7e765914d437954ed6 of 2026-08-21): the advisories of every crate named in
Cargo.lock when it was cut, listed in \`checked-crates.txt\`. \`make audit\` uses the full database
when \`../shared/advisory-db\` exists and this cut otherwise; it refuses the cut when Cargo.lock
names a crate that is not in \`checked-crates.txt\` (run the script again).
MD
echo "$(ls "$out/crates" | wc -l) crates with advisories, $(wc -l < "$out/checked-crates.txt") crate names checked"
