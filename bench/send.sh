#!/usr/bin/env bash
# What `vtape send` over ssh costs (not a test):
#
#   bench/send.sh
#
# The same incompressible file (SEND_BENCH_SIZE, default 1G) goes over ssh to
# 127.0.0.1 twice, alternately, BENCH_RUNS times each:
#   figure   vtape send - 127.0.0.1:VOL001 (records of 10 KiB onto a
#            cartridge, cataloged, synced, both sides' digests compared)
#   ceiling  cat FILE | ssh 127.0.0.1 'cat > FILE2 && sync FILE2'
# Both through one ssh script (the same key, cipher and sshd: a private
# sshd this script starts on a free port with its own keys), so only the
# protocol and the writing differ.  The time runs from the start until the
# data is on the disk.  Target (issue 18): ratio >= 0.9.
# Then both again through bench/delay_proxy.py, which holds every chunk
# SEND_BENCH_DELAY_MS (default 10) each way, as a long link would: the
# window of records in flight must keep such a link full.  Target >= 0.9.
#
# Environment:
#   VTAPE            the vtape binary (default build-bench2/tools/vtape)
#   BENCH_DIR        work directory (default: a new one under ${TMPDIR:-/tmp},
#                    removed at the end); needs about 3 x SEND_BENCH_SIZE
#   BENCH_RUNS       runs per figure (default 3)
#   BENCH_RESULTS    also add the figures to this file (bench/all.sh)
#   SEND_BENCH_SIZE  data sent (default 1G)
#   SEND_BENCH_CIPHER  ssh's -c for both (default: ssh's own choice)
#   SEND_BENCH_DELAY_MS  the proxy's delay each way (default 10; 0: no proxy run)
#   SEND_BENCH_DELAY_SIZE  data sent through the proxy (default 256M)
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/bench_lib.sh
source "$root/bench/bench_lib.sh"
vtape=${VTAPE:-$root/build-bench2/tools/vtape}
runs=${BENCH_RUNS:-3}
size_arg=${SEND_BENCH_SIZE:-1G}

bench_need_binaries "$vtape" /usr/sbin/sshd
bench_need_commands ssh ssh-keygen openssl numfmt python3
size=$(bench_size SEND_BENCH_SIZE 1M "$size_arg") || exit 2

bench_dir vtape-send-bench
lib=$dir/library
sshd_pid=
proxy_pid=
cleanup() {
  if [[ -n $proxy_pid ]]; then kill "$proxy_pid" 2> /dev/null || true; wait "$proxy_pid" 2> /dev/null || true; fi
  if [[ -n $sshd_pid ]]; then kill "$sshd_pid" 2> /dev/null || true; wait "$sshd_pid" 2> /dev/null || true; fi
  if ((own_dir)); then rm -rf "$dir"; else rm -rf "$lib" "$dir"/ssh "$dir"/input "$dir"/input-delay "$dir"/copy; fi
}
trap cleanup EXIT

# The data, read once so that both read it from the page cache.
{ openssl enc -aes-128-ctr -pass pass:vtape -nosalt -pbkdf2 < /dev/zero 2> /dev/null || true; } |
  head -c "$size" > "$dir/input"
cat "$dir/input" > /dev/null

# A private sshd on 127.0.0.1.
mkdir -p "$dir/ssh" && chmod 0700 "$dir/ssh"
for k in host_key client_key; do ssh-keygen -q -t ed25519 -N '' -f "$dir/ssh/$k"; done
cp "$dir/ssh/client_key.pub" "$dir/ssh/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/ssh/sshd_config" << CONF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/ssh/host_key
AuthorizedKeysFile $dir/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
LogLevel ERROR
CONF
mkdir -p /run/sshd
/usr/sbin/sshd -D -e -f "$dir/ssh/sshd_config" -E "$dir/ssh/sshd.log" &
sshd_pid=$!
cipher=${SEND_BENCH_CIPHER:+-c $SEND_BENCH_CIPHER}
printf '#!/bin/sh\nexec ssh -F /dev/null -p %s -i %q %s -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=%q -o StrictHostKeyChecking=accept-new -o LogLevel=ERROR "$@"\n' \
  "$port" "$dir/ssh/client_key" "$cipher" "$dir/ssh/known_hosts" > "$dir/ssh/ssh"
