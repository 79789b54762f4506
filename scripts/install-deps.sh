#!/usr/bin/env bash
# Installs the Debian packages skiff uses, if missing. Needs root.
set -euo pipefail
pkgs=(curl ca-certificates containerd runc containernetworking-plugins busybox-static nftables iptables conntrack iproute2)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v go >/dev/null; then
  echo "Go is required (https://go.dev/dl); put it on PATH and run again" >&2
  exit 1
fi
