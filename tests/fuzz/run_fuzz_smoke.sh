#!/usr/bin/env bash
# A short fuzzing run of every fuzz target, for CI or before a release.
#
#   run_fuzz_smoke.sh BUILD_DIR SECONDS
#
# BUILD_DIR is a build configured with -DVTAPE_FUZZ=ON (see
# tests/fuzz/CMakeLists.txt); the script brings its fuzz targets and vtape up
# to date (FUZZ_NO_BUILD=1 skips that), makes seeds with make_seeds.sh, and
# runs each target for SECONDS (-max_total_time).  It exits non-zero if any
# target found a crash, a hang, a leak or ran out of memory; the reproducers
# and logs stay in the work directory it names.
#
# Environment:
#   FUZZ_TARGETS   targets to run (default: "simh e11 mtd aws het tpc detect rmt stream control content spool_header find_pattern")
#   FUZZ_JOBS      targets run at the same time (default 1)
#   FUZZ_WORK_DIR  where corpora, logs and reproducers go (default: a new
#                  directory under /tmp); an existing corpus there is reused
#   FUZZ_TIMEOUT   seconds one input may take before it counts as a hang (30)
#   VTAPE_FUZZ_STRICT=1  also check that backward motion retraces forward
#                  motion (see fuzz_driver.cc); failures there are logic
#                  findings, not memory errors
set -uo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$(cd "$1" && pwd) || exit 2
seconds=$2
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "$0: SECONDS must be a positive whole number, not '$seconds'" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
read -r -a targets <<< "${FUZZ_TARGETS:-simh e11 mtd aws het tpc detect rmt stream control content spool_header find_pattern}"
jobs=${FUZZ_JOBS:-1}
hang_timeout=${FUZZ_TIMEOUT:-30}
work=${FUZZ_WORK_DIR:-$(mktemp -d /tmp/vtape-fuzz.XXXXXX)}
mkdir -p "$work"/{corpus,artifacts,logs,status}
rm -f "$work"/status/*

if [[ ${FUZZ_NO_BUILD:-0} != 1 ]]; then
  fuzz_bins=()
  for t in "${targets[@]}"; do fuzz_bins+=("fuzz_$t"); done
  cmake --build "$build" --target vtape "${fuzz_bins[@]}" -j "$(nproc)" > "$work/logs/build.log" 2>&1 || {
    echo "$0: the build failed; see $work/logs/build.log" >&2
    exit 2
  }
fi
for t in "${targets[@]}"; do
  if [[ ! -x $build/tests/fuzz/fuzz_$t ]]; then
    echo "$0: no fuzz target $build/tests/fuzz/fuzz_$t (configured with -DVTAPE_FUZZ=ON?)" >&2
    exit 2
  fi
done

"$here/make_seeds.sh" "$work/seeds" "$build/tools/vtape" || exit 2

# UBSan only reports by default; make it stop so libFuzzer sees a crash.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

run_target() {
  local t=$1
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  # New inputs go to the first corpus directory; the seeds are read only.
  "$build/tests/fuzz/fuzz_$t" "$work/corpus/$t" "$work/seeds/$t" \
    -max_total_time="$seconds" -timeout="$hang_timeout" -rss_limit_mb=2048 \
    -artifact_prefix="$work/artifacts/$t/" -print_final_stats=1 \
    > "$work/logs/$t.log" 2>&1
  echo $? > "$work/status/$t"
}

echo "fuzzing ${targets[*]} for ${seconds}s each, $jobs at a time; work directory $work"
running=0
for t in "${targets[@]}"; do
  if ((running >= jobs)); then
    wait -n
    running=$((running - 1))
  fi
  run_target "$t" &
  running=$((running + 1))
done
wait

failed=0
printf '%-13s %6s %10s %8s %8s  %s\n' target exit runs exec/s corpus result
for t in "${targets[@]}"; do
  rc=$(cat "$work/status/$t" 2> /dev/null || echo "?")
  log=$work/logs/$t.log
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find "$work/corpus/$t" -type f | wc -l)
  result=ok
  if [[ $rc != 0 ]]; then
    failed=1
    artifact=$(find "$work/artifacts/$t" -type f | head -1)
    reason=$(grep -m1 -E 'ERROR: |broken invariant|SUMMARY: ' "$log" || true)
    result="FAILED: ${reason:-see $log}${artifact:+ (reproducer: $artifact)}"
  fi
  printf '%-13s %6s %10s %8s %8s  %s\n' "$t" "$rc" "${runs:-?}" "${speed:-?}" "$corpus" "$result"
done
if ((failed)); then
  echo "fuzzing found problems; logs in $work/logs, reproducers in $work/artifacts" >&2
  exit 1
fi
echo "no crashes, hangs or leaks"
