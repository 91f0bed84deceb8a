# shellcheck shell=bash disable=SC2034 # sets variables for the script that sources it
# What the bench scripts share (sourced, not run): the working directory,
# and starting and stopping a vtapefs daemon on a library.
#
#   bench_dir PREFIX      sets dir (BENCH_DIR, else a new directory under
#                         ${TMPDIR:-/tmp}) and own_dir (1: remove it at the end)
#   bench_start_vtapefs VTAPEFS LIB MNT LOG NODE
#                         starts the daemon in the background (sets daemon)
#                         and waits until MNT/NODE exists
#   bench_stop_vtapefs MNT
#                         unmounts and waits for the daemon to end

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
  "$vtapefs" -f --library "$lib" "$mnt" 2> "$log" &
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
