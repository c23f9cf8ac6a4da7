#!/usr/bin/env bash
# Whole-process comparison (issue 9): `tollgate check` against a minimal regorus evaluator over
# the same facts, both release builds, with hyperfine. Installs nothing; needs hyperfine
# (`apt-get install -y hyperfine`) and the two release binaries, which it builds: tollgate as it
# ships (`cargo build --release -p tollgate`), and regorus-eval in a target directory of its own
# (`target/peer`): built together, cargo would unify the two's dependency features and measure a
# tollgate binary that nobody installs.
# Usage: benches/peer/compare.sh [RUNS] [ROUNDS]   (from anywhere; default 20 runs × 5 rounds)
# The commands alternate: each round runs every command RUNS times, in turn, the order reversed
# every other round, so drift of a shared machine's load falls on all of them alike. Mean and
# median are over every run of every round. TOLLGATE=path/to/tollgate adds that build as a
# third column (e.g. the build before a change), compared in the same rounds.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-20}"
rounds="${2:-5}"
command -v hyperfine >/dev/null || { echo "compare.sh needs hyperfine: apt-get install -y hyperfine" >&2; exit 2; }
target="${CARGO_TARGET_DIR:-target}"
cargo build --quiet --release -p tollgate --bin tollgate
CARGO_TARGET_DIR="$target/peer" cargo build --quiet --release -p tollgate-peer --features peer --bin regorus-eval
tg="$target/release/tollgate"
rg="$target/peer/release/regorus-eval"
other="${TOLLGATE:-}"
seed=examples/seed/c-manual-trigger
promotion=(dev/simple-app:latest dev/simple-app:promote)
at=(--time 2024-03-06T12:00:00Z)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Each binary is measured as a fresh copy, as `cargo install` or a container image puts it: the
# same binary started 13 % slower from the linker's output file than from a `cp` of it (the
# page cache holds the two files differently), which is noise between builds, not a difference.
cp "$tg" "$work/tollgate"
cp "$rg" "$work/regorus-eval"
tg="$work/tollgate"
rg="$work/regorus-eval"
if [ -n "$other" ]; then
  cp "$other" "$work/other"
  other="$work/other"
fi
facts="$work/facts.json"
"$tg" facts "${promotion[@]}" --snapshot "$seed" "${at[@]}" > "$facts"
# The shipped pack has 14 rules; the Rego translation covers ten (benches/peer/tests/
# same_outcomes.rs: the four promotion-path rules skip on the seed and are not translated). The
# same ten rules, for a row that compares equal work.
ten="$work/ten"
mkdir -p "$ten"
cp -r policies/lib "$ten/"
for f in policies/*.rhai; do
  case "$(basename "$f" .rhai)" in
    allowed-promoters|freeze-window|promotion-order|soak-time) ;;
    *) cp "$f" "$ten/" ;;
  esac
done
"$rg" benches/peer/rego "$facts" > /dev/null

echo "load average before: $(uptime | sed 's/.*load average: //')"
compare() { # name, tollgate arguments (after the binary), regorus command
  local name=$1 args=$2 peer=$3 r i
  local names=(tollgate regorus) cmds=("$tg $args" "$peer")
  [ -z "$other" ] || { names+=(other); cmds+=("$other $args"); }
  for r in $(seq "$rounds"); do
    local list=()
    for i in "${!names[@]}"; do
      # Every other round in reverse order.
      [ $((r % 2)) -eq 1 ] && list+=(-n "${names[i]}" "${cmds[i]}") || list=(-n "${names[i]}" "${cmds[i]}" "${list[@]}")
    done
    # -i: `regorus-eval` alone exits 2 (usage); the checks were run once above.
    hyperfine -N -i --warmup 3 --runs "$runs" --export-json "$work/$r.json" "${list[@]}" > /dev/null 2>&1
  done
  python3 - "$name" "$work" "$rounds" <<'EOF'
import json, statistics, sys
name, work, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = {}
for r in range(1, rounds + 1):
    for res in json.load(open(f"{work}/{r}.json"))["results"]:
        times.setdefault(res["command"], []).extend(res["times"])
mean = {k: statistics.mean(v) * 1e3 for k, v in times.items()}
med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
row = f"| {name} | {mean['tollgate']:.2f} / {med['tollgate']:.2f} ms | {mean['regorus']:.2f} / {med['regorus']:.2f} ms"
row += f" | **{mean['tollgate'] / mean['regorus']:.2f}×** / {med['tollgate'] / med['regorus']:.2f}×"
if "other" in times:
    row += f" | {mean['other']:.2f} / {med['other']:.2f} ms | {mean['other'] / mean['regorus']:.2f}× / {med['other'] / med['regorus']:.2f}×"
print(row + " |")
EOF
}
head="| what (mean / median of $((runs * rounds)) runs) | tollgate | regorus-eval | ratio (mean / median) |"
sep="|---|---|---|---|"
[ -z "$other" ] || { head+=" \$TOLLGATE | its ratio |"; sep+="---|---|"; }
echo "$head"
echo "$sep"
compare "check --facts" "check ${promotion[*]} --facts $facts -o json" "$rg benches/peer/rego $facts"
compare "check --snapshot (seed)" "check ${promotion[*]} --snapshot $seed ${at[*]} -o json" "$rg benches/peer/rego $facts"
compare "check --facts, the ten translated rules" "check ${promotion[*]} --facts $facts --policies $ten -o json" "$rg benches/peer/rego $facts"
compare "--version (process start alone)" "--version" "$rg"
echo "load average after: $(uptime | sed 's/.*load average: //')"
