#!/usr/bin/env bash
# What remote tape through `vtape rmt` costs (not a test):
#
#   bench/rmt.sh
#
# GNU tar writes the same tree (RMT_BENCH_SIZE, default 1G, of incompressible
# files) through the rmt protocol twice, alternately, BENCH_RUNS times each:
#   figure   tar -cf localhost:VOL001 --rmt-command='vtape rmt --library LIB'
#            (a cartridge, written with its catalog, synced at its filemark)
#   ceiling  tar -cf localhost:FILE with the system's own rmt (/usr/sbin/rmt)
#            into a plain file, then sync of that file
# Both go over the same --rsh-command script, which runs the server locally
# (what ssh would start on the remote machine, without the cipher), with
# tar's default records of 10 KiB (-b 20) and RMT_BENCH_BLOCKING (default
# 128: 64 KiB records).  The time runs from the start of tar until its data
# is on the disk.  Target (issue 17): ratio >= 0.8.
#
# Environment:
#   VTAPE              the vtape binary (default build-bench2/tools/vtape)
#   BENCH_DIR          work directory (default: a new one under ${TMPDIR:-/tmp},
#                      removed at the end); needs about 3 x RMT_BENCH_SIZE
#   BENCH_RUNS         runs per figure (default 3)
#   BENCH_RESULTS      also add the figures to this file (bench/all.sh)
#   RMT_BENCH_SIZE     data in the tree (default 1G)
#   RMT_BENCH_BLOCKING the second record size, in 512-byte blocks (default 128)
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/bench_lib.sh
source "$root/bench/bench_lib.sh"
vtape=${VTAPE:-$root/build-bench2/tools/vtape}
runs=${BENCH_RUNS:-3}
size_arg=${RMT_BENCH_SIZE:-1G}
blocking=${RMT_BENCH_BLOCKING:-128}
system_rmt=/usr/sbin/rmt

bench_need_binaries "$vtape"
bench_need_commands tar openssl numfmt "$system_rmt"
size=$(bench_size RMT_BENCH_SIZE 1M "$size_arg") || exit 2

bench_dir vtape-rmt-bench
lib=$dir/library
cleanup() {
  if ((own_dir)); then rm -rf "$dir"; else rm -rf "$lib" "$dir/tree" "$dir"/out.tar "$dir"/rsh-* "$dir/listing"; fi
}
trap cleanup EXIT

# The tree: 16 files of incompressible data, read once so that tar reads it
# from the page cache in every run.
mkdir -p "$dir/tree"
per_file=$((size / 16))
for i in $(seq 16); do
  { openssl enc -aes-128-ctr -pass pass:vtape$i -nosalt -pbkdf2 < /dev/zero 2> /dev/null || true; } |
    head -c "$per_file" > "$dir/tree/file$i"
done
cat "$dir"/tree/* > /dev/null
mkdir -p "$lib" && chmod 0700 "$lib"
"$vtape" new --library "$lib" VOL001 --capacity $((size * 2 + (256 << 20))) > /dev/null

# The rsh scripts: each starts its server for whatever the client asks.
printf '#!/bin/sh\nexec %q rmt --library %q\n' "$vtape" "$lib" > "$dir/rsh-vtape"
printf '#!/bin/sh\nexec %q\n' "$system_rmt" > "$dir/rsh-system"
chmod 0700 "$dir/rsh-vtape" "$dir/rsh-system"

# run KIND BLOCKING -> seconds
run() {
  case $1 in
    system)
      rm -f "$dir/out.tar"; sync
      bench_seconds sh -c "tar -b $2 -cf localhost:'$dir/out.tar' --rsh-command='$dir/rsh-system' -C '$dir/tree' . &&
                     sync '$dir/out.tar'" ;;
    vtape)
      sync
      bench_seconds tar -b "$2" -cf localhost:VOL001 --rsh-command="$dir/rsh-vtape" -C "$dir/tree" . ;;
  esac
}

bytes=$(du -sb "$dir/tree" | cut -f1)
mbs() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
echo "tar through rmt, $(numfmt --to=iec "$bytes") tree, best of $runs; $(nproc) CPUs;" \
  "$(df --output=source,fstype "$dir" | tail -1 | tr -s ' ')"
printf '%-8s %-30s %10s %10s\n' records what seconds MB/s
for b in 20 "$blocking"; do
  best_sys='' best_vt='' worst_vt=''
  for _ in $(seq "$runs"); do
    s=$(run system "$b")
    v=$(run vtape "$b")
    if [[ -z $best_sys ]] || awk -v a="$s" -v b="$best_sys" 'BEGIN { exit !(a < b) }'; then best_sys=$s; fi
    if [[ -z $best_vt ]] || awk -v a="$v" -v b="$best_vt" 'BEGIN { exit !(a < b) }'; then best_vt=$v; fi
    if [[ -z $worst_vt ]] || awk -v a="$v" -v b="$worst_vt" 'BEGIN { exit !(a > b) }'; then worst_vt=$v; fi
  done
  kib=$((b / 2))
  printf '%-8s %-30s %10s %10s\n' "${kib}K" "system rmt to a file, sync" "$best_sys" "$(mbs "$best_sys")"
  printf '%-8s %-30s %10s %10s\n' "${kib}K" "vtape rmt to a cartridge" "$best_vt" "$(mbs "$best_vt")"
  ratio=$(awk -v c="$best_sys" -v s="$best_vt" 'BEGIN { printf "%.2f", c / s }')
  echo "${kib} KiB records: vtape rmt is $ratio of the system's rmt"
  bench_result id="rmt-tar-${kib}k" figure="tar through vtape rmt to a cartridge, ${kib} KiB records" \
    value="$(mbs "$best_vt")" worst="$(mbs "$worst_vt")" unit=MB/s \
    ceiling="tar through the system's rmt to a plain file, then sync" ceiling_value="$(mbs "$best_sys")" \
    ratio="$ratio" min_ratio=0.8
done
# The cartridge holds what tar wrote last: check it, so a fast figure is
# never one of a broken write.
"$vtape" verify "$lib/cartridges/VOL001.tap" > /dev/null
tar -b "$blocking" -tf localhost:VOL001 --rsh-command="$dir/rsh-vtape" > "$dir/listing"
grep -q 'file16$' "$dir/listing"
