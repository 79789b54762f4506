#!/usr/bin/env bash
# Installs what skiff needs on a fresh Debian machine, builds the binary
# and starts a single-node cluster in the background.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA_DIR=${SKIFF_DATA_DIR:-/var/lib/skiff}
LOG=${SKIFF_LOG:-/var/log/skiff.log}

bash scripts/install-deps.sh
echo "==> building skiff"
# CGO_ENABLED=0: one static binary that runs on any Linux of the same arch.
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /usr/local/bin/skiff ./cmd/skiff
# The agent packs this static program into its pause image (docs/agent.md).
CGO_ENABLED=0 go build -ldflags="-s -w" -o /usr/local/bin/skiff-pause ./cmd/pause

if [ -f "$DATA_DIR/skiff.pid" ] && kill -0 "$(cat "$DATA_DIR/skiff.pid")" 2>/dev/null; then
  echo "==> skiff server already running (pid $(cat "$DATA_DIR/skiff.pid"))"
else
  mkdir -p "$DATA_DIR"
  echo "==> starting skiff server (log: $LOG)"
  nohup /usr/local/bin/skiff server --data-dir "$DATA_DIR" --enable-agent >"$LOG" 2>&1 &
  echo $! >"$DATA_DIR/skiff.pid"
fi

printf "==> waiting for the API server"
for _ in $(seq 1 120); do
  if curl -ksf https://127.0.0.1:6443/readyz >/dev/null 2>&1; then
    echo " ready"
    echo
    echo "export KUBECONFIG=$DATA_DIR/admin.kubeconfig"
    echo "kubectl get namespaces"
    exit 0
  fi
  printf "."
  sleep 0.5
done
echo " not ready after 60s; see $LOG" >&2
exit 1
