#!/usr/bin/env bash
# The main job: a live three-node cluster on this machine. Each node is a set of
# network namespaces running the stock Corosync and our `crmd`; the cluster runs
# the seed stack (a promotable Stateful clone standing in for DRBD -> ext4
# Filesystem on a loop device -> MariaDB through ocf:heartbeat:mysql -> IPaddr2
# virtual IP, stickiness 200) and `crm_mon` shows it. Needs root.
#
# Afterwards (see README.md):
#   ../shared/netns/nx.sh 2 crm_mon               # live view from node 2 (q quits)
#   ../shared/netns/crash-node.sh N               # power off node N, watch the failover
#   ../shared/netns/start-node.sh N               # boot it again
#   bash scripts/demo.sh --teardown              # remove the cluster
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED_DIR=${SHARED_DIR:-$(cd .. && pwd)/shared}
NETNS_HOME="$SHARED_DIR/netns"
export NETNS_STATE=${NETNS_STATE:-/tmp/netns-cluster}
[ -x "$NETNS_HOME/setup.sh" ] || { echo "missing $NETNS_HOME (set SHARED_DIR)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "the demo creates network namespaces: run it as root"; exit 1; }
if [ "${1:-}" = "--teardown" ]; then
  exec "$NETNS_HOME/teardown.sh"
fi

bash scripts/install-deps.sh
command -v cargo >/dev/null || { echo "cargo is required (Rust toolchain)"; exit 1; }
cargo build --release --bins -q
BIN=$(pwd)/target/release
export NETNS_STACK=custom NETNS_DAEMON="$BIN/crmd --foreground" NETNS_TOOLS_DIR=$BIN

"$NETNS_HOME/teardown.sh" >/dev/null 2>&1 || true
echo "=== three nodes (network namespaces nsc1..nsc3, real Corosync, crmd)"
"$NETNS_HOME/setup.sh" 3
"$NETNS_HOME/start-node.sh" 1 2 3
python3 "$NETNS_HOME/bench.py" wait
echo "=== loading the configuration with crm configure load update"
"$NETNS_HOME/configure.sh"
python3 "$NETNS_HOME/bench.py" settle
echo "=== crm_mon -1 on node 1"
"$NETNS_HOME/nx.sh" 1 crm_mon -1 -r
cat <<EOT

The cluster keeps running. Try:
  $NETNS_HOME/nx.sh 2 crm_mon                   # live view from node 2
  $NETNS_HOME/crash-node.sh 1                   # power off node 1 (use the VIP holder shown above)
  $NETNS_HOME/nx.sh 2 crm_mon -1                # everything runs on a survivor
  $NETNS_HOME/start-node.sh 1                   # boot node 1 again
  $NETNS_HOME/nx.sh 2 crm node standby nsc2     # move things off nsc2
  bash scripts/demo.sh --teardown               # remove the cluster
EOT
