#!/usr/bin/env bash
# make interop: the built jar against real clients (curl, lftp, wget, Python ftplib, rclone, tnftp),
# plain and FTPS, every transferred tree compared by sha256 with its source. Loopback only.
set -euo pipefail
JAVA=${JAVA:-java}
JAR=${JAR:-target/ftp-server.jar}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
T=$(mktemp -d)
PORT=${PORT:-$((20000 + RANDOM % 20000))}
PORT2=$((PORT + 1))                      # a second instance with tls.require.session.reuse=true
PID= PID2=
trap 'kill $PID $PID2 2>/dev/null || true; wait $PID $PID2 2>/dev/null || true; rm -rf "$T"' EXIT
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { if "${@:2}" >>"$T/clients.log" 2>&1; then ok "$1"; else bad "$1"; fi; }
sums() { (cd "$1" && find . -type f ! -name .listing -print0 | sort -z | xargs -0 sha256sum); }
same() { [ "$(sums "$1")" = "$(sums "$2")" ]; }

mkdir -p "$T/home" "$T/qhome" "$T/src/sub/deeper" "$T/out"
head -c 3000000 /dev/urandom >"$T/src/big.bin"
echo hello >"$T/src/sub/héllo wörld ✓.txt"
echo deep >"$T/src/sub/deeper/d.txt"
: >"$T/src/empty"
cat >"$T/ftp.properties" <<CONF
port=$PORT
address=127.0.0.1
user.u.password=p
user.u.home=$T/home
user.u.write=true
user.q.password=p
user.q.home=$T/qhome
user.q.write=true
user.q.quota=1M
tls.certificate=$ROOT/src/test/resources/tls/rsa-a.crt
tls.key=$ROOT/src/test/resources/tls/rsa-a.key
CONF
mkdir -p "$T/home2"
sed -e "s/^port=.*/port=$PORT2/" -e "s|^user.u.home=.*|user.u.home=$T/home2|" "$T/ftp.properties" >"$T/ftp2.properties"
echo "tls.require.session.reuse=true" >>"$T/ftp2.properties"
"$JAVA" -jar "$JAR" -c "$T/ftp.properties" -o >"$T/server.log" 2>&1 &
PID=$!
"$JAVA" -jar "$JAR" -c "$T/ftp2.properties" -o >"$T/server2.log" 2>&1 &
PID2=$!
for p in $PORT $PORT2; do
  for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
done
URL=ftp://127.0.0.1:$PORT
cd "$T/out"

# curl: EPSV, PASV, active, upload, resume, create dirs, quote, list-only, FTPS
check "curl upload -T + --ftp-create-dirs" curl -sS -u u:p --ftp-create-dirs -T "$T/src/big.bin" "$URL/c/d/big.bin"
check "curl EPSV download" sh -c "curl -sS -u u:p $URL/c/d/big.bin -o epsv.bin && cmp epsv.bin $T/src/big.bin"
check "curl PASV download" sh -c "curl -sS --disable-epsv -u u:p $URL/c/d/big.bin -o pasv.bin && cmp pasv.bin $T/src/big.bin"
check "curl active (-P) download" sh -c "curl -sS -P 127.0.0.1 -u u:p $URL/c/d/big.bin -o port.bin && cmp port.bin $T/src/big.bin"
check "curl resume -C -" sh -c "head -c 1000000 $T/src/big.bin > part.bin && curl -sS -C - -u u:p $URL/c/d/big.bin -o part.bin && cmp part.bin $T/src/big.bin"
check "curl upload resume -C -" sh -c "head -c 999 $T/src/big.bin > $T/home/c/r.bin && curl -sS -C - -u u:p -T $T/src/big.bin $URL/c/r.bin && cmp $T/home/c/r.bin $T/src/big.bin"
check "curl -Q quote (MKD, RNFR/RNTO)" sh -c "curl -sS -u u:p -Q 'MKD q' -Q 'RNFR c/r.bin' -Q 'RNTO q/r2.bin' $URL/ -o /dev/null && test -f $T/home/q/r2.bin"
check "curl --list-only" sh -c "curl -sS -u u:p --list-only $URL/c/d/ | grep -qx big.bin"
check "curl --ssl-reqd download" sh -c "curl -sS -k --ssl-reqd -u u:p $URL/c/d/big.bin -o tls.bin && cmp tls.bin $T/src/big.bin"
check "curl --ssl-reqd upload" sh -c "curl -sS -k --ssl-reqd -u u:p -T $T/src/big.bin $URL/tls-up.bin && cmp $T/home/tls-up.bin $T/src/big.bin"

