#!/usr/bin/env bash
# The `recur cells` demonstrations of docs/ANALYSIS.md: a 2-layer LSTM (256 units) trained for a few
# minutes on tiny-shakespeare and on C source from Debian's linux-source-6.1, then analysed.
#   bench/cells_demo.sh [MINUTES]      (default 7 minutes of training per corpus)
# Needs: apt-get install -y linux-source-6.1 (for the C corpus); chromium only for screenshots.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
minutes="${1:-7}"
work="${WORK:-$here/runs/cells-demo}"
recur="$here/recur"
mkdir -p "$work"

# C corpus: the first top-level .c files of kernel/ and mm/ (ASCII only), about 3.7 MB.
if [ ! -f "$work/kernel_mm.c" ]; then
  tarball=/usr/src/linux-source-6.1.tar.xz
  [ -f "$tarball" ] || { echo "missing $tarball: apt-get install -y linux-source-6.1" >&2; exit 1; }
  tmp="$(mktemp -d)"
  tar -xJf "$tarball" -C "$tmp" --wildcards 'linux-source-6.1/kernel/*.c' 'linux-source-6.1/mm/*.c'
  ( cd "$tmp/linux-source-6.1"
    { ls kernel/*.c | sort | head -70; ls mm/*.c | sort | head -60; } | while read -r f; do
      LC_ALL=C tr -cd '\11\12\15\40-\176' < "$f"; done ) | head -c 3800000 > "$work/kernel_mm.c"
  rm -rf "$tmp"
fi

common=(--model lstm --hidden 256 --layers 2 --embed 64 --seq-length 64 --batch-size 32 --lr 2e-3
        --grad-clip 5 --minutes "$minutes" --eval-every 500 --seed 1234)
[ -d "$work/shakespeare/best" ] || "$recur" train "${common[@]}" --out "$work/shakespeare"
[ -d "$work/linux/best" ] || "$recur" train "$work/kernel_mm.c" "${common[@]}" --out "$work/linux"

"$recur" cells "$work/shakespeare" --out "$work/shakespeare/cells"
"$recur" cells "$work/linux" --out "$work/linux/cells"
"$recur" gradflow --checkpoint "$work/linux" --out "$work/linux/gradflow"

if command -v chromium >/dev/null; then
  for run in shakespeare linux; do
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$(mktemp -d)" \
      --screenshot="$work/$run/cells/screenshot.png" --window-size=1200,1400 "file://$work/$run/cells/cells.html"
  done
fi
echo "reports: $work/shakespeare/cells/cells.html $work/linux/cells/cells.html"
