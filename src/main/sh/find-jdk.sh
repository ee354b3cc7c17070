#!/bin/sh
# Prints the home of a JDK >= 21: $JAVA_HOME when it is one, else the newest under /usr/lib/jvm
# (or $JVM_DIR). Exits 1 with one line naming what to install when there is none.
major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n 1; }
ok() { [ -x "$1/bin/javac" ] && v=$(major "$1") && [ -n "$v" ] && [ "${v%%.*}" -ge 21 ] 2>/dev/null; }
if [ -n "${JAVA_HOME:-}" ] && ok "$JAVA_HOME"; then echo "$JAVA_HOME"; exit 0; fi
best=""; bestv=0
for d in "${JVM_DIR:-/usr/lib/jvm}"/*; do
  [ -d "$d" ] && [ ! -L "$d" ] || continue
  ok "$d" || continue
  v=$(major "$d"); v=${v%%.*}
  [ "$v" -gt "$bestv" ] && best=$d && bestv=$v
done
if [ -n "$best" ]; then echo "$best"; exit 0; fi
echo "no JDK >= 21 found (JAVA_HOME or /usr/lib/jvm): install one, e.g. 'apt-get install openjdk-21-jdk-headless'" >&2
exit 1
