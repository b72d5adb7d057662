namespace Recur.Data.Translation;

/// <summary>A Debian package and the French catalogues (<c>.mo</c> domains) it installs under <c>/usr/share/locale/fr/LC_MESSAGES</c>.</summary>
public sealed record CataloguePackage(string Package, IReadOnlyList<string> Domains);

/// <summary>
/// The fixed, named list of catalogues that make the translation corpus: the French catalogues of 66 Debian 12 (bookworm)
/// packages, the programs of a Debian system (coreutils, bash, git, apt, dpkg, binutils, glibc, GTK, PostgreSQL, ...), as
/// <c>scripts/install-data.sh</c> installs them. iso-codes is left out: its catalogues are lists of country, language and
/// currency names, not messages. A package's catalogues change with its version; the corpus is what the installed
/// versions hold (<c>recur translate data</c> prints the counts).
/// </summary>
public static class CatalogueList
{
    /// <summary>Where Debian installs the French catalogues.</summary>
    public const string DefaultFolder = "/usr/share/locale/fr/LC_MESSAGES";

    /// <summary>The packages and their catalogues, by package name.</summary>
    public static IReadOnlyList<CataloguePackage> Debian { get; } =
    [
        new("adduser", ["adduser"]),
        new("alsa-utils", ["alsa-utils"]),
        new("appstream", ["appstream"]),
        new("apt", ["apt"]),
        new("at-spi2-common", ["at-spi2-core"]),
        new("bash", ["bash"]),
        new("binutils-common", ["bfd", "binutils", "gas", "gold", "gprof", "ld", "opcodes"]),
        new("bison", ["bison", "bison-gnulib", "bison-runtime"]),
        new("coreutils", ["coreutils"]),
        new("cpio", ["cpio"]),
        new("cups-pk-helper", ["cups-pk-helper"]),
        new("diffutils", ["diffutils"]),
        new("dpkg", ["dpkg"]),
        new("findutils", ["findutils"]),
        new("flex", ["flex"]),
        new("gettext", ["gettext-tools"]),
        new("gettext-base", ["gettext-runtime"]),
        new("git", ["git"]),
        new("gnucobol3", ["gnucobol"]),
        new("gnupg-l10n", ["gnupg2"]),
        new("grep", ["grep"]),
        new("gsettings-desktop-schemas", ["gsettings-desktop-schemas"]),
        new("libapt-pkg6.0", ["libapt-pkg6.0"]),
        new("libavahi-common-data", ["avahi"]),
        new("libc-l10n", ["libc"]),
        new("libdpkg-perl", ["dpkg-dev"]),
        new("libexif12", ["libexif-12"]),
        new("libgdk-pixbuf2.0-common", ["gdk-pixbuf"]),
        new("libglib2.0-data", ["glib20"]),
        new("libgnutls30", ["gnutls30"]),
        new("libgphoto2-l10n", ["libgphoto2-6"]),
        new("libgphoto2-port12", ["libgphoto2_port-12"]),
        new("libgstreamer-plugins-base1.0-0", ["gst-plugins-base-1.0"]),
        new("libgstreamer1.0-0", ["gstreamer-1.0"]),
        new("libgtk-3-common", ["gtk30", "gtk30-properties"]),
        new("libgtk2.0-common", ["gtk20", "gtk20-properties"]),
        new("libhandy-1-0", ["libhandy"]),
        new("libidn2-0", ["libidn2"]),
        new("libpam-runtime", ["Linux-PAM"]),
        new("libpopt0", ["popt"]),
        new("libpq5", ["libpq5-15"]),
        new("libsecret-common", ["libsecret"]),
        new("libzvbi-common", ["zvbi"]),
        new("login", ["shadow"]),
        new("m4", ["m4"]),
        new("make", ["make"]),
        new("man-db", ["man-db", "man-db-gnulib"]),
        new("net-tools", ["net-tools"]),
        new("notification-daemon", ["notification-daemon"]),
        new("packagekit", ["PackageKit"]),
        new("postgresql-15", [
            "initdb-15", "pg_archivecleanup-15", "pg_checksums-15", "pg_controldata-15", "pg_ctl-15", "pg_resetwal-15", "pg_rewind-15",
            "pg_test_fsync-15", "pg_test_timing-15", "pg_upgrade-15", "pg_waldump-15", "plpgsql-15", "postgres-15"]),
        new("postgresql-client-15", [
            "pg_amcheck-15", "pg_basebackup-15", "pg_config-15", "pg_dump-15", "pg_verifybackup-15", "pgscripts-15", "psql-15"]),
        new("procps", ["procps-ng"]),
        new("psmisc", ["psmisc"]),
        new("python-apt-common", ["python-apt"]),
        new("sed", ["sed"]),
        new("shared-mime-info", ["shared-mime-info"]),
        new("software-properties-common", ["software-properties"]),
        new("system-config-printer-common", ["system-config-printer"]),
        new("systemd", ["systemd"]),
        new("tar", ["tar"]),
        new("upower", ["upower"]),
        new("wget", ["wget", "wget-gnulib"]),
        new("xdg-user-dirs", ["xdg-user-dirs"]),
        new("xkb-data", ["xkeyboard-config"]),
        new("xz-utils", ["xz"]),
    ];

    /// <summary>Every catalogue of the list: (package, domain), in the list's order.</summary>
    public static IEnumerable<(string Package, string Domain)> Catalogues(IReadOnlyList<CataloguePackage> list)
        => list.SelectMany(p => p.Domains.Select(d => (p.Package, d)));
}
