#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# carver throughput benchmark: a >= 1 GiB dump of a real CPython 3.11 process, scanned by
# `cat` (plain read), `strings -a` and `carver scan`; prints throughput, ratios and peak RSS
# against the goals. See bench/README.md. Writes nothing into the repository.
#
# Usage: bench/run.sh [--workload W] [--fresh] [--dir DIR] [--size-mib N] [--reps N] [--no-build]
#   --workload W   mixed: a typical heap, about a third of it str/bytes (the default)
#                  strings: nothing but str/bytes objects (the worst case; mkdump.py --help)
#   --dir DIR      work directory (default $CARVER_BENCH_DIR, else /tmp/carver-bench for
#                  strings and /tmp/carver-bench-mixed for mixed); the dump lives in
#                  DIR/dump and is reused when present
#   --fresh        rebuild the dump even if one exists
#   --size-mib N   MiB the workload allocates (default 1126, about 1.1 GiB)
#   --reps N       rounds (default 5): each runs cat and every carver variant once, in
#                  turn; the medians are reported, and the plain-read ratio is the median
#                  of each carver run against the cat run just before it. strings -a then
#                  runs N times on its own
#   --no-build     use $CARVER (default $BUILD_DIR/carver/carver) as it is
# Environment: BUILD_DIR (default /tmp/bench-build), CARVER, PYTHON (default /usr/bin/python3).
# Exit status: 0 when every measurement ran (goals missed or not), non-zero otherwise.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
work=${CARVER_BENCH_DIR:-}
workload=mixed
size_mib=1126
reps=5
fresh=0
build=1
build_dir=${BUILD_DIR:-/tmp/bench-build}
python=${PYTHON:-/usr/bin/python3}

die() { echo "bench: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case $1 in
    --workload) [ $# -ge 2 ] || die "--workload needs a value"; workload=$2; shift ;;
    --fresh) fresh=1 ;;
    --dir) [ $# -ge 2 ] || die "--dir needs a value"; work=$2; shift ;;
    --size-mib) [ $# -ge 2 ] || die "--size-mib needs a value"; size_mib=$2; shift ;;
    --reps) [ $# -ge 2 ] || die "--reps needs a value"; reps=$2; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '3,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
case $size_mib in ''|*[!0-9]*) die "--size-mib: not a number" ;; esac
case $workload in
  strings) [ -n "$work" ] || work=/tmp/carver-bench ;;
  mixed) [ -n "$work" ] || work=/tmp/carver-bench-mixed ;;
  *) die "--workload: strings or mixed" ;;
esac
case $reps in ''|*[!0-9]*|0) die "--reps: not a positive number" ;; esac

for tool in strings /usr/bin/time "$python" awk; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done

# 1. carver
carver=${CARVER:-$build_dir/carver/carver}
if [ "$build" = 1 ] && [ -z "${CARVER:-}" ]; then
  echo "bench: building carver (Release) in $build_dir" >&2
  { cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null &&
    cmake --build "$build_dir" -j2 --target carver >/dev/null; } || die "build failed"
fi
[ -x "$carver" ] || die "$carver: not found (build it, or set CARVER)"

# 2. the dump
dump=$work/dump
mkdir -p "$work" || die "cannot create $work"
want_ok="$size_mib $workload"
if [ "$fresh" = 1 ] || [ ! -f "$work/dump.ok" ]; then
  rm -f "$work/dump.ok"
  if [ -d "$dump" ]; then
    rm -f "$dump"/task.*.vma "$dump/maps"
    rmdir "$dump" 2>/dev/null || die "$dump holds other files; remove it"
  fi
  echo "bench: building a ${size_mib} MiB $workload dump of $python in $dump" >&2
  "$python" "$here/mkdump.py" "$dump" --size-mib "$size_mib" --workload "$workload" \
    --python "$python" || die "making the dump failed"
  echo "$want_ok" > "$work/dump.ok"
