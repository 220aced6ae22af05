#!/bin/bash
# Submits a sharded reproduction: N shard tasks as one job array, and the merge, which starts only when
# every task has succeeded. Usage: cluster/submit.sh N RUN_DIR [PROFILE] [SEED]
# Build first on a node that sees RUN_DIR and the repository: dotnet build lib/Raccoon.Research.Cli
set -euo pipefail
N="${1:?usage: cluster/submit.sh N RUN_DIR [PROFILE] [SEED]}"
RUN_DIR="$(mkdir -p "${2:?usage: cluster/submit.sh N RUN_DIR [PROFILE] [SEED]}" && cd "$2" && pwd)"
[[ "$N" =~ ^[1-9][0-9]*$ ]] || { echo "N must be a positive number of shards, got '$N'" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
export RUN_DIR PROFILE="${3:-${PROFILE:-standard}}" SEED="${4:-${SEED:-1}}" REPO="$(cd "$here/.." && pwd)"
array=$(sbatch --parsable --export=ALL --array="0-$((N - 1))" "$here/reproduce.sbatch")
merge=$(sbatch --parsable --export=ALL --dependency="afterok:${array%%;*}" "$here/merge.sbatch")
echo "shards: job array $array (0-$((N - 1))); merge: job $merge -> $RUN_DIR/merged"
