#!/usr/bin/env bash
# Writes seed corpora for the fuzz targets: small valid images of every
# format, made with the built vtape tool (write, convert) and, for what vtape
# cannot write (TPC, SIMH gap and marker words), with printf.
#
#   make_seeds.sh OUT_DIR [VTAPE]
#
# OUT_DIR gets one directory per target: simh e11 mtd aws het tpc detect rmt
# stream control content spool_header find_pattern (detect gets every image seed;
# rmt client conversations; stream frames; control request lines; content tape files as records of
# a 2-byte little-endian length and data, made with tar, cpio and the
# compressors; spool header records; find patterns).  VTAPE defaults to $VTAPE, then build/tools/vtape.
# Nothing here is committed: the seeds are made fresh each time.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 OUT_DIR [VTAPE]" >&2
  exit 2
fi
out=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
vtape=${2:-${VTAPE:-$here/../../build/tools/vtape}}
if [[ ! -x $vtape ]]; then
  echo "$0: no vtape binary at $vtape (give it as the second argument or \$VTAPE)" >&2
  exit 2
fi
# A sanitizer build of vtape is fine for making seeds; its leak report is not
# what this script checks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}

mkdir -p "$out"/{simh,e11,mtd,aws,het,tpc,detect,rmt,stream,control,content,spool_header,find_pattern}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Deterministic sample data: text (compresses well, for HET) and a short
# odd-length line (odd records exercise the SIMH pad byte).
seq -f 'seed line %g of the vtape fuzz corpus' 1 40 > "$work/text"
printf 'odd length record data\n' > "$work/odd"
printf 'x' > "$work/one"
: > "$work/empty"

vw() { "$vtape" write "$@" --force 2> /dev/null; }

# --- SIMH, E11, MTD: the same tapes in the three framings ------------------
for fmt in simh e11 mtd; do
  ext=$fmt
  [[ $fmt == simh ]] && ext=tap
  d=$out/$fmt
  vw "$d/text7.$ext" --format "$fmt" --record-size 7 "$work/odd" "$work/odd"
  vw "$d/text512.$ext" --format "$fmt" --record-size 512 "$work/text" "$work/odd"
  vw "$d/one.$ext" --format "$fmt" --record-size 1 "$work/one"
  vw "$d/empty-file.$ext" --format "$fmt" "$work/empty" "$work/odd"
  vw "$d/mixed.$ext" --format "$fmt" --record-size 333 "$work/text"
