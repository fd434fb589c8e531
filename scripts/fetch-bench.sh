#!/usr/bin/env bash
# Fetch efficiency benchmark (figures for the README): seeds moto_server (the AWS stand-in) with
# N_USERS users and N_GROUPS groups, every user a member of one group and the first 250 also of
# the first group (so its memberships take three pages), then runs `scimlens fetch` at
# 20 requests/s and compares its calls and seconds with the floor pagination imposes:
#   1 ListInstances + ceil(N_USERS/100) + ceil(N_GROUPS/100) + sum over groups of ceil(members/100)
# calls, at 20 calls/s.
# Needs: the moto venv (`make setup-python`). N_USERS=... N_GROUPS=... RATE=... change the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
N_USERS=${N_USERS:-3000}
N_GROUPS=${N_GROUPS:-120}
RATE=${RATE:-20}
VENV=${VENV:-$PWD/.venv}
OUT=${BENCH_DIR:-$PWD/bench-out}
mkdir -p "$OUT"

cargo build --release -q -p scimlens-cli
CLI=$CARGO_TARGET_DIR/release/scimlens

PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
MOTO=$!
trap 'kill -TERM $MOTO 2>/dev/null || true' EXIT
ENDPOINT=http://127.0.0.1:$PORT
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
for _ in $(seq 100); do curl -sf -X POST "$ENDPOINT/moto-api/reset" >/dev/null && break; sleep 0.1; done

echo "seeding $N_USERS users and $N_GROUPS groups into moto_server on $ENDPOINT"
FLOOR=$("$VENV/bin/python" - "$ENDPOINT" "$N_USERS" "$N_GROUPS" <<'PY'
import math, sys
import boto3
endpoint, users, groups = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sso = boto3.client("sso-admin", endpoint_url=endpoint)
store = sso.list_instances()["Instances"][0]["IdentityStoreId"]
ids = boto3.client("identitystore", endpoint_url=endpoint)
group_ids = [ids.create_group(IdentityStoreId=store, DisplayName=f"Team {g:04}")["GroupId"]
             for g in range(groups)]
members = [0] * groups
for u in range(users):
    name = f"user{u:06}@example.com"
    user_id = ids.create_user(
        IdentityStoreId=store, UserName=name, DisplayName=f"User {u}",
        Name={"GivenName": f"Given{u}", "FamilyName": f"Family{u}"},
        Emails=[{"Value": name, "Type": "work", "Primary": True}])["UserId"]
    for g in {u % groups, 0} if u < 250 else {u % groups}:
        ids.create_group_membership(IdentityStoreId=store, GroupId=group_ids[g],
                                    MemberId={"UserId": user_id})
        members[g] += 1
floor = 1 + math.ceil(users / 100) + math.ceil(groups / 100) \
    + sum(max(1, math.ceil(m / 100)) for m in members)
print(floor)
PY
)

echo "== scimlens fetch at $RATE requests/s =="
WS=$OUT/fetch-bench.sqlite
rm -f "$WS" "$WS-wal" "$WS-shm"
# The identity store alone; scripts/access-bench.sh measures the access part.
SUMMARY=$("$CLI" --workspace "$WS" fetch --endpoint-url "$ENDPOINT" --rate "$RATE" --format json --no-access)
echo "$SUMMARY"
"$VENV/bin/python" - "$SUMMARY" "$FLOOR" "$RATE" <<'PY'
import json, sys
s, floor, rate = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
floor_s = floor / rate
print(f"calls {s['calls']} (pagination floor {floor}); seconds {s['seconds']:.2f} "
      f"(floor {floor_s:.2f} s at {rate:g}/s, {100 * (s['seconds'] / floor_s - 1):+.1f}%)")
PY
