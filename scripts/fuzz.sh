#!/usr/bin/env bash
# Runs every Go fuzz target of the module for a short time each.
# Usage: scripts/fuzz.sh [per target: a duration such as 30s, or a count of runs such as 50000x; default 50000x]
# Counts keep CI time predictable and avoid the fuzzer's deadline race on a busy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${1:-50000x}"
go list -f '{{.Dir}} {{.ImportPath}}' ./... | while read -r dir pkg; do
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "fuzz $pkg $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
  done
done
