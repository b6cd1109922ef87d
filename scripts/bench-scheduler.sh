#!/usr/bin/env bash
# Times our crm_simulate against Pacemaker's (Debian's pacemaker-cli-utils) on
# CIBs from ../shared/tools/gen_cib.py, in the same run, and prints the ratio.
#   bash scripts/bench-scheduler.sh [SIZES...]     e.g.  8x1000 8x10000
# -R computes the transition only; -S also simulates it. Pacemaker's -S is
# very slow at large sizes (about 300 s at 8x1000), so -S runs only where
# BENCH_SIMULATE=1. Peak memory (RSS) is printed for both. Each tool runs
# several times (BENCH_RUNS, default 11; a tool once where one run takes over
# 10 s), the two taking turns, and the median wall time counts: this machine
# is shared, and single runs of a few milliseconds vary by half.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED_DIR=${SHARED_DIR:-$(cd .. && pwd)/shared}
SIZES=("$@"); [ ${#SIZES[@]} -gt 0 ] || SIZES=(8x100 8x1000)
cargo build --profile dist -q --bin crm_simulate
OURS=target/dist/crm_simulate
THEIRS=$(command -v crm_simulate || echo /usr/sbin/crm_simulate)
[ -x "$THEIRS" ] || { echo "Pacemaker's crm_simulate not found (apt install pacemaker-cli-utils)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

measure() { # measure RUNS OURS_CMD... -- THEIRS_CMD...; prints "ours_s ours_rss_kb theirs_s theirs_rss_kb ours_min_s theirs_min_s"
  python3 - "$@" <<'PY'
import os, statistics, subprocess, sys, time
runs = int(sys.argv[1])
split = sys.argv.index("--")
cmds = [sys.argv[2:split], sys.argv[split + 1:]]
walls, rss = [[], []], [0, 0]
def run(i):
    start = time.perf_counter()
    child = subprocess.Popen(cmds[i], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(child.pid, 0)
    walls[i].append(time.perf_counter() - start)
    rss[i] = max(rss[i], usage.ru_maxrss)
# The two tools take turns, so that a busy moment of the machine weighs on
# both alike; a tool that takes over 10 s runs only once.
for _ in range(runs):
    for i in (0, 1):
        if not walls[i] or walls[i][-1] <= 10:
            run(i)
print(f"{statistics.median(walls[0]):.4f} {rss[0]} {statistics.median(walls[1]):.4f} {rss[1]} {min(walls[0]):.4f} {min(walls[1]):.4f}")
PY
}
# Medians (and the ratio of medians, the figure quoted); the fastest run of
# each beside them shows how much of the spread is the machine.
printf "%-10s %-3s %10s %10s %8s   %10s %10s %8s %12s %12s\n" size mode ours_s pcmk_s ratio ours_min pcmk_min ratio ours_rss_MB pcmk_rss_MB
for size in "${SIZES[@]}"; do
  n=${size%x*}; m=${size#*x}
  cib="$tmp/gen_${n}x${m}.xml"
  python3 "$SHARED_DIR/tools/gen_cib.py" --nodes "$n" --primitives "$m" -o "$cib" >/dev/null 2>&1
  modes=(R); [ "${BENCH_SIMULATE:-0}" = 1 ] && modes+=(S)
  for mode in "${modes[@]}"; do
    read -r ot orss pt prss omin pmin < <(measure "${BENCH_RUNS:-11}" "$OURS" -x "$cib" -"$mode" -Q -- "$THEIRS" -x "$cib" -"$mode" -Q)
    ratio=$(python3 -c "print(f'{max($pt,0.001)/max($ot,0.001):.1f}x')")
    ratio_min=$(python3 -c "print(f'{max($pmin,0.001)/max($omin,0.001):.1f}x')")
    printf "%-10s %-3s %10s %10s %8s   %10s %10s %8s %12d %12d\n" "$size" "-$mode" "$ot" "$pt" "$ratio" "$omin" "$pmin" "$ratio_min" $((orss/1024)) $((prss/1024))
  done
done
