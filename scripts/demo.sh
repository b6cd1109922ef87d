#!/usr/bin/env bash
# The main job: builds the tools and shows what the cluster manager decides for
# the seed stack (DRBD promotable clone -> Filesystem -> MySQL -> virtual IP,
# ../shared/scenarios/a_mysql_drbd), then a node failure on top of it.
# Later issues replace this with a live three-node cluster in network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED_DIR=${SHARED_DIR:-$(cd .. && pwd)/shared}
command -v cargo >/dev/null || { echo "cargo is required (Rust toolchain)"; exit 1; }
cargo build --release --bins -q
SIM=target/release/crm_simulate
SCENARIO="$SHARED_DIR/scenarios/a_mysql_drbd/a-crm-promoted.scenario.xml"
[ -f "$SCENARIO" ] || { echo "missing $SCENARIO (set SHARED_DIR)"; exit 1; }

echo "=== The seed stack, from a cold start: what the cluster will do"
"$SIM" -x "$SCENARIO" -S
echo
echo "=== The same stack, steady, when node1 fails"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$SIM" -x "$SCENARIO" -S -Q -O "$tmp/after.xml" >/dev/null
"$SIM" -x "$tmp/after.xml" -S -f node1
