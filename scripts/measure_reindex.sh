#!/bin/bash
# Full build vs re-index after a one-file change, on the seeds and on the seeds copied COPIES times.
# Usage: scripts/measure_reindex.sh [COPIES]   (run from the repository root)
set -e
COPIES=${1:-4}
REPO=$(pwd)
WORK=$(mktemp -d)
Q="python -m qabot"
report() { python3 -c "import json,sys; r=json.load(sys.stdin); print(f\"$1: {r['documents']} docs, {r['passages']} passages, {r['embedded']} embedded, {r['reused']} reused, {r['seconds']:.1f} s\")"; }
cp -r "$REPO/seeds" "$WORK/seeds"
mkdir "$WORK/big"
for i in $(seq 1 "$COPIES"); do for f in "$REPO"/seeds/*.txt; do (cat "$f"; echo "Copy $i.") > "$WORK/big/c${i}_$(basename "$f")"; done; done
for name in seeds big; do
  echo "== $name"
  $Q index --sources "$WORK/$name" --index "$WORK/idx-$name" --json --force | report "full build"
  echo "An edited closing line." >> "$(ls "$WORK/$name"/*.txt | head -1)"
  $Q index --sources "$WORK/$name" --index "$WORK/idx-$name" --json | report "one file changed"
  /usr/bin/time -f "nothing changed: %e s (wall)" $Q index --sources "$WORK/$name" --index "$WORK/idx-$name" > /dev/null
done
rm -rf "$WORK"
