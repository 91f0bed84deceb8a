#!/usr/bin/env bash
# What the catalog costs (not a test):
#
#   bench/catalog.sh [write|find|close|all] (default all)
#
# write: drive write throughput with and without catalog upkeep, in one run.
#   Two vtapefs daemons on two fresh libraries; one runs with
#   VTAPEFS_NO_CATALOG=1, under which the drives keep no catalog (the daemon
#   still opens it and reconciles at mount).  The same data goes through a
#   drive of each, alternately, and each figure is the best of BENCH_RUNS
#   (default 3) runs, every run on a fresh cartridge:
#     tar mixed  tar -b 20 of CATALOG_BENCH_SMALL_FILES (default 100000)
#                files of 4 KiB plus CATALOG_BENCH_BIG_FILES (default 10) of
#                60 MiB, about 1 GiB: many members to record, and bulk data
#     tar small  the 4 KiB files alone: member recording dominates
#     dd         1 GiB of 256 KiB records: no members, only the record
#                statistics and SHA-256 the drive keeps of every tape file
#   The time runs from the start of tar (dd) until the drive can be opened
#   again, i.e. until the daemon has handled the release: filemark, sync,
#   and with upkeep the catalog transaction of the tape file.  The catalog
#   is checked afterwards: members present with upkeep, absent without.
#   Then the same upkeep in one process without FUSE (each digest alone, the
#   whole analysis, the catalog transaction), to show where the time goes.
#   The data tree is read from the page cache (it is read once first); the
#   images go to disk (the drive syncs at the filemark), so runs vary with
#   the disk; CATALOG_BENCH_LIBRARY_DIR=/dev/shm leaves the CPU cost alone.
#
# find: `vtape find` (a whole process, best of BENCH_FIND_RUNS, default 5:
#   wall and CPU time) on a generated catalog of CATALOG_BENCH_MEMBERS
#   (default 1000000) members on 50 volumes of 20 tape files, one pattern
#   of each kind: suffixes ('*.c', '*.tar.gz'), a directory ('src/lib/*'),
#   an exact path, a bare name ('name.txt', in any directory), --volser,
#   --since, --limit, and patterns with no literal end ('main*', '*main*',
#   '*ma*n*', '*abc*': the trigram index or the scan of member_names); the
#   search alone in one process (Catalog::find_pattern), and the query
#   plans.  Prints "figure:" lines for the insert time, the catalog's bytes
#   per member and vtape find of 'main*', '*ma*n*', '*.c', 'exact.name' and
#   '*abc*'.
#
# close: close() after the last write() of a tar of
#   CATALOG_BENCH_CLOSE_MEMBERS (default 1000000) empty files through a
#   drive ("figure:" line).  The time to generate the catalog is the insert cost
#   (Catalog::replace_files).  CATALOG_BENCH_BASELINE=REV (e.g. a commit
#   before a change) also builds REV, generates a catalog with it and times
#   its vtape find in the same run, next to this build's figures, and times
#   this build's migration of REV's catalog.

