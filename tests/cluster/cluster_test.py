#!/usr/bin/env python3
"""End-to-end checks of crmd on a real cluster: N nodes as network namespaces on
this machine with real Corosync (the rig in ../shared/netns, NETNS_STACK=custom),
running the seed stack (Stateful promotable clone standing in for DRBD, ext4
Filesystem on a loop device, MariaDB through ocf:heartbeat:mysql, IPaddr2 VIP).

  cluster_test.py [--nodes 3] [--mode full|dummy] [--keep]

Every step has a deadline; the first that is missed fails the run (exit 1) after
printing the cluster's state and the daemons' last log lines. The cluster is torn
down at the end unless --keep. Timings are printed as `timing NAME SECONDS`.
"""
import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NETNS = os.environ.get("NETNS_HOME") or os.path.join(os.path.dirname(ROOT), "shared", "netns")
BIN = os.environ.get("CRM_BIN_DIR") or os.path.join(ROOT, "target", "release")

ap = argparse.ArgumentParser()
ap.add_argument("--nodes", type=int, default=3)
ap.add_argument("--mode", choices=["full", "dummy"], default="full")
ap.add_argument("--keep", action="store_true")
ap.add_argument("--fencing", action="store_true",
                help="stonith-enabled with a fence_dummy device: a crashed node must be fenced first")
ap.add_argument("--state", default="/tmp/crmd-cluster-test")
ap.add_argument("--prefix", default="crt")
args = ap.parse_args()

os.environ.update(
    NETNS_STATE=args.state,
    NETNS_PREFIX=args.prefix,
    NETNS_STACK="custom",
    NETNS_DAEMON=f"{BIN}/crmd --foreground",
    NETNS_TOOLS_DIR=BIN,
)
sys.path.insert(0, NETNS)
import bench  # noqa: E402  (reads the environment set above)

N = args.nodes
FAILED = False


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def sh(name, *a, timeout=300):
    return bench.script(name, *a, timeout=timeout)


def dump():
    for i in range(1, N + 1):
        rc, out = bench.nx(i, "crm_mon", "-1", "-r", timeout=10)
        if rc == 0:
            print(f"--- crm_mon on node {i}\n{out}")
            break
    for i in range(1, N + 1):
        path = os.path.join(args.state, "nodes", f"n{i}", "daemon.log")
        try:
            lines = open(path, errors="replace").read().splitlines()[-25:]
        except OSError:
            continue
        print(f"--- {path} (last lines)")
        print("\n".join(lines))


def fail(msg):
    log("FAIL:", msg)
    dump()
    if not args.keep:
        subprocess.run([os.path.join(NETNS, "teardown.sh")], capture_output=True)
    sys.exit(1)


