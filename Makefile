# make build | run | test | clean. Finds a JDK >= 21 itself (JAVA_HOME if it is one, else the newest
# under /usr/lib/jvm): the default `java` on many machines is older.
JDK := $(shell sh src/main/sh/find-jdk.sh)
ifeq ($(JDK),)
$(error no JDK >= 21 found: set JAVA_HOME or install one, e.g. apt-get install openjdk-21-jdk-headless)
endif
export JAVA_HOME := $(JDK)
# The JVM names files in the locale's encoding, fixed at start-up: UTF-8 (RFC 2640) needs a UTF-8 locale.
export LC_ALL := C.UTF-8
JAVA := $(JDK)/bin/java
MVN := mvn -q -B
JAR := target/ftp-server.jar
SOURCES := $(shell find src/main -type f) pom.xml
ARGS ?=

.PHONY: build run test interop bench clean
build: $(JAR)

$(JAR): $(SOURCES)
	$(MVN) -Dmaven.test.skip=true package

run: $(JAR)
	$(JAVA) -jar $(JAR) -c ftp.config.properties $(ARGS)

# Not quiet: Surefire's "Tests run:" summary is what CI reads.
test:
	mvn -B -ntp test

# Real clients against the built jar (curl, lftp, wget, ftplib, rclone, tnftp; .ci/run installs them).
interop: $(JAR)
	JAVA=$(JAVA) JAR=$(JAR) bash src/test/interop/run.sh

# Measures (never run by make test): our jar (BENCH_JAR, default target/ftp-server.jar) as its own process,
# beside a second jar (BENCH_JAR_B) or a running peer (BENCH_PEER=host:port:user:password:home);
# BENCH_ROWS=retr,stor,logins,... picks rows. Tables on stdout, progress on stderr, SVG charts in target/bench.
bench: $(JAR)
	mkdir -p target/bench
	$(JDK)/bin/javac --release 21 -d target/bench $$(find src/bench/java -name '*.java')
	ulimit -n 65536 2>/dev/null || ulimit -n $$(ulimit -Hn); $(JAVA) -Xmx1g -cp target/bench bench.Bench

clean:
	$(MVN) clean
