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

.PHONY: build run test interop bench clean
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

# Measures (never run by make test): the server as its own process, optionally BENCH_PEER beside it.
bench: $(JAR)
	mkdir -p target/bench
	$(JDK)/bin/javac --release 21 -d target/bench $$(find src/bench/java -name '*.java')
	ulimit -n 65536 2>/dev/null || ulimit -n $$(ulimit -Hn); $(JAVA) -Xmx1g -cp target/bench bench.Bench

clean:
	$(MVN) clean
