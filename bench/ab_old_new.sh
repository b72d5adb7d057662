#!/usr/bin/env bash
# A/B: the same benchmark from two builds, alternating in one run (the machine is shared and noisy).
# usage: bench/ab_old_new.sh OLD_CHECKOUT [ROUNDS]
#   OLD_CHECKOUT is a checkout of the older commit with bench/Recur.Bench built in Release
#   (e.g. git worktree add /tmp/old 90c1303 && dotnet build -c Release /tmp/old/bench/Recur.Bench).
# Prints, per round, the training step's tokens/s (the LSTM configs of `lstm-step`, 2 threads) and
# sampling's us/char (`sample --no-pytorch`, hidden 128 and 512) of each build, then the medians and new/old.
set -euo pipefail
old="$1"; rounds="${2:-5}"
here="$(cd "$(dirname "$0")/.." && pwd)"
new_dll="$here/bench/Recur.Bench/bin/Release/net10.0/Recur.Bench.dll"
old_dll="$old/bench/Recur.Bench/bin/Release/net10.0/Recur.Bench.dll"
[ -f "$new_dll" ] || dotnet build -c Release "$here/bench/Recur.Bench" >/dev/null
declare -A res
step() { local dll="$1"; shift; dotnet "$dll" lstm-step-one "$@" | tail -1 | sed 's/.*"tokens_per_s":\([0-9.]*\).*/\1/'; }
for r in $(seq 1 "$rounds"); do
  for side in old new; do
    dll=$([ $side = old ] && echo "$old_dll" || echo "$new_dll")
    res[$side,step128,$r]=$(step "$dll" 32 64 128 2 64 65 2)
    res[$side,step512,$r]=$(step "$dll" 32 64 512 2 64 65 2)
    s=$(dotnet "$dll" sample --no-pytorch)
    res[$side,s128,$r]=$(echo "$s" | awk -F'|' '$2+0==128 {print $3+0; exit}')
    res[$side,s512,$r]=$(echo "$s" | awk -F'|' '$2+0==512 {print $3+0; exit}')
  done
  echo "round $r: step h128 old ${res[old,step128,$r]} new ${res[new,step128,$r]} tok/s | step h512 old ${res[old,step512,$r]} new ${res[new,step512,$r]} tok/s | sample h128 old ${res[old,s128,$r]} new ${res[new,s128,$r]} us/char | sample h512 old ${res[old,s512,$r]} new ${res[new,s512,$r]} us/char"
done
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for k in step128 step512 s128 s512; do
  o=$(for r in $(seq 1 "$rounds"); do echo "${res[old,$k,$r]}"; done | median)
  n=$(for r in $(seq 1 "$rounds"); do echo "${res[new,$k,$r]}"; done | median)
  echo "$k: median old $o, new $n, new/old $(awk -v a="$n" -v b="$o" 'BEGIN {printf "%.3f", a/b}')"
done
