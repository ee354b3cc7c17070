# make build | run | test | dist | deb | clean. Finds a JDK >= 21 itself (JAVA_HOME if it is one, else the
# newest under /usr/lib/jvm): the default `java` on many machines is older.
JDK := $(shell sh src/main/sh/find-jdk.sh)
ifeq ($(JDK),)
$(error no JDK >= 21 found: set JAVA_HOME or install one, e.g. apt-get install openjdk-21-jdk-headless)
endif
export JAVA_HOME := $(JDK)
# The JVM names files in the locale's encoding, fixed at start-up: UTF-8 (RFC 2640) needs a UTF-8 locale.
export LC_ALL := C.UTF-8
JAVA := $(JDK)/bin/java
# Quiet Maven. Debian's Maven 3.8 loads Guava, which calls sun.misc.Unsafe: JDK 24 and later warn about it
# in four lines per run unless told --sun-misc-unsafe-memory-access=allow, an option only JDK 23 and later
# accept (older ones refuse to start), hence the test. Its Jansi writes ESC[0m at start and exit even in
# batch mode, unless jansi.noreset; style.color=never keeps colour out of the log lines.
UNSAFE_OPT := $(shell $(JAVA) --sun-misc-unsafe-memory-access=allow -version >/dev/null 2>&1 \
                && echo --sun-misc-unsafe-memory-access=allow)
export MAVEN_OPTS := $(strip $(MAVEN_OPTS) $(UNSAFE_OPT) -Djansi.noreset=true)
MVN_FLAGS := -B -Dstyle.color=never
MVN := mvn -q $(MVN_FLAGS)
JAR := target/ftp-server.jar
SOURCES := $(shell find src/main/java src/main/resources -type f 2>/dev/null) pom.xml ftp.config.properties
ARGS ?=

