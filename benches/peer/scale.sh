#!/usr/bin/env bash
# The scale curve (issue 9): `tollgate check --snapshot` over the seed state grown by N generated
# ClusterRoleBindings, as one JSON List and as YAML Lists of 2,000 per file; wall time, CPU and
# peak RSS from /usr/bin/time, one run per row. Builds the release binaries: tollgate as it
# ships, and the generator in a target directory of its own (see compare.sh for why).
# Usage: benches/peer/scale.sh [N...]   (default: 1000 10000 100000 300000)
# TOLLGATE=path/to/tollgate overrides the binary (e.g. to measure an older build).
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
[ -n "${TOLLGATE:-}" ] || cargo build --quiet --release -p tollgate --bin tollgate
CARGO_TARGET_DIR="$target/peer" cargo build --quiet --release -p tollgate-peer --bin gen-snapshot
tg="${TOLLGATE:-$target/release/tollgate}"
gen="$target/peer/release/gen-snapshot"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 100000 300000)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "| N | format | wall | CPU (user+sys) | peak RSS | decision |"
echo "|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  for fmt in json yaml; do
    dir="$work/$fmt-$n"
    "$gen" "$dir" "$n" "$fmt"
    /usr/bin/time -o "$work/time" -f "%e %U %S %M" \
      "$tg" check dev/simple-app:latest dev/simple-app:promote --snapshot "$dir" \
      --time 2024-03-06T12:00:00Z -o json > "$work/out" || true
    read -r wall user sys rss < "$work/time"
    decision=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("decision","?"))' "$work/out" 2>/dev/null || echo error)
    label=$([ "$fmt" = json ] && echo "JSON" || echo "YAML/2,000")
    python3 -c 'import sys; n,f,w,u,s,r,d=sys.argv[1:]; print(f"| {int(n):,} | {f} | {float(w):.2f} s | {float(u):.2f}+{float(s):.2f} s | {int(r)//1024:,} MB | {d} |")' \
      "$n" "$label" "$wall" "$user" "$sys" "$rss" "$decision"
    rm -rf "$dir"
  done
done
