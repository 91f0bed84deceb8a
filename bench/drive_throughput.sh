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
# The ceilings, measured in the same run:
#   - for writes of 256 KiB records, the disk: the faster of dd oflag=direct
#     and dd conv=fsync (1 MiB blocks) to a plain file next to the library,
#     since a drive write is timed until the drive is free again, i.e. until
#     the daemon has written the filemark and synced the image;
#   - for smaller writes and for reads, the fastest any FUSE file system can
#     be here: bench/fuse_null.cc (built with g++ into the bench directory,
#     mounted beside vtapefs), which acknowledges every write without
#     touching the data and reads zeros.
# Each figure is the best of BENCH_RUNS (default 3) runs, cache-hot: the data
# comes from /dev/zero and goes to /dev/null, and nothing is dropped from the
# page cache.  With BENCH_RESULTS set, the figures are also added to that
# file for bench/all.sh (bench/results.py).
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
#   DRIVE_BENCH_ONLY      only these record sizes (words of: 256k 10k 512)
#   VTAPEFS_ARGS          extra words for the daemon (--write-through,
#                         --digest sha256); DRIVE_BENCH_ID names them in the
#                         figures' ids and names ("write-through")
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
big=$(bench_size DRIVE_BENCH_BIG 256K "$big_arg") || exit 2
small=$(bench_size DRIVE_BENCH_SMALL 10K "$small_arg") || exit 2

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

# now -> seconds since the epoch, to the nanosecond
now() { date +%s.%N; }

# best KIND BS COUNT -> "BYTES BEST_SECONDS WORST_SECONDS" of $runs runs
#   KIND: drive-write drive-read plain-direct plain-fsync plain-read
#         null-write null-read
# drive-write is timed from the start of dd until the drive is free again
# (the daemon has written the filemark, synced the image and rewound): what
# a backup job waits for.  The plain-file ceilings for writes are the disk:
# dd oflag=direct and dd conv=fsync, 1 MiB blocks.  Every other time is dd's.
best() {
  local kind=$1 bs=$2 count=$3 best_s='' worst_s='' bytes='' r s t0 mib
  mib=$(((bs * count + 1048575) / 1048576))
  for _ in $(seq "$runs"); do
    case $kind in
      drive-write)
        wait_drive
        sync
        t0=$(now)
        r=$(run_dd if=/dev/zero of="$drive" bs="$bs" count="$count")
        wait_drive
        r="${r%% *} $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.4f", b - a }')"
        ;;
      drive-read) wait_drive; r=$(run_dd if="$drive" of=/dev/null bs="$bs") ;;
      plain-direct) rm -f "$plain"; sync; r=$(run_dd if=/dev/zero of="$plain" bs=1M count="$mib" oflag=direct) ;;
      plain-fsync) rm -f "$plain"; sync; r=$(run_dd if=/dev/zero of="$plain" bs=1M count="$mib" conv=fsync) ;;
      plain-read) r=$(run_dd if="$plain" of=/dev/null bs="$bs") ;;
      null-write) r=$(run_dd if=/dev/zero of="$null" bs="$bs" count="$count") ;;
      null-read) r=$(run_dd if="$null" of=/dev/null bs="$bs" count="$count") ;;
    esac
    read -r bytes s <<< "$r"
    if [[ -z $best_s ]] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then best_s=$s; fi
    if [[ -z $worst_s ]] || awk -v a="$s" -v b="$worst_s" 'BEGIN { exit !(a > b) }'; then worst_s=$s; fi
  done
  echo "$bytes $best_s $worst_s"
}

# rate BYTES SECONDS UNIT [BS] -> MB/s (10^6 bytes) or records/s
rate() {
  if [[ $3 == MB/s ]]; then
    awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'
  else
    awk -v b="$1" -v s="$2" -v bs="$4" 'BEGIN { printf "%.0f", b / bs / s }'
  fi
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
larger() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b ? a : b) }'; }

