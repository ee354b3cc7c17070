#!/bin/sh
# make deb: a Debian package of the `make dist` tree, built with dpkg-deb.
#   sh src/main/deb/build.sh DIST_DIR VERSION DEB_ARCH OUT.deb
# dpkg-deb rather than jpackage: jpackage's package is built for desktop apps (its own ELF launcher,
# a runtime under /opt/NAME/lib, desktop-menu scripts) and needs fakeroot and dpkg-deb anyway; a system
# user, a statoverride, units and a purge policy would go in through --resource-dir templates written
# in its dialect. Here every file, conffile and maintainer script is plain and reviewable, and the
# runtime is the one `make dist` made and tested.
set -eu
DIST=$1 VERSION=$2 ARCH=$3 OUT=$4
HERE=$(dirname "$0")
STAGE=target/deb/ftp-server
MAINTAINER=${DEB_MAINTAINER:-ftp-server maintainers <ftp-server@localhost>}
# The commit's time, not the build's, in the changelog: the same commit gives the same package text.
EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

rm -rf "$STAGE"
umask 022
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt/ftp-server" "$STAGE/etc/ftp-server" "$STAGE/etc/logrotate.d" \
    "$STAGE/lib/systemd/system" "$STAGE/usr/bin" "$STAGE/usr/share/doc/ftp-server"

# -p: the JVM takes the AOT cache only for the jar of the same size and time it was trained with
cp -pR "$DIST/bin" "$DIST/lib" "$DIST/runtime" "$DIST/plugins" "$STAGE/opt/ftp-server/"
chmod -R u+w,go-w "$STAGE/opt/ftp-server"
install -m 0644 "$DIST/etc/ftp.config.properties" "$STAGE/etc/ftp-server/ftp.config.properties"
install -m 0644 "$HERE/logrotate" "$STAGE/etc/logrotate.d/ftp-server"
install -m 0644 "$DIST"/systemd/* "$STAGE/lib/systemd/system/"
ln -s /opt/ftp-server/bin/ftp-server "$STAGE/usr/bin/ftp-server"

install -m 0644 "$HERE/copyright" "$STAGE/usr/share/doc/ftp-server/copyright"
install -D -m 0644 "$HERE/lintian-overrides" "$STAGE/usr/share/lintian/overrides/ftp-server"
{
    echo "ftp-server ($VERSION) unstable; urgency=medium"
    echo
    echo "  * Packaged from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
    echo
    echo " -- $MAINTAINER  $(date -u -R -d "@$EPOCH")"
} | gzip -9n >"$STAGE/usr/share/doc/ftp-server/changelog.gz"
touch -d "@$EPOCH" "$STAGE/usr/share/doc/ftp-server/changelog.gz"

size=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$size/" -e "s/@MAINTAINER@/$MAINTAINER/" \
    "$HERE/control" >"$STAGE/DEBIAN/control"
install -m 0644 "$HERE/conffiles" "$STAGE/DEBIAN/conffiles"
install -m 0755 "$HERE/postinst" "$HERE/prerm" "$HERE/postrm" "$STAGE/DEBIAN/"
(cd "$STAGE" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z \
    | xargs -0 md5sum) >"$STAGE/DEBIAN/md5sums"

# xz: what every dpkg and repository tool reads; 20 MB for 30 s of CPU. DEB_COMPRESSION=zstd: 23 MB in
# a quarter of a second, for dpkg >= 1.21.18 only (Debian 12, Ubuntu 21.10 and later).
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-xz}" --build "$STAGE" "$OUT"
echo "$OUT: $(du -m "$OUT" | cut -f1) MB, installs $((size / 1024)) MB"
