#!/bin/sh
# Regenerates policies-configmap.yaml from the shipped pack: policies/*.rhai (the rules) into
# ConfigMap tollgate-policies, policies/lib/*.rhai (the rule library) into
# tollgate-policies-lib. Run it after changing a rule; the tests (deploy::) fail until you do.
# Needs `oc` (or `kubectl`: OC=kubectl ./regenerate-policies.sh); no cluster is contacted.
# A new library module also needs an `items` entry in deployment.yaml (a test says so).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
oc=${OC:-oc}

configmap() { # NAME DIR: every *.rhai file directly in DIR, keyed by its file name
    name=$1
    dir=$2
    set --
    for f in "$dir"/*.rhai; do
        set -- "$@" "--from-file=$f"
    done
    "$oc" create configmap "$name" --namespace=tollgate --dry-run=client -o yaml "$@"
}

out="$here/policies-configmap.yaml"
{
    echo "# Generated from policies/ by examples/deploy/regenerate-policies.sh: do not edit."
    configmap tollgate-policies "$root/policies"
    echo "---"
    configmap tollgate-policies-lib "$root/policies/lib"
} >"$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"
