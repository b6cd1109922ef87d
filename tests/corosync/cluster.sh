#!/bin/bash
# cluster.sh: a minimal Corosync cluster in network namespaces, for corosync-sys tests.
# Modelled on ../shared/netns (same namespace recipe), without Pacemaker, MariaDB or a
# loop device. Every node is netns + mount ns + PID ns + UTS ns; everything the script
# creates is recorded in STATE and removed by `teardown` (never kills by name).
#
#   cluster.sh setup    STATE PREFIX N TOKEN_MS [two_node]
#   cluster.sh start    STATE I        boot node I (mounts, then corosync as a daemon)
#   cluster.sh cs-start STATE I        start corosync again inside running node I
#   cluster.sh cs-kill  STATE I        SIGKILL only corosync of node I (clients live on)
#   cluster.sh crash    STATE I        cable pull + SIGKILL of every process of node I
#   cluster.sh exec     STATE I CMD..  run CMD inside node I (net+mount+uts+pid ns)
#   cluster.sh teardown STATE
set -uo pipefail
cmd=$1; STATE=$2; shift 2
die() { echo "cluster.sh: $*" >&2; exit 1; }
setting() { sed -n "s/^$1=//p" "$STATE/settings" 2>/dev/null; }
ip_of() { echo "10.77.$(setting NET).$((10 + $1))"; }
initpid() {   # host PID of node I's PID-namespace init, or nothing
    local up
    up=$(cat "$STATE/n$1/unshare.pid" 2>/dev/null) || return 0
    kill -0 "$up" 2>/dev/null || return 0
    pgrep -P "$up" | head -n 1
}
nsexec() {
    local i=$1 p; shift
    p=$(initpid "$i"); [ -n "$p" ] || die "node $i is not running"
    nsenter -t "$p" -n -m -u -p --wd=/ -- "$@"
}
wait_cs() {   # until corosync in node I answers cmap (it is ready for clients)
    for _ in $(seq 1 200); do
        nsexec "$1" corosync-cmapctl -g runtime.votequorum.this_node_id >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    die "corosync of node $1 did not come up; log: $(tail -n 5 "$STATE/n$1/log/corosync.log" 2>/dev/null)"
}

case $cmd in
setup)
    PREFIX=$1; N=$2; TOKEN=$3; TWO=${4:-}
    [ -e "$STATE/settings" ] && die "$STATE exists"
    ip netns list | grep -qE "^${PREFIX}(sw|[0-9]+)( |$)" && die "namespaces ${PREFIX}* exist"
    mkdir -p "$STATE"
    # a /24 per cluster in 10.77.X (only inside our namespaces), X from the prefix hash
    NET=$(( $(printf %s "$PREFIX" | cksum | cut -d' ' -f1) % 200 + 20 ))
    printf 'PREFIX=%s\nN=%s\nNET=%s\n' "$PREFIX" "$N" "$NET" > "$STATE/settings"
    SW=${PREFIX}sw
    ip netns add "$SW" && echo "$SW" >> "$STATE/netns.created" || die "ip netns add $SW"
    ip -n "$SW" link set lo up
    ip -n "$SW" link add br0 type bridge
    ip -n "$SW" link set br0 up
    for i in $(seq 1 "$N"); do
        ns=${PREFIX}$i
        ip netns add "$ns" && echo "$ns" >> "$STATE/netns.created" || die "ip netns add $ns"
        ip -n "$ns" link set lo up
        # both veth ends are created inside our namespaces: the host netns is untouched
        ip -n "$SW" link add "p$i" type veth peer name eth0 netns "$ns"
        ip -n "$SW" link set "p$i" master br0 up
        ip -n "$ns" addr add "$(ip_of "$i")/24" dev eth0
        ip -n "$ns" link set eth0 up
    done
    {
        echo "totem {"
        echo "    version: 2"
        echo "    cluster_name: $PREFIX"
        echo "    transport: knet"
        echo "    crypto_cipher: none"
        echo "    crypto_hash: none"
        # token exactly as given (no per-node coefficient), consensus = 1.2 x token
        echo "    token: $TOKEN"
        echo "    token_coefficient: 0"
        echo "}"
        echo "logging {"
        echo "    to_stderr: no"
        echo "    to_syslog: no"
        echo "    to_logfile: yes"
        echo "    logfile: /var/log/corosync/corosync.log"
        echo "    timestamp: hires"
        echo "}"
        echo "quorum {"
        echo "    provider: corosync_votequorum"
        [ -n "$TWO" ] && echo "    two_node: 1"
        echo "}"
        echo "nodelist {"
        for i in $(seq 1 "$N"); do
            printf '    node {\n        ring0_addr: %s\n        name: %s\n        nodeid: %d\n    }\n' \
                "$(ip_of "$i")" "${PREFIX}$i" "$i"
        done
        echo "}"
    } > "$STATE/corosync.conf"
    for i in $(seq 1 "$N"); do
        mkdir -p "$STATE/n$i"/{etc,lib,log}
        cp "$STATE/corosync.conf" "$STATE/n$i/etc/corosync.conf"
    done
    ;;
