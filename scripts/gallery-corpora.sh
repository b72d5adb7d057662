#!/bin/sh
# The corpora of `recur gallery` (docs/GALLERY.md) besides the bundled tiny-shakespeare, made from Debian packages:
#   linux-c.txt  Linux C: the kernel's kernel/ and mm/ *.c files of linux-source-6.1 (apt-get install linux-source-6.1),
#                first 3,000,000 bytes less the cut last line, the files in a fixed shuffled order (sorted by the SHA-1 of
#                their path in the tarball), so that the last 10 %, the validation and test splits, hold many files rather
#                than the end of one (in name order both would be kernel/events/core.c, which has few strings).
#   latex.txt    LaTeX: every .tex document (.tex and .tex.gz, under /usr/share/doc/texlive-doc) of Debian's
#                texlive-science-doc (2022.20230122-4 in bookworm): the manuals of the science packages, written in LaTeX
#                with much mathematics. Only files that are valid UTF-8 with every character in Latin-1 (so the few
#                Japanese and Chinese manuals, which would add some 700 rare characters to the vocabulary, are left out),
#                in the same kind of shuffled order (the SHA-1 of their path in the package), first 3,000,000 bytes less
#                the cut last line. The package is fetched with `apt-get download` and unpacked here, so neither root nor its
#                dependencies (a TeX installation) are needed.
#   fortunes.txt Prose, for the quote cell: the fortune cookies of Debian's fortunes packages (apt-get install fortunes),
#                every file of /usr/share/games/fortunes but the .dat indexes and .u8 copies, those that are valid UTF-8, in
#                the same kind of shuffled order (the SHA-1 of their name), first 3,000,000 bytes less the cut last line.
# Usage: scripts/gallery-corpora.sh [DIR]   (default /usr/local/share/recur/gallery)
set -eu
out=${1:-/usr/local/share/recur/gallery}
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -f /usr/src/linux-source-6.1.tar.xz ]; then
  echo "gallery-corpora: /usr/src/linux-source-6.1.tar.xz is missing; install it with: apt-get install linux-source-6.1" >&2
  exit 1
fi
tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$tmp" linux-source-6.1/kernel linux-source-6.1/mm
# Paths relative to the unpacked tree, each behind the SHA-1 of its text, sorted by it: a shuffle that is the same everywhere.
shuffled() {
  while IFS= read -r f; do printf '%s %s\n' "$(printf '%s' "$f" | sha1sum | cut -c1-40)" "$f"; done | LC_ALL=C sort | cut -d' ' -f2-
}
(cd "$tmp" && find linux-source-6.1/kernel linux-source-6.1/mm -name '*.c' | shuffled | xargs cat 2>/dev/null) | head -c 3000000 | sed '$d' \
  > "$out/linux-c.txt"
(cd "$tmp" && apt-get download texlive-science-doc >/dev/null 2>&1) || {
  echo "gallery-corpora: 'apt-get download texlive-science-doc' failed; run 'apt-get update' first" >&2
  exit 1
}
dpkg -x "$tmp"/texlive-science-doc_*.deb "$tmp/tex"
find "$tmp/tex" -name '*.tex.gz' -exec gunzip -f {} +
(cd "$tmp/tex" && find usr -name '*.tex' | shuffled | while IFS= read -r f; do
  if iconv -f UTF-8 -t ISO-8859-1 "$f" >/dev/null 2>&1; then cat "$f"; fi
done) | head -c 3000000 | sed '$d' > "$out/latex.txt"
if [ -d /usr/share/games/fortunes ]; then
  (cd /usr/share/games/fortunes && ls | grep -v '\.dat$' | grep -v '\.u8$' | shuffled | while IFS= read -r f; do
    if [ -f "$f" ] && iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1; then cat "$f"; fi
  done) | head -c 3000000 | sed '$d' > "$out/fortunes.txt"
else
  echo "gallery-corpora: /usr/share/games/fortunes is missing (apt-get install fortunes); fortunes.txt not made" >&2
fi
echo "texlive-science-doc $(dpkg-deb -f "$tmp"/texlive-science-doc_*.deb Version)"
wc -c "$out"/*.txt
