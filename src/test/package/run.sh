#!/usr/bin/env bash
# The packaged install, end to end, here or in CI (root on a fresh Debian 12). With /usr/bin first on
# PATH (java 17, or no java at all) and JAVA_HOME unset: `make dist` and the launcher; `make deb` and
# `dpkg -i` where no systemd runs; the service user serves a configured user over FTP and FTPS (bytes
# compared), started in the C locale (the launcher must switch to UTF-8) and stopped by SIGTERM to its
# PID (exit 0); `dpkg -r` keeps the config, `dpkg -P` removes it and keeps a /srv/ftp that holds files.
# The build still needs a JDK >= 21 somewhere under /usr/lib/jvm (src/main/sh/find-jdk.sh finds it).
# Loopback only. Leaves the machine as it found it: package, user, group, /srv/ftp, temporary files.
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$PWD
[ "$(id -u)" -eq 0 ] || { echo "run.sh: needs root (dpkg, runuser)" >&2; exit 1; }
case $(dpkg-query -W -f='${Status}' ftp-server 2>/dev/null || true) in
    "" | *not-installed) ;;
    *) echo "run.sh: a package ftp-server is on this machine already; not touching it" >&2; exit 1 ;;
esac
user_existed=$(getent passwd ftp-server >/dev/null && echo yes || echo no)
group_existed=$(getent group ftp-server >/dev/null && echo yes || echo no)
srv_existed=$([ -e /srv/ftp ] && echo yes || echo no)
srv_before=$(stat -c '%U:%G %a' /srv/ftp 2>/dev/null || true)
# "ftp-server" is also Debian's virtual package of FTP daemons, and each of them (vsftpd, proftpd-core,
# pure-ftpd, ...) conflicts with it: only one owns port 21. Where one is installed (here vsftpd, a bench
# peer), this package is installed beside it by force, and purged at the end, which makes dpkg's state
# whole again.
rivals=$(dpkg-query -W -f='${Status} ${Package} ${Provides}\n' 2>/dev/null \
    | awk '/^install ok installed / && / ftp-server/ {print $4}' | paste -sd' ' -)
force=()
if [ -n "$rivals" ]; then force=(--force-conflicts); echo "FTP daemons installed: $rivals: dpkg -i --force-conflicts"
fi
T=$(mktemp -d /tmp/ftp-server-package.XXXXXX)
chmod 0755 "$T"                                   # the service user reads its config and home below it
PORT=$((20000 + RANDOM % 20000))
SPID="" RPID=""
began=$SECONDS
pass=0 fail=0

cleanup() {
    set +e
    if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then kill -KILL "$SPID"; fi
    if [ -n "$RPID" ]; then wait "$RPID" 2>/dev/null; fi
    case $(dpkg-query -W -f='${Status}' ftp-server 2>/dev/null) in
        "" | *not-installed) ;;
        *) dpkg -P ftp-server >/dev/null 2>&1 ;;
    esac
    if [ "$user_existed" = no ]; then rm -rf /tmp/hsperfdata_ftp-server; fi   # the JVM's, as that user
    if [ "$user_existed" = no ] && getent passwd ftp-server >/dev/null; then userdel ftp-server; fi
    if [ "$group_existed" = no ] && getent group ftp-server >/dev/null; then groupdel ftp-server; fi
    if [ "$srv_existed" = no ]; then rm -rf /srv/ftp; fi
    rm -rf "$T"
}
trap cleanup EXIT

ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { if "${@:2}" >>"$T/checks.log" 2>&1; then ok "$1"; else bad "$1"; fi; }
must() { if "${@:2}" >>"$T/checks.log" 2>&1; then ok "$1"; else bad "$1"; tail -n 20 "$T/checks.log"; exit 1; fi; }
owner() { [ "$(stat -c '%U:%G %a' "$1")" = "$2" ]; }
installed() { [ "$(dpkg-query -W -f='${Status}' ftp-server 2>/dev/null)" = "install ok installed" ]; }
timed() { local t=$SECONDS; "$@"; echo "     ($* took $((SECONDS - t)) s)"; }
fetch() { curl -sS --max-time 60 -u 'u:pass word' "$@"; }

export PATH="/usr/bin:$PATH"
unset JAVA_HOME
echo "java on PATH: $(command -v java || echo none) $( (java -version 2>&1 || true) | head -n 1)"

