#!/usr/bin/env bash
# vtape migrate (issue 19), in one run:
#
#   bench/migrate.sh
#
# Mounts vtapefs on a fresh library in $BENCH_DIR with a SIMH cartridge of
# MIGRATE_BENCH_SIZE (default 1G) of 256 KiB records in drive 1, then:
#   - idle migration: vtape migrate of the cartridge (nobody writing) to a
#     new directory, against cp of its image and a sync of the copy (the
#     ceiling, same file system, same run): ratio = cp time / migrate time,
#     target >= 0.8;
#   - the writer: dd of MIGRATE_BENCH_SIZE in 256 KiB records to the
#     drive alone, then again while the cartridge migrates to another
#     directory: ratio = throughput during / alone, target >= 0.7;
#   - the longest pause the writer saw (the report's longest_hold_ms, the
#     synchronous phase or the switch), target <= 50 ms.
# Each figure is the best of BENCH_RUNS (default 3) runs; with BENCH_RESULTS
# set the figures go to that file for bench/all.sh (bench/results.py).
#
# Environment:
#   VTAPEFS, VTAPE        the binaries (default: build-bench2/ of this checkout)
#   BENCH_DIR             where the library and the targets go
#   MIGRATE_BENCH_SIZE    the cartridge's data (default 1G)
#   BENCH_RUNS            runs per figure (default 3)
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/bench_lib.sh
source "$root/bench/bench_lib.sh"
vtapefs=${VTAPEFS:-$root/build-bench2/fuse/vtapefs}
vtape=${VTAPE:-$root/build-bench2/tools/vtape}
runs=${BENCH_RUNS:-3}
size_arg=${MIGRATE_BENCH_SIZE:-1G}

bench_need_binaries "$vtapefs" "$vtape"
bench_need_commands dd cp fusermount3 python3
size=$(bench_size MIGRATE_BENCH_SIZE 1M "$size_arg") || exit 2
count=$((size / 262144))

bench_dir vtapefs-bench-migrate
lib=$dir/library
mnt=$dir/mnt
log=$dir/vtapefs.log
mkdir -p "$mnt"
rm -rf "$lib"

cleanup() {
  bench_stop_vtapefs "$mnt"
  if ((own_dir)); then rm -rf "$dir"; else rm -rf "$lib" "$dir"/to-* "$dir"/cp.tap; fi
}
trap cleanup EXIT

"$vtape" new BENCH --capacity $((size * 4 + (256 << 20))) --library "$lib" > /dev/null
"$vtape" load 1 BENCH --library "$lib" > /dev/null
bench_start_vtapefs "$vtapefs" "$lib" "$mnt" "$log" drives/st1
# The rewinding drive: every write starts at BOT.
drive=$mnt/drives/st1
export VTAPE_LIBRARY=$lib

# The drive is free once the daemon has handled the release of the last close.
wait_drive() {
  for _ in $(seq 2000); do
    if (exec 3< "$drive") 2> /dev/null; then return 0; fi
    sleep 0.01
  done
  echo "$0: the drive stays busy" >&2
  exit 1
}

# write_tape -> "BYTES SECONDS" of dd writing the cartridge from BOT
write_tape() {
  wait_drive
  dd if=/dev/zero of="$drive" bs=256k count="$count" 2>&1 | awk '/ copied, / { print $1, $(NF - 3) }'
}

# The image the library uses now.
image() { python3 -c 'import json,sys; print(json.load(sys.stdin)["to"])' <<< "$1"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])" <<< "$1"; }

# migrate N -> the report (JSON); the cartridge moves to $dir/to-N
migrate() { "$vtape" migrate BENCH --to "$dir/to-$1" --json; }
n=0

min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? a : b) }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }

read -r bytes _ <<< "$(write_tape)"
wait_drive
best_m='' worst_m='' best_cp='' best_alone='' worst_alone='' best_during='' worst_during='' pause=''
for _ in $(seq "$runs"); do
  # Idle: the cartridge, then cp of its image.
  sync
  t0=$(date +%s.%N)
  n=$((n + 1))
  report=$(migrate $n)
  t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.4f", b - a }')
  [[ $(field "$report" result) == done ]] || { echo "$0: $report" >&2; exit 1; }
  best_m=$(min "${best_m:-$t}" "$t") worst_m=$(max "${worst_m:-$t}" "$t")
  src=$(image "$report")
  sync
  t=$(bench_seconds bash -c "cp '$src' '$dir/cp.tap' && sync '$dir/cp.tap'")
  rm -f "$dir/cp.tap"
  best_cp=$(min "${best_cp:-$t}" "$t")
  # The writer alone, then during a migration.
  read -r b s <<< "$(write_tape)"
  v=$(mbps "$b" "$s")
  best_alone=$(max "${best_alone:-$v}" "$v") worst_alone=$(min "${worst_alone:-$v}" "$v")
  wait_drive
  dd if=/dev/zero of="$drive" bs=256k count="$count" 2> "$dir/dd.out" &
  writer=$!
  sleep 0.2
  n=$((n + 1))
  report=$(migrate $n)
  wait "$writer"
  [[ $(field "$report" result) == done ]] || { echo "$0: $report" >&2; exit 1; }
  read -r b s <<< "$(awk '/ copied, / { print $1, $(NF - 3) }' "$dir/dd.out")"
  v=$(mbps "$b" "$s")
  best_during=$(max "${best_during:-$v}" "$v") worst_during=$(min "${worst_during:-$v}" "$v")
  p=$(field "$report" longest_hold_ms)
  pause=$(max "${pause:-$p}" "$p")
  wait_drive
done

echo "vtape migrate, best of $runs; $(nproc) CPUs; library on $(df --output=source,fstype "$dir" | tail -1 | tr -s ' ')"
printf '%-44s %10s %10s %7s\n' "figure" "value" "ceiling" "ratio"
printf '%-44s %9ss %9ss %7s\n' "idle migration of $(numfmt --to=iec "$bytes") (vs cp + sync)" "$best_m" "$best_cp" \
  "$(ratio "$best_cp" "$best_m")"
printf '%-44s %6s MB/s %5s MB/s %7s\n' "writer during a migration (vs alone)" "$best_during" "$best_alone" \
  "$(ratio "$best_during" "$best_alone")"
printf '%-44s %7s ms %10s %7s\n' "longest writer pause (worst run)" "$pause" "-" "-"
bench_result id=migrate-idle figure="idle migration of a $(numfmt --to=iec "$bytes") cartridge, against cp + sync of its image" \
  value="$best_m" unit=s worst="$worst_m" ceiling="cp + sync of the image" ceiling_value="$best_cp" \
  ratio="$(ratio "$best_cp" "$best_m")" min_ratio=0.8
bench_result id=migrate-writer figure="writer throughput during a migration, against alone (256 KiB records)" \
  value="$best_during" unit=MB/s worst="$worst_during" ceiling="the same writer alone" ceiling_value="$best_alone" \
  ratio="$(ratio "$best_during" "$best_alone")" min_ratio=0.7
bench_result id=migrate-pause figure="longest writer pause during a migration (worst of the runs)" \
  value="$pause" unit=ms max_value=50
