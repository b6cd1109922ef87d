#!/usr/bin/env bash
# Measures a real three-node cluster, ours and Pacemaker 2.1.5's, in the same run
# on this machine, with the rig's bench.py (../shared/netns): cold start, crash of
# the VIP holder, standby move, mysqld failure, daemon memory. Needs root.
#   bash scripts/bench-cluster.sh [RUNS] [OUTDIR]
# Prints summarize.py's table for both stacks; raw JSON lines stay in OUTDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
OUT=${2:-/tmp/bench-cluster}
SHARED_DIR=${SHARED_DIR:-$(cd .. && pwd)/shared}
NETNS_HOME="$SHARED_DIR/netns"
export NETNS_STATE=/tmp/bench-cluster-state
mkdir -p "$OUT"
# The reference stack: Pacemaker's daemons, and crmsh for configure.sh.
for p in pacemaker crmsh; do
  dpkg -s "$p" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$p"
done
cargo build --release --bins -q
BIN=$(pwd)/target/release

run_stack() {
  local label=$1 jsonl="$OUT/$1.jsonl"
  rm -f "$jsonl"
  "$NETNS_HOME/teardown.sh" >/dev/null 2>&1 || true
  "$NETNS_HOME/setup.sh" 3 >/dev/null
  "$NETNS_HOME/start-node.sh" 1 2 3 >/dev/null
  python3 "$NETNS_HOME/bench.py" wait
  "$NETNS_HOME/configure.sh" >/dev/null
  python3 "$NETNS_HOME/bench.py" settle
  python3 "$NETNS_HOME/bench.py" start -r "$RUNS" --stack "$label" --out "$jsonl"
  python3 "$NETNS_HOME/bench.py" resources --idle 10 --stack "$label" --out "$jsonl"
  python3 "$NETNS_HOME/bench.py" crash -r "$RUNS" --stack "$label" --out "$jsonl"
  python3 "$NETNS_HOME/bench.py" standby -r "$RUNS" --stack "$label" --out "$jsonl"
  python3 "$NETNS_HOME/bench.py" rscfail -r "$RUNS" --stack "$label" --out "$jsonl"
  "$NETNS_HOME/teardown.sh" >/dev/null
}

NETNS_STACK=pacemaker NETNS_DAEMON= NETNS_TOOLS_DIR= run_stack pacemaker-2.1.5
NETNS_STACK=custom NETNS_DAEMON="$BIN/crmd --foreground" NETNS_TOOLS_DIR=$BIN run_stack crmd
python3 "$NETNS_HOME/summarize.py" "$OUT/pacemaker-2.1.5.jsonl" "$OUT/crmd.jsonl"
