#!/usr/bin/env bash
# Times our crm_simulate against Pacemaker's (Debian's pacemaker-cli-utils) on
# CIBs from ../shared/tools/gen_cib.py, in the same run, and prints the ratio.
#   bash scripts/bench-scheduler.sh [SIZES...]     e.g.  8x1000 8x10000
# -R computes the transition only; -S also simulates it. Pacemaker's -S is
# very slow at large sizes (about 300 s at 8x1000), so -S runs only where
# BENCH_SIMULATE=1. Peak memory (RSS) is printed for both.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED_DIR=${SHARED_DIR:-$(cd .. && pwd)/shared}
SIZES=("$@"); [ ${#SIZES[@]} -gt 0 ] || SIZES=(8x100 8x1000)
cargo build --release -q --bin crm_simulate
OURS=target/release/crm_simulate
THEIRS=$(command -v crm_simulate || echo /usr/sbin/crm_simulate)
[ -x "$THEIRS" ] || { echo "Pacemaker's crm_simulate not found (apt install pacemaker-cli-utils)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

measure() { # prints "seconds max_rss_kb"
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >/dev/null 2>&1 || true
  cat "$tmp/time"
}
printf "%-10s %-3s %10s %10s %8s %12s %12s\n" size mode ours_s pcmk_s ratio ours_rss_MB pcmk_rss_MB
for size in "${SIZES[@]}"; do
  n=${size%x*}; m=${size#*x}
  cib="$tmp/gen_${n}x${m}.xml"
  python3 "$SHARED_DIR/tools/gen_cib.py" --nodes "$n" --primitives "$m" -o "$cib" >/dev/null 2>&1
  modes=(R); [ "${BENCH_SIMULATE:-0}" = 1 ] && modes+=(S)
  for mode in "${modes[@]}"; do
    read -r ot orss < <(measure "$OURS" -x "$cib" -"$mode" -Q)
    read -r pt prss < <(measure "$THEIRS" -x "$cib" -"$mode" -Q)
    ratio=$(python3 -c "print(f'{max($pt,0.001)/max($ot,0.001):.1f}x')")
    printf "%-10s %-3s %10s %10s %8s %12d %12d\n" "$size" "-$mode" "$ot" "$pt" "$ratio" $((orss/1024)) $((prss/1024))
  done
done