# Binaries: a Release build of the committed tree (git archive HEAD) in
# CATALOG_BENCH_BUILD (default build-idxbench/ of this checkout), made when
# missing or when HEAD moved.  If fuse/vtapefs.cc there has no
# VTAPEFS_NO_CATALOG switch, the copy is patched with it (the change is
# printed); the checkout itself is never changed.  VTAPEFS and VTAPE
# override the binaries (the write benchmark checks that the switch works).
#
# Environment:
#   BENCH_DIR                  work directory (default: a new one under ${TMPDIR:-/tmp},
#                              removed at the end; a given one keeps the data tree and
#                              the generated catalogs); needs about 4 GB
#   BENCH_RUNS                 runs per figure (default 3)
#   BENCH_RESULTS              also add the figures to this file (bench/all.sh)
#   CATALOG_BENCH_SMALL_FILES  4 KiB files (default 100000)
#   CATALOG_BENCH_BIG_FILES    60 MiB files (default 10)
#   CATALOG_BENCH_DD           data for the dd run (default 1G)
#   CATALOG_BENCH_MEMBERS      members in the generated catalog (default 1000000)
#   CATALOG_BENCH_CLOSE_MEMBERS members of the tar for the close figure (default 1000000)
#   CATALOG_BENCH_BASELINE     a commit to compare find and insert with (default none)
#   BENCH_FIND_RUNS            runs per vtape find figure (default 5)
#   CATALOG_BENCH_LIBRARY_DIR  where the two libraries go (default BENCH_DIR); /dev/shm
#                              takes the disk out (images and catalog on tmpfs; each
#                              image is emptied after its run, so 2 GB are enough)
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/bench_lib.sh
source "$root/bench/bench_lib.sh"
what=${1:-all}
case $what in write | find | close | all) ;; *) echo "usage: $0 [write|find|close|all]" >&2; exit 2 ;; esac
runs=${BENCH_RUNS:-3}
small_files=${CATALOG_BENCH_SMALL_FILES:-100000}
big_files=${CATALOG_BENCH_BIG_FILES:-10}
dd_arg=${CATALOG_BENCH_DD:-1G}
members=${CATALOG_BENCH_MEMBERS:-1000000}
build=${CATALOG_BENCH_BUILD:-$root/build-idxbench}

bench_need_commands git cmake ninja g++ tar dd sqlite3 fusermount3 numfmt awk
dd_bytes=$(numfmt --from=iec "$dd_arg")

# ---- binaries ----------------------------------------------------------------

# The switch, as a patch of fuse/vtapefs.cc: three lines in VtapeFs::start()
# (today it is in library/drive_service.cc, DriveService::start()).
patch_no_catalog() {
  local f=$1/fuse/vtapefs.cc
  grep -qs VTAPEFS_NO_CATALOG "$f" "$1/library/drive_service.cc" && return 0
  grep -q '^  for (auto& d : drives_) d->set_catalog(catalog_.get());$' "$f" || {
    echo "$0: cannot patch $f: the set_catalog line moved; add VTAPEFS_NO_CATALOG by hand" >&2
    exit 1
  }
  sed -i 's|^  for (auto& d : drives_) d->set_catalog(catalog_.get());$|  // VTAPEFS_NO_CATALOG=1 (benchmarks): the drives keep no catalog.\
  const char* no_catalog = std::getenv("VTAPEFS_NO_CATALOG");\
  for (auto\& d : drives_) d->set_catalog(no_catalog != nullptr \&\& std::string(no_catalog) == "1" ? nullptr : catalog_.get());|' "$f"
  grep -q '^#include <cstdlib>$' "$f" || sed -i '0,/^#include <sstream>$/s//#include <cstdlib>\n#include <sstream>/' "$f"
  echo "patched the benchmark's copy of fuse/vtapefs.cc:"
  diff -u <(git -C "$root" show HEAD:fuse/vtapefs.cc) "$f" | sed 's/^/  /' || true
}

ensure_build() {
  local head
  head=$(git -C "$root" rev-parse HEAD)
  if [[ ! -x $build/obj/fuse/vtapefs || ! -x $build/obj/tools/vtape || $(cat "$build/commit" 2> /dev/null) != "$head" ]]; then
    echo "building $head (Release) in $build ..."
    rm -rf "$build/src"
    mkdir -p "$build/src"
    git -C "$root" archive HEAD | tar -x -C "$build/src"
    patch_no_catalog "$build/src"
    cmake -S "$build/src" -B "$build/obj" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVTAPE_TESTS=OFF > "$build/cmake.log"
    ninja -C "$build/obj" vtapefs vtape vtape_index > "$build/ninja.log" || { cat "$build/ninja.log" >&2; exit 1; }
    echo "$head" > "$build/commit"
  fi
  # The helper is built from this checkout's bench/ against that build.
  if [[ ! -x $build/catalog_bench || $root/bench/catalog_bench.cc -nt $build/catalog_bench ||
    $build/commit -nt $build/catalog_bench ]]; then
    g++ -std=c++20 -O2 -I"$build/src" "$root/bench/catalog_bench.cc" "$build/obj/index/libvtape_index.a" \
      "$build/obj/tapeformat/libvtape_tapeformat.a" "$build/obj/tapeformat/base/libvtape_base.a" \
      -lsqlite3 -lfmt -lz -lbz2 -llzma -lzstd -lcrypto -lxxhash -lpthread -o "$build/catalog_bench"
  fi
}

