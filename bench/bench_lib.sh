# shellcheck shell=bash disable=SC2034 # sets variables for the script that sources it
# What the bench scripts share (sourced, not run): the working directory,
# and starting and stopping a vtapefs daemon on a library.
#
#   bench_need_binaries FILE...
#                         exits 2 unless each FILE is executable
#   bench_need_commands CMD...
#                         exits 2 unless each CMD is on PATH
#   bench_dir PREFIX      sets dir (BENCH_DIR, else a new directory under
#                         ${TMPDIR:-/tmp}) and own_dir (1: remove it at the end)
#   bench_start_vtapefs VTAPEFS LIB MNT LOG NODE
#                         starts the daemon in the background (sets daemon),
#                         with the words of $VTAPEFS_ARGS (e.g.
#                         --write-through), and waits until MNT/NODE exists
#   bench_stop_vtapefs MNT
#                         unmounts and waits for the daemon to end
#   bench_start_fuse_null ROOT DIR MNT
#                         builds bench/fuse_null.cc into DIR and mounts it on
#                         MNT (sets null_sink: the file that takes writes)
#   bench_stop_fuse_null MNT

bench_need_binaries() {
  local b
  for b in "$@"; do
    if [[ ! -x $b ]]; then
      echo "$0: no binary at $b (set VTAPEFS and VTAPE)" >&2
      exit 2
    fi
  done
}

bench_need_commands() {
  local cmd
  for cmd in "$@"; do
    command -v "$cmd" > /dev/null || { echo "$0: $cmd is needed" >&2; exit 2; }
  done
}

# bench_size VARIABLE MINIMUM: the size in VARIABLE's value (K, M, G: 1024
# based) in bytes on stdout, or a message naming VARIABLE and exit 2 when
# it is not a size of at least MINIMUM (e.g. 64K).  Use as
# size=$(bench_size RESTORE_BENCH_SIZE 64K "$size_arg") || exit 2.
bench_size() {
  local name=$1 minimum=$2 text=$3 bytes
  if ! bytes=$(numfmt --from=iec "$text" 2> /dev/null) || ((bytes < $(numfmt --from=iec "$minimum"))); then
    echo "$0: $name must be at least $minimum, not '$text'" >&2
    exit 2
  fi
  echo "$bytes"
}

# bench_seconds COMMAND...: the wall time of COMMAND (its output dropped), in
# seconds with four decimals; fails, saying so, when COMMAND fails (the time
# of a failed run is no figure).
bench_seconds() {
  local start end
  start=$(date +%s.%N)
  if ! "$@" > /dev/null; then
    echo "bench: failed: $*" >&2
    return 1
  fi
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }'
}

bench_dir() {
  if [[ -n ${BENCH_DIR:-} ]]; then
    dir=$BENCH_DIR
    mkdir -p "$dir"
    own_dir=0
  else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    own_dir=1
  fi
}

daemon=
bench_start_vtapefs() {
  local vtapefs=$1 lib=$2 mnt=$3 log=$4 node=$5
  # shellcheck disable=SC2086 # VTAPEFS_ARGS: extra words for the daemon
  "$vtapefs" -f --library "$lib" ${VTAPEFS_ARGS:-} "$mnt" 2> "$log" &
  daemon=$!
  for _ in $(seq 200); do
    [[ -e $mnt/$node ]] && return 0
    kill -0 "$daemon" 2> /dev/null || { echo "$0: vtapefs did not start:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.05
  done
  echo "$0: vtapefs did not mount on $mnt" >&2
  exit 1
}

bench_stop_vtapefs() {
  local mnt=$1
  [[ -n $daemon ]] || return 0
  fusermount3 -u "$mnt" 2> /dev/null || fusermount3 -u -z "$mnt" 2> /dev/null || true
  for _ in $(seq 100); do kill -0 "$daemon" 2> /dev/null || break; sleep 0.05; done
  kill -0 "$daemon" 2> /dev/null && kill "$daemon"
  daemon=
}

# The null FUSE file system (bench/fuse_null.cc): what FUSE itself costs,
# the ceiling of any FUSE daemon on this machine.
null_sink=
bench_start_fuse_null() {
  local root=$1 dir=$2 mnt=$3
  mkdir -p "$mnt"
  # shellcheck disable=SC2046 # pkg-config prints several words
  g++ -O2 -std=c++20 "$root/bench/fuse_null.cc" $(pkg-config --cflags --libs fuse3) -o "$dir/fuse_null"
  "$dir/fuse_null" "$mnt"
  null_sink=$mnt/sink
}

bench_stop_fuse_null() {
  fusermount3 -u "$1" 2> /dev/null || true
}

# bench_result KEY=VALUE...
#                       one figure for bench/all.sh, added to the file named by
#                       $BENCH_RESULTS (nothing when it is unset); the keys are
#                       those of bench/results.py (id, figure, value, unit,
#                       worst, ceiling, ceiling_value, ratio, and the target:
#                       min_ratio or max_value)
bench_result() {
  [[ -n ${BENCH_RESULTS:-} ]] || return 0
  python3 "$(dirname "${BASH_SOURCE[0]}")/results.py" add "$BENCH_RESULTS" "$@"
}