# 1. The self-contained tree, built by the Makefile's own JDK search.
timed make dist
D=$ROOT/target/dist/ftp-server
check "launcher --help" sh -c "'$D/bin/ftp-server' --help | grep -q '^usage:'"
ln -s "$D/bin/ftp-server" "$T/link1" && ln -s link1 "$T/link2"
check "launcher through two links, from another folder" sh -c "cd / && '$T/link2' --help | grep -q '^usage:'"
# --version is a newer option: a build without it answers "unknown option" with exit 2, and that is
# reported here rather than failed.
if v=$("$D/bin/ftp-server" --version 2>/dev/null); then ok "--version: $v"
else echo "--   --version: not in this build"; fi
printf 'port=0\nanonymous=true\nanonymous.home=%s\n' "$T" >"$T/dist.properties"
check "launcher --check-config" "$D/bin/ftp-server" -c "$T/dist.properties" --check-config
if [ -f "$D/lib/ftp-server.aot" ]; then   # AOTMode=on: refuse to start when the cache doesn't fit
    check "launcher takes the AOT cache" env JAVA_OPTS=-XX:AOTMode=on "$D/bin/ftp-server" --version
fi
mkdir -p "$T/plugins" && python3 -c "import zipfile,sys; zipfile.ZipFile(sys.argv[1], 'w').writestr('x', '')" "$T/plugins/x.jar"
check "launcher with a plug-in folder (class path form)" sh -c \
    "FTP_SERVER_PLUGINS=$T/plugins $D/bin/ftp-server -c $T/dist.properties --check-config"
modules=$("$D/runtime/bin/java" --list-modules | cut -d@ -f1 | paste -sd' ')
echo "     runtime: $(du -sm "$D/runtime" | cut -f1) MB: $modules"

# 2. The package, installed where no systemd runs (twice: the second is postinst's upgrade path).
timed make deb
DEB=$(ls "$ROOT"/target/ftp-server_*_"$(dpkg --print-architecture)".deb)
if command -v lintian >/dev/null; then
    echo "     lintian: $(lintian "$DEB" 2>&1 | grep -c '^[EW]:' || true) errors and warnings beyond the overridden"
fi
must "dpkg -i" dpkg -i "${force[@]}" "$DEB"
must "dpkg -i again (reinstall)" dpkg -i "${force[@]}" "$DEB"
if [ -f /opt/ftp-server/lib/ftp-server.aot ]; then
    check "installed launcher takes the AOT cache" env JAVA_OPTS=-XX:AOTMode=on /opt/ftp-server/bin/ftp-server --version
fi
check "user ftp-server: system, no shell" sh -c "getent passwd ftp-server | grep -q ':/srv/ftp:/usr/sbin/nologin$'"
check "/etc/ftp-server root:ftp-server 750" owner /etc/ftp-server "root:ftp-server 750"
check "config is a conffile" sh -c \
    "dpkg-query -W -f='\${Conffiles}' ftp-server | grep -q ' /etc/ftp-server/ftp.config.properties '"
check "/var/log/ftp-server ftp-server:ftp-server 750" owner /var/log/ftp-server "ftp-server:ftp-server 750"
if [ "$srv_existed" = no ]; then
    check "/srv/ftp ftp-server:ftp-server 750" owner /srv/ftp "ftp-server:ftp-server 750"
else
    check "an existing /srv/ftp left as it was" owner /srv/ftp "$srv_before"
fi
check "units in /lib/systemd/system" test -f /lib/systemd/system/ftp-server.service \
    -a -f /lib/systemd/system/ftp-server.socket -a -f /lib/systemd/system/ftp-server-activated.service
if command -v systemd-analyze >/dev/null; then
    check "installed units verify" systemd-analyze verify --man=no /lib/systemd/system/ftp-server.service \
        /lib/systemd/system/ftp-server.socket /lib/systemd/system/ftp-server-activated.service
fi
# as the unit runs it: the service user with CAP_NET_BIND_SERVICE (AmbientCapabilities), for port 21
check "shipped config checks as the service user" setpriv --reuid=ftp-server --regid=ftp-server --init-groups \
    --inh-caps=+net_bind_service --ambient-caps=+net_bind_service \
    /opt/ftp-server/bin/ftp-server -c /etc/ftp-server/ftp.config.properties --check-config
check "without the capability, --check-config names port 21" sh -c "runuser -u ftp-server -- \
    /opt/ftp-server/bin/ftp-server -c /etc/ftp-server/ftp.config.properties --check-config 2>&1 | grep -q 'port 21 needs root'"
HASH=$(echo 'pass word' | ftp-server --hash-password)
check "ftp-server --hash-password (/usr/bin link) prints the value only" \
    sh -c "echo '$HASH' | grep -qx 'pbkdf2-sha256:[0-9]*:[^:]*:[^:]*'"

