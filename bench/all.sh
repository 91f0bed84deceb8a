#!/usr/bin/env bash
# Every benchmark in one run, and one table of the results (not a test):
#
#   bench/all.sh
#
# Builds a Release vtapefs and vtape from this checkout (build-bench2/,
# unless VTAPEFS and VTAPE name binaries), runs each bench script with the
# sizes below (about 15 minutes on a 2-CPU machine), and writes
#   bench/results.json   every figure: best and worst run, its ceiling
#                        measured in the same run, the ratio, the target and
#                        whether it is met (bench/results.py says the keys)
#   bench/results.md     the same as a table, with the date, the commit and
#                        the machine; the README's Performance section
#                        quotes it
# Each script's own report (more detail: every ceiling, every run) goes to
# bench/results.log.  Run it on an otherwise idle machine: every figure is a
# ratio to a ceiling measured in the same run, but two CPUs shared with a
# build give meaningless ceilings.
#
# Environment:
#   VTAPEFS, VTAPE   binaries to measure (default: a Release build of this
#                    checkout in build-bench2/)
#   BENCH_DIR        where the scripts work (default: a new directory under
#                    ${TMPDIR:-/tmp}); needs about 14 GB free
#   BENCH_RUNS       runs per figure (default 3)
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/bench_lib.sh
source "$root/bench/bench_lib.sh"
bench_need_commands cmake python3

if [[ -z ${VTAPEFS:-} || -z ${VTAPE:-} ]]; then
  echo "building Release binaries in $root/build-bench2" >&2
  cmake -S "$root" -B "$root/build-bench2" -DCMAKE_BUILD_TYPE=Release -DVTAPE_TESTS=OFF > /dev/null
  cmake --build "$root/build-bench2" -j"$(nproc)" --target vtape vtapefs > /dev/null
  export VTAPEFS=$root/build-bench2/fuse/vtapefs VTAPE=$root/build-bench2/tools/vtape
fi
export BENCH_RUNS=${BENCH_RUNS:-3}

bench_dir vtape-bench-all
work=$dir
results=$work/figures.jsonl
log=$root/bench/results.log
: > "$results"
: > "$log"
export BENCH_RESULTS=$results
cleanup() { if ((own_dir)); then rm -rf "$work"; fi; }
trap cleanup EXIT

started=$(date +%s)
failed=()
# run NAME ENV=VALUE... SCRIPT [ARGS]: one bench script in its own directory,
# its report appended to the log and echoed, its time said
run() {
  local name=$1
  shift
  local t0=$SECONDS
  echo "== $name" | tee -a "$log" >&2
  mkdir -p "$work/$name"
  # A script that fails loses its own figures only: the others still make
  # the table, which names what failed, and all.sh then exits 1.
  if ! env BENCH_DIR="$work/$name" "$@" 2>&1 | tee -a "$log" >&2; then
    echo "$0: $name failed (see $log)" | tee -a "$log" >&2
    failed+=("$name")
  fi
  echo "   ($((SECONDS - t0)) s)" | tee -a "$log" >&2
  rm -rf "${work:?}/$name"
}

run drives DRIVE_BENCH_BIG=1G DRIVE_BENCH_SMALL=512M DRIVE_BENCH_RECORDS=200000 bash "$root/bench/drive_throughput.sh"
# The other modes, reported without a target: write-through, SHA-256 digests.
run drives-write-through DRIVE_BENCH_BIG=1G DRIVE_BENCH_ONLY="256k 10k" DRIVE_BENCH_SMALL=256M \
  VTAPEFS_ARGS=--write-through DRIVE_BENCH_ID=write-through bash "$root/bench/drive_throughput.sh"
run drives-sha256 DRIVE_BENCH_BIG=1G DRIVE_BENCH_ONLY=256k VTAPEFS_ARGS="--digest sha256" DRIVE_BENCH_ID=sha256 \
  bash "$root/bench/drive_throughput.sh"
run restore RESTORE_BENCH_SIZE=1G bash "$root/bench/restore.sh"
run verify VTAPE_BENCH_SIZE=1G bash "$root/bench/image_tools.sh"
run memory DRIVE_MEMORY_BENCH_SIZE=10G bash "$root/bench/drive_memory.sh"
# (catalog.sh builds its own Release copy of the committed tree once, for its
# in-process helper; the daemons measured are VTAPEFS and VTAPE.)
run catalog-write CATALOG_BENCH_SMALL_FILES=50000 CATALOG_BENCH_BIG_FILES=5 CATALOG_BENCH_DD=512M \
  bash "$root/bench/catalog.sh" write
run catalog-find CATALOG_BENCH_MEMBERS=1000000 bash "$root/bench/catalog.sh" find
run catalog-close CATALOG_BENCH_CLOSE_MEMBERS=1000000 bash "$root/bench/catalog.sh" close
run rmt RMT_BENCH_SIZE=1G bash "$root/bench/rmt.sh"
run send SEND_BENCH_SIZE=1G SEND_BENCH_DELAY_SIZE=256M bash "$root/bench/send.sh"
run migrate MIGRATE_BENCH_SIZE=1G bash "$root/bench/migrate.sh"

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
memory=$(free -g | awk '/^Mem:/ { print $2 " GiB" }')
filesystem=$(df --output=source,fstype "$work" | tail -1 | tr -s ' ')
commit=$(git -C "$root" rev-parse --short HEAD 2> /dev/null || echo unknown)
# (the results files themselves are rewritten by this run: they do not count)
dirty=$(git -C "$root" status --porcelain --untracked-files=no -- . ':!bench/results.*' 2> /dev/null | grep -q . &&
  echo " (with uncommitted changes)" || true)
missing=()
if ((${#failed[@]})); then missing=(--header "FAILED, their figures are missing: ${failed[*]} (see bench/results.log)"); fi
python3 "$root/bench/results.py" report "$results" "$root/bench/results.json" "$root/bench/results.md" \
  --header "vtapefs benchmarks, $(date -u +%Y-%m-%d), commit $commit$dirty, bench/all.sh in $(($(date +%s) - started)) s" \
  --header "machine: $(nproc) CPUs ($cpu), $memory memory, $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), files on $filesystem" \
  --header "each figure: best and worst of $BENCH_RUNS runs; the ceiling is measured in the same run; ratio = figure / ceiling" \
  "${missing[@]}"
cat "$root/bench/results.md"
((${#failed[@]} == 0))
