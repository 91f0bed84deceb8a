#!/usr/bin/env bash
# Throughput of a vtapefs drive against dd to a plain file on the same file
# system (the ceiling), in one run:
#
#   bench/drive_throughput.sh
#
# Mounts vtapefs on a fresh library in $BENCH_DIR and, for each block size,
# writes with dd through the rewinding drive (drives/st0, SIMH cartridge
# SCR001) and reads the tape back with dd, then does the same with a plain
# file next to the library:
#   256 KiB records, DRIVE_BENCH_BIG (default 2G) of data
#   10 KiB records (tar's default), DRIVE_BENCH_SMALL (default 512M)
#   512-byte records, DRIVE_BENCH_RECORDS (default 200000) of them: records/s
# A second ceiling, the fastest any FUSE file system can be here, comes
# from bench/fuse_null.cc (built with g++ into the bench directory, mounted
# beside vtapefs): dd through it acknowledges every write without touching
# the data.  "of dd" is vtapefs against the plain file, "of FUSE" against
# fuse_null.  A third, for writes: dd conv=fsync to the plain file, since
# the drive syncs the image when it is closed (the filemark makes what was
# written durable) and dd's time includes that close.
# Each figure is the best of BENCH_RUNS (default 3) runs, cache-hot: the data
# comes from /dev/zero and goes to /dev/null, and nothing is dropped from the
# page cache.  The time is dd's own (first to last write or read); the sync
# the drive does on close is not in it (FUSE releases the file after close
# has returned), but the script waits for it before the next run.
#
# Environment:
#   VTAPEFS, VTAPE        the binaries (default: build-bench2/ of this checkout;
#                         use a Release build)
#   BENCH_DIR             where the library, mount point and plain file go
#                         (default: a new directory under ${TMPDIR:-/tmp})
#   DRIVE_BENCH_BIG       data at 256 KiB (default 2G)
#   DRIVE_BENCH_SMALL     data at 10 KiB (default 512M)
#   DRIVE_BENCH_RECORDS   records at 512 bytes (default 200000)
#   BENCH_RUNS            runs per figure (default 3)
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/bench_lib.sh
source "$root/bench/bench_lib.sh"
vtapefs=${VTAPEFS:-$root/build-bench2/fuse/vtapefs}
vtape=${VTAPE:-$root/build-bench2/tools/vtape}
runs=${BENCH_RUNS:-3}
big_arg=${DRIVE_BENCH_BIG:-2G}
small_arg=${DRIVE_BENCH_SMALL:-512M}
tiny_records=${DRIVE_BENCH_RECORDS:-200000}

bench_need_binaries "$vtapefs" "$vtape"
bench_need_commands dd fusermount3 numfmt g++ pkg-config
if ! big=$(numfmt --from=iec "$big_arg" 2> /dev/null) || ((big < 262144)); then
  echo "$0: DRIVE_BENCH_BIG must be at least 256K, not '$big_arg'" >&2
  exit 2
fi
if ! small=$(numfmt --from=iec "$small_arg" 2> /dev/null) || ((small < 10240)); then
  echo "$0: DRIVE_BENCH_SMALL must be at least 10K, not '$small_arg'" >&2
  exit 2
fi

bench_dir vtapefs-bench
lib=$dir/library
mnt=$dir/mnt
plain=$dir/plain.bin
log=$dir/vtapefs.log
mkdir -p "$mnt"
rm -rf "$lib"

# Enough capacity for the largest run and its framing.
need=$(((big > small ? big : small) + (big > small ? big : small) / 8 + (64 << 20)))

null_mnt=$dir/null-mnt

cleanup() {
  bench_stop_fuse_null "$null_mnt"
  bench_stop_vtapefs "$mnt"
  rm -f "$plain"
  if ((own_dir)); then rm -rf "$dir"; else rm -rf "$lib"; fi
}
trap cleanup EXIT

# The null FUSE file system (see the top).
bench_start_fuse_null "$root" "$dir" "$null_mnt"
null=$null_sink

"$vtape" new BENCH --capacity "$need" --library "$lib" > /dev/null
"$vtape" load 1 BENCH --library "$lib" > /dev/null
bench_start_vtapefs "$vtapefs" "$lib" "$mnt" "$log" drives/st1
drive=$mnt/drives/st1

