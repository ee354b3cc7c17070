#!/usr/bin/env bash
# A pyftpdlib peer on loopback for make bench (Debian's python3-pyftpdlib; sendfile on).
# Usage: src/bench/peers/pyftpdlib.sh PORT HOME   → prints the BENCH_PEER value, runs in the foreground.
set -euo pipefail
PORT=${1:-2300}; HOME_DIR=$(realpath "${2:-/tmp/bench-pyftpdlib}")
command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import pyftpdlib' 2>/dev/null \
  || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-pyftpdlib; }
mkdir -p "$HOME_DIR"
# one process serves every session: 1,000 downloads at once need 2,000 descriptors
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "BENCH_PEER=127.0.0.1:$PORT:b:b:$HOME_DIR" >&2
exec /usr/bin/python3 - "$PORT" "$HOME_DIR" <<'PY'
import sys, logging, pyftpdlib
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
logging.basicConfig(level=logging.WARNING)
a = DummyAuthorizer(); a.add_user('b', 'b', sys.argv[2], perm='elradfmwMT')
FTPHandler.authorizer = a; FTPHandler.use_sendfile = True; FTPHandler.banner = 'pyftpdlib ' + pyftpdlib.__ver__
s = FTPServer(('127.0.0.1', int(sys.argv[1])), FTPHandler); s.max_cons = 20000; s.max_cons_per_ip = 20000
s.serve_forever()
PY
