#!/usr/bin/env bash
# A/B of the whole training loop: `recur train` (the character LSTM on tiny-shakespeare: the task layer, the trainer,
# checkpoints and all) and the model's own step and sampling, old build against new, alternating in one run (the
# machine is shared and noisy), one thread each. Prints every round, then the median of the per-round new/old ratios.
# usage: bench/ab_train_loop.sh OLD_CHECKOUT [ROUNDS] [ITERS]
#   OLD_CHECKOUT: a checkout of the older commit with src/Recur.Cli and bench/Recur.Bench built in Release.
set -euo pipefail
old="$1"; rounds="${2:-7}"; iters="${3:-200}"
here="$(cd "$(dirname "$0")/.." && pwd)"
for side in "$here" "$old"; do
  [ -f "$side/src/Recur.Cli/bin/Release/net10.0/Recur.Cli.dll" ] || dotnet build -c Release "$side/src/Recur.Cli" >/dev/null
  [ -f "$side/bench/Recur.Bench/bin/Release/net10.0/Recur.Bench.dll" ] || dotnet build -c Release "$side/bench/Recur.Bench" >/dev/null
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Seconds of `recur train --max-iters ITERS` (evaluation and checkpoints at the end only), wall clock.
train() {
  local t0 t1; t0=$(date +%s.%N)
  dotnet "$1/src/Recur.Cli/bin/Release/net10.0/Recur.Cli.dll" train --max-iters "$iters" --eval-every "$iters" --threads 1 \
    --sample-length 0 --out "$tmp/run-$RANDOM" >/dev/null
  t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}'
}
step() { dotnet "$1/bench/Recur.Bench/bin/Release/net10.0/Recur.Bench.dll" lstm-step-one 32 64 "$2" 2 64 65 1 | tail -1 \
  | sed 's/.*"tokens_per_s":\([0-9.]*\).*/\1/'; }
sample() { dotnet "$1/bench/Recur.Bench/bin/Release/net10.0/Recur.Bench.dll" sample --no-pytorch | awk -F'|' -v h="$2" '$2+0==h {print $3+0; exit}'; }
declare -a r_train r_s128 r_s512 r_sa128
for r in $(seq 1 "$rounds"); do
  to=$(train "$old"); tn=$(train "$here")
  so=$(step "$old" 128); sn=$(step "$here" 128)
  bo=$(step "$old" 512); bn=$(step "$here" 512)
  ao=$(sample "$old" 128); an=$(sample "$here" 128)
  echo "round $r: train ${iters} iters old ${to}s new ${tn}s | step h128 old $so new $sn tok/s | step h512 old $bo new $bn tok/s | sample h128 old $ao new $an us/char"
  r_train+=("$(awk -v a="$to" -v b="$tn" 'BEGIN {print a / b}')")
  r_s128+=("$(awk -v a="$so" -v b="$sn" 'BEGIN {print b / a}')")
  r_s512+=("$(awk -v a="$bo" -v b="$bn" 'BEGIN {print b / a}')")
  r_sa128+=("$(awk -v a="$ao" -v b="$an" 'BEGIN {print a / b}')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median speed new/old (above 1: new faster): train loop $(median "${r_train[@]}"), step h128 $(median "${r_s128[@]}"), step h512 $(median "${r_s512[@]}"), sample h128 $(median "${r_sa128[@]}")"