# The drive is free once the daemon has handled the release of the last
# close (the filemark, the sync and the rewind).
wait_drive() {
  for _ in $(seq 2000); do
    if (exec 3< "$drive") 2> /dev/null; then return 0; fi
    sleep 0.01
  done
  echo "$0: the drive stays busy" >&2
  exit 1
}

# run_dd ARGS... -> "BYTES SECONDS" from dd's summary line
run_dd() {
  local out
  if ! out=$(dd "$@" 2>&1); then
    echo "$0: dd $*: $out" >&2
    exit 1
  fi
  awk '/ copied, / { print $1, $(NF - 3) }' <<< "$out"
}

# best KIND BS COUNT -> "BYTES SECONDS" of the fastest of $runs runs
#   KIND: drive-write drive-read plain-write plain-fsync plain-read null-write null-read
best() {
  local kind=$1 bs=$2 count=$3 best_s='' bytes='' r s
  for _ in $(seq "$runs"); do
    case $kind in
      drive-write) wait_drive; sync; r=$(run_dd if=/dev/zero of="$drive" bs="$bs" count="$count") ;;
      drive-read) wait_drive; r=$(run_dd if="$drive" of=/dev/null bs="$bs") ;;
      plain-write) rm -f "$plain"; sync; r=$(run_dd if=/dev/zero of="$plain" bs="$bs" count="$count") ;;
      plain-fsync) rm -f "$plain"; sync; r=$(run_dd if=/dev/zero of="$plain" bs="$bs" count="$count" conv=fsync) ;;
      plain-read) r=$(run_dd if="$plain" of=/dev/null bs="$bs") ;;
      null-write) r=$(run_dd if=/dev/zero of="$null" bs="$bs" count="$count") ;;
      null-read) r=$(run_dd if="$null" of=/dev/null bs="$bs" count="$count") ;;
    esac
    read -r bytes s <<< "$r"
    if [[ -z $best_s ]] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then best_s=$s; fi
  done
  echo "$bytes $best_s"
}

mbs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
recs() { awk -v b="$1" -v s="$2" -v bs="$3" 'BEGIN { printf "%.0f", b / bs / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# measure LABEL BS COUNT UNIT -> table rows (write and read)
measure() {
  local label=$1 bs=$2 count=$3 unit=$4 dw dr pw pr nw nr fw
  dw=$(best drive-write "$bs" "$count")
  fw=$(best plain-fsync "$bs" "$count")
  dr=$(best drive-read "$bs" "$count")
  pw=$(best plain-write "$bs" "$count")
  pr=$(best plain-read "$bs" "$count")
  nw=$(best null-write "$bs" "$count")
  nr=$(best null-read "$bs" "$count")
  local op d p n f dv pv nv fv
  for op in write read; do
    if [[ $op == write ]]; then d=$dw p=$pw n=$nw f=$fw; else d=$dr p=$pr n=$nr f=''; fi
    # shellcheck disable=SC2086
    if [[ $unit == MB/s ]]; then
      dv=$(mbs $d) pv=$(mbs $p) nv=$(mbs $n)
      [[ -n $f ]] && fv=$(mbs $f)
    else
      dv=$(recs $d "$bs") pv=$(recs $p "$bs") nv=$(recs $n "$bs")
      [[ -n $f ]] && fv=$(recs $f "$bs")
    fi
    printf '%-9s %-6s %8s  %12s  %12s  %12s  %6s  %7s  %10s\n' "$label" "$op" "$(numfmt --to=iec "${d%% *}")" \
      "$dv $unit" "$pv $unit" "$nv $unit" "$(ratio "$dv" "$pv")" "$(ratio "$dv" "$nv")" \
      "$([[ -n $f ]] && ratio "$dv" "$fv" || echo -)"
  done
}

echo "vtapefs drive throughput, best of $runs, cache-hot; $(nproc) CPUs; library on $(df --output=source,fstype "$dir" | tail -1 | tr -s ' ')"
printf '%-9s %-6s %8s  %12s  %12s  %12s  %6s  %7s  %10s\n' "record" "op" "data" "drive" "plain file" "null FUSE" \
  "of dd" "of FUSE" "of dd+sync"
measure "256 KiB" 262144 $((big / 262144)) MB/s
measure "10 KiB" 10240 $((small / 10240)) MB/s
measure "512 B" 512 "$tiny_records" rec/s
