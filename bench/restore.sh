#!/usr/bin/env bash
# Throughput of vtape restore against cp of the same image (the ceiling),
# in one run:
#
#   bench/restore.sh
#
# Builds a cataloged cartridge (SIMH, RESTORE_BENCH_SIZE of pseudo-random
# data in 64 KiB records, imported with `vtape import` so the catalog holds
# its checksums), then, each the best of BENCH_RUNS runs, cache-hot:
#   cp           cp of the cartridge image to a new file (the ceiling)
#   to-image     vtape restore VOLSER --to-image OUT.tap (same format;
#                every record checked against the catalog, then synced)
#   to-aws       vtape restore VOLSER --to-image OUT.aws (another format)
#   to-drive     vtape restore VOLSER --to-device drives/nst1 --rewind on a
#                mounted vtapefs (the drive keeps the catalog)
#   dd-drive     dd of as many 64 KiB records of zeros to the same drive
#                (rewound first): the drive's own write figure at the
#                record size of the restore, its ceiling
#   null-fuse    dd of the image in 64 KiB writes to a FUSE file system that
#                only acknowledges them (bench/fuse_null.cc): what FUSE
#                alone costs, the ceiling of any restore to a FUSE drive;
#                to-drive is also given as a fraction of it
# cp's time includes a sync of the copy, as the restore syncs its image.
# With BENCH_RESULTS set, the figures are also added to that file for
# bench/all.sh (bench/results.py).
#
# Environment:
#   VTAPEFS, VTAPE        the binaries (default: build-bench2/ of this checkout;
#                         use a Release build)
#   BENCH_DIR             where everything goes (default: a new directory
#                         under ${TMPDIR:-/tmp})
#   RESTORE_BENCH_SIZE    data on the cartridge (default 1G)
#   BENCH_RUNS            runs per figure (default 3)
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/bench_lib.sh
source "$root/bench/bench_lib.sh"
vtapefs=${VTAPEFS:-$root/build-bench2/fuse/vtapefs}
vtape=${VTAPE:-$root/build-bench2/tools/vtape}
runs=${BENCH_RUNS:-3}
size_arg=${RESTORE_BENCH_SIZE:-1G}

bench_need_binaries "$vtapefs" "$vtape"
bench_need_commands cp dd fusermount3 g++ numfmt openssl pkg-config
size=$(bench_size RESTORE_BENCH_SIZE 64K "$size_arg") || exit 2

bench_dir vtape-restore-bench
lib=$dir/library
mnt=$dir/mnt
log=$dir/vtapefs.log
mkdir -p "$mnt"
rm -rf "$lib"

null_mnt=$dir/null-mnt
cleanup() {
  bench_stop_fuse_null "$null_mnt"
  bench_stop_vtapefs "$mnt"
  if ((own_dir)); then rm -rf "$dir"; else rm -rf "$lib" "$dir"/out.* "$dir"/source.tap; fi
}
trap cleanup EXIT

export VTAPE_LIBRARY=$lib
# Pseudo-random data (incompressible, fast to make) as one tape file.
# (openssl ends with SIGPIPE when head has enough: not a failure.)
{ openssl enc -aes-128-ctr -pass pass:vtape -nosalt -pbkdf2 < /dev/zero 2> /dev/null || true; } | head -c "$size" |
  "$vtape" write "$dir/source.tap" --record-size 65536 - > /dev/null
"$vtape" import "$dir/source.tap" --volser SRC001 > /dev/null
image=$lib/cartridges/SRC001.tap
"$vtape" new DST001 --capacity $((size + size / 8 + (64 << 20))) > /dev/null
"$vtape" load 1 DST001 > /dev/null
bench_start_vtapefs "$vtapefs" "$lib" "$mnt" "$log" drives/nst1
drive=$mnt/drives/nst1
rewinding_drive=$mnt/drives/st1  # opening and closing it rewinds the tape
bench_start_fuse_null "$root" "$dir" "$null_mnt"
cat "$image" > /dev/null  # cache-hot from the start

run_kind() {
  case $1 in
    cp) rm -f "$dir/out.cp"; sync; bench_seconds sh -c "cp '$image' '$dir/out.cp' && sync '$dir/out.cp'" ;;
    to-image) rm -f "$dir/out.tap"; sync; bench_seconds "$vtape" restore SRC001 --to-image "$dir/out.tap" ;;
    to-aws) rm -f "$dir/out.aws"; sync; bench_seconds "$vtape" restore SRC001 --to-image "$dir/out.aws" ;;
    to-drive) sync; bench_seconds "$vtape" restore SRC001 --to-device "$drive" --rewind ;;
    dd-drive) : < "$rewinding_drive"; sync; bench_seconds dd if=/dev/zero of="$drive" bs=64k count=$((bytes / 65536)) status=none ;;
    null-fuse) bench_seconds dd if="$image" of="$null_sink" bs=64k status=none ;;
  esac
}

# best KIND -> "BEST_SECONDS WORST_SECONDS" of $runs runs
best() {
  local b='' w='' s
  for _ in $(seq "$runs"); do
    s=$(run_kind "$1")
    if [[ -z $b ]] || awk -v a="$s" -v b="$b" 'BEGIN { exit !(a < b) }'; then b=$s; fi
    if [[ -z $w ]] || awk -v a="$s" -v b="$w" 'BEGIN { exit !(a > b) }'; then w=$s; fi
  done
  echo "$b $w"
}

mbs() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
# against CEILING_SECONDS SECONDS -> the ratio (ceiling time / time)
against() { awk -v c="$1" -v s="$2" 'BEGIN { printf "%.2f", c / s }'; }

bytes=$(stat -c %s "$image")
echo "vtape restore throughput, $(numfmt --to=iec "$bytes") image of 64 KiB records, best of $runs, cache-hot;" \
  "$(nproc) CPUs; $(df --output=source,fstype "$dir" | tail -1 | tr -s ' ')"
printf '%-10s %10s %10s  %6s\n' "what" "seconds" "MB/s" "of cp"
declare -A took worst
for kind in cp to-image to-aws dd-drive to-drive null-fuse; do
  read -r took[$kind] worst[$kind] <<< "$(best "$kind")"
  printf '%-10s %10s %10s  %6s\n' "$kind" "${took[$kind]}" "$(mbs "${took[$kind]}")" "$(against "${took[cp]}" "${took[$kind]}")"
done
echo "to-drive is $(against "${took[dd-drive]}" "${took[to-drive]}") of dd-drive and" \
  "$(against "${took[null-fuse]}" "${took[to-drive]}") of null-fuse"
bench_result id=restore-to-image figure="vtape restore to an image (64 KiB records, checked, synced)" \
  value="$(mbs "${took[to-image]}")" worst="$(mbs "${worst[to-image]}")" unit=MB/s \
  ceiling="cp of the image, then sync" ceiling_value="$(mbs "${took[cp]}")" \
  ratio="$(against "${took[cp]}" "${took[to-image]}")" min_ratio=0.9
bench_result id=restore-to-drive figure="vtape restore to a drive (64 KiB records)" \
  value="$(mbs "${took[to-drive]}")" worst="$(mbs "${worst[to-drive]}")" unit=MB/s \
  ceiling="dd of 64 KiB records to the same drive" ceiling_value="$(mbs "${took[dd-drive]}")" \
  ratio="$(against "${took[dd-drive]}" "${took[to-drive]}")" min_ratio=0.8