else
  have=$(cat "$work/dump.ok")
  case $have in *" "*) ;; *) have="$have strings" ;; esac # dumps made before --workload
  echo "bench: reusing the ${have% *} MiB ${have#* } dump in $dump (--fresh rebuilds it)" >&2
  [ "$have" = "$want_ok" ] ||
    echo "bench: note: --size-mib/--workload ($want_ok) differ from the dump's; add --fresh to rebuild" >&2
  workload=${have#* }
fi

files=("$dump"/task.*.vma)
[ -f "${files[0]}" ] || die "no dump files in $dump"
bytes=$(cat "${files[@]}" | wc -c) || die "cannot read the dump"   # also warms the cache
cat "${files[@]}" > /dev/null

# Wall time of a command in seconds (9 decimals); its output goes where the caller says.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

failed=0
# One timed run of cmd...: sets T1 (wall seconds), C1 (CPU seconds, user + system) and M1
# (peak RSS, KiB). CPU time is reported too because the wall time of a run on a shared
# machine also counts the time other jobs held the CPU.
run_once() {
  local name=$1 t0 t1 rc
  shift
  t0=$(now)
  /usr/bin/time -f '%U %S %M' -o "$work/time.out" "$@" > /dev/null 2> "$work/stderr.out"
  rc=$?
  t1=$(now)
  if [ "$rc" -ne 0 ]; then
    echo "bench: $name failed (exit $rc):" >&2
    sed 's/^/  /' "$work/stderr.out" >&2
    failed=1
  fi
  T1=$(elapsed "$t0" "$t1")
  read -r C1 M1 < <(tail -n 1 "$work/time.out" | awk '{ printf "%.2f %s\n", $1 + $2, $3 }')
  case $C1 in ''|*[!0-9.]*) C1=0 ;; esac
  case $M1 in ''|*[!0-9]*) M1=0 ;; esac
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }

# The runs of cat and of each carver variant alternate, round after round, so that every
# carver run has a cat run of the same moment beside it: the plain-read ratio is the
# median of those pairs' ratios, which drifts in the machine's speed (other jobs, CPU
# clocks, the page cache) affect far less than separate series would. strings -a, 20-50
# times slower than carver, runs its own series.
load0=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
echo "bench: ${#files[@]} files, $bytes bytes; $reps rounds; load average $load0" >&2
names=("cat" "carver" "carver 64K" "carver --threads 1" "carver --max-len 1")
# msgpack to standard output, redirected to /dev/null
run_variant() {
  case $1 in
    0) run_once "${names[0]}" cat "${files[@]}" ;;
    1) run_once "${names[1]}" "$carver" scan "$dump" --format msgpack -q ;;
    2) run_once "${names[2]}" "$carver" scan "$dump" --format msgpack -q --chunk-size 64K ;;
    # One thread: no reader thread reading ahead (informational; the default uses two when
    # the machine has them).
    3) run_once "${names[3]}" "$carver" scan "$dump" --format msgpack -q --threads 1 ;;
    # The scan alone: every value is over the cap, so carver reads every byte and checks
    # every candidate header but converts and writes no values (informational).
    4) run_once "${names[4]}" "$carver" scan "$dump" --format msgpack -q --max-len 1 ;;
  esac
}
declare -a W C R P
for ((i = 0; i < reps; i++)); do
  for v in 0 1 2 3 4; do
    run_variant "$v"
    W[v]+="$T1 "; C[v]+="$C1 "
    [ "${R[v]:-0}" -lt "$M1" ] && R[v]=$M1
    [ "$v" = 0 ] && cat_now=$T1
    [ "$v" -gt 0 ] && P[v]+="$(ratio "$T1" "$cat_now") "
  done
done
for v in 0 1 2 3 4; do
  # shellcheck disable=SC2086 # the lists are space-separated numbers
  echo "bench: ${names[v]}: ${W[v]}s (median $(median ${W[v]}) s; CPU ${C[v]}s), peak RSS ${R[v]} KiB${P[v]:+; ratios to the cat run beside it: ${P[v]}}" >&2
done
# shellcheck disable=SC2086
{
  t_cat=$(median ${W[0]}); c_cat=$(median ${C[0]})
  t_crv=$(median ${W[1]}); c_crv=$(median ${C[1]}); rss_crv=${R[1]}; p_crv=$(median ${P[1]})
  t_c64=$(median ${W[2]}); c_c64=$(median ${C[2]}); rss_c64=${R[2]}
  t_ct1=$(median ${W[3]}); c_ct1=$(median ${C[3]}); p_ct1=$(median ${P[3]})
  t_c1=$(median ${W[4]}); c_c1=$(median ${C[4]})
}
strs=() scpu=()
for ((i = 0; i < reps; i++)); do
  run_once "strings -a" strings -a "${files[@]}"
  strs+=("$T1"); scpu+=("$C1")
done
echo "bench: strings -a: ${strs[*]} s" >&2
t_str=$(median "${strs[@]}"); c_str=$(median "${scpu[@]}")
# How much carver writes (the values are most of it).
out_bytes=$("$carver" scan "$dump" --format msgpack -q | wc -c) || failed=1

# One summary run: the objects found prove the scan did the work.
out=$work/summary.jsonl
rm -f "$out"
"$carver" scan "$dump" --format jsonl -q -o "$out" --force
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "bench: carver summary run failed (exit $rc)" >&2
  failed=1
