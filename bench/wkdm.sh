#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# WKdm codec benchmark: single-core compression and decompression of real CPython heap pages
# (every whole 4 KiB page of the sample dumps, samples/*.tar.xz, or of a dump directory given
# with --dump), against memcpy of the same pages in the same run; checks every round trip and
# prints the compressed sizes. Goals: decompression >= 1 GB/s (250x the ~1000 pages/s of
# Rekall's pure-Python WKdm port), compression >= 500 MB/s, judged on the thread's CPU time
# (one core's throughput even on a shared machine; wall-clock figures are printed beside).
# Writes nothing into the repository. Results: bench/wkdm.md.
#
# Usage: bench/wkdm.sh [--dump DIR] [--reps N] [--dir WORK]
#   --dump DIR   pages of the Volatility dump files in DIR (e.g. /tmp/carver-bench/dump made
#                by bench/run.sh) instead of the samples
#   --reps N     timed runs per step; the median is reported (default 5)
#   --dir WORK   work directory (default /tmp/carver-wkdm-bench): samples, helper binary
# Environment: CC (default cc), CFLAGS (default -O2: the optimisation of the default build).
# Exit status: 0 when every measurement ran and every page round-tripped, else non-zero.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
work=/tmp/carver-wkdm-bench
dump=
reps=5
die() { echo "bench: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --dump) [ $# -ge 2 ] || die "--dump needs a value"; dump=$2; shift ;;
    --reps) [ $# -ge 2 ] || die "--reps needs a value"; reps=$2; shift ;;
    --dir) [ $# -ge 2 ] || die "--dir needs a value"; work=$2; shift ;;
    -h|--help) sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
case $reps in ''|*[!0-9]*|0) die "--reps: not a positive number" ;; esac
mkdir -p "$work" || die "cannot create $work"

cc=${CC:-cc}
cflags=${CFLAGS:--O2}
bin=$work/wkdm_bench
# shellcheck disable=SC2086
$cc $cflags -std=c11 -Wall -Wextra -I"$repo/src" "$here/wkdm_bench.c" "$repo/src/wkdm/wkdm.c" \
  -o "$bin" || die "build failed"

files=()
if [ -n "$dump" ]; then
  [ -d "$dump" ] || die "$dump: not a directory"
  while IFS= read -r f; do files+=("$f"); done < <(ls "$dump"/task.*.vma "$dump"/pid.*.dmp 2>/dev/null)
  what="dump files in $dump"
else
  mkdir -p "$work/samples"
  for t in "$repo"/samples/*.tar.xz; do
    n=$(basename "$t" .tar.xz)
    case $n in perl | node) continue ;; esac   # not Python heaps
    [ -d "$work/samples/$n" ] || tar -xJf "$t" -C "$work/samples" || die "cannot extract $t"
    while IFS= read -r f; do files+=("$f"); done < <(ls "$work/samples/$n"/task.*.vma \
                                                         "$work/samples/$n"/pid.*.dmp 2>/dev/null)
  done
  what="the Python sample dumps (samples/*.tar.xz)"
fi
[ ${#files[@]} -gt 0 ] || die "no dump files"

pin=()
command -v taskset >/dev/null 2>&1 && pin=(taskset -c 0)
echo "bench: WKdm on $what: ${#files[@]} files; $($cc --version | head -n 1), $cflags; " \
     "load $(cut -d' ' -f1-3 /proc/loadavg)"
out=$work/result.txt
"${pin[@]}" "$bin" --reps "$reps" "${files[@]}" | tee "$out"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || echo "bench: round trip FAILED or the helper failed (exit $rc)"

# Goals: the slowest layout counts.
awk -v rekall=4.096 '
  $1 == "compress" && $5 == "MB/s" { v = $4 + 0; if (nc == 0 || v < c) { c = v; nc = 1 }
                                     if (nwc == 0 || $3 + 0 < wc) { wc = $3 + 0; nwc = 1 } }
  $1 == "decompress" && $5 == "MB/s" { v = $4 + 0; if (nd == 0 || v < d) { d = v; nd = 1 }
                                       if (nwd == 0 || $3 + 0 < wd) { wd = $3 + 0; nwd = 1 } }
  END {
    printf "\n%-34s %14s %14s %10s\n", "goal (slowest layout)", "CPU time", "wall clock", "target"
    printf "%-34s %9.0f MB/s %9.0f MB/s %6s MB/s  %s\n", "decompression, one core", d, wd,
           ">= 1000", (d >= 1000 ? "PASS" : "MISS")
    printf "%-34s %9.0f MB/s %9.0f MB/s %6s MB/s  %s\n", "compression, one core", c, wc,
           ">= 500", (c >= 500 ? "PASS" : "MISS")
    printf "decompression is %.0fx Rekall WKdm.py (about 1000 pages/s = 4.1 MB/s)\n", d / rekall
  }' "$out"
echo "bench: load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$rc"
