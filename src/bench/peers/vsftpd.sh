#!/usr/bin/env bash
# A vsftpd peer on loopback for make bench (Debian's vsftpd; a local user "ftpbench", password "b").
# Usage (as root): src/bench/peers/vsftpd.sh PORT HOME   → prints the BENCH_PEER value, runs in the foreground.
set -euo pipefail
PORT=${1:-2301}; HOME_DIR=$(realpath -m "${2:-/tmp/bench-vsftpd}")
command -v vsftpd >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q vsftpd; }
id ftpbench >/dev/null 2>&1 || useradd --no-create-home --home-dir "$HOME_DIR" --shell /bin/bash ftpbench
echo 'ftpbench:b' | chpasswd
mkdir -p "$HOME_DIR" /var/run/vsftpd/empty && chown ftpbench "$HOME_DIR"
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
pam_service_name=vsftpd
background=NO
use_sendfile=YES
CONF
echo "BENCH_PEER=127.0.0.1:$PORT:ftpbench:b:$HOME_DIR" >&2
exec vsftpd "$CONF"