fi
summary=$(tail -n 1 "$out" 2>/dev/null)
rm -f "$out" "$work/time.out" "$work/stderr.out"
objects=$(printf '%s' "$summary" | "$python" -c '
import json, sys
try:
    s = json.loads(sys.stdin.read())
    assert s["record"] == "summary"
    print("%d objects (str %d, bytes %d; live %d, freed %d), %d candidates, %d rejected" % (
        s["objects"], s["by_type"]["str"], s["by_type"]["bytes"], s["by_status"]["live"],
        s["by_status"]["freed"], s["candidates"], s["rejected"]))
except Exception:
    sys.exit(1)
') || { objects="(no summary)"; failed=1; }

awk -v bytes="$bytes" -v files="${#files[@]}" -v reps="$reps" \
    -v t_cat="$t_cat" -v t_str="$t_str" -v t_crv="$t_crv" -v t_c64="$t_c64" -v t_c1="$t_c1" -v t_ct1="$t_ct1" -v c_ct1="$c_ct1" \
    -v p_crv="$p_crv" -v p_ct1="$p_ct1" \
    -v out_bytes="$out_bytes" -v workload="$workload" -v c_cat="$c_cat" -v c_str="$c_str" \
    -v c_crv="$c_crv" -v c_c64="$c_c64" -v c_c1="$c_c1" \
    -v rss="$rss_crv" -v rss64="$rss_c64" -v objects="$objects" -v date="$(date -u +%F)" \
    -v failed="$failed" -v load0="$load0" -v load1="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)" \
    -v cpus="$(nproc)" -v py="$("$python" -c 'import sys; print(sys.version.split()[0])')" '
function mbs(t) { return t > 0 ? bytes / t / 1e6 : 0 }
function verdict(ok) { return failed ? "ERROR" : ok ? "PASS" : "MISS" }
BEGIN {
  printf "\ncarver benchmark, %s, %d CPUs, %s dump of CPython %s: %d files, %.1f MiB, median of %d runs\n\n",
         date, cpus, workload, py, files, bytes / 1048576, reps
  printf "%-36s %9s %10s %9s\n", "tool", "seconds", "MB/s", "CPU s"
  printf "%-36s %9.3f %10.1f %9.2f\n", "plain read (cat)", t_cat, mbs(t_cat), c_cat
  printf "%-36s %9.3f %10.1f %9.2f\n", "strings -a", t_str, mbs(t_str), c_str
  printf "%-36s %9.3f %10.1f %9.2f\n", "carver scan (default chunk 4M)", t_crv, mbs(t_crv), c_crv
  printf "%-36s %9.3f %10.1f %9.2f\n", "carver scan --chunk-size 64K", t_c64, mbs(t_c64), c_c64
  printf "%-36s %9.3f %10.1f %9.2f\n", "carver scan --threads 1", t_ct1, mbs(t_ct1), c_ct1
  printf "%-36s %9.3f %10.1f %9.2f\n", "carver scan --max-len 1 (no values)", t_c1, mbs(t_c1), c_c1
  printf "\ncarver found %s\n", objects
  printf "msgpack output %.1f MB, %.0f%% of the bytes read\n", out_bytes / 1e6, 100 * out_bytes / bytes
  printf "load average %s before, %s after (other load on the machine skews the times)\n\n", load0, load1
  up = t_crv > 0 ? t_str / t_crv : 0
  down = p_crv
  printf "%-34s %12s %10s %6s\n", "goal", "measured", "target", ""
  printf "%-34s %11.1fx %10s %6s\n", "carver vs strings -a (speed-up)", up, ">= 10x", verdict(up >= 10)
  printf "%-34s %11.2fx %10s %6s\n", "carver vs plain read (slowdown)", down, "<= 3x", verdict(down <= 3)
  printf "  (median of %d carver/cat ratios, each cat run right before its carver run; the\n", reps
  printf "  ratio of the medians above is %.2fx; --threads 1: %.2fx)\n", (t_cat > 0 ? t_crv / t_cat : 0), p_ct1
  printf "%-34s %8.1f MiB %10s %6s\n", "carver peak RSS (default chunk)", rss / 1024, "< 128 MiB", verdict(rss / 1024 < 128)
  printf "%-34s %8.1f MiB %10s %6s\n", "carver peak RSS (--chunk-size 64K)", rss64 / 1024, "< 128 MiB", verdict(rss64 / 1024 < 128)
  cup = c_crv > 0 ? c_str / c_crv : 0
  cdown = c_cat > 0 ? c_crv / c_cat : 0
  printf "\nby CPU time (less affected by other load): carver %.1fx faster than strings -a, %.1fx the CPU time of cat\n", cup, cdown
}'

if [ "$failed" -ne 0 ]; then
  echo "bench: some measurements failed to run (see above)" >&2
  exit 1
fi
exit 0
