#!/usr/bin/env bash
# Whole-process comparison (issue 9): `tollgate check` against a minimal regorus evaluator over
# the same facts, both release builds, with hyperfine. Installs nothing; needs hyperfine
# (`apt-get install -y hyperfine`) and the two release binaries, which it builds:
#   cargo build --release -p tollgate -p tollgate-peer --features tollgate-peer/peer --bins
# Usage: benches/peer/compare.sh [RUNS]   (from anywhere; default 100 runs per command)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-100}"
command -v hyperfine >/dev/null || { echo "compare.sh needs hyperfine: apt-get install -y hyperfine" >&2; exit 2; }
target="${CARGO_TARGET_DIR:-target}"
cargo build --quiet --release -p tollgate -p tollgate-peer --features tollgate-peer/peer --bins
tg="$target/release/tollgate"
rg="$target/release/regorus-eval"
seed=examples/seed/c-manual-trigger
promotion=(dev/simple-app:latest dev/simple-app:promote)
at=(--time 2024-03-06T12:00:00Z)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
facts="$work/facts.json"
"$tg" facts "${promotion[@]}" --snapshot "$seed" "${at[@]}" > "$facts"
"$rg" benches/peer/rego "$facts" > /dev/null

# Mean seconds of one command, from hyperfine's JSON export.
mean() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["mean"])' "$@"; }
compare() { # name, tollgate command, regorus command
  hyperfine -N --warmup 10 --runs "$runs" --export-json "$work/$1.json" -n tollgate "$2" -n regorus "$3" >&2
  local a b
  a=$(mean "$work/$1.json" 0); b=$(mean "$work/$1.json" 1)
  python3 -c 'import sys; a,b=float(sys.argv[2]),float(sys.argv[3]); print(f"| {sys.argv[1]} | {a*1e3:.2f} ms | {b*1e3:.2f} ms | {a/b:.2f}× |")' "$1" "$a" "$b"
}
echo "| what | tollgate | regorus-eval | ratio |"
echo "|---|---|---|---|"
compare "check --facts" "$tg check ${promotion[*]} --facts $facts -o json" "$rg benches/peer/rego $facts"
compare "check --snapshot (seed)" "$tg check ${promotion[*]} --snapshot $seed ${at[*]} -o json" "$rg benches/peer/rego $facts"
