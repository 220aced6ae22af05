#!/bin/bash
# Where a sharded run submitted by cluster/submit.sh stands: its jobs in the queue, and per shard the
# experiments it is to run (its shard.json) against the results it has stored so far.
# Usage: cluster/status.sh RUN_DIR
set -euo pipefail
RUN_DIR="${1:?usage: cluster/status.sh RUN_DIR}"
[ -f "$RUN_DIR/jobs.env" ] || { echo "status: no $RUN_DIR/jobs.env: was the run submitted with cluster/submit.sh?" >&2; exit 2; }
# shellcheck disable=SC1091
. "$RUN_DIR/jobs.env"
UNITS_JOB="${UNITS_JOB:-}"
echo "array job $ARRAY_JOB ($SHARDS shards), merge job $MERGE_JOB${UNITS_JOB:+, units job $UNITS_JOB}"
squeue -j "$ARRAY_JOB,$MERGE_JOB${UNITS_JOB:+,$UNITS_JOB}" -o '%.14i %.9T %.10M %R' 2>/dev/null || echo "(no job of this run is in the queue)"
for ((k = 0; k < SHARDS; k++)); do
  dir="$RUN_DIR/shard-$k"
  if [ ! -f "$dir/shard.json" ]; then echo "shard $k/$SHARDS: not started"; continue; fi
  planned=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["experiments"]))' "$dir/shard.json" 2>/dev/null || echo "?")
  stored=0 total=0 missing=()
  for e in $planned; do
    total=$((total + 1))
    if compgen -G "$dir/results/$e.*.json" >/dev/null; then stored=$((stored + 1)); else missing+=("$e"); fi
  done
  echo "shard $k/$SHARDS: $stored of $total results stored${missing:+; to come: ${missing[*]}}"
done
if [ -f "$RUN_DIR/merged/claims.json" ]; then echo "merged: $RUN_DIR/merged/claims.json"; fi
