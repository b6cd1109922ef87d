#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian 12 machine.
# Idempotent: packages already present are skipped, so re-runs are fast.
set -euo pipefail

PACKAGES=(
  # building: bindgen for corosync-sys, C toolchain
  build-essential pkg-config clang libclang-dev
  # Corosync and its client libraries (membership layer and its tests)
  corosync libcorosync-common-dev libcpg-dev libquorum-dev libvotequorum-dev libcmap-dev libcfg-dev
  # Pacemaker's own tools, run side by side as the reference in tests and benchmarks
  pacemaker-cli-utils
  # resource agents run unchanged by crm-agents
  resource-agents pacemaker-resource-agents
  # what the real-agent suites (tests/agents_*.rs) drive: MariaDB for ocf:heartbeat:mysql,
  # ocf:linbit:drbd, fence agents (fence_dummy) and cluster-glue's legacy stonith plugins
  mariadb-server mariadb-client drbd-utils fence-agents cluster-glue
  # network namespaces, XML schema checks, terminal tests
  iproute2 iputils-ping libxml2-utils tmux python3 procps psmisc kmod e2fsprogs util-linux
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if command -v rustup >/dev/null 2>&1; then
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi
