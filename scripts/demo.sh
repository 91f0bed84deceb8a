#!/bin/bash
# The main job on a default library: mount vtapefs, write a tar archive to
# drive 0, read it back and compare, show the catalog, unmount.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DVTAPE_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target vtape vtapefs >/dev/null
export PATH=$PWD/build/tools:$PWD/build/fuse:$PATH
export VTAPE_LIBRARY=${VTAPE_LIBRARY:-$HOME/.local/share/vtapefs}

MNT=$(mktemp -d /tmp/vtapefs-demo.XXXXXX)
WORK=$(mktemp -d /tmp/vtapefs-demo-work.XXXXXX)
cleanup() {
  fusermount3 -u "$MNT" 2>/dev/null || true
  rmdir "$MNT" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== mount vtapefs (library $VTAPE_LIBRARY) on $MNT"
vtapefs "$MNT"
ls "$MNT/drives" "$MNT/library"
TAPE=$MNT/drives/nst0
mt -f "$TAPE" rewind
echo "== tar writes /usr/share/doc/hercules to drive 0"
tar -cf "$TAPE" -C /usr/share/doc hercules
mt -f "$TAPE" status
echo "== rewind, read it back and compare with the originals"
mt -f "$TAPE" rewind
tar -xf "$TAPE" -C "$WORK"
diff -r /usr/share/doc/hercules "$WORK/hercules" && echo "read back: identical"
echo "== drive status"
vtape status 0
echo "== the catalog: volumes, the files on SCR001, a search"
vtape ls
vtape ls SCR001
vtape find 'hercinst*'
echo "== the archive's members in the mount, read straight from the image"
ls "$MNT/saved/SCR001/0000/members/hercules" | sed -n 1,5p
cmp "$MNT/saved/SCR001/0000/members/hercules/hercinst.html" /usr/share/doc/hercules/hercinst.html && echo "saved member identical"
vtape verify "$MNT/library/SCR001.tap"
echo "== restore: one member back from the catalog, checked against its checksums"
vtape restore 'SCR001/0:hercules/hercinst.html' --to-dir "$WORK/restored"
cmp "$WORK/restored/hercules/hercinst.html" /usr/share/doc/hercules/hercinst.html && echo "restored member identical"
echo "== unmount"
fusermount3 -u "$MNT"