ensure_build
vtapefs=${VTAPEFS:-$build/obj/fuse/vtapefs}
vtape=${VTAPE:-$build/obj/tools/vtape}
helper=$build/catalog_bench

bench_dir vtape-catalog-bench

libdir=${CATALOG_BENCH_LIBRARY_DIR:-$dir}
mkdir -p "$libdir"
rm -rf "$libdir/lib-cat" "$libdir/lib-nocat" "$libdir/lib-close"

daemons=()
mounts=()
cleanup() {
  local m p
  for m in "${mounts[@]}"; do fusermount3 -u "$m" 2> /dev/null || fusermount3 -u -z "$m" 2> /dev/null || true; done
  for p in "${daemons[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2> /dev/null || break; sleep 0.05; done
    kill -0 "$p" 2> /dev/null && kill "$p"
  done
  rm -rf "$libdir/lib-cat" "$libdir/lib-nocat" "$libdir/lib-close"
  [[ $libdir != "$dir" ]] && rmdir "$libdir" 2> /dev/null
  if ((own_dir)); then rm -rf "$dir"; else rm -rf "$dir/mnt-"*; fi
}
trap cleanup EXIT

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }

# ---- write throughput ------------------------------------------------------------

# mount NAME ENV... : a library of cartridges W1..Wn (one per workload and
# run), each loaded into its own drive, mounted with the environment given.
mount_library() {
  local name=$1 lib=$libdir/lib-$1 mnt=$dir/mnt-$1 n=$2 i log
  shift 2
  mkdir -p "$mnt"
  "$vtape" new W0 --capacity 3G --library "$lib" > /dev/null
  # A new library has a scratch cartridge in drive 0.
  "$vtape" unload 0 --library "$lib" > /dev/null 2>&1 || true
  "$vtape" load 0 W0 --library "$lib" > /dev/null
  for i in $(seq 1 $((n - 1))); do
    "$vtape" new "W$i" --capacity 3G --library "$lib" > /dev/null
    "$vtape" load "$i" "W$i" --library "$lib" > /dev/null
  done
  log=$dir/vtapefs-$name.log
  env "$@" "$vtapefs" -f --drives "$n" --library "$lib" "$mnt" 2> "$log" &
  daemons+=($!)
  mounts+=("$mnt")
  for _ in $(seq 400); do
    [[ -e $mnt/drives/nst$((n - 1)) ]] && return 0
    kill -0 "${daemons[-1]}" 2> /dev/null || break
    sleep 0.05
  done
  echo "$0: vtapefs did not mount on $mnt:" >&2
  cat "$log" >&2
  exit 1
}

# wait_free DRIVE: returns once the daemon has handled the last release.
wait_free() {
  local drive=$1
  for _ in $(seq 6000); do
    if (exec 3< "$drive") 2> /dev/null; then return 0; fi
    sleep 0.01
  done
  echo "$0: $drive stays busy" >&2
  exit 1
}

# one_run KIND DRIVE -> seconds
one_run() {
  local kind=$1 drive=$2 t0 t1
  sync
  t0=$(now)
  case $kind in
    mixed) tar -b 20 -cf "$drive" -C "$dir/data" . ;;
    small) tar -b 20 -cf "$drive" -C "$dir/data" --exclude=./big . ;;
    dd) dd if=/dev/zero of="$drive" bs=256K count=$((dd_bytes / 262144)) status=none ;;
  esac
  wait_free "$drive"
  t1=$(now)
  seconds "$t0" "$t1"
}

