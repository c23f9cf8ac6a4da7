#!/usr/bin/env bash
# Runs each cargo-fuzz target of tollgate for a bounded time, one after another, and prints the
# executions, corpus size and findings of each. Not part of `cargo test` or `.ci/run`.
#
#   tests/fuzz/run.sh [SECONDS]          # default 60 s per target
#   FUZZ_TARGETS="config facts_file" tests/fuzz/run.sh 180
#   FUZZ_SEEDS=keep tests/fuzz/run.sh    # reuse tests/fuzz/seeds from the last run
#
# Toolchain (docs/FUZZING.md): stable Rust builds the targets with `--sanitizer none` (libFuzzer's
# coverage instrumentation uses only stable `-C` flags; `-Zsanitizer` is the one nightly flag).
# FUZZ_SANITIZER=address runs under AddressSanitizer with RUSTC_BOOTSTRAP=1 instead.
# Exit status: 0 when no target found anything, 1 when one did, 2 when a build failed.
set -uo pipefail

secs=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
sanitizer=${FUZZ_SANITIZER:-none}
targets=${FUZZ_TARGETS:-snapshot_yaml snapshot_json config facts_file rule_cases admission_review yaml_fast_path}
if [ "$sanitizer" != none ]; then export RUSTC_BOOTSTRAP=1; fi
command -v cargo-fuzz >/dev/null || { echo "run.sh: install cargo-fuzz first: cargo install cargo-fuzz --locked" >&2; exit 2; }

# --- seeds, gathered fresh from the repository on every run -----------------------------------
seeds=$here/seeds
make_seeds() {
rm -rf "$seeds"
mkdir -p "$seeds"/{snapshot_yaml,snapshot_json,config,facts_file,rule_cases,admission_review,yaml_fast_path}
# AdmissionReviews of the five resources (what the API server sends `tollgate serve`).
cp "$here"/admission_seeds/*.json "$seeds/admission_review/"
n=0
for f in "$root"/examples/seed/*/*/*.yaml "$root"/examples/rbac/*.yaml "$root"/src/openshift/testdata/*.yaml; do
    n=$((n + 1)); cp "$f" "$seeds/snapshot_yaml/$n-$(basename "$f")"
done
for f in "$root"/src/openshift/testdata/*.json; do cp "$f" "$seeds/snapshot_json/"; done
for d in "$root"/examples/seed/*/; do
    s=$(basename "$d")
    # A whole state in one file: every export as one document of a multi-document YAML file…
    for f in "$d"*/*.yaml; do cat "$f"; printf '\n---\n'; done > "$seeds/snapshot_yaml/state-$s.yaml"
    # …and as one JSON List (timestamps kept as the strings `oc` wrote).
    python3 - "$d" > "$seeds/snapshot_json/state-$s.json" <<'PY' || rm -f "$seeds/snapshot_json/state-$s.json"
import glob, json, sys, yaml
class L(yaml.SafeLoader): pass
L.add_constructor('tag:yaml.org,2002:timestamp', lambda l, n: l.construct_scalar(n))
items = []
for f in sorted(glob.glob(sys.argv[1] + '*/*.yaml')):
    for doc in yaml.load_all(open(f), Loader=L):
        if doc: items.extend(doc.get('items') or [] if doc.get('kind') == 'List' else [doc])
json.dump({'apiVersion': 'v1', 'kind': 'List', 'items': items}, sys.stdout, indent=2)
PY
done
# The fast YAML reader against serde-saphyr: every YAML seed above, and the repository's other
# YAML files (manifests, rule tests: flow collections and block scalars it must give up on or
# read exactly).
cp "$seeds"/snapshot_yaml/* "$seeds/yaml_fast_path/"
for f in "$root"/examples/*/*.yaml "$root"/policies/tests/*.yaml "$root"/tests/emulator/data/*/*.yaml; do
    [ -f "$f" ] && cp "$f" "$seeds/yaml_fast_path/x-$(basename "$(dirname "$f")")-$(basename "$f")"
done
# tollgate.yaml examples: the ```yaml blocks of the README and the docs that configure the gate.
awk -v out="$seeds/config/md" '
    /^```yaml/ { n++; f = out "-" n ".yaml"; inb = 1; next }
    /^```/ { inb = 0; next }
    inb { print > f }' "$root"/README.md "$root"/policies/README.md "$root"/docs/*.md "$root"/docs/design/*.md 2>/dev/null
grep -L -E '^(environments|rules|exceptions|exceptions_max_days):' "$seeds"/config/md-*.yaml | xargs -r rm -f
cp "$root"/policies/tests/*.yaml "$seeds/rule_cases/"
cp "$root"/policies/tests/base-facts.json "$seeds/facts_file/"
# Facts documents of the four seed states, as `tollgate facts` writes them.
for d in "$root"/examples/seed/*/; do
    (cd "$root" && cargo run --quiet --bin tollgate -- facts dev/simple-app:latest dev/simple-app:promote \
        --snapshot "$d" --time 2024-03-06T12:00:00Z) > "$seeds/facts_file/$(basename "$d").json" 2>/dev/null \
        || rm -f "$seeds/facts_file/$(basename "$d").json"
done
}
if [ "${FUZZ_SEEDS:-}" != keep ] || [ ! -d "$seeds" ]; then make_seeds; fi

# --- build, then run each target --------------------------------------------------------------
cd "$root" || exit 2
if ! cargo fuzz build --fuzz-dir "$here" --sanitizer "$sanitizer"; then
    echo "run.sh: build failed" >&2; exit 2
fi
mkdir -p "$here/logs"
found=0
printf '\n%-14s %8s %12s %10s %8s %s\n' target seconds executions exec/s corpus findings
for t in $targets; do
    corpus=$here/corpus/$t
    artifacts=$here/artifacts/$t
    mkdir -p "$corpus" "$artifacts"
    before=$(ls "$artifacts" | wc -l)
    log=$here/logs/$t.log
    start=$(date +%s)
    # -timeout: one input taking 10 s is a finding (a hang); -rss_limit_mb: so is 2 GiB.
    cargo fuzz run --fuzz-dir "$here" --sanitizer "$sanitizer" "$t" "$corpus" "$seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" > "$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    new=$(( $(ls "$artifacts" | wc -l) - before ))
    [ "$rc" -ne 0 ] || [ "$new" -ne 0 ] && found=1
    printf '%-14s %8s %12s %10s %8s %s\n' "$t" "$took" "${execs:-?}" "${rate:-?}" \
        "$(ls "$corpus" | wc -l)" "$new (exit $rc; log tests/fuzz/logs/$t.log)"
done
exit "$found"
