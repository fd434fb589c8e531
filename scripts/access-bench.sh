#!/usr/bin/env bash
# Access fetch benchmark (figures for the README): seeds moto_server (the AWS stand-in) with
# N_USERS users, N_PERMISSION_SETS permission sets (two pages at 120), the first three
# provisioned to moto's account and assigned (one to a group, one to a user and the group, one
# to every user: two pages of assignments at 150 users), then runs `scimlens fetch` at RATE
# requests/s and compares its calls and seconds with the floor pagination imposes:
#   1 ListInstances + ceil(N_USERS/100) + 1 ListGroups + 1 ListGroupMemberships
#   + ceil(P/100) ListPermissionSets + P DescribePermissionSet
#   + P ListAccountsForProvisionedPermissionSet + sum over the 3 assigned of ceil(assignments/100)
#   + ceil(accounts/20) ListAccounts
# calls, at RATE calls/s. moto provisions every permission set to its own account only.
# Needs: the moto venv (`make setup-python`). N_USERS=... N_PERMISSION_SETS=... RATE=... PROFILE=...
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
N_USERS=${N_USERS:-150}
N_PERMISSION_SETS=${N_PERMISSION_SETS:-120}
RATE=${RATE:-19}
# The fetch is paced by the rate, not the CPU: the dev build gives the same figures.
PROFILE=${PROFILE:-dev}
VENV=${VENV:-$PWD/.venv}
OUT=${BENCH_DIR:-$PWD/bench-out}
mkdir -p "$OUT"

cargo build --profile "$PROFILE" -q -p scimlens-cli
if [ "$PROFILE" = dev ]; then CLI=$CARGO_TARGET_DIR/debug/scimlens; else CLI=$CARGO_TARGET_DIR/$PROFILE/scimlens; fi

PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
MOTO=$!
trap 'kill -TERM $MOTO 2>/dev/null || true' EXIT
ENDPOINT=http://127.0.0.1:$PORT
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
for _ in $(seq 100); do curl -sf -X POST "$ENDPOINT/moto-api/reset" >/dev/null && break; sleep 0.1; done

echo "seeding $N_USERS users and $N_PERMISSION_SETS permission sets into moto_server on $ENDPOINT"
FLOOR=$("$VENV/bin/python" - "$ENDPOINT" "$N_USERS" "$N_PERMISSION_SETS" <<'PY'
import math, sys
import boto3
endpoint, users, sets = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sso = boto3.client("sso-admin", endpoint_url=endpoint)
instance = sso.list_instances()["Instances"][0]
store, arn = instance["IdentityStoreId"], instance["InstanceArn"]
account = boto3.client("sts", endpoint_url=endpoint).get_caller_identity()["Account"]
ids = boto3.client("identitystore", endpoint_url=endpoint)
group = ids.create_group(IdentityStoreId=store, DisplayName="Admins")["GroupId"]
user_ids = []
for u in range(users):
    name = f"user{u:06}@example.com"
    user_ids.append(ids.create_user(
        IdentityStoreId=store, UserName=name, DisplayName=f"User {u}",
        Name={"GivenName": f"Given{u}", "FamilyName": f"Family{u}"},
        Emails=[{"Value": name, "Type": "work", "Primary": True}])["UserId"])
ids.create_group_membership(IdentityStoreId=store, GroupId=group, MemberId={"UserId": user_ids[0]})
# A SessionDuration given as text: moto answers its default as a number the SDK refuses.
ps = [sso.create_permission_set(InstanceArn=arn, Name=f"PS-{p:03}", SessionDuration="PT1H")
      ["PermissionSet"]["PermissionSetArn"] for p in range(sets)]
def assign(p, kind, principal):
    sso.create_account_assignment(InstanceArn=arn, TargetId=account, TargetType="AWS_ACCOUNT",
                                  PermissionSetArn=p, PrincipalType=kind, PrincipalId=principal)
for p in ps[:3]:
    sso.provision_permission_set(InstanceArn=arn, PermissionSetArn=p,
                                 TargetType="ALL_PROVISIONED_ACCOUNTS")
assign(ps[0], "GROUP", group)
assign(ps[1], "GROUP", group)
assign(ps[1], "USER", user_ids[0])
for u in user_ids:
    assign(ps[2], "USER", u)
boto3.client("organizations", endpoint_url=endpoint).create_organization(FeatureSet="ALL")
pages = lambda n: max(1, math.ceil(n / 100))
# ... + 1 ListAccounts (the organization holds moto's account alone).
floor = 1 + pages(users) + 1 + 1 + pages(sets) + 2 * sets + pages(1) + pages(2) + pages(users) + 1
print(floor)
PY
)

echo "== scimlens fetch at $RATE requests/s =="
WS=$OUT/access-bench.sqlite
rm -f "$WS" "$WS-wal" "$WS-shm"
SUMMARY=$("$CLI" --workspace "$WS" fetch --endpoint-url "$ENDPOINT" --rate "$RATE" --format json)
echo "$SUMMARY"
"$VENV/bin/python" - "$SUMMARY" "$FLOOR" "$RATE" <<'PY'
import json, sys
s, floor, rate = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
floor_s = floor / rate
print(f"calls {s['calls']} (pagination floor {floor}); seconds {s['seconds']:.2f} "
      f"(floor {floor_s:.2f} s at {rate:g}/s, {100 * (s['seconds'] / floor_s - 1):+.1f}%); "
      f"{s['permission_sets']} permission sets, {s['account_assignments']} assignments")
PY