# lftp: mirror -R and back (UTF-8 names, nested folders), pget -n 4, the same over TLS
# No retries: a transfer that fails must show, not be resumed with REST.
LFTP="set ssl:verify-certificate no; set net:max-retries 1; set net:reconnect-interval-base 1"
LFTP="$LFTP; set net:reconnect-interval-multiplier 1; set net:timeout 20"
check "lftp mirror -R" lftp -u u,p -p "$PORT" 127.0.0.1 -e "$LFTP; set ftp:ssl-allow no; mirror -R $T/src l; bye"
check "lftp mirror back" sh -c "lftp -u u,p -p $PORT 127.0.0.1 -e '$LFTP; set ftp:ssl-allow no; mirror l lback; bye' && true"
check "lftp trees equal" same "$T/src" "$T/out/lback"
check "lftp pget -n 4" sh -c "lftp -u u,p -p $PORT 127.0.0.1 -e '$LFTP; set ftp:ssl-allow no; pget -n 4 l/big.bin -o pget.bin; bye' && cmp pget.bin $T/src/big.bin"
check "lftp TLS mirror -R" lftp -u u,p -p "$PORT" 127.0.0.1 -e "$LFTP; set ftp:ssl-force true; set ftp:ssl-protect-data true; mirror -R $T/src lt; bye"
check "lftp TLS mirror back" lftp -u u,p -p "$PORT" 127.0.0.1 -e "$LFTP; set ftp:ssl-force true; set ftp:ssl-protect-data true; mirror lt ltback; bye"
check "lftp TLS trees equal" same "$T/src" "$T/out/ltback"

# wget -m
check "wget -m" wget -q -m -nH -P wget "ftp://u:p@127.0.0.1:$PORT/l/"
check "wget tree equal" same "$T/src" "$T/out/wget/l"

# Python ftplib: MLSD, REST resume, FTP_TLS with PROT P
check "python ftplib MLSD + REST + FTP_TLS" python3 - "$PORT" "$T/src/big.bin" <<'PY'
import ftplib, io, ssl, sys
port, src = int(sys.argv[1]), open(sys.argv[2], 'rb').read()
f = ftplib.FTP(); f.connect('127.0.0.1', port); f.login('u', 'p')
names = {n for n, facts in f.mlsd('l')}
assert {'big.bin', 'sub', 'empty'} <= names, names
b = io.BytesIO(); f.retrbinary('RETR l/big.bin', b.write, rest=12345); assert b.getvalue() == src[12345:]
# ftplib leaves TYPE A after NLST: SIZE answers what a TYPE A RETR would send (RFC 3659 §4), bare LFs doubled
assert f.nlst('l') and f.size('l/big.bin') == len(src) + sum(1 for i, c in enumerate(src) if c == 10 and (i == 0 or src[i - 1] != 13))
f.voidcmd('TYPE I'); assert f.size('l/big.bin') == len(src)
f.quit()
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
t = ftplib.FTP_TLS(context=ctx); t.connect('127.0.0.1', port); t.login('u', 'p'); t.prot_p()
b = io.BytesIO(); t.retrbinary('RETR l/big.bin', b.write); assert b.getvalue() == src
t.storbinary('STOR py-tls.bin', io.BytesIO(src)); t.quit()
PY

# rclone: copy, sync, check
RC=(--ftp-host 127.0.0.1 --ftp-port "$PORT" --ftp-user u --ftp-pass "$(rclone obscure p 2>/dev/null || echo x)")
check "rclone copy" rclone copy "${RC[@]}" "$T/src" :ftp:rc
check "rclone sync" rclone sync "${RC[@]}" "$T/src" :ftp:rc
check "rclone check" rclone check "${RC[@]}" "$T/src" :ftp:rc
check "rclone FTPS copy + check (TLS 1.2)" rclone copy "${RC[@]}" --ftp-explicit-tls --ftp-no-check-certificate --ftp-disable-tls13 "$T/src" :ftp:rctls
check "rclone FTPS check" rclone check "${RC[@]}" --ftp-explicit-tls --ftp-no-check-certificate --ftp-disable-tls13 "$T/src" :ftp:rctls

# Over a quota (user q: 1 MiB): the clients send the whole file before they read the control connection;
# they must report the server's 552 (curl: exit 70 "Exceeded storage allocation", its name for 552, or 25
# "upload failed"), not a reset of their data connection (curl: exit 55 "send failure"; ftplib:
# ConnectionResetError), and nothing of the upload stays.
head -c 5000000 /dev/urandom >"$T/five.bin"
curl_over_quota() {
  local rc=0
  curl -sS -u q:p -T "$T/five.bin" "$URL/curl-over.bin" 2>"$T/curl-quota.err" || rc=$?
  cat "$T/curl-quota.err"; echo "curl exit code $rc"
  { [ "$rc" -eq 70 ] || [ "$rc" -eq 25 ] || grep -q 552 "$T/curl-quota.err"; } \
    && ! grep -qi reset "$T/curl-quota.err" && [ ! -e "$T/qhome/curl-over.bin" ]
}
check "curl -T over the quota: 552, not a reset" curl_over_quota
check "python ftplib storbinary over the quota: error_perm 552" python3 - "$PORT" "$T/five.bin" "$T/qhome" <<'PY'
import ftplib, os, sys
port, src, home = int(sys.argv[1]), sys.argv[2], sys.argv[3]
f = ftplib.FTP(); f.connect('127.0.0.1', port); f.login('q', 'p')
try:
    with open(src, 'rb') as data:
        f.storbinary('STOR py-over.bin', data)
    raise SystemExit('storbinary over the quota succeeded')
