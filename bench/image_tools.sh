#!/usr/bin/env bash
# Throughput of the whole-image tools against what the machine can do.
#
#   bench/image_tools.sh
#
# Makes (or reuses) two SIMH images of pseudo-random data in $BENCH_DIR:
#   - VTAPE_BENCH_SIZE (default 2G) of data in 64 KiB records,
#   - a quarter of that (default 512M) in 10 KiB records (more records per byte),
# and for each measures, best of $BENCH_RUNS (default 3) runs:
#   cat IMAGE > /dev/null              the ceiling for reading
#   vtape verify IMAGE                 ... against it
#   cat IMAGE > OUT.raw                the ceiling for a copy on the same file
#                                      system (GNU cat >= 9 copies inside the
#                                      kernel with copy_file_range)
#   cat IMAGE > OUT.raw; sync -d       the same plus the fdatasync that vtape
#                                      convert does before it renames OUT
#   dd bs=1M conv=fdatasync            a copy through user space (read + write)
#                                      plus fdatasync: what convert has to do
#   vtape convert IMAGE OUT.tap --force ... against the three copy ceilings
#   vtape convert IMAGE OUT.aws --force
# It prints MB/s (10^6 bytes of input image per second) and the ratio to each
# ceiling (ceiling time / tool time), then a summary table.
#
# The page cache cannot be dropped without root, so the image is read once
# first and every run is cache-hot: reads are CPU and memory bandwidth, not
# disk.  Writes are not: each copy ends up in the page cache and (with sync)
# on the disk, and on a shared or virtual disk the write-back speed varies a
# lot from run to run; the best of several runs is what is reported.  Before
# every copy the previous output is deleted and `sync` run (untimed), so no
# run pays for an earlier run's write-back.
#
# Environment:
#   VTAPE             the vtape binary (default: build/tools/vtape of this checkout);
#                     use a Release build
#   BENCH_DIR         where the images go (default /tmp/vtape-bench); they are
#                     kept there for the next run
#   BENCH_OUT_DIR     where the copies go (default BENCH_DIR); e.g. /dev/shm to
#                     take the disk out of the copy measurements
#   VTAPE_BENCH_SIZE  data in the large image, e.g. 256M for a quick run (default 2G)
#   BENCH_RUNS        runs per measurement, the best counts (default 3)
#   BENCH_RESULTS     also add the verify figures to this file (bench/all.sh)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/bench_lib.sh
source "$root/bench/bench_lib.sh"
vtape=${VTAPE:-$root/build/tools/vtape}
dir=${BENCH_DIR:-/tmp/vtape-bench}
runs=${BENCH_RUNS:-3}
out_dir=${BENCH_OUT_DIR:-$dir}
size_arg=${VTAPE_BENCH_SIZE:-2G}

if [[ ! -x $vtape ]]; then
  echo "$0: no vtape binary at $vtape (set VTAPE)" >&2
  exit 2
fi
big_size=$(bench_size VTAPE_BENCH_SIZE 1M "$size_arg") || exit 2
small_size=$((big_size / 4))
mkdir -p "$dir" "$out_dir"

now() { date +%s.%N; }
# elapsed START END -> seconds
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
human() { numfmt --to=iec --suffix=B "$1"; }

# --- The images ---------------------------------------------------------------

# 256 MiB of random bytes (less for small runs), repeated to the size wanted:
# far faster than reading all of it from /dev/urandom, and just as
# incompressible for what is measured here.
pool=$dir/random.pool
pool_size=$((256 * 1048576))
((pool_size > big_size)) && pool_size=$big_size
if [[ ! -f $pool || $(stat -c %s "$pool") -lt $pool_size ]]; then
  echo "making $(human "$pool_size") of random data in $pool"
  head -c "$pool_size" /dev/urandom > "$pool.tmp"
  mv "$pool.tmp" "$pool"
fi

# make_image PATH DATA_BYTES RECORD_SIZE: made once, reused while the stamp
# beside it says it is complete and of this size.
make_image() {
  local path=$1 bytes=$2 record=$3
  local stamp="$path.complete"
  if [[ -f $path && -f $stamp && $(cat "$stamp") == "$bytes $record" ]]; then
    echo "reusing $path"
    return
  fi
  rm -f "$path" "$stamp"
  echo "writing $path: $(human "$bytes") in $record-byte records"
  local pool_bytes copies
  pool_bytes=$(stat -c %s "$pool")
  copies=$(((bytes + pool_bytes - 1) / pool_bytes))
  # (The generator is cut short by head: only vtape's exit status counts.)
  if ! (
    set +o pipefail
    for ((i = 0; i < copies; i++)); do cat "$pool"; done 2> /dev/null | head -c "$bytes" |
      "$vtape" write "$path" --record-size "$record" --force 2> /dev/null
  ); then
    echo "$0: vtape write $path failed" >&2
    exit 1
  fi
  echo "$bytes $record" > "$stamp"
}

# --- Measuring ----------------------------------------------------------------