members_of() {  # members_of LIBRARY VOLSER
  sqlite3 "$libdir/lib-$1/catalog.db" "SELECT COUNT(*) FROM members WHERE volser = '$2'"
}

# free MODE N: unloads drive N and empties its cartridge's image (untimed),
# so that the runs do not fill the disk (or memory, on tmpfs).
free_cartridge() {
  "$vtape" unload "$2" --library "$libdir/lib-$1" > /dev/null
  : > "$libdir/lib-$1/cartridges/W$2.tap"
}

bench_write() {
  echo "== drive write throughput with and without catalog upkeep =="
  echo "making the data: $small_files files of 4 KiB, $big_files of 60 MiB ..."
  rm -rf "$dir/data"
  "$helper" mktree "$dir/data" "$small_files" 4096 "$big_files" $((60 << 20))
  tar -cf - -C "$dir/data" . | wc -c > "$dir/tar_bytes"  # and into the page cache
  tar -cf - -C "$dir/data" --exclude=./big . | wc -c > "$dir/small_bytes"
  local kinds=(mixed small dd) n
  n=$((${#kinds[@]} * runs))
  mount_library cat "$n"
  mount_library nocat "$n" VTAPEFS_NO_CATALOG=1
  declare -A best
  local r k mode drive i=0 t
  for r in $(seq "$runs"); do
    for k in "${kinds[@]}"; do
      for mode in nocat cat; do
        drive=$dir/mnt-$mode/drives/nst$i
        t=$(one_run "$k" "$drive")
        best[$k-$mode]=$(min "${best[$k-$mode]:-}" "$t")
        printf '  run %d %-5s %-5s %6.2f s  (%s members cataloged)\n' "$r" "$k" "$mode" "$t" "$(members_of "$mode" "W$i")"
        free_cartridge "$mode" "$i"
      done
      i=$((i + 1))
    done
  done
  # The switch must have worked: no members without upkeep, all with it.
  if [[ $(members_of nocat W0) != 0 ]]; then
    echo "$0: $vtapefs keeps the catalog under VTAPEFS_NO_CATALOG=1; it needs the switch" >&2
    exit 1
  fi
  local expect=$((small_files + big_files + small_files / 1000 + 2))
  if (($(members_of cat W0) != expect)); then
    echo "$0: expected $expect members in the catalog, found $(members_of cat W0)" >&2
  fi
  echo
  echo "drive write, best of $runs; $(nproc) CPUs; libraries on $(df --output=source,fstype "$libdir" | tail -1 | tr -s ' ')"
  printf '%-10s %9s %10s %10s %12s %12s %9s\n' workload data "no catalog" catalog "no catalog" catalog overhead
  local bytes label
  for k in "${kinds[@]}"; do
    case $k in
      mixed) bytes=$(cat "$dir/tar_bytes") label="tar mixed" ;;
      small) bytes=$(cat "$dir/small_bytes") label="tar small" ;;
      dd) bytes=$dd_bytes label="dd 256K" ;;
    esac
    awk -v l="$label" -v b="$bytes" -v a="${best[$k-nocat]}" -v c="${best[$k-cat]}" 'BEGIN {
      printf "%-10s %8.0fM %9.2fs %9.2fs %7.0f MB/s %7.0f MB/s %8.1f%%\n", l, b / 1048576, a, c, b / a / 1e6, b / c / 1e6, (c - a) / a * 100 }'
    bench_result id="catalog-upkeep-$k" figure="catalog upkeep, $label (extra time of the drive write)" \
      value="$(awk -v a="${best[$k-nocat]}" -v c="${best[$k-cat]}" 'BEGIN { printf "%.1f", (c - a) / a * 100 }')" unit=% \
      ceiling="the same writes without the catalog" ceiling_unit=MB/s \
      ceiling_value="$(awk -v b="$bytes" -v a="${best[$k-nocat]}" 'BEGIN { printf "%.0f", b / a / 1e6 }')" \
      ratio="$(awk -v a="${best[$k-nocat]}" -v c="${best[$k-cat]}" 'BEGIN { printf "%.2f", a / c }')" max_value=5
  done
  echo
  # Where the time goes: the same work in one process, no FUSE.
  echo "upkeep of one tape file in one process (catalog_bench upkeep):"
  tar -b 20 -cf "$dir/mixed.tar" -C "$dir/data" .
  "$helper" upkeep "$dir/mixed.tar" 10240 "$dir/upkeep.db" | sed 's/^/  /'
  rm -f "$dir/mixed.tar"
  head -c "$dd_bytes" /dev/zero > "$dir/zero"
  "$helper" upkeep "$dir/zero" 262144 "$dir/upkeep.db" | sed 's/^/  /'
  rm -f "$dir/zero" "$dir/upkeep.db"*
  echo "tape-file digests over 1 GiB in memory (catalog_bench digest):"
  "$helper" digest 1024 | sed 's/^/  /'
  if command -v openssl > /dev/null; then
    # What the CPU's SHA instructions do, for comparison (OpenSSL uses them).
    printf '  for comparison, openssl sha256 (CPU %s SHA extensions): %s MB/s\n' \
      "$(grep -q -m1 -w sha_ni /proc/cpuinfo && echo with || echo without)" \
      "$(openssl speed -evp sha256 -bytes 262144 -seconds 2 2> /dev/null | awk '/^sha256/ { printf "%.0f", $2 / 1000 }')"
  fi
  echo
}