# 3. The installed launcher as the service user, in the C locale, with a user, FTPS and an xferlog.
install -d -o ftp-server -g ftp-server "$T/home" "$T/run"
install -m 0644 "$ROOT/src/test/resources/tls/ec.crt" "$T/ec.crt"
install -m 0640 -g ftp-server "$ROOT/src/test/resources/tls/ec.pkcs8.key" "$T/ec.key"
cat >"$T/ftp.properties" <<CONF
port=$PORT
address=127.0.0.1
anonymous=false
user.u.password=$HASH
user.u.home=$T/home
user.u.write=true
tls.certificate=$T/ec.crt
tls.key=$T/ec.key
transfer.log=/var/log/ftp-server/xferlog
CONF
# sh writes its PID, then execs the launcher, which execs java: the PID in the file is the server's.
# shellcheck disable=SC2016
runuser -u ftp-server -- env LC_ALL=C LANG=C sh -c 'echo $$ >"$0"; exec "$@"' "$T/run/pid" \
    /opt/ftp-server/bin/ftp-server -c "$T/ftp.properties" -o >"$T/server.log" 2>&1 &
RPID=$!
for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
SPID=$(cat "$T/run/pid" 2>/dev/null || echo none)
must "server listening as ftp-server" sh -c "[ \"\$(stat -c %U /proc/$SPID)\" = ftp-server ]"
check "runs the bundled runtime" sh -c "readlink /proc/$SPID/exe | grep -q '^/opt/ftp-server/runtime/bin/java$'"
URL=ftp://127.0.0.1:$PORT
head -c 5000000 /dev/urandom >"$T/src.bin"
check "upload" fetch -T "$T/src.bin" "$URL/up.bin"
check "upload: same bytes" cmp "$T/src.bin" "$T/home/up.bin"
check "upload: owned by ftp-server" owner "$T/home/up.bin" "ftp-server:ftp-server 644"
check "download" fetch -o "$T/down.bin" "$URL/up.bin"
check "download: same bytes" cmp "$T/src.bin" "$T/down.bin"
check "UTF-8 name under LC_ALL=C" sh -c "echo hé | curl -sS --max-time 60 -u 'u:pass word' -T - '$URL/h%C3%A9.txt'"
check "UTF-8 name on disk" test -f "$T/home/hé.txt"
check "FTPS upload" fetch -k --ssl-reqd -T "$T/src.bin" "$URL/tls.bin"
check "FTPS upload: same bytes" cmp "$T/src.bin" "$T/home/tls.bin"
check "FTPS download" fetch -k --ssl-reqd -o "$T/tls-down.bin" "$URL/tls.bin"
check "FTPS download: same bytes" cmp "$T/src.bin" "$T/tls-down.bin"
kill -TERM "$SPID"
for _ in $(seq 400); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
code=0; wait "$RPID" || code=$?
RPID=""
check "SIGTERM: exit 0" test "$code" -eq 0
check "log: stopped, no locale warning" sh -c "grep -q stopped '$T/server.log' && ! grep -q 'not UTF-8' '$T/server.log'"
check "xferlog: 5 transfers in /var/log/ftp-server" \
    sh -c "[ \"\$(grep -c ' r u ftp 0 \* c$' /var/log/ftp-server/xferlog)\" -ge 5 ]"

# 4. Remove keeps the config; purge removes it, the logs too, and keeps a /srv/ftp with files in it.
must "dpkg -r" dpkg -r ftp-server
check "after -r: config kept, program gone" test -f /etc/ftp-server/ftp.config.properties -a ! -e /opt/ftp-server
if [ "$srv_existed" = no ]; then echo keep >/srv/ftp/keep.txt; fi
must "dpkg -P" dpkg -P ftp-server
check "after -P: /etc/ftp-server and /var/log/ftp-server gone" test ! -e /etc/ftp-server -a ! -e /var/log/ftp-server
check "after -P: no statoverride, no enable links" sh -c "! dpkg-statoverride --list /etc/ftp-server \
    && [ ! -e /etc/systemd/system/multi-user.target.wants/ftp-server.service ]"
if [ "$srv_existed" = no ]; then
    check "after -P: /srv/ftp with a file kept" test -f /srv/ftp/keep.txt
    rm /srv/ftp/keep.txt
    # Again over the kept user and the now empty /srv/ftp: install, purge, and the folder goes.
    must "dpkg -i over the kept user" dpkg -i "${force[@]}" "$DEB"
    must "dpkg -P" dpkg -P ftp-server
    check "after -P: an empty /srv/ftp gone" test ! -e /srv/ftp
else
    check "after -P: an existing /srv/ftp left as it was" owner /srv/ftp "$srv_before"
fi

echo "$pass passed, $fail failed, $((SECONDS - began)) s"
[ "$fail" -eq 0 ]