chmod 0700 "$dir/ssh/ssh"
for _ in $(seq 50); do "$dir/ssh/ssh" 127.0.0.1 true < /dev/null 2> /dev/null && break; sleep 0.1; done

mkdir -p "$lib" && chmod 0700 "$lib"
"$vtape" new --library "$lib" SEED01 > /dev/null

# run KIND SSH_SCRIPT INPUT -> seconds
run() {
  case $1 in
    ssh)
      rm -f "$dir/copy"; sync
      bench_seconds sh -c "cat '$3' | '$2' 127.0.0.1 \"cat > '$dir/copy' && sync '$dir/copy'\"" ;;
    vtape)
      rm -f "$lib"/cartridges/VOL001.*; sync
      bench_seconds "$vtape" send - 127.0.0.1:VOL001 --ssh-command "$2" \
        --receive-command "$vtape receive --library $lib" < "$3" ;;
  esac
}

# measure SSH_SCRIPT INPUT BYTES ID WHAT: both figures, best of $runs, and
# their bench_result.
measure() {
  local script=$1 input=$2 bytes=$3 id=$4 what=$5
  mbs() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
  echo "vtape send over ssh to 127.0.0.1$what, $(numfmt --to=iec "$bytes"), best of $runs; $(nproc) CPUs;" \
    "$(df --output=source,fstype "$dir" | tail -1 | tr -s ' ')"
  local best_ssh='' best_vt='' worst_vt='' s v
  for _ in $(seq "$runs"); do
    s=$(run ssh "$script" "$input")
    v=$(run vtape "$script" "$input")
    if [[ -z $best_ssh ]] || awk -v a="$s" -v b="$best_ssh" 'BEGIN { exit !(a < b) }'; then best_ssh=$s; fi
    if [[ -z $best_vt ]] || awk -v a="$v" -v b="$best_vt" 'BEGIN { exit !(a < b) }'; then best_vt=$v; fi
    if [[ -z $worst_vt ]] || awk -v a="$v" -v b="$worst_vt" 'BEGIN { exit !(a > b) }'; then worst_vt=$v; fi
  done
  printf '%-36s %10s %10s\n' what seconds MB/s
  printf '%-36s %10s %10s\n' "cat | ssh 'cat > FILE; sync'" "$best_ssh" "$(mbs "$best_ssh")"
  printf '%-36s %10s %10s\n' "vtape send - host:VOL001" "$best_vt" "$(mbs "$best_vt")"
  local ratio
  ratio=$(awk -v c="$best_ssh" -v s="$best_vt" 'BEGIN { printf "%.2f", c / s }')
  echo "vtape send is $ratio of cat through ssh$what"
  bench_result id="$id" figure="vtape send of standard input over ssh to a cartridge$what" \
    value="$(mbs "$best_vt")" worst="$(mbs "$worst_vt")" unit=MB/s \
    ceiling="cat FILE | ssh host 'cat > FILE', then sync$what" ceiling_value="$(mbs "$best_ssh")" \
    ratio="$ratio" min_ratio=0.9
}

measure "$dir/ssh/ssh" "$dir/input" "$size" send-ssh ""

delay=${SEND_BENCH_DELAY_MS:-10}
if [[ $delay != 0 ]]; then
  delay_size=$(bench_size SEND_BENCH_DELAY_SIZE 1M "${SEND_BENCH_DELAY_SIZE:-256M}") || exit 2
  head -c "$delay_size" "$dir/input" > "$dir/input-delay"
  proxy_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 "$root/bench/delay_proxy.py" "$proxy_port" "$port" "$delay" &
  proxy_pid=$!
  sed "s/-p $port /-p $proxy_port /" "$dir/ssh/ssh" > "$dir/ssh/ssh-delay"
  chmod 0700 "$dir/ssh/ssh-delay"
  for _ in $(seq 50); do "$dir/ssh/ssh-delay" 127.0.0.1 true < /dev/null 2> /dev/null && break; sleep 0.1; done
  measure "$dir/ssh/ssh-delay" "$dir/input-delay" "$delay_size" send-ssh-delay " through a ${delay} ms proxy"
fi

# The cartridge holds what was sent last: check it, so a fast figure is
# never one of a broken stream (vtape send compared the digests already).
"$vtape" verify "$lib/cartridges/VOL001.tap" > /dev/null