# ---- find ----------------------------------------------------------------------

# time_find VTAPE LIBRARY ARGS... -> "BEST_WALL_MS BEST_CPU_MS" of `vtape find`
# (a whole process: start, open, search, output to /dev/null), best of
# BENCH_FIND_RUNS (default 5).
time_find() {
  local bin=$1 library=$2 wall="" cpu="" t w c
  shift 2
  for _ in $(seq "${BENCH_FIND_RUNS:-5}"); do
    t=$({ TIMEFORMAT='%3R %3U %3S'; time "$bin" find --library "$library" "$@" > /dev/null 2>&1; } 2>&1)
    w=$(awk '{ printf "%.1f", $1 * 1000 }' <<< "$t")
    c=$(awk '{ printf "%.1f", ($2 + $3) * 1000 }' <<< "$t")
    wall=$(min "$wall" "$w")
    cpu=$(min "$cpu" "$c")
  done
  echo "$wall $cpu"
}

# A build of another commit for comparison (CATALOG_BENCH_BASELINE=REV):
# its vtape, and its own benchmark helper (from that commit's bench/).
ensure_baseline_build() {
  local rev=$1 out=$2 commit
  commit=$(git -C "$root" rev-parse "$rev")
  if [[ ! -x $out/obj/tools/vtape || ! -x $out/catalog_bench || $(cat "$out/commit" 2> /dev/null) != "$commit" ]]; then
    echo "building the baseline $commit (Release) in $out ..."
    rm -rf "$out/src"
    mkdir -p "$out/src"
    git -C "$root" archive "$commit" | tar -x -C "$out/src"
    cmake -S "$out/src" -B "$out/obj" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVTAPE_TESTS=OFF > "$out/cmake.log"
    ninja -C "$out/obj" vtape vtape_index > "$out/ninja.log" || { cat "$out/ninja.log" >&2; exit 1; }
    g++ -std=c++20 -O2 -I"$out/src" "$out/src/bench/catalog_bench.cc" "$out/obj/index/libvtape_index.a" \
      "$out/obj/tapeformat/libvtape_tapeformat.a" -lsqlite3 -lfmt -lz -lbz2 -o "$out/catalog_bench"
    echo "$commit" > "$out/commit"
  fi
}