# measure LABEL ID BS COUNT UNIT WRITE_TARGET READ_TARGET -> table rows (write
# and read) and the figures for bench/all.sh.  Writes are held against the
# disk at 256 KiB (the faster of dd oflag=direct and dd conv=fsync), against
# null FUSE below; reads against null FUSE.
measure() {
  local label=$1 id=$2 bs=$3 count=$4 unit=$5 write_target=$6 read_target=$7
  local dw dr pd pf pr nw nr
  dw=$(best drive-write "$bs" "$count")
  pd=$(best plain-direct "$bs" "$count")
  pf=$(best plain-fsync "$bs" "$count")
  dr=$(best drive-read "$bs" "$count")
  pr=$(best plain-read "$bs" "$count")
  nw=$(best null-write "$bs" "$count")
  nr=$(best null-read "$bs" "$count")
  local op d n v worst disk nv ceiling ceiling_v target
  disk=$(larger "$(rate ${pd% *} "$unit" "$bs")" "$(rate ${pf% *} "$unit" "$bs")")
  for op in write read; do
    if [[ $op == write ]]; then d=$dw n=$nw target=$write_target; else d=$dr n=$nr target=$read_target; fi
    # shellcheck disable=SC2086 # "BYTES BEST WORST" splits into arguments
    read -r bytes best_s worst_s <<< "$d"
    v=$(rate "$bytes" "$best_s" "$unit" "$bs")
    worst=$(rate "$bytes" "$worst_s" "$unit" "$bs")
    nv=$(rate ${n% *} "$unit" "$bs")
    if [[ $op == write && $bs -ge 262144 ]]; then
      ceiling="the disk: faster of dd oflag=direct and dd conv=fsync, 1 MiB blocks" ceiling_v=$disk
    else
      ceiling="null FUSE $op (bench/fuse_null.cc)" ceiling_v=$nv
    fi
    printf '%-9s %-6s %8s  %12s  %12s  %12s  %7s  %8s\n' "$label" "$op" "$(numfmt --to=iec "$bytes")" \
      "$v $unit" "$( [[ $op == write ]] && echo "$disk $unit" || echo "$(rate ${pr% *} "$unit" "$bs") $unit")" \
      "$nv $unit" "$(ratio "$v" "$( [[ $op == write ]] && echo "$disk" || rate ${pr% *} "$unit" "$bs")")" "$(ratio "$v" "$nv")"
    local what="drive $op, $label records"
    [[ -n ${DRIVE_BENCH_ID:-} ]] && what+=" ($DRIVE_BENCH_ID)"
    [[ $op == write ]] && what+=", until the drive is free again"
    bench_result id="drive-$op-$id${DRIVE_BENCH_ID:+-$DRIVE_BENCH_ID}" figure="$what" value="$v" unit="$unit" worst="$worst" \
      ceiling="$ceiling" ceiling_value="$ceiling_v" ratio="$(ratio "$v" "$ceiling_v")" \
      ${DRIVE_BENCH_ID:+no_}min_ratio="$target"
  done
}

echo "vtapefs drive throughput, best of $runs, cache-hot; $(nproc) CPUs; library on $(df --output=source,fstype "$dir" | tail -1 | tr -s ' ')"
echo "(drive writes timed until the drive is free again; \"disk\" is the faster of dd oflag=direct and conv=fsync)"
printf '%-9s %-6s %8s  %12s  %12s  %12s  %7s  %8s\n' "record" "op" "data" "drive" "disk/plain" "null FUSE" \
  "of disk" "of FUSE"
only=" ${DRIVE_BENCH_ONLY:-256k 10k 512} "
[[ $only == *" 256k "* ]] && measure "256 KiB" 256k 262144 $((big / 262144)) MB/s 0.9 0.8
[[ $only == *" 10k "* ]] && measure "10 KiB" 10k 10240 $((small / 10240)) MB/s 0.9 0.9
[[ $only == *" 512 "* ]] && measure "512 B" 512 512 "$tiny_records" rec/s 0.9 0.9
exit 0
