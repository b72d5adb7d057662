#!/bin/sh
# The three corpora of the recur train FILE race (docs/TRAINING.md), made from Debian packages:
#   apt-get install linux-source-6.1 fortunes python3.11-doc
# Program source: the kernel's C (kernel/ and mm/, *.c in name order), first 3,000,000 bytes (less the cut last line).
# Prose: the fortune cookies (every file of /usr/share/games/fortunes without .dat/.u8), first 3,000,000 bytes (less the cut last line).
# Markup: Python 3.11's HTML library reference (/usr/share/doc/python3.11/html/library/*.html), first 3,000,000 bytes (less the cut last line).
# Usage: scripts/race-corpora.sh [DIR]   (default /tmp/corpora)
set -eu
out=${1:-/tmp/corpora}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$tmp" linux-source-6.1/kernel linux-source-6.1/mm
find "$tmp/linux-source-6.1/kernel" "$tmp/linux-source-6.1/mm" -name '*.c' | LC_ALL=C sort | xargs cat | head -c 3000000 | sed '$d' > "$out/kernel-c.txt"
ls /usr/share/games/fortunes/* | grep -v '\.dat$' | grep -v '\.u8$' | LC_ALL=C sort | xargs cat | head -c 3000000 | sed '$d' > "$out/fortunes.txt"
ls /usr/share/doc/python3.11/html/library/*.html | LC_ALL=C sort | xargs cat | head -c 3000000 | sed '$d' > "$out/python-html.txt"
wc -c "$out"/*.txt
