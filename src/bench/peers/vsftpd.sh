#!/usr/bin/env bash
# A vsftpd peer on loopback for make bench (Debian's vsftpd; a local user "ftpbench", password "b").
# Usage (as root): src/bench/peers/vsftpd.sh PORT HOME   → prints the BENCH_PEER value, runs in the foreground.
set -euo pipefail
PORT=${1:-2301}; HOME_DIR=$(realpath -m "${2:-/tmp/bench-vsftpd}")
command -v vsftpd >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q vsftpd; }
id ftpbench >/dev/null 2>&1 || useradd --no-create-home --home-dir "$HOME_DIR" --shell /bin/bash ftpbench
# a cheap hash (SHA-512 crypt, 1000 rounds): Debian's default yescrypt costs ~40 ms per login, and
# ftp-server's bench user has a plain-text password; the bench compares FTP work, not password hashing
echo 'ftpbench:b' | chpasswd -c SHA512 -s 1000
mkdir -p "$HOME_DIR" /var/run/vsftpd/empty && chown ftpbench "$HOME_DIR"
# A PAM service of its own: Debian's common-session asks pam_systemd for a logind session, which
# costs ~50 ms per login where no logind runs (a container, this build machine)
cat >/etc/pam.d/vsftpd-bench <<'PAM'
auth     required pam_unix.so
account  required pam_unix.so
session  required pam_permit.so
PAM
CONF=$(mktemp)
cat >"$CONF" <<CONF
listen=YES
listen_address=127.0.0.1
listen_port=$PORT
anonymous_enable=NO
local_enable=YES
write_enable=YES
pasv_enable=YES
pasv_address=127.0.0.1
max_clients=20000
max_per_ip=20000
seccomp_sandbox=NO
# vsftpd puts each session in new namespaces by default (~50 ms of clone() per login on this machine):
# off, so the bench measures its FTP work, as a tuned deployment would run it
isolate=NO
isolate_network=NO
pam_service_name=vsftpd-bench
background=NO
use_sendfile=YES
CONF
echo "BENCH_PEER=127.0.0.1:$PORT:ftpbench:b:$HOME_DIR" >&2
exec vsftpd "$CONF"