done
# MTD is read padded or unpadded: give it the unpadded (E11) tapes too.
for f in "$out"/e11/*.e11; do cp "$f" "$out/mtd/$(basename "${f%.e11}")-unpadded.mtd"; done

# SIMH words vtape never writes (see simh_format.h): erase gap, half gaps,
# private marker, a record flagged bad (class 8), a private-data record
# (class 1, skipped), the end-of-medium marker.  All little-endian.
rec3='\x03\x00\x00\x00abc\x00\x03\x00\x00\x00'           # 3-byte record, padded
bad2='\x02\x00\x00\x80zz\x02\x00\x00\x80'                # 2-byte record, error flag
priv2='\x02\x00\x00\x10pp\x02\x00\x00\x10'               # class 1 private data
mark='\x00\x00\x00\x00'
printf "$rec3"'\xfe\xff\xff\xff'"$bad2$mark"'\xff\xff\xfe\xff\xff\xff'"$rec3$mark" > "$out/simh/gaps.tap"
printf "$priv2"'\x01\x00\x00\x70'"$rec3$mark$mark"'\xff\xff\xff\xff' > "$out/simh/markers.tap"
printf "$bad2$rec3"'\xfe\xff\xff\xff\xfe\xff\xff\xff' > "$out/simh/trailing-gaps.tap"
cp "$out/simh/gaps.tap" "$out/mtd/gaps.mtd"
printf '\x03\x00\x00\x00abc\x03\x00\x00\x00'"$bad2$mark" > "$out/e11/bad.e11"

# --- AWS and HET ------------------------------------------------------------
vw "$out/aws/text.aws" --format aws --record-size 512 "$work/text" "$work/odd"
vw "$out/aws/chunks.aws" --format aws --record-size 64 --chunk-size 5 "$work/odd"
vw "$out/aws/empty-file.aws" --format aws "$work/empty" "$work/one"
"$vtape" convert "$out/simh/text7.tap" "$out/aws/from-simh.aws" --force > /dev/null 2>&1
for c in zlib bzip2 none; do
  vw "$out/het/text-$c.het" --format het --compress "$c" --record-size 700 "$work/text" "$work/odd"
  vw "$out/het/chunks-$c.het" --format het --compress "$c" --chunk-size 9 --record-size 300 "$work/text"
done
"$vtape" convert "$out/simh/text512.tap" "$out/het/from-simh.het" --compress bzip2 --level 1 --force > /dev/null 2>&1
vw "$out/het/one.het" --format het --record-size 1 "$work/one"

# --- TPC (read only: built by hand) -----------------------------------------
# LE16 length, data padded to even length, length 0 is a filemark, a final
# 0xFFFF word is the end of medium.
printf '\x03\x00abc\x00\x04\x00defg\x00\x00\x01\x00z\x00\x00\x00' > "$out/tpc/small.tpc"
printf '\x05\x00hello\x00\x00\x00\xff\xff' > "$out/tpc/eom.tpc"
{
  for i in $(seq 1 30); do printf '\x06\x00rec%03d' "$i"; done
  printf '\x00\x00'
  for i in $(seq 1 300); do printf '\x01\x00%s\x00' "$((i % 10))"; done
  printf '\x00\x00'
} > "$out/tpc/many.tpc"   # > 256 objects: backward motion uses the index

# --- The stream protocol (fuzz_stream): a HELLO, records, a filemark, END --
# The first byte also sets the size of the pieces the fuzzer feeds.
hello='H\x00\x00\x00\x2bVTSTREAM\x00\x01''0123456789abcdef''\x00\x00\x00\x00\x28\x00\x06MIG001\x03aws'
printf "$hello"'R\x00\x00\x00\x03abcF\x00\x00\x00\x00R\x00\x00\x00\x01z' > "$out/stream/records"
printf "$hello"'E\x00\x00\x00\x1d''\x00\x00\x00\x00\x00\x00\x00\x01''\x00\x00\x00\x00\x00\x00\x00\x00''\x00\x00\x00\x00\x00\x00\x00\x03''\x00\x00\x00\x01\x00' > "$out/stream/end"
printf 'K\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x09X\x00\x00\x00\x04oops' > "$out/stream/replies"
printf 'R\xff\xff\xff\xff' > "$out/stream/huge"

# --- Detection gets everything ------------------------------------------------
for d in simh e11 mtd aws het tpc; do
  for f in "$out/$d"/*; do cp "$f" "$out/detect/$d-$(basename "$f")"; done
done

# --- rmt: what GNU tar, cpio and mt-gnu send vtape rmt (man/vtape-rmt.1) ----
printf 'O/dev/nst0\n2\nW5\nhelloW3\nabcC/dev/nst0\n' > "$out/rmt/write.txt"
printf 'OVOL001\nO_RDONLY\nR10240\nR10240\nL0\n0\nC\n' > "$out/rmt/read.txt"
printf 'I-1\n0\nOnst0\n0\nI6\n1\nI1\n2\ni2\n1\nS\ns0\nsT\nv\n' > "$out/rmt/ioctl.txt"
printf 'O../../etc/passwd\n66\nW99999999999\nR-1\nL9\nX\n' > "$out/rmt/hostile.txt"

# --- control: the request lines vtape sends the daemon (control_protocol.h) --
i=0
for line in 'status' 'status json' 'status text 1' 'load 0 SCR001' 'unload 1' 'protect SCR001 1' \
  'snapshot SCR001 SNAP01' 'remove SCR001' 'migrate SCR001 /srv/new aws switch retire new' \
  'migrate-status SCR001' 'migrate-abort SCR001' 'status json 99999999999' 'load +1 SCR001' \
  'unload 0x1' 'protect SCR001 2' 'snapshot ../../etc/x' ''; do
  i=$((i + 1))
  printf '%s\n' "$line" > "$out/control/$i"
done
printf 'status\x00json\xff\t1\r\n' > "$out/control/binary"

# --- Content (fuzz_content): tape files cut into records ----------------------
# records.py RECORD_SIZE FILE...: each FILE's bytes as records of at most
# RECORD_SIZE, each with its 2-byte little-endian length before it.
cat > "$work/records.py" << 'PY'
import sys
size = int(sys.argv[1])
out = sys.stdout.buffer
for name in sys.argv[2:]:
    data = open(name, 'rb').read()
    for at in range(0, len(data), size):
        piece = data[at:at + size]
        out.write(len(piece).to_bytes(2, 'little') + piece)
PY
records() { python3 "$work/records.py" "$@"; }
mkdir -p "$work/tree/sub"
cp "$work/text" "$work/tree/notes.txt"
cp "$work/odd" "$work/tree/sub/odd"
ln -sf notes.txt "$work/tree/link"
(cd "$work/tree" && tar -cf "$work/a.tar" --format=gnu . && tar -cf "$work/p.tar" --format=pax .)
(cd "$work/tree" && find . | cpio -o -H newc --quiet > "$work/a.newc" && find . | cpio -o -H odc --quiet > "$work/a.odc")
records 10240 "$work/a.tar" > "$out/content/gnu.tar"
records 512 "$work/p.tar" > "$out/content/pax-512.tar"
records 5120 "$work/a.newc" > "$out/content/newc.cpio"
records 5120 "$work/a.odc" > "$out/content/odc.cpio"
for z in gzip bzip2 xz zstd; do
  if command -v "$z" > /dev/null; then
    "$z" -c < "$work/a.tar" > "$work/a.tar.$z"
    records 10240 "$work/a.tar.$z" > "$out/content/tar-$z"
  fi
done
# ANSI labels (VOL1, then HDR1 and HDR2 of a file), 80 bytes each.
label() { printf '%-80.80s' "$1" > "$work/label"; records 80 "$work/label"; }
{ label 'VOL1VT0001'; } > "$out/content/vol1"
{ label 'HDR1DATAFILE         VT000100010001000100 26341 263410000000VTAPE'; label 'HDR2F0800000080'; } > "$out/content/hdr1"
# An Amanda header block (NUL-padded text) and a Bacula volume label start.
amanda='AMANDA: FILE 20261207101010 db1 /srv lev 0 comp N program GNUTAR'
{ printf '%s\n' "$amanda"; head -c $((32768 - ${#amanda} - 1)) /dev/zero; } > "$work/amanda"
records 32768 "$work/amanda" > "$out/content/amanda"
{ head -c 24 /dev/zero; printf 'Bacula 1.0 immortal\n'; head -c 200 /dev/zero; } > "$work/bacula"
records 64512 "$work/bacula" > "$out/content/bacula"

# --- Spool headers and find patterns ------------------------------------------
{ printf 'VTSPOOLH\x00\x01\x01\x00PRT PRT \x00\x00\x00\x01'; head -c 232 /dev/zero; } > "$out/spool_header/minimal"
i=0
for pattern in '*.c' 'src/*' './a/b?c' '[a-z]*run*' '/etc/passwd' 'x' '*' '**/[!a]?*.tar.gz' 'ab[c-' 'déjà*vu'; do
  printf '%s' "$pattern" > "$out/find_pattern/$i"
  i=$((i + 1))
done

count=$(find "$out" -type f | wc -l)
echo "make_seeds.sh: $count seed files in $out"
