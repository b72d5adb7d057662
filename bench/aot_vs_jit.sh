#!/usr/bin/env bash
# JIT against NativeAOT (issue 15): the main job's model from both builds, alternating in one run (the machine is
# shared and noisy), plus file size and start-up time.
# usage: bench/aot_vs_jit.sh [ROUNDS] [ITERS] [THREADS]      (defaults 3, 300, 2)
#   builds bench/out/recur-jit (dotnet publish, framework-dependent) and bench/out/recur-native (PublishAot, needs
#   clang or gcc), then per round times `train --max-iters ITERS --eval-every 1000 --threads THREADS` with each build
#   (whole process, wall clock) and prints the medians, AOT/JIT, and the final validation losses (they must agree).
set -euo pipefail
rounds="${1:-3}"; iters="${2:-300}"; threads="${3:-2}"
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$here/bench/out"
dotnet publish "$here/src/Recur.Cli" -c Release -o "$out/recur-jit" >/dev/null
dotnet publish "$here/src/Recur.Cli" -c Release -r linux-x64 -p:PublishAot=true -o "$out/recur-native" >/dev/null
jit=("dotnet" "$out/recur-jit/Recur.Cli.dll"); aot=("$out/recur-native/recur")
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }
declare -A t loss
for r in $(seq 1 "$rounds"); do
  for side in jit aot; do
    if [ $side = jit ]; then cmd=("${jit[@]}"); else cmd=("${aot[@]}"); fi
    rm -rf "$out/run-$side"
    s=$(now)
    log=$("${cmd[@]}" train --max-iters "$iters" --eval-every 1000 --threads "$threads" --print-every 1000 --out "$out/run-$side" 2>&1)
    e=$(now)
    t[$side,$r]=$(secs "$s" "$e")
    loss[$side]=$(echo "$log" | grep -o 'val loss [0-9.]*' | tail -1)
  done
  echo "round $r: jit ${t[jit,$r]} s, aot ${t[aot,$r]} s"
done
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mj=$(for r in $(seq 1 "$rounds"); do echo "${t[jit,$r]}"; done | median)
ma=$(for r in $(seq 1 "$rounds"); do echo "${t[aot,$r]}"; done | median)
start() { local best=9; for i in 1 2 3 4 5; do s=$(now); "$@" --version >/dev/null; e=$(now); d=$(secs "$s" "$e"); best=$(awk -v a="$best" -v b="$d" 'BEGIN {print (b < a ? b : a)}'); done; echo "$best"; }
echo "| build | file | --version (best of 5) | $iters iterations (median of $rounds, $threads threads) | last validation |"
echo "|---|---:|---:|---:|---|"
echo "| JIT (framework-dependent) | $(du -sh "$out/recur-jit" | cut -f1) folder + runtime | $(start "${jit[@]}") s | $mj s | ${loss[jit]} |"
echo "| NativeAOT | $(du -h "$out/recur-native/recur" | cut -f1) | $(start "${aot[@]}") s | $ma s | ${loss[aot]} |"
echo "AOT/JIT time: $(awk -v a="$ma" -v b="$mj" 'BEGIN {printf "%.3f", a/b}')"
