#!/usr/bin/env bash
# The daemon's resident memory while a long stream goes through one drive
# (not a test):
#
#   bench/drive_memory.sh
#
# Mounts vtapefs on a fresh library in $BENCH_DIR, writes
# DRIVE_MEMORY_BENCH_SIZE (default 10G) of 256 KiB records with dd through
# drives/nst1 (one tape file, catalog on), and samples the daemon's resident
# set (VmRSS in /proc/PID/status) every 0.2 s while it does.  It prints the
# resident set once the first 1 GiB has gone through, its largest sample,
# and the daemon's high-water mark (VmHWM).  "Flat" means the largest sample
# is no more than 8 MiB above the one at 1 GiB: memory does not grow with the
# stream.  With BENCH_RESULTS set, the figure is also added to that file for
# bench/all.sh (bench/results.py).
#
# Environment:
#   VTAPEFS, VTAPE            the binaries (default: build-bench2/ of this checkout;
#                             use a Release build)
#   BENCH_DIR                 where the library and mount point go (default: a
#                             new directory under ${TMPDIR:-/tmp}); needs the
#                             stream's size in free space
#   DRIVE_MEMORY_BENCH_SIZE   data streamed (default 10G)
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/bench_lib.sh
source "$root/bench/bench_lib.sh"
vtapefs=${VTAPEFS:-$root/build-bench2/fuse/vtapefs}
vtape=${VTAPE:-$root/build-bench2/tools/vtape}
size_arg=${DRIVE_MEMORY_BENCH_SIZE:-10G}

bench_need_binaries "$vtapefs" "$vtape"
bench_need_commands dd fusermount3 numfmt
size=$(bench_size DRIVE_MEMORY_BENCH_SIZE 2G "$size_arg") || exit 2

bench_dir vtapefs-memory-bench
lib=$dir/library
mnt=$dir/mnt
log=$dir/vtapefs.log
mkdir -p "$mnt"
rm -rf "$lib"
cleanup() {
  bench_stop_vtapefs "$mnt"
  if ((own_dir)); then rm -rf "$dir"; else rm -rf "$lib"; fi
}
trap cleanup EXIT

"$vtape" new MEM001 --capacity $((size + size / 8 + (64 << 20))) --library "$lib" > /dev/null
"$vtape" load 1 MEM001 --library "$lib" > /dev/null
bench_start_vtapefs "$vtapefs" "$lib" "$mnt" "$log" drives/nst1

# kib FIELD -> that field of the daemon's /proc status, in KiB
kib() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$daemon/status"; }

dd if=/dev/zero of="$mnt/drives/nst1" bs=256k count=$((size / 262144)) status=none &
writer=$!
at_1g='' peak=0
while kill -0 "$writer" 2> /dev/null; do
  rss=$(kib VmRSS)
  ((rss > peak)) && peak=$rss
  if [[ -z $at_1g ]] && (($(stat -c %s "$lib/cartridges/MEM001.tap") >= 1073741824)); then at_1g=$rss; fi
  sleep 0.2
done
wait "$writer"
hwm=$(kib VmHWM)
((hwm > peak)) || hwm=$peak  # (the samples and the mark are counted a little differently)
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
echo "vtapefs resident memory, $(numfmt --to=iec "$size") of 256 KiB records through one drive:"
echo "  at 1 GiB: $(mib "${at_1g:-0}") MiB; largest sample: $(mib "$peak") MiB; high-water mark: $(mib "$hwm") MiB"
flat=yes
((peak > ${at_1g:-0} + 8192)) && flat=no
echo "  flat (largest sample within 8 MiB of the one at 1 GiB): $flat"
bench_result id=daemon-memory figure="daemon resident memory, $(numfmt --to=iec "$size") through one drive (flat: $flat)" \
  value="$(mib "$hwm")" unit=MiB ceiling="its resident set at 1 GiB" \
  ceiling_value="$(mib "${at_1g:-0}")" max_value=64