VERSION := $(shell sed -n 's:^  <version>\(.*\)</version>$$:\1:p' pom.xml)
ARCH = $(shell uname -m)
DEB_ARCH = $(shell dpkg --print-architecture 2>/dev/null)
DIST := target/dist/ftp-server
TARBALL = target/ftp-server-$(VERSION)-linux-$(ARCH).tar.gz
DEB = target/ftp-server_$(VERSION)_$(DEB_ARCH).deb
DIST_SOURCES := src/main/sh/ftp-server src/main/dist/ftp.config.properties $(wildcard src/main/systemd/*)
# Modules of the bundled runtime: what `jdeps --print-module-deps` finds in the jar (java.base,
# java.logging, jdk.unsupported), plus these, which it can't see or which must stay whatever it finds:
#   jdk.unsupported    sun.misc.Signal: SIGTERM is a graceful stop with exit 0
#   jdk.zipfs          zip files as homes (a FileSystemProvider that only ServiceLoader names)
#   jdk.httpserver     the admin HTTP listener
#   java.management    process metrics: heap, threads, GC
#   jdk.management     the OS's: CPU load, open file descriptors
#   java.xml           not the server's: the S3 provider's (make s3), a plug-in the launcher puts on the class
#                      path from plugins/; without it a login to an S3 home fails on XMLStreamException
#   jdk.net            TCP_QUICKACK after an upload's TLS handshake (jdeps sees it; listed to say why)
#   jdk.crypto.ec      EC keys and ECDHE for TLS on JDK 21 (from 22 they are in java.base and this module is
#                      empty, then gone): added only when the build JDK has it
# Left out: jdk.localedata (replies and logs are for machines: with only java.base's root and English data,
# no default locale such as ar-EG can make a PASV reply's digits Arabic-Indic) and jdk.charsets (the launcher
# starts the JVM in a UTF-8 locale; UTF-8, US-ASCII and ISO-8859-1 are in java.base).
RUNTIME_MODULES := jdk.unsupported jdk.zipfs jdk.httpserver java.management jdk.management java.xml jdk.net

.PHONY: build run test interop bench dist deb clean s3 s3proxy
build: $(JAR)

$(JAR): $(SOURCES)
	$(MVN) -Dmaven.test.skip=true package

run: $(JAR)
	$(JAVA) -jar $(JAR) -c ftp.config.properties $(ARGS)

# Not quiet: Surefire's "Tests run:" summary is what CI reads.
test:
	mvn $(MVN_FLAGS) -ntp test

# Real clients against the built jar (curl, lftp, wget, ftplib, rclone, tnftp; .ci/run installs them).
interop: $(JAR)
	JAVA=$(JAVA) JAR=$(JAR) bash src/test/interop/run.sh

# Measures (never run by make test): our jar (BENCH_JAR, default target/ftp-server.jar) as its own process,
# beside a second jar (BENCH_JAR_B) or a running peer (BENCH_PEER=host:port:user:password:home);
# BENCH_ROWS=retr,stor,logins,... picks rows. Tables on stdout, progress on stderr, SVG charts in target/bench.
# The s3 row (homes in S3Proxy's bucket beside a local one) needs `make s3 s3proxy`, else it says it is skipped.
bench: $(JAR)
	mkdir -p target/bench
	$(JDK)/bin/javac --release 21 -d target/bench $$(find src/bench/java -name '*.java')
	ulimit -n 65536 2>/dev/null || ulimit -n $$(ulimit -Hn); $(JAVA) -Xmx1g -cp target/bench bench.Bench

# A self-contained tree (runtime, jar, launcher, config, units) under target/dist, and its tar.gz.
dist: $(TARBALL)

$(TARBALL): $(JAR) $(DIST_SOURCES)
	rm -rf $(DIST) && mkdir -p $(DIST)/bin $(DIST)/lib $(DIST)/etc $(DIST)/systemd $(DIST)/plugins
	@modules=$$($(JDK)/bin/jdeps --print-module-deps --ignore-missing-deps $(JAR)) || exit 1; \
	for m in $(RUNTIME_MODULES); do modules=$$modules,$$m; done; \
	if $(JAVA) --list-modules | grep -q '^jdk\.crypto\.ec@'; then modules=$$modules,jdk.crypto.ec; fi; \
	modules=$$(echo "$$modules" | tr , '\n' | sort -u | paste -sd, -); \
	if $(JDK)/bin/jlink --list-plugins | grep -q 'zip-\[0-9\]'; then z=zip-6; else z=2; fi; \
	echo "jlink --add-modules $$modules --compress=$$z"; \
	$(JDK)/bin/jlink --add-modules "$$modules" --strip-debug --no-man-pages --no-header-files \
	    --compress=$$z --output $(DIST)/runtime \
	  || { echo "jlink failed: this JDK has neither jmods nor a linkable run-time image" \
	            "(Debian: apt-get install openjdk-NN-jmods)" >&2; exit 1; }
	install -m 0755 src/main/sh/ftp-server $(DIST)/bin/ftp-server
	install -m 0644 $(JAR) $(DIST)/lib/ftp-server.jar
	install -m 0644 src/main/dist/ftp.config.properties $(DIST)/etc/ftp.config.properties
	install -m 0644 src/main/systemd/* $(DIST)/systemd/
	@# The runtime's ahead-of-time cache (JDK 25+), from a training run: start-up and first logins ~40% faster
	@if $(DIST)/runtime/bin/java -XX:+PrintFlagsFinal -version 2>/dev/null | grep -q ' AOTCacheOutput '; then \
	  $(JAVA) src/aot/Train.java $(DIST)/runtime/bin/java $(DIST)/lib/ftp-server.jar $(DIST)/lib/ftp-server.aot \
	    $(JDK)/bin/keytool || exit 1; \
	else echo "no AOT cache: the runtime's JDK is older than 25"; fi
	tar -C $(dir $(DIST)) --owner=0 --group=0 --numeric-owner -czf $@ $(notdir $(DIST))
	@echo "$(DIST): $$(du -sm $(DIST) | cut -f1) MB; $@: $$(du -m $@ | cut -f1) MB"

# The Debian package of the same tree, built with dpkg-deb (src/main/deb/build.sh says why).
deb: $(DEB)

$(DEB): $(TARBALL) $(wildcard src/main/deb/*)
	sh src/main/deb/build.sh $(DIST) $(VERSION) $(DEB_ARCH) $@

# Optional object-store homes (user.NAME.home=s3x://host:port/bucket/prefix/ or s3://bucket/prefix/): an S3
# FileSystemProvider and its jars into target/s3/, never into the server's jar. Run the server with them:
#   java -cp 'target/ftp-server.jar:target/s3/*' ftp.Main -c ftp.config.properties
s3: target/s3/.done
target/s3/.done: src/s3/pom.xml
	rm -rf target/s3
	$(MVN) -f src/s3/pom.xml dependency:copy-dependencies@provider
	touch $@

# S3Proxy, an S3 API server on loopback: the S3 tests start and stop their own.
s3proxy: target/s3proxy/s3proxy.jar
target/s3proxy/s3proxy.jar: src/s3/pom.xml
	$(MVN) -f src/s3/pom.xml dependency:copy@s3proxy

clean:
	$(MVN) clean