# find: `vtape find` on a generated catalog of CATALOG_BENCH_MEMBERS
#   members (50 volumes of 20 tape files), one pattern of each kind users
#   type; generating it is the insert cost (Catalog::replace_files, one
#   transaction per volume).  With CATALOG_BENCH_BASELINE=REV, the same with
#   REV's build on a catalog REV's helper generates, in the same run, and
#   the migration of that catalog by this build.
bench_find() {
  echo "== find on a catalog of $members members =="
  local db=$dir/find/catalog.db base="" base_lib=$dir/find-base
  # A library directory (vtape find opens the library, which needs its
  # cartridges folder) holding the generated catalog.
  mkdir -p "$dir/find/cartridges"
  if [[ -n ${CATALOG_BENCH_BASELINE:-} ]]; then
    base=$build-baseline
    ensure_baseline_build "$CATALOG_BENCH_BASELINE" "$base"
    mkdir -p "$base_lib"
    printf 'insert, baseline %s: ' "$(cut -c1-10 "$base/commit")"
    "$base/catalog_bench" generate "$base_lib/catalog.db" "$members" 50
  fi
  printf 'insert, this build: '
  local generated
  generated=$("$helper" generate "$db" "$members" 50)
  echo "$generated"
  # The first line is the insert, the second the trigram index caught up
  # afterwards (schema 11: off the write path, done when the writer is idle).
  awk -v n="$members" 'NR == 1 { printf "figure: insert %d members: %.1f s\n", n, $(NF - 1) }
    NR == 2 { printf "figure: their names into the trigram index afterwards: %.1f s\n", $(NF - 1) }' <<< "$generated"
  bench_result id=catalog-insert figure="inserting $members members into the catalog" unit=s \
    value="$(awk 'NR == 1 { printf "%.1f", $(NF - 1) }' <<< "$generated")" max_value=10
  sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
  stat -c %s "$db" | awk -v n="$members" '{ printf "figure: catalog bytes per member: %.0f B\n", $1 / n }'
  bench_result id=catalog-bytes-per-member figure="catalog size per member" unit=B \
    value="$(stat -c %s "$db" | awk -v n="$members" '{ printf "%.0f", $1 / n }')"
  stat -c %s "$db" | awk '{ printf "catalog.db: %.0f MB", $1 / 1e6 }'
  [[ -n $base ]] && stat -c %s "$base_lib/catalog.db" | awk '{ printf " (baseline: %.0f MB)", $1 / 1e6 }'
  echo "; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  if [[ -n $base ]]; then
    # The baseline's catalog, migrated by the first open of this build.
    mkdir -p "$dir/find-migrated"
    cp "$base_lib/catalog.db" "$dir/find-migrated/catalog.db"
    local t0 t1
    t0=$(now)
    "$vtape" find --library "$dir/find-migrated" exact/path/name.txt > /dev/null
    t1=$(now)
    echo "migrating the baseline's catalog (the first vtape find on it): $(seconds "$t0" "$t1") s"
  fi
  echo
  # PATTERN|OPTIONS (OPTIONS as vtape find takes them, '-' for none).
  local queries=("*.c|-" "*.tar.gz|-" "src/lib/*|-" "exact/path/name.txt|-" "name.txt|-" "*.h|--volser V0001"
    "*.c|--since 2024-01-01" "*/lib/util.c|-" "*.c|--limit 100" "main*|-" "*main*|--limit 100"
    "*ma*n*|-" "exact.name|-" "*abc*|-")
  echo "vtape find, whole process, ms (best of ${BENCH_FIND_RUNS:-5}; wall and CPU, user + sys):"
  printf '%-22s %-20s %8s %9s %9s' pattern options matches wall cpu
  [[ -n $base ]] && printf ' %13s %13s' "baseline wall" "baseline cpu"
  printf ' %10s\n' "in-process"
  local q pattern opts shown args vol since limit matches wall cpu ip figures=()
  for q in "${queries[@]}"; do
    IFS='|' read -r pattern opts <<< "$q"
    args=()
    shown=
    [[ $opts != - ]] && read -r -a args <<< "$opts" && shown=$opts
    # (vtape find exits 1 when nothing matches, as grep does: 0 matches.)
    matches=$({ "$vtape" find --library "$dir/find" "${args[@]}" "$pattern" 2> /dev/null || true; } | wc -l)
    read -r wall cpu <<< "$(time_find "$vtape" "$dir/find" "${args[@]}" "$pattern")"
    printf '%-22s %-20s %8s %9s %9s' "$pattern" "$shown" "$matches" "$wall" "$cpu"
    if [[ -n $base ]]; then
      read -r wall cpu <<< "$(time_find "$base/obj/tools/vtape" "$base_lib" "${args[@]}" "$pattern")"
      printf ' %13s %13s' "$wall" "$cpu"
    fi
    # Catalog::find_pattern alone, in one process (best of 5).
    vol=- since=- limit=0
    [[ $opts == --volser* ]] && vol=${opts#--volser }
    [[ $opts == --since* ]] && since=$(date -u -d "${opts#--since }" +%s)
    [[ $opts == --limit* ]] && limit=$((${opts#--limit } + 1))
    ip=$("$helper" search "$db" "$pattern" "$vol" "$limit" 5 "$since" | cut -d' ' -f2)
    printf ' %10s\n' "$ip"
    case "$pattern|$opts" in
      "main*|-" | "*ma*n*|-" | "*.c|-" | "exact.name|-" | "*abc*|-")
        figures+=("figure: vtape find '$pattern' on $members members: $wall ms ($matches matches)")
        bench_result id="find-$pattern" figure="vtape find '$pattern' on $members members ($matches matches)" \
          unit=ms value="$wall" max_value=100 ;;
    esac
  done
  printf '%s\n' "${figures[@]}"
  echo
  echo "query plans:"
  for q in "${queries[@]}"; do
    IFS='|' read -r pattern opts <<< "$q"
    vol=- limit=0
    [[ $opts == --volser* ]] && vol=${opts#--volser }
    [[ $opts == --limit* ]] && limit=$((${opts#--limit } + 1))
    [[ $opts == - ]] && opts=
    echo " '$pattern' $opts"
    "$helper" plan "$db" "$pattern" "$vol" "$limit"
  done
  echo
}

# close: how long close() takes after the last write() of a tar of
#   CATALOG_BENCH_CLOSE_MEMBERS (default 1000000) empty files through a
#   drive (the filemark, and the catalog's commit of the tape file: its
#   members stream into the catalog while tar writes, so only the last
#   batch is left), and the members the catalog then holds.
bench_close() {
  local n=${CATALOG_BENCH_CLOSE_MEMBERS:-1000000} out records ms
  echo "== close() after a tar of $n members =="
  if [[ ! -d $dir/close-tree ]]; then
    echo "making $n empty files ..."
    "$helper" mktree "$dir/close-tree" "$n" 0 0 0
  fi
  mount_library close 1
  out=$(tar -b 20 -cf - -C "$dir/close-tree" . | "$helper" closedelay "$dir/mnt-close/drives/nst0" 10240)
  read -r records ms <<< "$out"
  wait_free "$dir/mnt-close/drives/nst0"
  echo "$records records of 10240 bytes; catalog: $(members_of close W0) members"
  echo "figure: close() after the last write of a tar of $n members: $ms ms"
  bench_result id=close-after-tar figure="close() after the last write of a tar of $n members" unit=ms \
    value="$ms" max_value=1000
  echo
}

case $what in
  write) bench_write ;;
  find) bench_find ;;
  close) bench_close ;;
  all) bench_write; bench_find; bench_close ;;
esac
