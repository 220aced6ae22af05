#!/bin/bash
# Submits a sharded reproduction: N shard tasks as one job array, and the merge, which starts only when
# every task has succeeded (afterok; a failed task cancels it at once). Logs go to RUN_DIR/logs/, the job ids
# to RUN_DIR/jobs.env (for cluster/status.sh).
# Usage: [UNITS=M] cluster/submit.sh [--wait] N RUN_DIR [PROFILE] [SEED]
#   --wait  stays until the array and the merge have left the queue (watching squeue), then exits 0 when all
#           succeeded, else 1 naming each failed task or merge, its state, exit code and log (scontrol, or
#           sacct where accounting is on)
# Build first on a node that sees RUN_DIR and the repository: dotnet build lib/Raccoon.Research.Cli
# Slurm's own variables pass through to sbatch, e.g. SBATCH_MEM_PER_NODE=2G where nodes have less than the
# scripts' 24G, SBATCH_PARTITION=gpu.
set -euo pipefail
usage="usage: cluster/submit.sh [--wait] N RUN_DIR [PROFILE] [SEED]"
wait=0
if [ "${1:-}" = --wait ]; then wait=1; shift; fi
N="${1:?$usage}"
[[ "$N" =~ ^[1-9][0-9]*$ ]] || { echo "N must be a positive number of shards, got '$N'" >&2; exit 2; }
RUN_DIR="$(mkdir -p "${2:?$usage}" && cd "$2" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
export RUN_DIR PROFILE="${3:-${PROFILE:-standard}}" SEED="${4:-${SEED:-1}}" REPO="$(cd "$here/.." && pwd)"
mkdir -p "$RUN_DIR/logs"
# UNITS=M: first a job array of M tasks training the experiments' training units (an experiment's models spread over M
# nodes, into RUN_DIR/training), on which the shard array waits (afterok).
units="" after=()
if [ -n "${UNITS:-}" ]; then
  [[ "$UNITS" =~ ^[1-9][0-9]*$ ]] || { echo "UNITS must be a positive number of unit tasks, got '$UNITS'" >&2; exit 2; }
  units=$(sbatch --parsable --export=ALL,STAGE=units --job-name=raccoon-units --array="0-$((UNITS - 1))" \
    --output="$RUN_DIR/logs/%x-%A_%a.out" "$here/reproduce.sbatch")
  units=${units%%;*}
  after=(--dependency="afterok:$units" --kill-on-invalid-dep=yes)
fi
array=$(sbatch --parsable --export=ALL,STAGE=shards "${after[@]}" --array="0-$((N - 1))" --output="$RUN_DIR/logs/%x-%A_%a.out" "$here/reproduce.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --export=ALL --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --output="$RUN_DIR/logs/%x-%j.out" "$here/merge.sbatch")
merge=${merge%%;*}
printf 'ARRAY_JOB=%s\nMERGE_JOB=%s\nSHARDS=%s\nUNITS_JOB=%s\n' "$array" "$merge" "$N" "$units" > "$RUN_DIR/jobs.env"
[ -z "$units" ] || echo "units: job array $units (0-$((UNITS - 1))) -> $RUN_DIR/training"
echo "shards: job array $array (0-$((N - 1))); merge: job $merge -> $RUN_DIR/merged; logs in $RUN_DIR/logs"
jobs="$array,$merge${units:+,$units}"
[ "$wait" = 1 ] || exit 0

# Waits while any of the jobs is in the queue (pending, running, requeued), printing each change of state.
last="" errors=0
while :; do
  if queue=$(squeue -h -j "$jobs" -o '%i %T' 2>&1); then
    errors=0
    [ -z "$queue" ] && break
    if [ "$queue" != "$last" ]; then echo "[$(date +%H:%M:%S)] $(tr '\n' ' ' <<<"$queue")" >&2; last="$queue"; fi
  else
    case "$queue" in *"Invalid job id"*) break ;; esac # every job has left the controller's memory
    errors=$((errors + 1))
    [ "$errors" -lt 30 ] || { echo "submit: squeue keeps failing: $queue" >&2; exit 1; }
  fi
  sleep "${POLL_SECONDS:-2}"
done

field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -n 1; }

# One line per job (an array gives one per task): "<id> <state> <exit code> <log>".
ended() {
  local lines
  if lines=$(scontrol -o show job "$1" 2>/dev/null) && [ -n "$lines" ]; then
    while read -r l; do
      local id; id=$(field JobId "$l")
      [ -n "$(field ArrayTaskId "$l")" ] && id="$(field ArrayJobId "$l")_$(field ArrayTaskId "$l")"
      echo "$id $(field JobState "$l") $(field ExitCode "$l") $(field StdOut "$l")"
    done <<<"$lines"
  elif lines=$(sacct -n -X -P -j "$1" -o JobID,State,ExitCode 2>/dev/null) && [ -n "$lines" ]; then
    # Accounting names no log: the --output patterns above give it.
    while IFS='|' read -r id state code; do
      if [ -n "$units" ] && [[ "$id" == "${units}_"* ]]; then log="$RUN_DIR/logs/raccoon-units-$id.out"
      elif [[ "$id" == *_* ]]; then log="$RUN_DIR/logs/raccoon-shard-$id.out"; else log="$RUN_DIR/logs/raccoon-merge-$id.out"; fi
      echo "$id ${state%% *} $code $log" # "CANCELLED by 0": the state alone
    done <<<"$lines"
  else
    echo "$1 UNKNOWN ?:? (neither scontrol nor sacct knows the job any more)"
  fi
}

failed=0
while read -r id state code log; do
  if [ "$state" = COMPLETED ]; then continue; fi
  failed=1
  if [ "$id" = "$merge" ]; then
    if [ "$state" = CANCELLED ] || [ "$state" = PENDING ]; then
      echo "submit: merge job $merge did not run ($state): a shard task failed, so its afterok dependency can never hold" >&2
    else
      echo "submit: merge job $merge $state (exit code $code); log: $log" >&2
      [ -f "$log" ] && tail -n 5 "$log" | sed 's/^/  | /' >&2
    fi
  else
    what="shard task"
    [ -n "$units" ] && [[ "$id" == "${units}_"* ]] && what="units task"
    echo "submit: $what $id $state (exit code $code); log: $log" >&2
    [ -f "$log" ] && tail -n 5 "$log" | sed 's/^/  | /' >&2
  fi
done < <([ -z "$units" ] || ended "$units"; ended "$array"; ended "$merge")
[ "$failed" = 0 ] || exit 1
echo "submit: every shard and the merge completed: $RUN_DIR/merged"
