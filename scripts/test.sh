#!/usr/bin/env bash
# Runs every check and test of the project: formatting, vet, unit and
# integration tests (in-process control plane on a temporary etcd).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> gofmt"
unformatted=$(gofmt -l cmd internal test 2>/dev/null || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
echo "==> go vet"
go vet ./...
echo "==> go test"
go test -count=1 -timeout 20m ./... 2>&1 | tee /tmp/skiff-test.log