# best_of NAME PREPARE COMMAND: runs PREPARE (untimed) then COMMAND (timed)
# $runs times; sets $best to the fastest time in seconds, $worst to the
# slowest.
best=0
worst=0
best_of() {
  local name=$1 prepare=$2 command=$3
  best=""
  worst=""
  local times=()
  for ((r = 0; r < runs; r++)); do
    eval "$prepare"
    local t0 t1 t
    t0=$(now)
    if ! eval "$command" > /dev/null 2> "$dir/last-error"; then
      echo "$0: '$name' failed:" >&2
      cat "$dir/last-error" >&2
      exit 1
    fi
    t1=$(now)
    t=$(elapsed "$t0" "$t1")
    times+=("$t")
    if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
    if [[ -z $worst ]] || awk -v a="$t" -v b="$worst" 'BEGIN { exit !(a > b) }'; then worst=$t; fi
  done
  printf '    %-34s %s s  (runs: %s)\n' "$name" "$best" "${times[*]}"
}

mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? b / s / 1e6 : 0) }'; }
ratio() { awk -v c="$1" -v s="$2" 'BEGIN { printf "%.2f", (s > 0 ? c / s : 0) }'; }

summary=()
# row LABEL OPERATION SECONDS BYTES [CEILING_NAME CEILING_SECONDS]...
row() {
  local label=$1 op=$2 t=$3 bytes=$4
  shift 4
  local against=""
  while (($# >= 2)); do
    against+="$(ratio "$2" "$t") $1   "
    shift 2
  done
  against=${against%"   "}
  summary+=("$(printf '%-7s %-26s %8s %7s   %s' "$label" "$op" "$t" "$(mbps "$bytes" "$t")" "${against:-(ceiling)}")")
}

# bench_image LABEL IMAGE
bench_image() {
  local label=$1 image=$2
  local bytes out=$out_dir/vtape-bench-out
  bytes=$(stat -c %s "$image")
  echo
  echo "== $label records: $image, $(human "$bytes") ($bytes bytes)"
  cat "$image" > /dev/null  # warm the page cache: every run below is cache-hot

  local clean="rm -f '$out.raw' '$out.tap' '$out.aws'; sync"

  best_of "cat IMAGE > /dev/null" ":" "cat '$image' > /dev/null"
  local t_cat=$best
  best_of "vtape verify IMAGE" ":" "'$vtape' verify '$image'"
  local t_verify=$best t_verify_worst=$worst
  best_of "cat IMAGE > OUT.raw" "$clean" "cat '$image' > '$out.raw'"
  local t_copy=$best
  best_of "cat IMAGE > OUT.raw; sync -d" "$clean" "cat '$image' > '$out.raw' && sync -d '$out.raw'"
  local t_copy_sync=$best
  best_of "dd bs=1M conv=fdatasync" "$clean" "dd if='$image' of='$out.raw' bs=1M conv=fdatasync status=none"
  local t_dd=$best
  best_of "vtape convert IMAGE OUT.tap" "$clean" "'$vtape' convert '$image' '$out.tap' --force"
  local t_tap=$best
  best_of "vtape convert IMAGE OUT.aws" "$clean" "'$vtape' convert '$image' '$out.aws' --force"
  local t_aws=$best
  eval "$clean"

  local copies=("cat>raw" "$t_copy" "cat>raw+sync" "$t_copy_sync" "dd+fdatasync" "$t_dd")
  row "$label" "cat IMAGE > /dev/null" "$t_cat" "$bytes"
  row "$label" "vtape verify" "$t_verify" "$bytes" "cat>/dev/null" "$t_cat"
  bench_result id="verify-${label// /}" figure="vtape verify, $label records" unit=MB/s \
    value="$(mbps "$bytes" "$t_verify")" worst="$(mbps "$bytes" "$t_verify_worst")" \
    ceiling="cat IMAGE > /dev/null" ceiling_value="$(mbps "$bytes" "$t_cat")" \
    ratio="$(ratio "$t_cat" "$t_verify")" min_ratio=0.9
  row "$label" "cat IMAGE > OUT.raw" "$t_copy" "$bytes"
  row "$label" "cat > OUT.raw; sync -d" "$t_copy_sync" "$bytes"
  row "$label" "dd bs=1M conv=fdatasync" "$t_dd" "$bytes"
  row "$label" "vtape convert -> .tap" "$t_tap" "$bytes" "${copies[@]}"
  row "$label" "vtape convert -> .aws" "$t_aws" "$bytes" "${copies[@]}"
}

big=$dir/simh-64k-$big_size.tap
small=$dir/simh-10k-$small_size.tap
make_image "$big" "$big_size" 65536
make_image "$small" "$small_size" 10240

echo
echo "vtape: $vtape ($("$vtape" --version 2> /dev/null || echo '?'))"
echo "runs per measurement: $runs (best counts); all runs cache-hot (image read once first)"
bench_image "64 KiB" "$big"
bench_image "10 KiB" "$small"

echo
echo "Summary: best of $runs, cache-hot; MB/s = 10^6 bytes of input image per second;"
echo "ratio = ceiling time / tool time (1.00 = as fast as the ceiling)"
printf '%-7s %-26s %8s %7s   %s\n' records operation seconds "MB/s" "ratio to ceiling"
for line in "${summary[@]}"; do echo "$line"; done
