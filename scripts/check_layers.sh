#!/bin/bash
# Checks that includes only point down the layers:
#   tapeformat/base <- tapeformat <- index <- library <- fuse, tools
# (fuse/ and tools/ never include each other), that nothing below fuse/
# includes FUSE, and that SQLite stays in index/.  Prints every offending
# line and exits 1 if there is one.  CI runs it (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# The project folders each layer may include from.
declare -A allowed=(
  [tapeformat/base]="tapeformat/base"
  [tapeformat]="tapeformat"
  [index]="tapeformat index"
  [library]="tapeformat index library"
  [fuse]="tapeformat index library fuse"
  [tools]="tapeformat index library tools"
)
# System headers each layer must not include (a regular expression):
# FUSE belongs to fuse/, SQLite to index/.
declare -A forbidden_system=(
  [tapeformat/base]='fuse|sqlite3'
  [tapeformat]='fuse|sqlite3'
  [index]='fuse'
  [library]='fuse|sqlite3'
  [fuse]='sqlite3'
  [tools]='fuse|sqlite3'
)

bad=0
layer_of() {  # the layer a source file belongs to
  case $1 in
    tapeformat/base/*) echo tapeformat/base ;;
    tapeformat/*) echo tapeformat ;;
    index/*) echo index ;;
    library/*) echo library ;;
    fuse/*) echo fuse ;;
    tools/*) echo tools ;;
  esac
}
while IFS= read -r file; do
  layer=$(layer_of "$file")
  [[ -n $layer ]] || continue
  while IFS=: read -r line text; do
    if [[ $text =~ \#include\ \"([a-z_]+)/ ]]; then
      target=${text#*\"}
      target=${target%%\"*}
      ok=0
      for dir in ${allowed[$layer]}; do
        if [[ $target == "$dir"/* ]]; then
          # tapeformat/base sits below tapeformat: base may not include the rest.
          if [[ $layer == tapeformat/base && $target != tapeformat/base/* ]]; then continue; fi
          ok=1
        fi
      done
      if ((!ok)); then
        echo "$file:$line: $layer/ includes $target (includes only point down)"
        bad=1
      fi
    elif [[ $text =~ \#include\ \<([^>]+)\> ]]; then
      header=${BASH_REMATCH[1]}
      if [[ $header =~ ^(${forbidden_system[$layer]}) ]]; then
        echo "$file:$line: $layer/ includes <$header>"
        bad=1
      fi
    fi
  done < <(grep -n '^#include' "$file")
done < <(git ls-files 'tapeformat/*' 'index/*' 'library/*' 'fuse/*' 'tools/*' | grep -E '\.(h|cc)$')

if ((bad)); then
  echo "check_layers: the include order is broken (see above)" >&2
  exit 1
fi
echo "check_layers: includes point down (tapeformat/base <- tapeformat <- index <- library <- fuse, tools)"