def until(what, pred, timeout):
    """Polls pred() (returning a value or None) until it gives a value."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        v = pred()
        if v:
            log(f"{what}: {time.time() - t0:.1f}s")
            return v, time.time() - t0
        time.sleep(0.2)
    fail(f"{what}: not within {timeout}s")


def up_nodes():
    return [i for i in range(1, N + 1) if bench.initpid(i)]


def status():
    for i in up_nodes():
        st = bench.status(i)
        if st:
            return st
    return None


def stack_node(st):
    """The node running the whole stack on the promoted instance, or None."""
    if not st:
        return None
    promoted = [node for role, node, failed in st["clone"] if role == "Promoted" and node and not failed]
    if len(promoted) != 1:
        return None
    node = promoted[0]
    for r in ("p_fs", "p_mysql", "p_vip"):
        x = st["rsc"].get(r)
        if not x or x["role"] != "Started" or x["failed"] or x["nodes"] != [node]:
            return None
    return node


def sql_through_vip(from_node):
    if args.mode != "full":
        return True
    rc, out = bench.nx(from_node, "mysql", "-h", bench.VIP, "-uprobe", "-pprobe", "-N", "-e", "select 42", timeout=10)
    return rc == 0 and "42" in out


def create_probe_user(holder):
    if args.mode != "full":
        return
    sqls = "CREATE USER IF NOT EXISTS 'probe'@'%' IDENTIFIED BY 'probe'; GRANT ALL ON *.* TO 'probe'@'%';"
    rc, out = bench.nx(bench.idx(holder), "mysql", "-S", "/run/mysqld/mysqld.sock", "-e", sqls, timeout=20)
    if rc != 0:
        fail(f"creating the probe user on {holder}: {out}")


def other_than(node):
    """A running node other than `node` (`node` itself when it is the only one)."""
    up = up_nodes()
    return next((i for i in up if bench.name(i) != node), bench.idx(node))


def main():
    log(f"{N} nodes, mode {args.mode}, binaries {BIN}, rig {NETNS}")
    subprocess.run([os.path.join(NETNS, "teardown.sh")], capture_output=True)
    sh("setup.sh", N)
    t0 = time.time()
    sh("start-node.sh", *range(1, N + 1))
    until("quorate DC sees all nodes",
          lambda: (st := status()) and st["dc"] and st["quorum"] and len(st["online"]) == N, 60)
    out = sh("configure.sh", *(["dummy"] if args.mode == "dummy" else []))
    if "p_vip" not in out:
        fail(f"crm configure show after loading lacks p_vip:\n{out}")
    if args.fencing:
        for line in ("primitive st_dummy stonith:fence_dummy params pcmk_delay_max=1s op monitor interval=60s",
                     "property stonith-enabled=true"):
            rc, out = bench.nx(1, "crm", "configure", *line.split(), timeout=60)
            if rc != 0:
                fail(f"crm configure {line}: {out}")
    holder, took = until("everything started", lambda: stack_node(status()), 120)
    print(f"timing cold_start_to_all_started {time.time() - t0:.1f}")
    create_probe_user(holder)
    until("SQL through the VIP", lambda: sql_through_vip(other_than(holder)), 30)

    # Power off the node holding the VIP.
    crashed = bench.idx(holder)
    sh("crash-node.sh", crashed)
    t_crash = time.time()
    new_holder, took = until("stack back on a survivor after a crash",
                             lambda: (h := stack_node(status())) and h != holder and h, 90)
    print(f"timing crash_to_all_started {took:.1f}")
    until("SQL through the VIP after the crash", lambda: sql_through_vip(other_than(new_holder)), 30)
    print(f"timing crash_to_sql {time.time() - t_crash:.1f}")
    if args.fencing:
        # The DC of the survivors fenced the crashed node before recovering.
        dc = bench.idx(status()["dc"])
        rc, out = bench.nx(dc, "stonith_admin", "--history", holder, timeout=30)
        if rc != 0 or f"reboot of {holder} successful" not in out:
            fail(f"no successful fencing of {holder} in the DC's history:\n{out}")
        log(f"fencing history on the DC: {out.strip()}")
    sh("start-node.sh", crashed)
    until("crashed node back online", lambda: (st := status()) and len(st["online"]) == N, 60)
    # Stickiness 200: the stack stays where it is.
    time.sleep(3)
    if stack_node(status()) != new_holder:
        fail("the stack moved back to the recovered node despite stickiness")

    # A controlled move.
    rc, out = bench.nx(other_than(new_holder), "crm", "node", "standby", new_holder, timeout=60)
    if rc != 0:
        fail(f"crm node standby {new_holder}: {out}")
    moved, took = until("stack moved off the standby node",
                        lambda: (h := stack_node(status())) and h != new_holder and h, 90)
    print(f"timing standby_move {took:.1f}")
    rc, out = bench.nx(bench.idx(moved), "crm", "node", "online", new_holder, timeout=60)
    if rc != 0:
        fail(f"crm node online {new_holder}: {out}")

    # A failed resource is recovered in place.
    if args.mode == "full":
        # mysqld_safe would restart mariadbd by itself: kill the watchdog first.
        _, old_pids = bench.nx(bench.idx(moved), "pgrep", "-x", "mariadbd")
        bench.nx(bench.idx(moved), "pkill", "-9", "-x", "mysqld_safe")
        rc, _ = bench.nx(bench.idx(moved), "pkill", "-9", "-x", "mariadbd")
        if rc != 0:
            fail(f"no mariadbd to kill on {moved}")

        def recovered_in_place():
            _, pids = bench.nx(bench.idx(moved), "pgrep", "-x", "mariadbd")
            fresh = pids.split() and not set(pids.split()) & set(old_pids.split())
            return fresh and stack_node(status()) == moved and moved

        h, took = until("mysql recovered in place (a new mariadbd)", recovered_in_place, 90)
        print(f"timing rscfail_recover {took:.1f}")
        until("SQL through the VIP after the recovery", lambda: sql_through_vip(other_than(moved)), 30)

        def failure_recorded():
            st = status()
            if st and any(f.startswith("p_mysql") for f in st["failures"]):
                return "shown by crm_mon"
            return None

        until("the p_mysql failure shown among the failed actions", failure_recorded, 30)
        rc, out = bench.nx(bench.idx(moved), "crm", "resource", "cleanup", "p_mysql", timeout=60)
        if rc != 0:
            fail(f"crm resource cleanup p_mysql: {out}")
        until("failure cleaned up", lambda: (st := status()) and not st["failures"] and st, 30)

    # A graceful stop of the holder moves the stack before the node leaves.
    # A cleanup re-probes the resource: wait until the stack is settled again.
    holder, _ = until("stack settled before the graceful stop", lambda: stack_node(status()), 60)
    t0 = time.time()
    sh("stop-node.sh", bench.idx(holder), timeout=200)
    log_path = os.path.join(args.state, "nodes", f"n{bench.idx(holder)}", "daemon.log")
    if "nothing runs here any more" not in open(log_path, errors="replace").read():
        fail(f"{holder} left without stopping its resources first")
    until("stack started elsewhere after a graceful stop",
          lambda: (h := stack_node(status())) and h != holder and h, 90)
    print(f"timing graceful_stop_of_holder {time.time() - t0:.1f}")
    sh("start-node.sh", bench.idx(holder))
    until("stopped node back online", lambda: (st := status()) and len(st["online"]) == N, 60)

    # The whole cluster restarts and keeps its configuration.
    sh("stop-node.sh", *range(1, N + 1), timeout=400)
    sh("start-node.sh", *range(1, N + 1))
    until("cluster formed again", lambda: (st := status()) and st["dc"] and st["quorum"] and len(st["online"]) == N, 60)
    until("everything started after a full restart", lambda: stack_node(status()), 120)
    rc, out = bench.nx(1, "crm", "configure", "show", timeout=30)
    if rc != 0 or "colocation c_vip_on_mysql" not in out:
        fail(f"configuration lost over the restart:\n{out}")
    if not args.keep:
        sh("teardown.sh")
    log("PASS")


main()
