#!/bin/bash
# The main job on a default library.  Until the vtapefs daemon lands (the
# drives issue), this shows the image tools on a sample tape: a tar archive
# written to a SIMH image as tape records, inspected, verified, converted to
# AWS for Hercules, and read back.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DVTAPE_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target vtape >/dev/null
VTAPE=$PWD/build/tools/vtape
LIBRARY=${VTAPE_LIBRARY:-$HOME/.local/share/vtapefs}
mkdir -p "$LIBRARY"
cd "$LIBRARY"

echo "== a tar archive of /usr/share/doc/hercules onto demo.tap (tar's 10 KiB records)"
tar -cf - -C /usr/share/doc hercules | "$VTAPE" write demo.tap --record-size 10240 --force
echo "== vtape info"
"$VTAPE" info demo.tap
echo "== vtape dump"
"$VTAPE" dump demo.tap
echo "== vtape verify"
"$VTAPE" verify demo.tap
echo "== vtape convert to AWS, and Hercules hetmap reads it"
"$VTAPE" convert demo.tap demo.aws --force
hetmap -f demo.aws | sed -n '/File #/,$p'
echo "== read back: convert to SIMH again and compare byte for byte"
"$VTAPE" convert demo.aws back.tap --force >/dev/null
cmp demo.tap back.tap && echo "demo.tap and back.tap are identical"
echo "== Hercules hetget extracts tape file 1 and tar lists it"
hetget -n demo.aws demo.tar 1 U 10240 10240 >/dev/null 2>&1
tar -tvf demo.tar | sed -n 1,5p
