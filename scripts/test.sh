#!/usr/bin/env bash
# Runs every check and test of the project: formatting, lints, unit and
# integration tests, and Pacemaker's scheduler regression suite with the ratchet.
# Works on a fresh Debian 12 machine as root (installs what it needs).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED_DIR=${SHARED_DIR:-$(cd .. && pwd)/shared}
export SHARED_DIR

bash scripts/install-deps.sh

echo "== rustfmt";  cargo fmt --all --check
echo "== clippy";   cargo clippy --workspace --all-targets --release -- -D warnings
echo "== build";    cargo build --workspace --release --bins
echo "== tests";    cargo test --workspace --release

if [ -x target/release/crm_simulate ]; then
  echo "== scheduler conformance (ratchet: tests/scheduler/passing.txt)"
  python3 "$SHARED_DIR/tools/run_suite.py" --dir "$SHARED_DIR/scheduler-suite" --mode both \
    --cmd 'target/release/crm_simulate -x {xml} -S {args}' \
    --ratchet tests/scheduler/passing.txt
fi
echo "== real clusters: nodes as network namespaces with Corosync and crmd (../shared/netns)"
python3 tests/cluster/cluster_test.py --nodes 3 --mode full
python3 tests/cluster/cluster_test.py --nodes 2 --mode dummy --fencing
echo "== all tests passed"