start)
    i=$1; ns=$(setting PREFIX)$i; d=$STATE/n$i
    [ -n "$(initpid "$i")" ] && die "node $i already running"
    ip -n "$ns" link set eth0 up
    # PID 1 of the node: private /run, /dev/shm (libqb ring buffers are named by PID,
    # and PIDs repeat across PID namespaces), /etc/corosync, /var/{lib,log}/corosync.
    # It starts corosync (which daemonizes and so becomes its child) and reaps orphans.
    setsid ip netns exec "$ns" unshare --mount --uts --pid --fork --kill-child=SIGKILL \
        --propagation private --mount-proc bash -c '
            hostname "$1"
            mount -t tmpfs -o mode=755,size=16m tmpfs /run
            mount -t tmpfs -o mode=1777,size=256m tmpfs /dev/shm
            mount --bind "$2/etc" /etc/corosync
            mount --bind "$2/lib" /var/lib/corosync
            [ -d /var/log/corosync ] && mount --bind "$2/log" /var/log/corosync
            trap "exit 0" TERM
            corosync
            while :; do sleep 1 & wait $!; done
        ' node-init "$ns" "$d" </dev/null >>"$d/init.log" 2>&1 &
    echo $! > "$d/unshare.pid"
    for _ in $(seq 1 100); do [ -n "$(initpid "$i")" ] && break; sleep 0.02; done
    wait_cs "$i"
    ;;
cs-start)
    # (its output goes to the node's log, not to the caller's pipes)
    nsexec "$1" corosync </dev/null >>"$STATE/n$1/init.log" 2>&1 || die "corosync start failed in node $1"
    wait_cs "$1"
    ;;
cs-kill)
    # /run is private to the node, so this pid file is node I's corosync only
    nsexec "$1" sh -c 'kill -KILL "$(cat /run/corosync.pid)"; while [ -e /proc/"$(cat /run/corosync.pid)" ]; do sleep 0.05; done; rm -f /run/corosync.pid'
    ;;
crash)
    i=$1; ns=$(setting PREFIX)$i
    ip -n "$ns" link set eth0 down
    p=$(initpid "$i"); up=$(cat "$STATE/n$i/unshare.pid" 2>/dev/null)
    [ -n "$p" ] && kill -KILL "$p"        # PID-ns init dies => the kernel kills the node
    [ -n "$up" ] && for _ in $(seq 1 50); do kill -0 "$up" 2>/dev/null || break; sleep 0.05; done
    rm -f "$STATE/n$i/unshare.pid"
    ;;
exec)
    i=$1; shift
    p=$(initpid "$i"); [ -n "$p" ] || die "node $i is not running"
    # exec: the caller's child is nsenter itself (no shell to report its death)
    exec nsenter -t "$p" -n -m -u -p --wd=/ -- "$@"
    ;;
teardown)
    [ -d "$STATE" ] || exit 0
    for f in "$STATE"/n*/unshare.pid; do
        [ -s "$f" ] || continue
        up=$(cat "$f")
        if kill -0 "$up" 2>/dev/null; then
            init=$(pgrep -P "$up" | head -n 1)
            [ -n "$init" ] && kill -KILL "$init"
            kill -KILL "$up" 2>/dev/null
        fi
    done
    if [ -s "$STATE/netns.created" ]; then
        while read -r ns; do
            ip netns list | awk '{print $1}' | grep -qx "$ns" || continue
            for _ in 1 2 3 4 5; do
                pids=$(ip netns pids "$ns" 2>/dev/null)
                [ -z "$pids" ] && break
                kill -KILL $pids 2>/dev/null; sleep 0.2
            done
            ip netns del "$ns"
        done < "$STATE/netns.created"
    fi
    rm -rf "$STATE"
    ;;
*) die "unknown command $cmd" ;;
esac