except ftplib.error_perm as e:
    assert str(e).startswith('552'), e
f.voidcmd('NOOP')                                   # the session goes on
f.quit()
assert not os.path.exists(os.path.join(home, 'py-over.bin'))
PY

# FTPS in a row, default client settings, against both instances (the second requires that data
# connections resume the control connection's TLS session); every file compared by sha256. Go's TLS
# client (rclone) never reads an upload's data connection: a TLS 1.3 session ticket left unread there
# made its close a TCP reset that cut the upload's tail.
head -c 50000000 /dev/urandom >"$T/src50"
mkdir -p "$T/lsrc"
for i in $(seq -w 1 20); do head -c 20000000 /dev/urandom >"$T/lsrc/f$i.bin"; done
S50=$(sha256sum <"$T/src50")
is50() { [ "$(sha256sum <"$1")" = "$S50" ]; }
rclone5() { # port home
  local a=(--ftp-host 127.0.0.1 --ftp-port "$1" --ftp-user u --ftp-pass "$(rclone obscure p)" --ftp-explicit-tls
           --ftp-no-check-certificate --retries 1 --low-level-retries 1)
  for _ in 1 2 3 4 5; do
    rm -f "$2/r50" "$T/out/r50"
    rclone copyto "${a[@]}" "$T/src50" :ftp:r50 && is50 "$2/r50" &&
      rclone copyto "${a[@]}" :ftp:r50 "$T/out/r50" && is50 "$T/out/r50" || return 1
  done
}
curl5() { # port home tls-max
  for _ in 1 2 3 4 5; do
    rm -f "$2/c50" "$T/out/c50"
    curl -sS -k --ssl-reqd --tls-max "$3" -u u:p -T "$T/src50" "ftp://127.0.0.1:$1/c50" && is50 "$2/c50" &&
      curl -sS -k --ssl-reqd --tls-max "$3" -u u:p "ftp://127.0.0.1:$1/c50" -o "$T/out/c50" &&
      is50 "$T/out/c50" || return 1
  done
}
lftp20() { # port home
  rm -rf "$2/lt20"
  lftp -u u,p -p "$1" 127.0.0.1 -e "$LFTP; set ftp:ssl-force true; set ftp:ssl-protect-data true;
    mkdir lt20; cd lt20; lcd $T/lsrc; mput *.bin; bye" && diff -r "$T/lsrc" "$2/lt20" && rm -rf "$2/lt20"
}
# ftplib in one session, handing each data connection the control connection's TLS session
ftplib5() { # port home tls-version
  python3 - "$1" "$T/src50" "$2" "$3" <<'PY'
import ftplib, hashlib, os, ssl, sys
port, src, home, v = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
want = hashlib.sha256(open(src, 'rb').read()).hexdigest()
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
if v == '1.2': ctx.maximum_version = ssl.TLSVersion.TLSv1_2
class Resuming(ftplib.FTP_TLS):
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p: conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size
t = Resuming(context=ctx); t.connect('127.0.0.1', port); t.login('u', 'p'); t.prot_p()
assert t.sock.version() == 'TLSv' + v, t.sock.version()
for i in range(5):
    with open(src, 'rb') as f: t.storbinary('STOR p50', f)
    assert hashlib.sha256(open(os.path.join(home, 'p50'), 'rb').read()).hexdigest() == want
    h = hashlib.sha256(); t.retrbinary('RETR p50', h.update); assert h.hexdigest() == want
t.quit()
PY
}
for inst in "$PORT $T/home" "$PORT2 $T/home2"; do
  set -- $inst
  R=$([ "$1" = "$PORT2" ] && echo ", session reuse required" || true)
  check "rclone FTPS defaults (TLS 1.3): 50 MB up and down 5 times$R" rclone5 "$1" "$2"
  check "lftp FTPS (TLS 1.3): 20 files of 20 MB, no retries$R" lftp20 "$1" "$2"
  for v in 1.3 1.2; do
    check "curl FTPS (TLS $v): 50 MB up and down 5 times$R" curl5 "$1" "$2" "$v"
    check "python ftplib FTPS (TLS $v): 50 MB up and down 5 times$R" ftplib5 "$1" "$2" "$v"
  done
done

# tnftp: get and put, passive and active
check "tnftp get/put passive+active" sh -c "printf 'open 127.0.0.1 $PORT\nuser u p\nbinary\npassive on\nget l/big.bin tp.bin\nput $T/src/big.bin tnp.bin\npassive off\nget l/big.bin ta.bin\nput $T/src/big.bin tna.bin\nquit\n' | tnftp -n && cmp tp.bin $T/src/big.bin && cmp ta.bin $T/src/big.bin && cmp $T/home/tnp.bin $T/src/big.bin && cmp $T/home/tna.bin $T/src/big.bin"

if [ "$fail" -gt 0 ]; then
  echo "--- client output"; tail -n 40 "$T/clients.log"; echo "--- server log"; tail -n 40 "$T/server.log"
fi
echo "interop: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
